"""Shared fixtures: every storage test runs on an SQLite file and on PostgreSQL.

PostgreSQL comes from ``ENTKIOSK_TEST_PG_URL`` (``.ci/run`` starts a server and sets
it); without it the PostgreSQL half of each test is skipped, saying why. Each test gets
its own fresh database, copied from a migrated template.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import hypothesis
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from entkiosk.config import Settings, settings_from_dict
from entkiosk.domain.classlist import StudentRow
from entkiosk.domain.clock import FixedClock
from entkiosk.domain.passwords import Hasher, HashParameters
from entkiosk.mail import OutboxTransport
from entkiosk.runtime import open_service
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.store import db

# Hypothesis: a bounded, derandomized run by default (CI); HYPOTHESIS_PROFILE=long for
# a much longer exploration on demand. Tests size themselves relative to the profile
# (tests/properties_support.py: examples()), so the profile scales every property.
hypothesis.settings.register_profile("ci", max_examples=100, derandomize=True, deadline=None, print_blob=True)
hypothesis.settings.register_profile("long", max_examples=2000, derandomize=False, deadline=None, print_blob=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PG_ENV = "ENTKIOSK_TEST_PG_URL"
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)  # 10:00 in Lille


def _quicker_pilot() -> None:
    """Textual's pilot waits for an app to be idle in 20 ms sleeps (idle: under 1 ms of work
    in one of them), and a screen repaints at most 60 times a second, in time for such a
    window: each ``pilot.press`` sleeps at least 3 × 20 ms, each ``pilot.pause`` 20 ms,
    however little the kiosk has to do (about half of a pilot test's time). In tests, both
    are four times finer: 5 ms windows (idle: under 0.25 ms of work, the same share) and up to
    240 repaints a second, still one per window; only the waiting is shorter. Textual is
    pinned (``textual==``), so these module-level values are known ones."""
    import textual._wait
    import textual.screen

    textual.screen.UPDATE_PERIOD = 1 / 240
    textual._wait.SLEEP_GRANULARITY = 1 / 200
    textual._wait.SLEEP_IDLE = textual._wait.SLEEP_GRANULARITY / 20


_quicker_pilot()


class PgTemplate:
    """A migrated template database, so each test's copy costs one CREATE DATABASE."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"entkiosk_tpl_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine = db.make_engine(self.url(self.name))
        db.upgrade(engine)
        engine.dispose()

    def url(self, name: str) -> str:
        return make_url(str(self.admin.url)).set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        name = f"entkiosk_t_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as c:
            # PostgreSQL 15's default strategy (WAL_LOG) writes the whole template into the
            # WAL: ~0.2 s a test; FILE_COPY copies its files, ~0.03 s (the checkpoint it
            # costs is cheap on the test server, which runs with fsync=off).
            strategy = " STRATEGY FILE_COPY" if c.dialect.server_version_info >= (15,) else ""
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"{strategy}'))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[PgTemplate | None]:
    url = os.environ.get(PG_ENV)
    if not url:
        yield None
        return
    template = PgTemplate(url)
    yield template
    template.drop(template.name)
    template.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_template: PgTemplate | None) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'entkiosk.db'}"
        return
    if pg_template is None:
        reason = f"PostgreSQL not available: set {PG_ENV} (bash .ci/run starts a server and sets it)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # in CI a missing server is CI's failure, not a skip
        pytest.skip(reason)
    name = pg_template.fresh()
    yield pg_template.url(name)
    pg_template.drop(name)


def make_settings(db_url: str, tmp_path: Path, **sections: dict) -> Settings:
    raw: dict = {
        "database": {"url": db_url},
        "mail": {"outbox": str(tmp_path / "outbox"), "public_url": "https://services.example.org"},
        "kiosk": {"id": "test-kiosk"},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return settings_from_dict(raw, source="test")


@pytest.fixture(autouse=True)
def in_french() -> Iterator[None]:
    """Each test starts and ends with the kiosk speaking French (the language is the process's)."""
    from entkiosk.domain import i18n

    i18n.use(i18n.REFERENCE)
    yield
    i18n.use(i18n.REFERENCE)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


#: argon2id as the service runs it, at the smallest memory argon2 accepts (8 KiB instead of
#: 19 MiB): a hash or a verification in microseconds instead of ~20 ms. A test's service
#: hashes with it unless the test is marked ``argon2`` (about the configured parameters or
#: their cost): the others check what is hashed and verified, not how hard.
TEST_HASH = HashParameters(memory_cost=8)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "argon2: the test's service hashes with the configured argon2 parameters "
                                       "(not conftest.TEST_HASH)")


@functools.cache
def light_hasher() -> Hasher:
    return Hasher(TEST_HASH)


def hashing_lightly(svc: AccountService, *, mail_after_answer: bool = False) -> AccountService:
    """``svc`` (its database, mail, clock, generator, directory) hashing with :data:`TEST_HASH`.
    (``svc`` itself hashed once with the configured parameters as it was built: the hash its
    unknown identifiers are checked against.)"""
    return AccountService(svc.settings, svc.engine, svc.transport, clock=svc.clock, rng=svc.rng,
                          hasher=light_hasher(), mail_after_answer=mail_after_answer,
                          directory=svc.directory.connect)


@functools.cache
def _sqlite_template(folder: str) -> bytes:
    """An SQLite database migrated to the newest schema, once per test process (Alembic
    takes ~0.1 s a database). Its copies share its installation key, as PostgreSQL's do."""
    from entkiosk.store import db

    path = Path(folder) / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path.read_bytes()


def from_template(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """An SQLite file that does not exist yet becomes a copy of the migrated template (made
    0600, as entkiosk makes its database), as if :func:`open_service` had just migrated it;
    PostgreSQL's databases are copies of a template already (:class:`PgTemplate`)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    path = Path(url.database)
    if path.exists():
        return
    data = _sqlite_template(str(tmp_path_factory.getbasetemp()))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def open_test_service(settings: Settings, request: pytest.FixtureRequest, **kwargs) -> AccountService:
    """:func:`open_service` on ``settings``'s database (an SQLite one copied from the template
    first), hashing with :data:`TEST_HASH` unless the test is marked ``argon2``."""
    from_template(settings.database.url, request.getfixturevalue("tmp_path_factory"))
    svc = open_service(settings, **kwargs)
    if request.node.get_closest_marker("argon2"):
        return svc
    return hashing_lightly(svc, mail_after_answer=kwargs.get("mail_after_answer", False))


@pytest.fixture
def service(settings: Settings, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[AccountService]:
    svc = open_test_service(settings, request, clock=clock)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def outbox(settings: Settings) -> OutboxTransport:
    return OutboxTransport(settings.outbox_path())


def student(first: str = "Julie", last: str = "Baillet", born: date = date(2010, 3, 14), cls: str = "2nde 1",
            line: int = 2) -> StudentRow:
    return StudentRow(line, last, first, born, cls)


@pytest.fixture
def letter(service: AccountService) -> IssuedLetter:
    """One student with a fresh letter (provisional password)."""
    return service.import_class_list([student()], actor="cli:test")[0]


GOOD_PASSWORD = "Velo2roues"
OTHER_PASSWORD = "Train4wagons"


def activate(service: AccountService, letter: IssuedLetter, *, email: str = "", password: str = GOOD_PASSWORD,
             accept: bool = True) -> str:
    """First connection (and charter) for ``letter``; returns the session token."""
    login = service.authenticate(letter.identifier, letter.provisional_password)
    service.first_connection(login.token, birth_date="14/03/2010", new_password=password,
                             confirm_password=password, email=email, confirm_email=email)
    if accept:
        service.accept_charter(login.token, service.settings.charter.version)
    return login.token


def last_code(outbox: OutboxTransport) -> str:
    """The short code of the newest mail in the outbox."""
    import re

    body = outbox.entries()[-1].body
    match = re.search(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def last_link_token(outbox: OutboxTransport) -> str:
    import re

    match = re.search(r"code=([A-Za-z0-9_-]+)", outbox.entries()[-1].body)
    assert match
    return match.group(1)


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get(PG_ENV):
        return f"PostgreSQL: {make_url(os.environ[PG_ENV]).render_as_string(hide_password=True)}"
    return (f"PostgreSQL: not available, the PostgreSQL half of the storage tests is skipped "
            f"(set {PG_ENV}; bash .ci/run starts a server and sets it)")
