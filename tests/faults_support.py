"""Real faults for tests/test_faults.py: a PostgreSQL cluster of our own that a test stops
and starts again, an SQLite write lock held by another connection, a mail port whose
server the test switches between working, refusing, dropping and hanging, and a dump of
every table to compare a database before and after a failed call.

Nothing here replaces the project's code: the service, its engine and its transports
run as in production, against these servers.
"""

from __future__ import annotations

import email
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from glob import glob
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, select, text

from entkiosk.domain.passwords import Hasher
from entkiosk.store.models import Base


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ what a database holds


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table of the schema, in a stable order (to compare before/after)."""
    result: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            result[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return result


# ------------------------------------------------------------------ a PostgreSQL cluster of our own


def postgres_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: [int(x) for x in re.findall(r"\d+", p)])
    return Path(found[-1]).parent if found else None


class OwnPostgres:
    """A throw-away cluster on loopback (under ``/tmp``, its own port) that a test may stop
    with ``pg_ctl stop -m immediate`` (a crash, as far as clients are concerned) and start again.
    The shared test server is never touched."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(f"/tmp/entkiosk-faults-pg-{uuid.uuid4().hex[:8]}")
        self.data = self.root / "data"
        self.port = free_port()
        self.running = False

    def _pg(self, *args: str, timeout: float = 60) -> None:
        import os

        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        import os

        self.root.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()

    def start(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off", "start")
        self.running = True

    def stop(self) -> None:
        """Immediate shutdown: every backend killed, open transactions lost, clients cut off."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = f"faults_{uuid.uuid4().hex[:10]}"
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)

    def destroy(self) -> None:
        if self.running:
            try:
                self.stop()
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


# ------------------------------------------------------------------ an SQLite write lock held elsewhere


class SqliteWriteLock:
    """Another connection (in its own thread, as another kiosk would be) holding the
    database's write lock with ``BEGIN IMMEDIATE`` until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._taken = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._hold, name="sqlite-lock", daemon=True)
        self.error: BaseException | None = None

    def _hold(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=5)
            try:
                connection.execute("BEGIN IMMEDIATE")
                # A real pending write, not only a lock: it must never show through.
                connection.execute("UPDATE installation SET created_at = created_at")
                self._taken.set()
                self._release.wait(60)
                connection.execute("ROLLBACK")
            finally:
                connection.close()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.error = exc
            self._taken.set()

    def take(self) -> SqliteWriteLock:
        self._thread.start()
        assert self._taken.wait(10), "the lock was never taken"
        assert self.error is None, self.error
        return self

    def release(self, after: float = 0.0) -> None:
        """Roll back and let go (``after`` seconds from now, from a timer)."""
        if after:
            threading.Timer(after, self._release.set).start()
        else:
            self._release.set()

    def join(self) -> None:
        self._release.set()
        self._thread.join(10)
        assert self.error is None, self.error


class HookedHasher(Hasher):
    """The real argon2 hasher, with a fault injected when it is asked for a hash: the
    moment a use case has read the account (first transaction) and not yet written it."""

    def __init__(self, parameters, on_hash) -> None:
        super().__init__(parameters)
        self.on_hash = on_hash

    def hash(self, password: str) -> str:  # type: ignore[override]
        if self.on_hash is not None:
            hook, self.on_hash = self.on_hash, None  # once
            hook()
        return super().hash(password)


# ------------------------------------------------------------------ one mail port, several behaviours

MODES = ("closed", "refuse_rcpt", "refuse_data", "drop", "hang", "ok")


@dataclass
class MailPort:
    """A loopback port whose SMTP side the test switches with :meth:`become`:

    * ``closed``: nothing listens (connection refused);
    * ``refuse_rcpt``: aiosmtpd answers ``550`` to every recipient;
    * ``refuse_data``: aiosmtpd takes the message and answers ``451`` (try later);
    * ``drop``: a raw socket server accepts and closes at once;
    * ``hang``: a raw socket server accepts and never says a word;
    * ``ok``: aiosmtpd delivers (kept in :attr:`received`).
    """

    port: int = field(default_factory=free_port)
    received: list[EmailMessage] = field(default_factory=list)
    mode: str = "closed"
    _controller: Controller | None = None
    _listener: socket.socket | None = None
    _held: list[socket.socket] = field(default_factory=list)
    _thread: threading.Thread | None = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.mode == "refuse_rcpt":
            return "550 5.1.1 Destinataire refusé"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "refuse_data":
            return "451 4.3.0 Essayez plus tard"
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        self.received.append(email.message_from_bytes(raw, policy=policy.default))
        return "250 Message accepted for delivery"

    def become(self, mode: str) -> None:
        assert mode in MODES, mode
        self.stop()
        self.mode = mode
        if mode in ("refuse_rcpt", "refuse_data", "ok"):
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5)
            self._controller.start()
        elif mode in ("drop", "hang"):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(8)
            listener.settimeout(0.1)
            self._listener = listener
            self._thread = threading.Thread(target=self._accept, args=(listener, mode), daemon=True)
            self._thread.start()

    def _accept(self, listener: socket.socket, mode: str) -> None:
        while self._listener is listener:
            try:
                conn, _ = listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            if mode == "drop":
                conn.close()
            else:
                self._held.append(conn)  # never answered

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._listener is not None:
            listener, self._listener = self._listener, None
            if self._thread is not None:
                self._thread.join(5)
            listener.close()
        for conn in self._held:
            conn.close()
        self._held.clear()
        self.mode = "closed"


CODE = re.compile(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", re.MULTILINE)


def code_in(message: EmailMessage) -> str:
    match = CODE.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)
