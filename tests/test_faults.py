"""Faults injected for real, never a mock of the project's code (issue #5, « Faults »).

1. PostgreSQL stopped (``pg_ctl stop -m immediate`` on a cluster of our own) in the middle
   of a student's path: a French message, nothing half-written, the same call succeeds
   once the server is back; at the kiosk, the message and the student's input kept.
2. SQLite locked by another connection: a short lock is waited for, a long one gives the
   French message and writes nothing, then the call succeeds.
3. SMTP closed, refusing (RCPT 550, DATA 451), dropping the connection, hanging: the
   request is kept, the message is French, a later resend delivers a code that works.
4. ``entkiosk import`` killed (SIGKILL) while it hashes and while it writes: afterwards
   no account of the list or all of them, and the import runs again.
5. Missing or broken files at start (configuration, charter, outbox, letter template):
   ``entkiosk`` stops with a French sentence naming the file, never a traceback.

The one hook is :class:`faults_support.HookedHasher`: the real argon2 hasher, which
stops the server (or takes the lock) when the use case asks for its hash — after the
use case has read the account, before it writes — so the fault lands mid use case.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import GOOD_PASSWORD, OTHER_PASSWORD, last_code, make_settings, student
from faults_support import (
    HookedHasher,
    MailPort,
    OwnPostgres,
    SqliteWriteLock,
    code_in,
    dump,
    postgres_bin,
)

from entkiosk.domain import errors
from entkiosk.domain.clock import FixedClock
from entkiosk.mail import OutboxTransport
from entkiosk.runtime import open_service
from entkiosk.service import AccountService
from entkiosk.store.models import Account, AuditEvent

UNAVAILABLE = ("Le service est momentanément indisponible. Vos informations n'ont pas été enregistrées : "
               "réessayez dans un instant.")
JULIE = "julie.baillet@example.org"
BORN = "14/03/2010"


def hooked(service: AccountService) -> HookedHasher:
    """The service's own argon2 parameters, with a fault to inject at the next hash."""
    service.core.hasher = HookedHasher(service.hasher.params, None)
    return service.core.hasher


def assert_unavailable(error: BaseException) -> None:
    assert isinstance(error, errors.StorageUnavailable)
    assert str(error) == UNAVAILABLE
    for word in ("locked", "psycopg", "OperationalError", "connection", "sqlite"):
        assert word not in str(error)


def audit_events(service: AccountService, event: str) -> int:
    with service.core.tx() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == event))


def account(service: AccountService, identifier: str) -> Account:
    with service.core.tx() as s:
        return s.scalar(select(Account).where(Account.identifier == identifier))


# ================================================================ 1. PostgreSQL stopped


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    """A PostgreSQL cluster of this module's own (the shared test server is never stopped)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries absent (/usr/lib/postgresql/*/bin): the stopped-server tests "
                    "need a cluster of their own (bash .ci/start-postgres installs them)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
    pg = OwnPostgres(bin_dir)
    try:
        pg.init()
    except Exception as exc:  # noqa: BLE001 - say why, then skip
        pg.destroy()
        pytest.skip(f"could not start a PostgreSQL cluster of our own: {exc}")
    yield pg
    pg.destroy()


@pytest.fixture
def pg_service(own_pg: OwnPostgres, tmp_path: Path, clock: FixedClock) -> Iterator[AccountService]:
    if not own_pg.running:
        own_pg.start()
    svc = open_service(make_settings(own_pg.new_database(), tmp_path), clock=clock)
    yield svc
    if not own_pg.running:
        own_pg.start()
    svc.engine.dispose()


def down_then_back(pg: OwnPostgres, service: AccountService, call, *, during: bool = False):
    """Stop the server (before ``call``, or ``during`` it: at its hash), check that ``call``
    fails with the French message and writes nothing, restart, and run ``call`` again."""
    before = dump(service.engine)
    if during:
        hooked(service).on_hash = pg.stop
    else:
        pg.stop()
    with pytest.raises(errors.StorageUnavailable) as info:
        call()
    assert not pg.running, "the fault was never injected"
    assert_unavailable(info.value)
    pg.start()
    assert dump(service.engine) == before, "a failed call left something half-written"
    return call()  # the engine's pool recovers by itself (pre-ping): the same call now works


def test_postgres_stopped_at_each_step_of_a_student_path(own_pg: OwnPostgres, pg_service: AccountService) -> None:
    """At each step (login, first connection, charter, profile, recovery), the server goes
    down: French message, nothing written; back up: the very same call succeeds."""
    svc = pg_service
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    login = down_then_back(own_pg, svc, lambda: svc.authenticate(letter.identifier, letter.provisional_password))
    assert login.next_step == "first_connection"
    token = login.token
    outcome = down_then_back(own_pg, svc, lambda: svc.first_connection(
        token, birth_date=BORN, new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD,
        email=JULIE, confirm_email=JULIE))
    assert outcome.email_pending and outcome.mail_problem is None
    assert down_then_back(own_pg, svc, lambda: svc.accept_charter(token, svc.settings.charter.version)) == "home"
    view = down_then_back(own_pg, svc, lambda: svc.validate_email(last_code(OutboxTransport(svc.settings.outbox_path())), token=token))
    assert view.email == JULIE
    outcome = down_then_back(own_pg, svc, lambda: svc.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD,
                                                                       OTHER_PASSWORD), during=True)
    assert outcome.password_changed
    reference = down_then_back(own_pg, svc, lambda: svc.forgot_password(letter.identifier))
    assert len(reference) == 13
    assert svc.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"
    # Each step counted once: the failed attempts left no trace.
    for event in ("login.ok", "account.activated", "charter.accepted", "email.validated", "password.changed",
                  "recovery.password"):
        assert audit_events(svc, event) == (2 if event == "login.ok" else 1), event


def test_postgres_stopped_while_activation_hashes(own_pg: OwnPostgres, pg_service: AccountService) -> None:
    """The server dies after the first connection has read the account, before it writes:
    the account is exactly as before (still to activate), and the same call then activates it."""
    svc = pg_service
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    token = svc.authenticate(letter.identifier, letter.provisional_password).token
    outcome = down_then_back(own_pg, svc, lambda: svc.first_connection(
        token, birth_date=BORN, new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD), during=True)
    assert outcome.password_changed
    assert account(svc, letter.identifier).state == "active"
    assert audit_events(svc, "account.activated") == 1


def test_postgres_restarted_between_two_steps_is_not_noticed(own_pg: OwnPostgres,
                                                              pg_service: AccountService) -> None:
    """The server restarts while no call is running (overnight maintenance): the kiosk's
    pooled connections are all dead, yet the next step succeeds at the first try."""
    svc = pg_service
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    token = svc.authenticate(letter.identifier, letter.provisional_password).token
    own_pg.stop()
    own_pg.start()
    outcome = svc.first_connection(token, birth_date=BORN, new_password=GOOD_PASSWORD,
                                   confirm_password=GOOD_PASSWORD)
    assert outcome.password_changed


# ================================================================ 2. SQLite locked


def sqlite_service(tmp_path: Path, clock: FixedClock, busy_timeout: float) -> AccountService:
    settings = make_settings(f"sqlite:///{tmp_path / 'kiosk.db'}", tmp_path, database={"busy_timeout": busy_timeout})
    return open_service(settings, clock=clock)


@pytest.mark.parametrize("when", ["at-start", "mid-use-case"])
def test_sqlite_lock_shorter_than_the_busy_timeout_is_waited_for(tmp_path: Path, clock: FixedClock,
                                                                 when: str) -> None:
    """Another connection holds the write lock for 0.3 s (busy timeout 10 s): the activation
    waits for it and succeeds; no 'database is locked' reaches the student."""
    svc = sqlite_service(tmp_path, clock, busy_timeout=10)
    try:
        letter = svc.import_class_list([student()], actor="cli:test")[0]
        token = svc.authenticate(letter.identifier, letter.provisional_password).token
        lock = SqliteWriteLock(tmp_path / "kiosk.db")

        def take() -> None:
            lock.take()
            lock.release(after=0.3)

        if when == "at-start":
            take()
        else:
            hooked(svc).on_hash = take
        outcome = svc.first_connection(token, birth_date=BORN, new_password=GOOD_PASSWORD,
                                       confirm_password=GOOD_PASSWORD)
        lock.join()
        assert lock._taken.is_set()
        assert outcome.password_changed
        assert account(svc, letter.identifier).state == "active"
    finally:
        svc.engine.dispose()


@pytest.mark.parametrize("when", ["at-start", "mid-use-case"])
def test_sqlite_lock_longer_than_the_busy_timeout_gives_the_french_message_then_works(
        tmp_path: Path, clock: FixedClock, when: str) -> None:
    """The lock outlasts the busy timeout (0.3 s): StorageUnavailable in French, nothing
    written (not even the other connection's pending write); once released, the same call works."""
    svc = sqlite_service(tmp_path, clock, busy_timeout=0.3)
    try:
        letter = svc.import_class_list([student()], actor="cli:test")[0]
        token = svc.authenticate(letter.identifier, letter.provisional_password).token
        before = dump(svc.engine)
        lock = SqliteWriteLock(tmp_path / "kiosk.db")
        if when == "at-start":
            lock.take()
        else:
            hooked(svc).on_hash = lock.take

        def activate():
            return svc.first_connection(token, birth_date=BORN, new_password=GOOD_PASSWORD,
                                        confirm_password=GOOD_PASSWORD, email=JULIE, confirm_email=JULIE)

        with pytest.raises(errors.StorageUnavailable) as info:
            activate()
        assert lock._taken.is_set()
        assert_unavailable(info.value)
        lock.join()
        assert dump(svc.engine) == before
        outcome = activate()
        assert outcome.password_changed and outcome.email_pending
        assert account(svc, letter.identifier).pending_email == JULIE
    finally:
        svc.engine.dispose()


# ================================================================ 1+2. at the kiosk


@pytest.fixture
def database_fault(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock):
    """(service, inject, repair) for the kiosk tests: a stopped PostgreSQL or a locked SQLite file."""
    if request.param == "postgres-stopped":
        pg: OwnPostgres = request.getfixturevalue("own_pg")
        if not pg.running:
            pg.start()
        svc = open_service(make_settings(pg.new_database(), tmp_path), clock=clock)
        yield svc, pg.stop, pg.start
        if not pg.running:
            pg.start()
    else:
        svc = sqlite_service(tmp_path, clock, busy_timeout=0.3)
        lock = SqliteWriteLock(tmp_path / "kiosk.db")
        yield svc, lock.take, lock.join
        if lock._taken.is_set():
            lock.join()
    svc.engine.dispose()


KIOSK_FAULTS = pytest.mark.parametrize("database_fault", ["postgres-stopped", "sqlite-locked"], indirect=True)


@KIOSK_FAULTS
async def test_kiosk_first_connection_while_the_database_is_away(database_fault, tmp_path: Path) -> None:
    """PREMIÈRE CONNEXION filled in, Entrée while the database is away: the French message on
    the screen, every field as the student typed it, no traceback; once the database is back,
    Entrée again activates the account."""
    from test_ui_activation import fill_first_connection, log_in, to_login
    from ui_support import kiosk, screen_content, screen_text, submit, value

    from entkiosk.ui.screens.first_connection import FirstConnectionScreen
    from entkiosk.ui.screens.message import MessageScreen

    svc, inject, repair = database_fault
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    async with kiosk(svc.settings, svc, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, FirstConnectionScreen)
        inject()
        await fill_first_connection(app, pilot, email=JULIE)
        assert isinstance(app.screen, FirstConnectionScreen)
        assert UNAVAILABLE in screen_content(app)
        assert "Traceback" not in screen_text(app) and app.return_code is None
        assert (value(app, "birth_day"), value(app, "birth_month"), value(app, "birth_year")) == ("14", "03", "2010")
        assert value(app, "email") == value(app, "email_confirm") == JULIE
        # Not a refusal of what was typed: the passwords stay too, so that Entrée is enough.
        assert value(app, "new_password") == value(app, "new_password_confirm") == GOOD_PASSWORD
        repair()
        assert account(svc, letter.identifier).state == "created"
        await submit(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "Compte en attente de validation" in screen_content(app)
    assert account(svc, letter.identifier).state == "active"


@KIOSK_FAULTS
async def test_kiosk_login_while_the_database_is_away(database_fault, tmp_path: Path) -> None:
    """The login, Entrée while the database is away: the French message, identifier and
    password kept; Entrée again once it is back opens the first connection."""
    from test_ui_activation import log_in, to_login
    from ui_support import kiosk, screen_content, submit, value

    from entkiosk.ui.screens.first_connection import FirstConnectionScreen
    from entkiosk.ui.screens.login import LoginScreen

    svc, inject, repair = database_fault
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    async with kiosk(svc.settings, svc, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        inject()
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, LoginScreen)
        assert UNAVAILABLE in screen_content(app)
        assert value(app, "identifier") == letter.identifier
        assert value(app, "password") == letter.provisional_password
        repair()
        await submit(app, pilot)
        assert isinstance(app.screen, FirstConnectionScreen)


# ================================================================ 3. SMTP down, refusing, dropping, hanging

#: What the student reads for each fault (inside « Le mail n'a pas pu être envoyé (…) »).
MAIL_FAULTS = {
    "closed": "serveur de messagerie injoignable",
    "refuse_rcpt": "le serveur de messagerie a refusé le message",
    "refuse_data": "le serveur de messagerie a refusé le message",
    "drop": "serveur de messagerie injoignable",
    "hang": "le serveur de messagerie ne répond pas : délai dépassé",
}
SMTP_TIMEOUT = 0.5


@pytest.fixture
def mail_port() -> Iterator[MailPort]:
    port = MailPort()
    port.become("ok")
    yield port
    port.stop()


@pytest.fixture
def smtp_service(mail_port: MailPort, tmp_path: Path, clock: FixedClock) -> Iterator[AccountService]:
    """The service as ``entkiosk`` builds it for ``mail.transport = "smtp"`` on the test's port
    (a short ``smtp_timeout``: the hanging server costs half a second)."""
    settings = make_settings(f"sqlite:///{tmp_path / 'kiosk.db'}", tmp_path, mail={
        "transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": mail_port.port, "smtp_security": "none",
        "smtp_timeout": SMTP_TIMEOUT})
    svc = open_service(settings, clock=clock)
    assert svc.transport.timeout == SMTP_TIMEOUT  # kiosk.conf's smtp_timeout reaches the transport
    yield svc
    svc.engine.dispose()


def assert_mail_problem(text: str | None, fault: str) -> None:
    assert text is not None
    assert text.startswith("Le mail n'a pas pu être envoyé (")
    assert MAIL_FAULTS[fault] in text
    assert text.endswith("Votre demande est conservée : réessayez plus tard.")
    assert not re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}|code=|Traceback|Error", text), text


def activated(svc: AccountService, port: MailPort, *, email: str = "", validated: bool = False):
    """A student through first connection and charter (the mail port working); (letter, token)."""
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    token = svc.authenticate(letter.identifier, letter.provisional_password).token
    svc.first_connection(token, birth_date=BORN, new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD,
                         email=email, confirm_email=email)
    svc.accept_charter(token, svc.settings.charter.version)
    if validated:
        svc.validate_email(code_in(port.received[-1]), token=token)
    return letter, token


def live_email_tokens(svc: AccountService, identifier: str) -> int:
    from entkiosk.store.models import OneTimeToken

    with svc.core.tx() as s:
        return s.scalar(select(func.count()).select_from(OneTimeToken).join(Account).where(
            Account.identifier == identifier, OneTimeToken.purpose == "email",
            OneTimeToken.used_at.is_(None), OneTimeToken.voided_at.is_(None)))


def resend_then_validate(svc: AccountService, port: MailPort, token: str, delivered_before: int, *,
                         wait: bool = True) -> None:
    """The server works again: RENVOYER delivers one mail, whose code validates the address.
    ``wait``: a validation mail did leave less than a minute ago (one a minute at most)."""
    port.become("ok")
    if wait:
        svc.clock.advance(seconds=61)
    assert svc.resend_validation(token) == JULIE
    assert len(port.received) == delivered_before + 1
    assert port.received[-1]["To"] == JULIE
    view = svc.validate_email(code_in(port.received[-1]), token=token)
    assert view.email == JULIE and view.pending_email is None


def scenario_first_connection(svc: AccountService, port: MailPort, fault: str) -> None:
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    token = svc.authenticate(letter.identifier, letter.provisional_password).token
    port.become(fault)
    outcome = svc.first_connection(token, birth_date=BORN, new_password=GOOD_PASSWORD,
                                   confirm_password=GOOD_PASSWORD, email=JULIE, confirm_email=JULIE)
    assert outcome.password_changed and outcome.email_pending
    assert_mail_problem(outcome.mail_problem, fault)
    row = account(svc, letter.identifier)
    assert (row.state, row.email, row.pending_email) == ("active", None, JULIE)  # the request is kept
    # The code nobody received is forgotten: RENVOYER works at once, not a minute later.
    assert live_email_tokens(svc, letter.identifier) == 0
    svc.accept_charter(token, svc.settings.charter.version)
    resend_then_validate(svc, port, token, 0, wait=False)


def scenario_update_profile(svc: AccountService, port: MailPort, fault: str) -> None:
    letter, token = activated(svc, port)
    port.become(fault)
    outcome = svc.change_email(token, GOOD_PASSWORD, JULIE, JULIE)
    assert outcome.email_pending
    assert_mail_problem(outcome.mail_problem, fault)
    assert account(svc, letter.identifier).pending_email == JULIE
    assert live_email_tokens(svc, letter.identifier) == 0
    resend_then_validate(svc, port, token, 0, wait=False)


def scenario_resend_validation(svc: AccountService, port: MailPort, fault: str) -> None:
    letter, token = activated(svc, port, email=JULIE)
    assert len(port.received) == 1
    port.become(fault)
    svc.clock.advance(seconds=61)
    with pytest.raises(errors.MailNotSent) as info:
        svc.resend_validation(token)
    assert_mail_problem(str(info.value), fault)
    assert account(svc, letter.identifier).pending_email == JULIE
    assert live_email_tokens(svc, letter.identifier) == 1  # the code already received still works
    resend_then_validate(svc, port, token, 1)


def scenario_forgot_identifier(svc: AccountService, port: MailPort, fault: str) -> None:
    letter, _ = activated(svc, port, email=JULIE, validated=True)
    delivered = len(port.received)
    port.become(fault)
    with pytest.raises(errors.MailNotSent) as info:
        svc.forgot_identifier(JULIE)
    assert_mail_problem(str(info.value), fault)
    port.become("ok")
    assert svc.forgot_identifier(JULIE) == JULIE
    assert len(port.received) == delivered + 1
    assert letter.identifier in port.received[-1].get_content()


def scenario_forgot_password(svc: AccountService, port: MailPort, fault: str) -> None:
    from entkiosk.store.models import ResetRequest

    def status(reference: str) -> str:
        with svc.core.tx() as s:
            return s.scalar(select(ResetRequest.status).where(ResetRequest.reference == reference))

    letter, _ = activated(svc, port, email=JULIE, validated=True)
    delivered = len(port.received)
    port.become(fault)
    # The same answer whatever becomes of the mail (another would tell that the address exists);
    # the request is kept, marked as not mailed, for the staff and for a new request.
    failed = svc.forgot_password(letter.identifier)
    assert re.fullmatch(r"\d{13}", failed)
    assert status(failed) == "mail_failed"
    assert audit_events(svc, "mail.failed") == 1
    port.become("ok")
    reference = svc.forgot_password(letter.identifier)
    assert (status(failed), status(reference)) == ("void", "mailed")
    assert len(port.received) == delivered + 1
    assert reference in port.received[-1]["Subject"]
    svc.reset_password(letter.identifier, code_in(port.received[-1]), OTHER_PASSWORD, OTHER_PASSWORD)
    assert svc.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


SCENARIOS = {
    "first_connection": scenario_first_connection,
    "update_profile": scenario_update_profile,
    "resend_validation": scenario_resend_validation,
    "forgot_identifier": scenario_forgot_identifier,
    "forgot_password": scenario_forgot_password,
}


@pytest.mark.parametrize("fault", list(MAIL_FAULTS))
@pytest.mark.parametrize("use_case", list(SCENARIOS))
def test_mail_fault_keeps_the_request_and_a_later_send_works(smtp_service: AccountService, mail_port: MailPort,
                                                             use_case: str, fault: str) -> None:
    """Each mail-sending use case against each SMTP fault: the change and the request are kept,
    the student reads a French sentence, and once the server works the mail leaves and its
    code works. The hanging server is cut off by the configured ``smtp_timeout``."""
    SCENARIOS[use_case](smtp_service, mail_port, fault)


async def test_kiosk_shows_the_mail_problem_after_first_connection(smtp_service: AccountService,
                                                                   mail_port: MailPort, tmp_path: Path) -> None:
    """At the kiosk: the account is activated and the page says, in French, that the mail
    could not leave and that the address waits, with the button to resend it; no word of a
    mail to open."""
    from test_ui_activation import fill_first_connection, log_in, to_login
    from ui_support import kiosk, screen_content

    from entkiosk.ui.screens.message import MessageScreen

    svc = smtp_service
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    async with kiosk(svc.settings, svc, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        mail_port.become("hang")
        await fill_first_connection(app, pilot, email=JULIE)
        assert isinstance(app.screen, MessageScreen)
        content = screen_content(app)
        assert "Compte activé, adresse mail en attente" in content
        assert ("Le mail n'a pas pu être envoyé (le serveur de messagerie ne répond pas : délai dépassé). "
                "Votre demande est conservée : réessayez plus tard.") in content
        assert "« RENVOYER UN MAIL DE VALIDATION »" in content
        assert "ouvrez maintenant le mail" not in content and "venez de recevoir" not in content
    assert account(svc, letter.identifier).pending_email == JULIE


# ================================================================ 4. the import killed


IMPORTED = 150  # students in the killed list: the hashes take a few seconds, the layout of their letters less


def cli_env(tmp_path: Path, conf: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONUTF8="1", ENTKIOSK_CONFIG=str(conf), XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    env.pop("ENTKIOSK_DEBUG", None)
    return env


def import_killed_at(tmp_path: Path, conf: Path, csv: Path, letters: Path, progress: str) -> list[str]:
    """``entkiosk import CSV --letters PDF`` killed (SIGKILL) as soon as it reports ``progress``
    on stderr; returns what it had printed. Fails if it ends before reaching that point."""
    import signal
    import subprocess
    import sys
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "entkiosk.cli", "import", str(csv), "--letters", str(letters)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            env=cli_env(tmp_path, conf), cwd=tmp_path)
    watchdog = threading.Timer(180, proc.kill)
    watchdog.start()
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line.rstrip())
            if line.startswith(progress):
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(30)
    finally:
        watchdog.cancel()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"the import ended by itself before « {progress} »: {seen}"
    return seen


def school_state(service: AccountService) -> tuple[int, dict[str, int], int]:
    """(accounts, accounts per class, import audit events), read afresh."""
    from entkiosk.store.models import SchoolClass

    with service.core.tx() as s:
        accounts = s.scalar(select(func.count()).select_from(Account))
        per_class = dict(s.execute(select(SchoolClass.name, func.count(Account.id)).outerjoin(Account)
                                   .group_by(SchoolClass.name)).all())
        imports = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "accounts.imported"))
    return accounts, per_class, imports


def test_import_killed_while_hashing_and_while_writing_leaves_nothing_then_runs_again(
        db_url: str, tmp_path: Path) -> None:
    """SIGKILL during the hashes, then during the write transaction (the accounts flushed, the
    letters being laid out): the database holds the school as before, never part of a class,
    and no letters file; the import then runs to the end and creates the whole list once."""
    from test_cli import class_csv, write_conf

    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(IMPORTED), encoding="utf-8")
    letters = tmp_path / "courriers.pdf"
    service = open_service(make_settings(db_url, tmp_path))
    try:
        service.import_class_list([student(first="Zoé", last="Ancienne", cls="1re 3")], actor="cli:test")
        before = school_state(service)
        assert before == (1, {"1re 3": 1}, 1)

        seen = import_killed_at(tmp_path, conf, csv, letters, "Création des comptes")  # hashing
        assert not any(line.startswith("Mise en page") for line in seen)
        assert school_state(service) == before
        seen = import_killed_at(tmp_path, conf, csv, letters, "Mise en page")  # inside the write transaction
        assert f"Création des comptes {IMPORTED}/{IMPORTED}" in seen
        assert school_state(service) == before
        # No letters file of either class, and no half-written one either.
        assert not [p.name for p in tmp_path.glob("*courriers*")]

        import subprocess
        import sys

        proc = subprocess.run([sys.executable, "-m", "entkiosk.cli", "import", str(csv), "--letters", str(letters)],
                              capture_output=True, text=True, encoding="utf-8", env=cli_env(tmp_path, conf),
                              cwd=tmp_path, timeout=180)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        accounts, per_class, imports = school_state(service)
        assert accounts == 1 + IMPORTED and imports == 2
        assert per_class == {"1re 3": 1, "2nde 1": IMPORTED // 2, "2nde 2": IMPORTED - IMPORTED // 2}
        files = sorted(p.name for p in tmp_path.glob("*courriers*"))  # one PDF per class
        assert files == ["courriers-2nde-1.pdf", "courriers-2nde-2.pdf"]
        assert all((tmp_path / name).stat().st_size > 0 for name in files)
    finally:
        service.engine.dispose()


# ================================================================ 5. missing or broken files at start


def start_kiosk(tmp_path: Path, conf: Path, *args: str):
    """``entkiosk --config CONF`` (the kiosk) in a fresh interpreter, without a terminal."""
    import subprocess
    import sys

    env = cli_env(tmp_path, conf)
    env.pop("ENTKIOSK_CONFIG")
    proc = subprocess.run([sys.executable, "-m", "entkiosk.cli", "--config", str(conf), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
                          env=env, cwd=tmp_path, timeout=120)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    return proc


NO_TERMINAL = "Le kiosque s'affiche dans un terminal"


def kiosk_conf(tmp_path: Path, extra: str = "", *, outbox: Path | None = None) -> Path:
    conf = tmp_path / "kiosk.conf"
    conf.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "k.db"}"\n\n'
                    f'[mail]\noutbox = "{outbox or tmp_path / "outbox"}"\n\n{extra}', encoding="utf-8")
    return conf


def assert_refused_at_start(proc, *named: Path | str) -> str:
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip()
    assert err.startswith("Erreur : ") and NO_TERMINAL not in err and "inattendue" not in err, err
    assert len(err.splitlines()) == 1, err
    for name in named:
        assert str(name) in err, err
    return err


def test_kiosk_starts_as_far_as_the_terminal_with_good_files(tmp_path: Path) -> None:
    """The control: with every file right, only the missing terminal stops it (and the
    outbox folder named in the configuration is made)."""
    proc = start_kiosk(tmp_path, kiosk_conf(tmp_path, outbox=tmp_path / "boite" / "envoi"))
    assert proc.returncode == 1 and NO_TERMINAL in proc.stderr
    assert (tmp_path / "boite" / "envoi").is_dir()


@pytest.mark.parametrize(("content", "expected"), [
    (None, "Fichier de configuration introuvable"),
    (b'[establishment]\nname = "Lyc\xe9e"\n', "n'est pas encodé en UTF-8"),
    (b"[kiosk\nid = 1\n", "syntaxe TOML invalide ligne 1"),
    ('[kiosk]\nidle_timeout = "deux minutes"\n'.encode(), "clé « kiosk.idle_timeout » : la valeur doit être un nombre entier"),
    (b"[accounts]\nlockout_threshold = 0\n", "clé « accounts.lockout_threshold » : la valeur doit être au moins 1"),
], ids=["missing", "not-utf8", "toml", "wrong-type", "out-of-range"])
def test_kiosk_start_with_a_bad_configuration_file(tmp_path: Path, content: bytes | None, expected: str) -> None:
    conf = tmp_path / "kiosk.conf"
    if content is not None:
        conf.write_bytes(content)
    err = assert_refused_at_start(start_kiosk(tmp_path, conf), conf)
    assert expected in err
    assert not (tmp_path / "xdg-data").exists()  # nothing opened, nothing written


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: None, "introuvable"),
    (lambda p: p.mkdir(), "lecture impossible"),
    (lambda p: p.write_bytes("Charte d'utilisation de l'ENT — règles".encode("cp1252")), "n'est pas encodée en UTF-8"),
    (lambda p: p.write_text(" \n\n", encoding="utf-8"), "est vide"),
], ids=["missing", "unreadable", "not-utf8", "empty"])
def test_kiosk_start_with_a_bad_charter_file(tmp_path: Path, make, expected: str) -> None:
    """A charter the students could not read is found out at start, not at the charter screen."""
    charter = tmp_path / "charte.txt"
    make(charter)
    conf = kiosk_conf(tmp_path, f'[charter]\nfile = "{charter}"\n')
    err = assert_refused_at_start(start_kiosk(tmp_path, conf), charter, "charter.file")
    assert expected in err


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write in: read-only mode, or immutable when the tests run as root."""
    import subprocess

    folder = tmp_path / "envoi-lecture-seule"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("running as root without chattr +i: no way to make a folder unwritable")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("fault", ["a-file", "uncreatable", "unwritable"])
def test_kiosk_start_with_an_unusable_outbox(tmp_path: Path, fault: str, request: pytest.FixtureRequest) -> None:
    """The outbox folder (mail.transport = "outbox") must be a folder the kiosk can write in:
    otherwise every validation mail would fail, student after student."""
    if fault == "a-file":
        outbox = tmp_path / "envoi"
        outbox.write_text("pas un dossier", encoding="utf-8")
    elif fault == "uncreatable":
        (tmp_path / "fichier").write_text("x", encoding="utf-8")
        outbox = tmp_path / "fichier" / "envoi"
    else:
        outbox = request.getfixturevalue("unwritable_folder")
    conf = kiosk_conf(tmp_path, outbox=outbox)
    assert_refused_at_start(start_kiosk(tmp_path, conf), outbox, "mail.outbox")


def test_an_unusable_outbox_does_not_matter_when_mail_goes_by_smtp(tmp_path: Path) -> None:
    outbox = tmp_path / "envoi"
    outbox.write_text("pas un dossier", encoding="utf-8")
    conf = kiosk_conf(tmp_path, outbox=outbox)
    conf.write_text(conf.read_text(encoding="utf-8").replace("[mail]\n", '[mail]\ntransport = "smtp"\n'),
                    encoding="utf-8")
    proc = start_kiosk(tmp_path, conf)
    assert proc.returncode == 1 and NO_TERMINAL in proc.stderr


@pytest.mark.parametrize(("template", "expected"), [
    ("Bonjour $prenom,\n$identifier $password\n", "« $prenom »"),
    ("Identifiant : $identifier\n", "il manque $password"),
    (None, "introuvable"),
], ids=["unknown-name", "no-password", "missing"])
def test_kiosk_start_with_a_broken_letter_template(tmp_path: Path, template: str | None, expected: str) -> None:
    path = tmp_path / "lettre.txt"
    if template is not None:
        path.write_text(template, encoding="utf-8")
    conf = kiosk_conf(tmp_path, f'[letters]\ntemplate = "{path}"\n')
    err = assert_refused_at_start(start_kiosk(tmp_path, conf), path, "letters.template")
    assert expected in err


def test_kiosk_with_a_bad_sender_address_stops_with_its_french_reason(tmp_path: Path) -> None:
    """The kiosk checks ``[mail] sender_address`` with its database start-up, after the
    first paint (the e-mail validator is slow to load): in a real terminal, it still
    stops with exit 1 and the French sentence naming the key and the file, without a
    traceback, before the database is opened."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    conf_path = tmp_path / "kiosk.conf"
    conf_path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "k.db"}"\n\n'
                         f'[mail]\noutbox = "{tmp_path / "outbox"}"\nsender_address = "pas une adresse"\n',
                         encoding="utf-8")
    env = cli_env(tmp_path, conf_path) | {"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    env.pop("ENTKIOSK_CONFIG")
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "entkiosk.cli", "--config", str(conf_path)],
                            stdin=child, stdout=child, stderr=child, env=env, cwd=tmp_path, start_new_session=True)
    os.close(child)
    output = bytearray()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                output += data
            elif proc.poll() is not None:
                break
        returncode = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    text = output.decode("utf-8", "replace")
    assert returncode == 1, text[-2000:]
    assert "Erreur : " in text and "clé « mail.sender_address » : adresse mail invalide « pas une adresse »" in text
    assert str(conf_path) in text
    assert "Traceback" not in text
    assert not (tmp_path / "k.db").exists()  # stopped before the database was opened
