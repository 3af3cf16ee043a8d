"""« entkiosk serve » (issue 17, first part): the installed command serves the kiosk with
textual-serve; each browser tab (here a websocket client speaking textual-serve's protocol)
gets its own kiosk process on the configured database, recorded in the audit as the serving
instance plus the tab; a tab that closes logs its session out and its process ends; the
server refuses a port in use or an address the machine does not have, in French."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from conftest import make_settings, student
from sqlalchemy import select
from test_cli import write_conf

from entkiosk.domain.errors import AuthenticationFailed
from entkiosk.runtime import open_service
from entkiosk.store.models import AuditEvent, Session

ENTKIOSK = Path(sys.executable).parent / "entkiosk"
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ (the load test's checks) lives at the repository root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """``process`` listens on ``port`` of loopback (or it ended, which fails with its output)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, f"nothing ever listened on port {port}"
            time.sleep(0.05)


def kiosk_processes(server_pid: int) -> list[int]:
    """The kiosk processes started by the server (its descendants running ``entkiosk.cli``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [server_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            # The kiosk itself, not the shell textual-serve starts it with.
            if b"entkiosk.cli" in cmdline and b"serve" not in cmdline and not cmdline.startswith(b"/bin/sh"):
                found.append(child)
    return found


async def no_kiosk_left(server_pid: int, timeout: float = 30) -> None:
    """Every tab's kiosk process has ended (waiting up to ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while kiosk_processes(server_pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert kiosk_processes(server_pid) == []


class Tab:
    """A browser tab as textual-serve sees it: a websocket, keys in, the terminal's bytes out."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen = b""

    async def wait_for(self, word: str, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while word.encode() not in self.seen:
                message = await self.ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise AssertionError(f"the tab closed before « {word} »")
                data = message.data
                self.seen += data if isinstance(data, bytes) else str(data).encode()

    async def wait_for_one_of(self, *words: str, timeout: float = 30.0) -> str:
        """The first of ``words`` the kiosk shows."""
        async with asyncio.timeout(timeout):
            while True:
                for word in words:
                    if word.encode() in self.seen:
                        return word
                message = await self.ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise AssertionError(f"the tab closed before any of {words}")
                data = message.data
                self.seen += data if isinstance(data, bytes) else str(data).encode()

    async def wait_closed(self, timeout: float = 30.0) -> None:
        """The server closes the tab's connection (its kiosk ended)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return
                data = message.data
                self.seen += data if isinstance(data, bytes) else str(data).encode()

    async def type(self, text: str) -> None:
        await self.ws.send_json(["stdin", text])

    async def log_in(self, identifier: str, password: str) -> None:
        """From the accueil: « Se connecter », the profile « Élève », the identifier and password."""
        await self.wait_for("ACCUEIL", timeout=180)
        await self.type("\r")
        await self.wait_for("ESPACE NUM", timeout=180)
        await self.type("\t")
        await self.type("\r")
        await self.wait_for("authentification", timeout=180)
        for text in (identifier, "\t", password, "\r"):
            await self.type(text)


async def tab_at_first_connection(http: aiohttp.ClientSession, port: int, letter) -> Tab:
    """A new tab where the pupil of ``letter`` has logged in: the first connection's form."""
    tab = Tab(await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24"))
    await tab.log_in(letter.identifier, letter.provisional_password)
    await tab.wait_for("Vos informations")
    return tab


def sessions_of(db_url: str, tmp_path: Path) -> list:
    """Every session on file: when it was revoked, by which kiosk."""
    engine = open_service(make_settings(db_url, tmp_path)).engine
    try:
        with engine.connect() as c:
            return c.execute(select(Session.revoked_at, Session.kiosk_id)).all()
    finally:
        engine.dispose()


@contextlib.contextmanager
def serving(tmp_path: Path, conf_extra: str = "", public_url: str | None = None):
    """``entkiosk serve`` on a free loopback port, on an SQLite file with one pupil;
    ``conf_extra`` is added at the end of its kiosk.conf (in ``[kiosk]``, or new sections)."""
    db_url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    conf.write_text(conf.read_text() + conf_extra)
    service = open_service(make_settings(db_url, tmp_path))
    [letter] = service.import_class_list([student()], actor="cli:seed")
    service.engine.dispose()
    port = free_port()
    env = dict(os.environ, ENTKIOSK_CONFIG=str(conf), XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    public = ["--public-url", public_url] if public_url else []
    server = subprocess.Popen([str(ENTKIOSK), "serve", "--port", str(port), *public], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    line = server.stdout.readline()
    shown = public_url or f"http://127.0.0.1:{port}"
    assert line.startswith(f"Kiosque servi à l'adresse {shown}"), line + server.stderr.read()
    # The line is printed as the server starts, an instant before it listens.
    wait_listening(port, server)
    try:
        yield port, server, db_url, letter
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def serving_public(tmp_path: Path, public_url: str):
    """``entkiosk serve --public-url URL`` on a free loopback port (no pupil)."""
    with serving(tmp_path, public_url=public_url) as running:
        yield running


@pytest.fixture
def served(tmp_path: Path):
    """The served kiosk with the settings of the tests' kiosk.conf."""
    with serving(tmp_path) as running:
        yield running


#: A tab's session ends after 10 s without a key (the shortest allowed), its kiosk 5 s after
#: that (5 s to see the kiosk still there once the session ended, whatever the machine's load).
IDLE_CONF = "idle_timeout = 10\n\n[serve]\nidle_close = 5\n"


@pytest.fixture
def served_idle(tmp_path: Path):
    """The served kiosk with short idle times (:data:`IDLE_CONF`)."""
    with serving(tmp_path, IDLE_CONF) as running:
        yield running


async def test_each_tab_is_its_own_kiosk_and_ends_with_its_tab(served, tmp_path: Path) -> None:
    port, server, db_url, letter = served
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200
            html = await page.text()
        assert "<title>Lycée de démonstration — Scolarité Services</title>" in html
        assert 'data-font-size="16"' in html and "Rouvrir le kiosque" in html
        assert re.findall(r'(?:href|src)="(https?://[^/"]+)', html) == [f"http://127.0.0.1:{port}"] * 2  # nothing outside
        async with http.get(f"http://127.0.0.1:{port}/?fontsize=24") as page:
            assert 'data-font-size="24"' in await page.text()
        sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") for _ in range(3)]
        tabs = [Tab(ws) for ws in sockets]
        await asyncio.gather(*(tab.wait_for("ACCUEIL") for tab in tabs))
        assert len(kiosk_processes(server.pid)) == 3
        # One tab logs in with the letter: the first connection opens.
        tab = tabs[0]
        await tab.log_in(letter.identifier, letter.provisional_password)
        await tab.wait_for("PREMI")
        for ws in sockets:
            await ws.close()
    await no_kiosk_left(server.pid)
    service = open_service(make_settings(db_url, tmp_path))
    try:
        with service.engine.connect() as c:
            sessions = c.execute(select(Session.revoked_at, Session.kiosk_id)).all()
            logins = c.scalars(select(AuditEvent.kiosk_id).where(AuditEvent.event == "login.ok")).all()
    finally:
        service.engine.dispose()
    assert len(sessions) == 1 and sessions[0].revoked_at is not None  # the closed tab logged out
    assert len(logins) == 1 and logins[0].startswith("test-kiosk/web-") and logins[0] == sessions[0].kiosk_id
    assert server.poll() is None  # the server goes on serving


def test_a_port_in_use_or_a_foreign_address_is_refused_in_french(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    env.pop("ENTKIOSK_CONFIG", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([str(ENTKIOSK), "serve", "--port", str(port)], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"Erreur : Le port {port} est déjà utilisé sur 127.0.0.1".replace(" :", "\u00a0:"))
    proc = subprocess.run([str(ENTKIOSK), "serve", "--host", "192.0.2.1", "--port", str(free_port())],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and "n'est pas celle de cette machine" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_another_address_than_loopback_is_said_out_loud(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    env.pop("ENTKIOSK_CONFIG", None)
    port = free_port()
    server = subprocess.Popen([str(ENTKIOSK), "serve", "--host", "0.0.0.0", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        first = server.stdout.readline()
        assert first.startswith("Attention\u00a0: toute personne qui peut joindre"), first
        assert "proxy inverse" in first
    finally:
        server.terminate()
        server.wait(timeout=30)


#: Invented pupils of one class, one per tab.
CLASS = ("Adèle", "Bastien", "Capucine", "Dorian", "Elsa", "Florent", "Garance", "Hugo", "Inès", "Jules", "Katell",
         "Lénaïg", "Marius", "Noémie", "Octave", "Pauline", "Quentin", "Rose", "Sacha", "Théo", "Ulysse", "Victoire",
         "Wassim", "Xavier", "Yasmine", "Zacharie", "Aurèle", "Bérénice")


async def test_thirty_tabs_activating_at_once_lose_nothing_and_leave_no_process(served, tmp_path: Path) -> None:
    """30 tabs on the 2-core machine: 28 pupils each in their own tab and one pupil in two tabs
    press VALIDER on their first connection at the same moment. Every pupil is activated once,
    the pupil of two tabs by one of them (the other reads « Ce compte vient d'être activé depuis
    un autre poste. », not that its session expired), with the password of the tab that won —
    the load test's own checks on the database; once the tabs close, no session stays open and
    no kiosk process is left."""
    from bench.kiosks import FIRST_PASSWORDS, Scene, Student, check_database

    port, server, db_url, letter = served
    service = open_service(make_settings(db_url, tmp_path))
    letters = service.import_class_list([student(name, "Essai", line=i + 3) for i, name in enumerate(CLASS)],
                                        actor="cli:seed")
    service.engine.dispose()
    pupils = [(each, FIRST_PASSWORDS[0]) for each in letters] + [(letter, FIRST_PASSWORDS[0]),
                                                                 (letter, FIRST_PASSWORDS[1])]
    assert len(pupils) == 30
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") for _ in pupils]
        tabs = [Tab(ws) for ws in sockets]

        async def ready(tab: Tab, pupil, password: str) -> None:
            await tab.log_in(pupil.identifier, pupil.provisional_password)
            await tab.wait_for("Vos informations", timeout=180)
            for text in ("14032010", "\t", password, "\t", password):
                await tab.type(text)
            tab.seen = b""

        await asyncio.gather(*(ready(tab, pupil, password) for tab, (pupil, password) in zip(tabs, pupils)))
        assert len(kiosk_processes(server.pid)) == 30
        await asyncio.gather(*(tab.type("\r") for tab in tabs))  # VALIDER, everywhere at once
        outcomes = await asyncio.gather(*(tab.wait_for_one_of("accepte la charte", "autre poste", "a expiré",
                                                              timeout=180) for tab in tabs))
        await asyncio.gather(*(ws.close() for ws in sockets))
        await no_kiosk_left(server.pid, timeout=60)
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200

    assert outcomes[:28] == ["accepte la charte"] * 28
    assert sorted(outcomes[28:]) == ["accepte la charte", "autre poste"], outcomes[28:]
    winner = FIRST_PASSWORDS[outcomes[28:].index("accepte la charte")]
    finals = {each.identifier: FIRST_PASSWORDS[0] for each in letters} | {letter.identifier: winner}
    scene = Scene(own=[], contended=[Student(each.identifier, each.provisional_password, "14/03/2010", "")
                                     for each in (*letters, letter)], races=[], finals=finals,
                  outbox_root=tmp_path / "outbox", race_mailboxes={})
    engine = open_service(make_settings(db_url, tmp_path)).engine
    try:
        with engine.connect() as c:
            findings = check_database(c, scene)
            sessions = c.execute(select(Session.revoked_at, Session.kiosk_id)).all()
    finally:
        engine.dispose()
    assert findings.lost_writes == [] and findings.duplicate_activations == []
    assert len(sessions) == 30 and all(row.revoked_at is not None for row in sessions)
    assert len({row.kiosk_id for row in sessions}) == 30  # each tab its own kiosk id
    server.terminate()
    out, err = server.communicate(timeout=30)
    assert "Traceback" not in out + err and "Erreur" not in out + err


async def test_a_tab_left_idle_ends_its_session_then_its_kiosk(served_idle, tmp_path: Path) -> None:
    """A pupil walks away from a tab in the middle of the first connection: after
    ``[kiosk] idle_timeout`` the session ends (the countdown, then the accueil and its
    notice, as in a terminal); after ``[serve] idle_close`` more on the accueil the tab's
    kiosk closes (the page offers to reopen it)."""
    port, server, db_url, letter = served_idle
    async with aiohttp.ClientSession() as http:
        tab = await tab_at_first_connection(http, port, letter)
        await tab.type("1403")  # typed, then left
        await tab.wait_for("toujours là", timeout=30)
        await tab.wait_for("inactivité", timeout=30)
        assert len(kiosk_processes(server.pid)) == 1  # the accueil again, the kiosk still there
        await tab.wait_closed(timeout=40)
    await no_kiosk_left(server.pid)
    sessions = sessions_of(db_url, tmp_path)
    assert len(sessions) == 1 and sessions[0].revoked_at is not None


async def test_a_tab_whose_kiosk_dies_is_closed_and_the_server_says_so(served) -> None:
    """A tab's kiosk process is killed (out of memory, an administrator): its tab's connection
    closes (the page shows « Ce kiosque est fermé »), the server's console says so in French
    naming the tab, and the other tabs go on."""
    port, server, _db_url, _letter = served
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") for _ in range(2)]
        tabs = [Tab(ws) for ws in sockets]
        await asyncio.gather(*(tab.wait_for("ACCUEIL") for tab in tabs))
        victim = kiosk_processes(server.pid)[0]
        environ = (Path("/proc") / str(victim) / "environ").read_bytes().split(b"\0")
        [name] = [v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"ENTKIOSK_SERVED=")]
        os.kill(victim, signal.SIGKILL)
        closed = await asyncio.wait({asyncio.create_task(tab.wait_closed(timeout=30)) for tab in tabs},
                                    return_when=asyncio.FIRST_COMPLETED)
        assert len(closed[0]) == 1
        [survivor] = [tab for tab in tabs if not tab.ws.closed]
        for task in closed[1]:
            task.cancel()
        await asyncio.gather(*closed[1], return_exceptions=True)
        await survivor.type("\r")
        await survivor.wait_for("ESPACE NUM")  # the other tab's kiosk works on
        await survivor.ws.close()
    await no_kiosk_left(server.pid)
    server.terminate()
    out, _err = server.communicate(timeout=30)
    assert f"Le kiosque de l'onglet {name} s'est arrêté sans qu'on le lui demande" in out
    assert name.startswith("test-kiosk/web-") and "Traceback" not in out


async def test_a_tab_closed_in_the_middle_of_a_first_connection_leaves_the_database_consistent(
        served, tmp_path: Path) -> None:
    """The browser goes away the instant the pupil presses VALIDER on the first connection:
    the activation is all done or not done at all, the session is logged out, the process ends."""
    port, server, db_url, letter = served
    async with aiohttp.ClientSession() as http:
        tab = await tab_at_first_connection(http, port, letter)
        for text in ("14032010", "\t", "Velo2roues", "\t", "Velo2roues", "\r"):
            await tab.type(text)
        await tab.ws.close()  # gone, mid-transaction
    await no_kiosk_left(server.pid)
    sessions = sessions_of(db_url, tmp_path)
    assert sessions and all(row.revoked_at is not None for row in sessions)
    service = open_service(make_settings(db_url, tmp_path))
    try:
        # Either the activation happened whole (the new password works) or not at all (the letter still does).
        try:
            login = service.authenticate(letter.identifier, "Velo2roues")
            assert login.next_step == "charter"
        except AuthenticationFailed:  # then the provisional password must still open the first connection
            assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"
    finally:
        service.engine.dispose()


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def readme_nginx_example() -> str:
    """The ``server { … }`` block of the README's « The kiosk in a browser »."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The kiosk in a browser"):]
    return section.split("```nginx\n", 1)[1].split("```", 1)[0]


async def test_the_readme_nginx_example_serves_the_kiosk_over_https(tmp_path: Path) -> None:
    """The README's reverse proxy, as written (Debian's nginx; only its certificate paths and
    ports changed for a test): the page comes over HTTPS, names the secure websocket of the
    public address, and a tab gets the accueil through nginx."""
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: .ci/run installs Debian's nginx (bash .ci/install-nginx)")
        pytest.skip("no nginx: install Debian's nginx (bash .ci/install-nginx) to run the reverse-proxy test")
    proxy_port = free_port()
    public = f"https://127.0.0.1:{proxy_port}"
    with serving_public(tmp_path, public) as (port, server, _db_url, _letter):
        cert, key = tmp_path / "kiosque.pem", tmp_path / "kiosque.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
        block = readme_nginx_example()
        for old, new in (("listen 443 ssl;", f"listen 127.0.0.1:{proxy_port} ssl;"),
                         ("/etc/ssl/certs/kiosque.pem", str(cert)), ("/etc/ssl/private/kiosque.key", str(key)),
                         ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{port};")):
            assert old in block, old
            block = block.replace(old, new)
        (tmp_path / "nginx").mkdir()
        conf = tmp_path / "nginx.conf"
        conf.write_text(f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                        f"events {{}}\nhttp {{\n    access_log off;\n    client_body_temp_path {tmp_path}/nginx;\n"
                        f"    proxy_temp_path {tmp_path}/nginx;\n{block}}}\n")
        proxy = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        try:
            wait_listening(proxy_port, proxy)
            async with aiohttp.ClientSession() as http:
                async with http.get(public + "/", ssl=False) as page:
                    assert page.status == 200
                    html = await page.text()
                assert f'data-session-websocket-url="wss://127.0.0.1:{proxy_port}/ws"' in html
                assert f'href="{public}/static/css/xterm.css"' in html
                async with http.get(public + "/static/css/xterm.css", ssl=False) as style:
                    assert style.status == 200
                ws = await http.ws_connect(f"wss://127.0.0.1:{proxy_port}/ws?width=80&height=24", ssl=False)
                tab = Tab(ws)
                await tab.wait_for("ACCUEIL")
                await tab.type("\r")
                await tab.wait_for("ESPACE NUM")
                await ws.close()
            await no_kiosk_left(server.pid)
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)


async def test_stopping_the_server_closes_every_tab_and_its_session(served, tmp_path: Path) -> None:
    """Ctrl+C on « entkiosk serve » with a pupil in the middle of a first connection: the
    server says in French that it stopped, the tab's kiosk ends and its session is closed."""
    port, server, db_url, letter = served
    async with aiohttp.ClientSession() as http:
        tab = await tab_at_first_connection(http, port, letter)
        kiosks = kiosk_processes(server.pid)
        assert len(kiosks) == 1
        server.send_signal(signal.SIGINT)
        # (in a thread: the tab's connection goes on answering the server meanwhile, as a browser does)
        out, err = await asyncio.to_thread(server.communicate, timeout=30)
        await tab.wait_closed()
    assert out.startswith("Kiosque arrêté\u00a0: les onglets encore ouverts"), out + err
    assert "Traceback" not in out + err
    deadline = time.monotonic() + 30
    while (Path("/proc") / str(kiosks[0])).exists():
        assert time.monotonic() < deadline, "the tab's kiosk outlived its server"
        await asyncio.sleep(0.1)
    assert [row.revoked_at is not None for row in sessions_of(db_url, tmp_path)] == [True]
