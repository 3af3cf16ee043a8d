"""Engine and transactions.

SQLite runs in WAL mode with a busy timeout, and every transaction that may write
starts with ``BEGIN IMMEDIATE``: writers queue up front instead of failing when a read
transaction tries to become a write one. A transaction opened read-only
(:func:`session_factory` with ``read_only``) starts with a plain ``BEGIN`` and
``PRAGMA query_only``: in WAL mode it reads its snapshot without waiting for the
writers, and any write in it fails at once instead of racing them. PostgreSQL runs at
READ COMMITTED; the ``version`` column of accounts catches concurrent updates on both.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ..config import private_folder

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def make_engine(url: str, *, busy_timeout: float = 15.0) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            path = Path(parsed.database).expanduser()
            if parsed.database.startswith("~"):  # SQLite itself would look for a folder named « ~ »
                url = parsed.set(database=str(path)).render_as_string(hide_password=False)
            private_folder(path.parent)
            _private_database(path)
        engine = create_engine(url, connect_args={"timeout": busy_timeout})
        _sqlite_setup(engine, busy_timeout)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _private_database(path: Path) -> None:
    """The SQLite file holds password hashes, code digests and the installation key: it is
    created here for its owner only (0600) before SQLite would create it after the umask
    (0644: readable by every account of a lab machine); SQLite gives its ``-wal`` and
    ``-shm`` the mode of the database file.

    A database of ours found readable by others (made by entkiosk 0.1) is tightened, not
    only reported: a warning in a log nobody reads would leave the hashes open. The group
    keeps its rights when it may write: several local accounts sharing one database through
    a group is an administrator's deliberate set-up (a group that may only read cannot run a
    kiosk, so its rights are the umask's, and go)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            _tighten(each)
        return
    except OSError:
        return  # a folder we may not write to: SQLite's own refusal says it
    try:
        os.fchmod(fd, 0o600)  # whatever the umask took away
    finally:
        os.close(fd)


def _tighten(path: Path) -> None:
    try:
        found = os.stat(path)
    except OSError:
        return
    mode = stat.S_IMODE(found.st_mode)
    keep = 0o770 if mode & stat.S_IWGRP else 0o700
    if found.st_uid == os.geteuid() and mode & ~keep:
        os.chmod(path, mode & keep)
        # Said in the kiosk's log only: a command's output stays French and about its work.
        log.info("%s was readable by other accounts (mode %o): now %o", path, mode, mode & keep)


def _sqlite_setup(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        info = connection.connection.info  # lives as long as the driver's connection
        if info.get("query_only", False) != read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            info["query_only"] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


#: Execution option of the connections of a read-only session factory.
READ_ONLY = "entkiosk_read_only"


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``read_only``, for transactions that never write (on
    SQLite they then neither wait for the write lock nor may take it)."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}) if read_only else engine,
                        expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end, roll everything back on any exception."""
    with factory() as session, session.begin():
        yield session


#: The newest migration. Checked against Alembic's scripts by the tests; a database
#: already there is opened without loading Alembic (a kiosk starts faster and smaller).
HEAD = "0008"


def at_head(engine: Engine) -> bool:
    """The schema is the newest one (a plain query: no Alembic)."""
    try:
        with engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except DBAPIError:
        return False  # no schema yet (or no such table): Alembic will say more
    return found == [HEAD]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema with Alembic (idempotent)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Kiosks starting together on a new database: one migrates, the others wait
            # (the lock is released with this transaction).
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7318240155)")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
