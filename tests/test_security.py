"""Security checks as tests: what a student at a shared kiosk could try, and what stops it.

Every test runs on an SQLite file and on PostgreSQL (``db_url``). Work is measured, never
timed: argon2-cffi's ``PasswordHasher`` (a third-party library) is wrapped to record each
argon2 computation and the parameters it ran with, so "the same work for a known and an
unknown identifier" is a comparison of those records. docs/SECURITY.md maps each test here
(and the older ones it builds on) to the OWASP ASVS requirement it shows.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import io
import json
import logging
import random
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path
from typing import Any

import argon2
import msgspec
import pytest
from aiosmtpd.controller import Controller
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, START, activate, last_code, last_link_token, make_settings, student
from sqlalchemy import MetaData, select, text
from sqlalchemy import update as sql_update

from entkiosk.config import ConfigError, Settings, settings_from_dict
from entkiosk.domain import errors, tokens
from entkiosk.domain.clock import FixedClock
from entkiosk.domain.errors import DomainError
from entkiosk.domain.passwords import OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST, reset_rule, rule
from entkiosk.mail import OutboxTransport, SmtpTransport
from entkiosk.runtime import open_service
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.store.models import AuditEvent, Installation, OneTimeToken, ResetRequest, Throttle

WRONG = "Mauvais9mdp"
THIRD = "Bateau3voiles"
UNKNOWN = "personne.inconnue"
JULIE = "julie.baillet@example.org"
STAFF_PASSWORD = "Salle-des-profs-2026"
BIRTH = "14/03/2010"


# ---------------------------------------------------------------- measuring argon2 work


class Argon2Meter:
    """Every argon2 computation argon2-cffi runs, with the (t, m, p) it ran with."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, int]] = []

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[tuple[str, int, int, int]]:
        return sorted(self.calls[mark:])


@pytest.fixture
def meter(monkeypatch: pytest.MonkeyPatch) -> Argon2Meter:
    found = Argon2Meter()
    real_verify, real_hash = argon2.PasswordHasher.verify, argon2.PasswordHasher.hash

    def verify(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> Any:  # noqa: A002
        p = argon2.extract_parameters(hash if isinstance(hash, str) else hash.decode())
        found.calls.append(("verify", p.time_cost, p.memory_cost, p.parallelism))
        return real_verify(self, hash, password)

    def hash_(self: argon2.PasswordHasher, password: str | bytes, *, salt: bytes | None = None) -> str:
        found.calls.append(("hash", self.time_cost, self.memory_cost, self.parallelism))
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", hash_)
    return found


def refused(action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as err:
        action()
    return err.value


def work_and_error(meter: Argon2Meter, action: Callable[[], object]) -> tuple[list, DomainError]:
    mark = meter.mark()
    error = refused(action)
    return meter.since(mark), error


# ---------------------------------------------------------------- database helpers


def dump(service: AccountService) -> dict[str, list[tuple]]:
    """Every row of every table, to compare before and after a refusal."""
    meta = MetaData()
    meta.reflect(service.engine)
    with service.engine.connect() as c:
        return {name: sorted((tuple(map(repr, row)) for row in c.execute(select(table))))
                for name, table in meta.tables.items() if name != "alembic_version"}


def rows(service: AccountService, model, *where) -> list:
    with service.core.tx() as s:
        found = list(s.scalars(select(model).where(*where)))
        s.expunge_all()
        return found


def failures(service: AccountService, scope: str, typed: str) -> int:
    [row] = rows(service, Throttle, Throttle.key == service.core.lockout.key(scope, typed)) or [None]
    return 0 if row is None else row.failures + 10 * row.level


# ---------------------------------------------------------------- a real SMTP server on loopback


class Sink:
    """aiosmtpd on 127.0.0.1 that keeps what it receives; ``hold`` makes it wait before answering."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.arrived = threading.Event()
        self.hold: threading.Event | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content.replace(b"\r\n", b"\n"), policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        self.arrived.set()
        if self.hold is not None:
            import asyncio

            while not self.hold.is_set():
                await asyncio.sleep(0.01)
        return "250 OK"

    def transport(self) -> SmtpTransport:
        return SmtpTransport("127.0.0.1", self.port, security="none", timeout=30)


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.controller.start()
    yield server
    if server.hold is not None:
        server.hold.set()
    server.controller.stop()


def validated(service: AccountService, letter: IssuedLetter, outbox: OutboxTransport, address: str = JULIE) -> str:
    token = activate(service, letter, email=address)
    service.validate_email(last_code(outbox), token=token)
    return token


def other(code: str) -> str:
    return "ZZZZ-ZZZZ" if tokens.normalize_code(code) != "ZZZZZZZZ" else "YYYY-YYYY"


# ================================================================ 1. brute force


@pytest.mark.parametrize("who", ["known", "unknown"])
def test_brute_force_on_one_identifier_never_gets_in_and_costs_no_hash_while_locked(service, letter, clock, meter,
                                                                                    who):
    """Three lockout cycles on one identifier: 5 failures lock it (60 s, then 120 s, then 240 s);
    during each lock, 20 more tries, the right password among them, are all refused with the
    lockout message, run no argon2 at all, and do not count; the right password works once it ends."""
    identifier = letter.identifier if who == "known" else UNKNOWN
    seen = []
    for cycle in range(3):
        mark = meter.mark()
        raised = [refused(lambda: service.authenticate(identifier, f"Essai{cycle}x{i}")) for i in range(5)]
        assert [type(e) for e in raised] == [errors.AuthenticationFailed] * 4 + [errors.Locked]
        assert len(meter.since(mark)) == 5  # one verification per counted try
        seen.append(raised[-1].seconds)
        mark = meter.mark()
        for i in range(20):
            password = letter.provisional_password if i % 2 else f"Autre{i}x"
            error = refused(lambda: service.authenticate(identifier, password))
            assert isinstance(error, errors.Locked) and "Trop de tentatives" in str(error)
        assert meter.since(mark) == []  # a locked identifier costs the attacker nothing and tells nothing
        clock.advance(seconds=raised[-1].seconds - 1)
        assert isinstance(refused(lambda: service.authenticate(identifier, letter.provisional_password)), errors.Locked)
        clock.advance(seconds=1)
    assert seen == [60, 120, 240]
    if who == "known":
        assert service.authenticate(identifier, letter.provisional_password).next_step == "first_connection"
    lockouts = [e for e in service.audit_events() if e.event == "lockout"]
    assert [e.details["seconds"] for e in lockouts] == [60, 120, 240]
    assert {e.details["known"] for e in lockouts} == {who == "known"}


def test_password_spraying_is_stopped_per_identifier_and_visible_in_the_audit(service, meter):
    """One kiosk tries one password after another across 8 students and 8 unknown identifiers.

    There is no kiosk-wide budget (docs/SECURITY.md says why): each guess costs one argon2
    verification, and after ``lockout_threshold - 1`` rounds every identifier, known or not,
    locks at the next — a sprayer gets 4 guesses per identifier before the growing delays.
    Every try is in the audit with this kiosk's id, so staff can see a spray."""
    letters = service.import_class_list([student(f"Eleve{i}", "Spray", line=i + 2) for i in range(8)], actor="cli:t")
    targets = [x.identifier for x in letters] + [f"inconnu.{i}" for i in range(8)]
    mark = meter.mark()
    for guess in ("Soleil2024", "Bonjour2025", "Lycee2026", "Rentree2026"):
        for identifier in targets:
            assert isinstance(refused(lambda: service.authenticate(identifier, guess)), errors.AuthenticationFailed)
    assert len(meter.since(mark)) == 4 * len(targets)
    for identifier in targets:
        assert isinstance(refused(lambda: service.authenticate(identifier, "Vacances2026")), errors.Locked)
    # ... and the provisional passwords on the letters no longer get in either, until the delay ends.
    assert isinstance(refused(lambda: service.authenticate(letters[0].identifier, letters[0].provisional_password)),
                      errors.Locked)
    failed = [e for e in service.audit_events() if e.event == "login.failed"]
    assert len(failed) == 5 * len(targets) and {e.kiosk_id for e in failed} == {"test-kiosk"}
    assert sum(e.event == "lockout" for e in service.audit_events()) == len(targets)


# ================================================================ 2. one answer and one cost for every refusal


def test_every_login_refusal_says_the_same_and_costs_the_same_argon2_work(service, clock, meter, tmp_path):
    """Unknown identifier, wrong password (account waiting, active, expired), a student at the
    staff login and staff at the student login with the right password: the same message and
    exactly one argon2 verification with the same parameters. Locked, known or not: the same
    lockout message and no argon2 at all."""
    expired = service.import_class_list([student("Zoe", "Ancienne", line=2)], actor="cli:t")[0]
    clock.advance(days=130)  # Zoé's deadline has passed; the others are issued now
    waiting, active = service.import_class_list([student("Paul", "Petit", line=2), student(line=3)], actor="cli:t")
    activate(service, active)
    service.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:test")

    cases = {
        "unknown": lambda: service.authenticate(UNKNOWN, WRONG),
        "waiting, wrong password": lambda: service.authenticate(waiting.identifier, WRONG),
        "active, wrong password": lambda: service.authenticate(active.identifier, WRONG),
        "expired, wrong password": lambda: service.authenticate(expired.identifier, WRONG),
        "staff at the student login": lambda: service.authenticate("prof.martin", STAFF_PASSWORD),
        "student at the staff login": lambda: service.authenticate(active.identifier, GOOD_PASSWORD, kind="staff"),
        "unknown at the staff login": lambda: service.authenticate(UNKNOWN, WRONG, kind="staff"),
    }
    params = service.hasher.params
    one_verify = [("verify", params.time_cost, params.memory_cost, params.parallelism)]
    for name, action in cases.items():
        work, error = work_and_error(meter, action)
        assert type(error) is errors.AuthenticationFailed, name
        assert str(error) == errors.BAD_CREDENTIALS, name
        assert work == one_verify, name

    # The right password of an expired letter: the deadline message (only its holder sees it), same work.
    work, error = work_and_error(meter, lambda: service.authenticate(expired.identifier, expired.provisional_password))
    assert isinstance(error, errors.AccountExpired) and work == one_verify

    service.unlock(active.identifier, actor="staff:t")  # its counter starts again from zero
    for identifier in (active.identifier, "autre.inconnu"):
        for _ in range(4):
            refused(lambda: service.authenticate(identifier, WRONG))
    answers = {}
    for identifier in (active.identifier, "autre.inconnu"):
        work, error = work_and_error(meter, lambda: service.authenticate(identifier, WRONG))
        assert isinstance(error, errors.Locked) and work == one_verify  # the try that locks
        work, error = work_and_error(meter, lambda: service.authenticate(identifier, GOOD_PASSWORD))
        assert isinstance(error, errors.Locked) and work == []
        answers[identifier] = str(error)
    assert answers[active.identifier] == answers["autre.inconnu"]


# ================================================================ 3. recovery: same answer, same work, mail after


@pytest.fixture
def kiosk_on(service: AccountService, sink: Sink) -> Iterator[AccountService]:
    """The service as the kiosk runs it (reset mails after the answer), mailing through ``sink``."""
    svc = AccountService(service.settings, service.engine, sink.transport(), clock=service.clock,
                         hasher=service.hasher, mail_after_answer=True)
    yield svc
    svc.wait_for_mail(timeout=30)


class Writes:
    """The writes (verb and table) each thread sends to the database, read from SQLAlchemy's
    statement events: what a use case changed, whatever code path it took."""

    def __init__(self) -> None:
        self.by_thread: dict[int, list[tuple[str, str]]] = {}

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if m := re.match(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", statement):
            self.by_thread.setdefault(threading.get_ident(), []).append((m[1], m[2]))


def test_forgot_password_answers_alike_with_the_same_work_and_mails_after_the_answer(service, outbox, kiosk_on,
                                                                                     sink, meter):
    """MOT DE PASSE OUBLIÉ for an identifier with a validated address, one without, one not yet
    activated, a leaver's (validated address, gone) and an unknown one: each gets a 13-digit
    reference, costs exactly one argon2 hash (a code's, stored only for the first, after the
    answer) and the same database writes, one counted recovery request, one audit event; once
    locked, known or not, none at all. The mail of the first leaves *after* the answer: the
    SMTP server holds it while the answer is already back (a synchronous send would still be
    waiting), so how long the kiosk takes tells nothing."""
    from sqlalchemy import event

    from entkiosk.store.models import Account

    with_address, without, waiting, leaver = service.import_class_list(
        [student(line=2), student("Paul", "Petit", line=3), student("Lina", "Roux", line=4),
         student("Zoe", "Sortie", line=5)], actor="cli:t")
    validated(service, with_address, outbox)
    activate(service, without)
    validated(service, leaver, outbox, "zoe.sortie@example.org")
    with service.core.tx() as s:  # what the yearly update does to a pupil who left
        s.execute(sql_update(Account).where(Account.identifier == leaver.identifier).values(left_at=service.clock.now()))
    sink.hold = threading.Event()
    params = service.hasher.params
    one_hash = [("hash", params.time_cost, params.memory_cost, params.parallelism)]
    writes = Writes()
    event.listen(kiosk_on.engine, "before_cursor_execute", writes)
    answers, written = {}, {}
    try:
        for identifier in (with_address.identifier, without.identifier, waiting.identifier, leaver.identifier,
                           UNKNOWN):
            mark = meter.mark()
            done: list[str] = []
            worker = threading.Thread(target=lambda: done.append(kiosk_on.forgot_password(identifier)))
            worker.start()
            worker.join(timeout=10)  # a guard only: the server holds the mail until the test lets it go
            assert done, f"forgot_password({identifier}) waited for the mail server"
            answers[identifier] = done[0]
            assert meter.since(mark) == one_hash, identifier
            written[identifier] = writes.by_thread.pop(worker.ident)
            assert failures(kiosk_on, "recovery", identifier) == 1
    finally:
        event.remove(kiosk_on.engine, "before_cursor_execute", writes)
    assert all(w == written[UNKNOWN] for w in written.values()), written
    assert ("INSERT INTO", "tokens") not in written[UNKNOWN]  # the code is stored after the answer
    assert all(re.fullmatch(r"\d{13}", ref) for ref in answers.values())
    assert len(set(answers.values())) == 5
    assert sink.arrived.wait(timeout=20)  # the mail was on its way, held by the server
    request = rows(kiosk_on, ResetRequest, ResetRequest.reference == answers[with_address.identifier])[0]
    assert request.status == "pending"
    sink.hold.set()
    assert kiosk_on.wait_for_mail(timeout=20)
    statuses = {r.reference: r.status for r in rows(kiosk_on, ResetRequest)}
    assert [statuses[answers[i]] for i in answers] == ["mailed", "void", "void", "void", "void"]
    [(recipients, mail)] = sink.received
    assert recipients == [JULIE] and answers[with_address.identifier] in mail["Subject"]
    events = [e for e in kiosk_on.audit_events() if e.event == "recovery.password"]
    assert [e.details["reference"] for e in events] == list(answers.values())
    kiosk_on.reset_password(with_address.identifier, re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", mail.get_body(
        ("plain",)).get_content())[0], THIRD, THIRD)  # the code mailed after the answer works
    locked = {}
    for identifier in (without.identifier, UNKNOWN):
        for _ in range(service.settings.accounts.lockout_threshold - 1):
            kiosk_on.forgot_password(identifier)
        work, locked[identifier] = work_and_error(meter, lambda: kiosk_on.forgot_password(identifier))
        assert isinstance(locked[identifier], errors.Locked) and work == []
    assert str(locked[without.identifier]) == str(locked[UNKNOWN])


def test_forgot_password_mail_failure_after_the_answer_is_recorded(service, outbox, letter, clock):
    """Kiosk mode with the mail server down: the reference comes back at once, and the failed
    send is recorded afterwards (request ``mail_failed``, audit ``mail.failed``) for staff."""
    validated(service, letter, outbox)
    down = AccountService(service.settings, service.engine, SmtpTransport("127.0.0.1", 9, security="none", timeout=2),
                          clock=clock, hasher=service.hasher, mail_after_answer=True)
    reference = down.forgot_password(letter.identifier)
    assert down.wait_for_mail(timeout=30)
    assert rows(down, ResetRequest, ResetRequest.reference == reference)[0].status == "mail_failed"
    assert [e.details["reference"] for e in down.audit_events() if e.event == "mail.failed"] == [reference]


def test_forgot_identifier_counts_known_and_unknown_addresses_alike(service, letter, outbox, meter):
    """IDENTIFIANT OUBLIÉ answers differently by design (the guide's two texts), but known and
    unknown addresses cost no argon2, count alike, and are both locked after 5 requests, with
    the same message."""
    validated(service, letter, outbox)
    unknown = "personne@example.org"
    mark = meter.mark()
    for _ in range(4):
        assert service.forgot_identifier(JULIE) == JULIE
        assert isinstance(refused(lambda: service.forgot_identifier(unknown)), errors.RecoveryRefused)
    assert meter.since(mark) == []
    assert failures(service, "recovery", JULIE) == failures(service, "recovery", unknown) == 4
    # The fifth request is counted and locks both (the known address still gets its mail).
    assert service.forgot_identifier(JULIE) == JULIE
    assert isinstance(refused(lambda: service.forgot_identifier(unknown)), errors.Locked)
    known_lock = refused(lambda: service.forgot_identifier(JULIE))
    unknown_lock = refused(lambda: service.forgot_identifier(unknown))
    assert isinstance(known_lock, errors.Locked) and str(known_lock) == str(unknown_lock)
    assert len([m for m in outbox.entries() if "Rappel de votre identifiant" in m.subject]) == 5


# ================================================================ 4. tokens and codes


def _reset_secret(service, letter, outbox, via: str) -> str:
    service.forgot_password(letter.identifier)
    return last_code(outbox) if via == "code" else last_link_token(outbox)


LATER_EVENTS = {
    "used once already": lambda svc, letter, token, secret: svc.reset_password(letter.identifier, secret, THIRD, THIRD),
    "newer request": lambda svc, letter, token, secret: svc.forgot_password(letter.identifier),
    "profile password change": lambda svc, letter, token, secret: svc.change_password(token, GOOD_PASSWORD, THIRD,
                                                                                       THIRD),
    "staff reset": lambda svc, letter, token, secret: svc.staff_reset(letter.identifier, actor="staff:t"),
    "staff forced change": lambda svc, letter, token, secret: svc.force_password_change(identifier=letter.identifier,
                                                                                       actor="staff:t"),
    "31 minutes later": lambda svc, letter, token, secret: svc.clock.advance(minutes=31),
}


@pytest.mark.parametrize("via", ["code", "link"])
@pytest.mark.parametrize("event", list(LATER_EVENTS))
def test_reset_secret_dies_with_every_later_change(service, letter, outbox, via, event):
    """A reset code or link is refused (the same message, nothing changed) once used, once a
    newer request was made, once the password changed by the profile, after a staff reset or
    forced change, and after its 30 minutes."""
    token = validated(service, letter, outbox)
    secret = _reset_secret(service, letter, outbox, via)
    LATER_EVENTS[event](service, letter, token, secret)
    before = rows(service, AuditEvent)[-1].id
    error = refused(lambda: service.reset_password(letter.identifier, secret, "Nouveau5mdp", "Nouveau5mdp"))
    assert type(error) is errors.InvalidCode and str(error) == errors.INVALID_CODE
    assert isinstance(refused(lambda: service.authenticate(letter.identifier, "Nouveau5mdp")),
                      errors.AuthenticationFailed)
    assert [e.event for e in rows(service, AuditEvent, AuditEvent.id > before)][:1] == ["password.bad_code"]


def test_secrets_work_only_for_their_own_purpose_and_account(service, letter, outbox):
    """A reset link cannot validate an address, a validation link cannot reset a password,
    a session token is not a link, and one account's reset link fails for another identifier."""
    token = validated(service, letter, outbox)
    paul = service.import_class_list([student("Paul", "Petit", line=3)], actor="cli:t")[0]
    paul_token = activate(service, paul)
    service.change_email(token, GOOD_PASSWORD, "julie.autre@example.org", "julie.autre@example.org")
    email_link, email_code = last_link_token(outbox), last_code(outbox)
    reset_link = _reset_secret(service, letter, outbox, "link")
    reset_code = last_code(outbox)

    assert isinstance(refused(lambda: service.validate_email(reset_link)), errors.InvalidCode)
    assert isinstance(refused(lambda: service.validate_email(reset_code, token=token)), errors.InvalidCode)
    assert isinstance(refused(lambda: service.validate_email(token)), errors.InvalidCode)
    for typed in (email_link, email_code, token):
        assert isinstance(refused(lambda: service.reset_password(letter.identifier, typed, THIRD, THIRD)),
                          errors.InvalidCode)
    for typed in (reset_link, reset_code):
        assert isinstance(refused(lambda: service.reset_password(paul.identifier, typed, THIRD, THIRD)),
                          errors.InvalidCode)
    assert isinstance(refused(lambda: service.validate_email(email_code, token=paul_token)), errors.InvalidCode)
    # None of those tries used them up: each still works for its own purpose and account.
    assert service.validate_email(email_link).email == "julie.autre@example.org"
    service.reset_password(letter.identifier, reset_code, THIRD, THIRD)
    assert service.authenticate(letter.identifier, THIRD).next_step == "home"


def test_reset_code_attempt_limit_voids_it_and_locks_and_the_right_code_is_refused(service, letter, outbox, clock,
                                                                                   meter):
    """Five wrong reset codes: the fifth locks the identifier's code entry (60 s) and voids the
    code; while locked, the right code is refused with the lockout message and costs no argon2
    ... and after the lock, the right code is still dead: a new request is needed."""
    validated(service, letter, outbox)
    code = _reset_secret(service, letter, outbox, "code")
    raised = [refused(lambda: service.reset_password(letter.identifier, other(code), THIRD, THIRD)) for _ in range(5)]
    assert [type(e) for e in raised] == [errors.InvalidCode] * 4 + [errors.Locked]
    mark = meter.mark()
    assert isinstance(refused(lambda: service.reset_password(letter.identifier, code, THIRD, THIRD)), errors.Locked)
    assert meter.since(mark) == []
    clock.advance(seconds=60)
    assert isinstance(refused(lambda: service.reset_password(letter.identifier, code, THIRD, THIRD)),
                      errors.InvalidCode)
    fresh = _reset_secret(service, letter, outbox, "code")
    service.reset_password(letter.identifier, fresh, THIRD, THIRD)
    assert service.authenticate(letter.identifier, THIRD).next_step == "home"


def _keyed(key: bytes, code: str) -> str:
    """The code's HMAC under the codes' own key, derived from the installation's."""
    codes_key = hmac.new(key, b"entkiosk short codes", hashlib.sha256).digest()
    return hmac.new(codes_key, tokens.normalize_code(code).encode(), hashlib.sha256).hexdigest()


def test_a_stored_code_is_argon2id_of_a_keyed_digest_that_needs_the_installation_key(service, letter, outbox):
    """Validation and reset codes are stored as argon2id, with the configured parameters and a
    salt per row, of the code's HMAC under the installation's key: not ``salt$sha256(salt:code)``,
    whose 40 bits a copy of the database gives up in minutes; not checkable against the bare
    code, nor with another installation's key. The right code still works, a wrong one not."""
    validated(service, letter, outbox)
    code = _reset_secret(service, letter, outbox, "code")
    stored = {row.purpose: row.code_hash for row in rows(service, OneTimeToken)}
    assert set(stored) == {"email", "reset"}
    params = service.hasher.params
    for value in stored.values():
        found = argon2.extract_parameters(value)
        assert value.startswith("$argon2id$v=19$") and found.type is argon2.Type.ID
        assert (found.time_cost, found.memory_cost, found.parallelism) == (
            params.time_cost, params.memory_cost, params.parallelism)
        assert not re.fullmatch(r"[0-9a-f]{32}\$[0-9a-f]{64}", value)
    with service.core.tx() as s:
        key = bytes.fromhex(s.get(Installation, 1).secret)
    second_installation = bytes.fromhex(secrets.token_hex(32))  # how migration 0002 makes a key
    check = argon2.PasswordHasher()
    assert check.verify(stored["reset"], _keyed(key, code))
    for wrong in (tokens.normalize_code(code), _keyed(second_installation, code), _keyed(key, other(code))):
        with pytest.raises(argon2.exceptions.VerifyMismatchError):
            check.verify(stored["reset"], wrong)
    assert isinstance(refused(lambda: service.reset_password(letter.identifier, other(code), THIRD, THIRD)),
                      errors.InvalidCode)
    service.reset_password(letter.identifier, code, THIRD, THIRD)
    assert service.authenticate(letter.identifier, THIRD).next_step == "home"


def test_a_code_stored_before_the_upgrade_still_works_at_the_same_cost(service, letter, outbox, meter):
    """A code stored before codes were argon2id (``salt$sha256(salt:code)``, still in the
    database for the rest of its life) is still checked: a wrong one is refused, the right one
    works, and each check costs the one argon2 verification any code check costs."""
    validated(service, letter, outbox)
    code = _reset_secret(service, letter, outbox, "code")
    salt = secrets.token_hex(16)
    legacy = f"{salt}${hashlib.sha256(f'{salt}:{tokens.normalize_code(code)}'.encode()).hexdigest()}"
    with service.core.tx() as s:
        s.execute(sql_update(OneTimeToken).where(OneTimeToken.purpose == "reset").values(code_hash=legacy))
    params = service.hasher.params
    work = [("hash", params.time_cost, params.memory_cost, params.parallelism),  # the new password
            ("verify", params.time_cost, params.memory_cost, params.parallelism)]  # the code
    spent, error = work_and_error(meter, lambda: service.reset_password(letter.identifier, other(code), THIRD, THIRD))
    assert isinstance(error, errors.InvalidCode) and spent == work
    mark = meter.mark()
    service.reset_password(letter.identifier, code, THIRD, THIRD)
    assert meter.since(mark) == work
    assert service.authenticate(letter.identifier, THIRD).next_step == "home"


# ================================================================ 5. SMTP header injection


INJECTIONS = [
    "julie@example.org\r\nBcc: pirate@evil.fr",
    "julie@example.org\nBcc: pirate@evil.fr",
    "julie@example.org\rBcc:pirate@evil.fr",
    "julie@example.org\r\n\r\nCorps injecte",
    "julie@example.org\u2028Bcc: pirate@evil.fr",
    "julie@example.org\u2029Bcc: pirate@evil.fr",
    "julie@example.org\u0085Bcc: pirate@evil.fr",
    "julie@example.org\x0bBcc: pirate@evil.fr",
    "julie@example.org\tBcc: pirate@evil.fr",
    "julie@example.org Bcc: pirate@evil.fr",
    "julie@example.org%0d%0aBcc:pirate@evil.fr",
    "julie@example.org%0ABcc:pirate@evil.fr",
    "=?utf-8?q?julie=0D=0ABcc:pirate@evil.fr?=@example.org",
    "julie@example.org,pirate@evil.fr",
    "julie@example.org;pirate@evil.fr",
    "Julie <julie@example.org>, pirate@evil.fr",
    "bcc:pirate@evil.fr",
    '"julie\r\nBcc: pirate"@example.org',
    "julie@example.org\x00pirate@evil.fr",
]


@pytest.fixture
def mailing(service: AccountService, sink: Sink) -> AccountService:
    """The service mailing through a real SMTP server on loopback."""
    return AccountService(service.settings, service.engine, sink.transport(), clock=service.clock, hasher=service.hasher)


def test_header_injection_through_a_typed_address_is_refused_and_changes_nothing(service, letter, outbox, mailing,
                                                                                 sink):
    """An address carrying a line break (CR, LF, U+2028, U+2029, U+0085, VT), an encoded one,
    several recipients or a header name: refused at first connection, in the profile and at
    IDENTIFIANT OUBLIÉ with the French message, nothing written, no mail sent."""
    paul = service.import_class_list([student("Paul", "Petit", line=3)], actor="cli:t")[0]
    paul_token = validated(service, paul, outbox, "paul.petit@example.org")
    sent = len(outbox.entries())
    login = mailing.authenticate(letter.identifier, letter.provisional_password)
    before = dump(service)
    attempts = {
        "first_connection": lambda address: mailing.first_connection(
            login.token, birth_date=BIRTH, new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD,
            email=address, confirm_email=address),
        "update_profile": lambda address: mailing.change_email(paul_token, GOOD_PASSWORD, address, address),
        "forgot_identifier": lambda address: mailing.forgot_identifier(address),
    }
    for address in INJECTIONS:
        for name, attempt in attempts.items():
            error = refused(lambda: attempt(address))
            assert isinstance(error, errors.InvalidInput), (name, address)
            assert error.errors == {"email": "Cette adresse mail n'est pas valide."}, (name, address)
            assert dump(service) == before, (name, address)
    assert sink.received == [] and len(outbox.entries()) == sent
    # The same path with a clean address does reach the server: one recipient, no Bcc.
    mailing.forgot_identifier("paul.petit@example.org")
    [(recipients, mail)] = sink.received
    assert recipients == ["paul.petit@example.org"] and mail["Bcc"] is None and mail["Cc"] is None


# ================================================================ 6. no secret anywhere


class Secrets:
    """Every secret the scenario handles, with the forms a careless log could hold."""

    def __init__(self) -> None:
        self.raw: set[str] = set()

    def add(self, *values: str) -> None:
        for value in values:
            self.raw.add(value)
            if code := tokens.normalize_code(value):
                if re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", value):
                    self.raw.update({code, code.lower(), value.lower()})

    def mailed(self, outbox: OutboxTransport) -> tuple[str, str]:
        code, link = last_code(outbox), last_link_token(outbox)
        self.add(code, link)
        return code, link

    def letters(self, letters: list[IssuedLetter]) -> list[IssuedLetter]:
        self.add(*(x.provisional_password for x in letters))
        return letters

    def found_in(self, haystack: str) -> list[str]:
        return sorted(s[:3] + "…" for s in self.raw if s in haystack)


def test_no_secret_in_audit_logs_errors_or_the_database_at_rest(db_url, tmp_path, caplog, capsys):
    """Every use case that handles a secret, failures included, then a scan: no password,
    provisional password, session token, link token or short code (nor its dashless or
    lowercase form) in any audit column, any log record (message, args, exception text),
    any domain error raised, or any column of any table (only their hashes are stored)."""
    caplog.set_level(logging.DEBUG)
    for name in ("entkiosk", "sqlalchemy", "alembic"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    settings = make_settings(db_url, tmp_path)
    svc = open_service(settings, clock=FixedClock(START), rng=random.Random(20260901))
    outbox = OutboxTransport(settings.outbox_path())
    secrets, raised = Secrets(), []
    secrets.add(GOOD_PASSWORD, OTHER_PASSWORD, THIRD, WRONG, STAFF_PASSWORD, "Court1", "Cours-3-mdp", "Revenu7ici")

    def fails(action: Callable[[], object]) -> None:
        raised.append(refused(action))

    try:
        julie, paul, zoe = secrets.letters(svc.import_class_list(
            [student(line=2), student("Paul", "Petit", line=3), student("Zoe", "Martin", line=4)], actor="cli:t"))
        # log in: wrong password, unknown, a password typed in the identifier field
        fails(lambda: svc.authenticate(julie.identifier, WRONG))
        fails(lambda: svc.authenticate(UNKNOWN, julie.provisional_password))
        fails(lambda: svc.authenticate(GOOD_PASSWORD, GOOD_PASSWORD))
        login = svc.authenticate(julie.identifier, julie.provisional_password)
        secrets.add(login.token)
        # first connection: bad birth date, too short, same as provisional, then with an address
        fails(lambda: svc.first_connection(login.token, birth_date="01/01/2010", new_password=GOOD_PASSWORD,
                                           confirm_password=GOOD_PASSWORD))
        fails(lambda: svc.first_connection(login.token, birth_date=BIRTH, new_password="Court1",
                                           confirm_password="Court1"))
        fails(lambda: svc.first_connection(login.token, birth_date=BIRTH, new_password=julie.provisional_password,
                                           confirm_password=julie.provisional_password))
        fails(lambda: svc.first_connection(login.token, birth_date=BIRTH, new_password=GOOD_PASSWORD,
                                           confirm_password=OTHER_PASSWORD))
        svc.first_connection(login.token, birth_date=BIRTH, new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD,
                             email=JULIE, confirm_email=JULIE)
        svc.accept_charter(login.token, settings.charter.version)
        code, _ = secrets.mailed(outbox)
        # validation: wrong code, a resend, then the right one
        fails(lambda: svc.validate_email(other(code), token=login.token))
        svc.clock.advance(seconds=61)
        svc.resend_validation(login.token)
        code, _ = secrets.mailed(outbox)
        svc.validate_email(code, token=login.token)
        # profile: wrong current password, new address by link, new password
        fails(lambda: svc.change_password(login.token, WRONG, OTHER_PASSWORD, OTHER_PASSWORD))
        fails(lambda: svc.change_password(login.token, GOOD_PASSWORD, "Cours-3-mdp", "Cours-3-mdpX"))
        svc.change_email(login.token, GOOD_PASSWORD, "julie.b@example.org", "julie.b@example.org")
        _, link = secrets.mailed(outbox)
        svc.validate_email(link)
        svc.change_password(login.token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
        # recovery: identifier, password by wrong code, code, link
        svc.forgot_identifier("julie.b@example.org")
        fails(lambda: svc.forgot_identifier("personne@example.org"))
        svc.forgot_password(julie.identifier)
        code, _ = secrets.mailed(outbox)
        fails(lambda: svc.reset_password(julie.identifier, other(code), THIRD, THIRD))
        fails(lambda: svc.reset_password(UNKNOWN, code, THIRD, THIRD))
        svc.reset_password(julie.identifier, code, THIRD, THIRD)
        svc.forgot_password(julie.identifier)
        _, link = secrets.mailed(outbox)
        svc.reset_password(julie.identifier, link, "Revenu7ici", "Revenu7ici")
        fails(lambda: svc.reset_password(julie.identifier, link, THIRD, THIRD))
        secrets.add(svc.authenticate(julie.identifier, "Revenu7ici").token)
        # staff: add (service and command line), log in, reset, force a change, re-create, unlock
        fails(lambda: svc.add_staff("prof.court", "Court1", "Court1", actor="cli:t"))
        svc.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:t")
        staff_login = svc.authenticate("prof.martin", STAFF_PASSWORD, kind="staff")
        secrets.add(staff_login.token)
        conf = tmp_path / "kiosk.conf"
        conf.write_text(f'[database]\nurl = "{db_url}"\n[mail]\noutbox = "{settings.outbox_path().as_posix()}"\n',
                        encoding="utf-8")
        from entkiosk.cli import main

        cli_password = "Surveillant-du-CDI-9"
        secrets.add(cli_password)
        assert main(["--config", str(conf), "staff", "add", "prof.cdi", "--role", "direction"],
                    stdin=io.StringIO(f"{cli_password}\n{cli_password}\n")) == 0
        assert main(["--config", str(conf), "staff", "add", "prof.cdi2", "--role", "direction"],
                    stdin=io.StringIO(f"{cli_password}\n{cli_password}X\n")) != 0
        out = capsys.readouterr()
        assert cli_password not in out.out + out.err
        secrets.letters([svc.staff_reset(paul.identifier, actor="prof.martin")])
        svc.force_password_change(identifier=julie.identifier, actor="prof.martin")
        svc.unlock(julie.identifier, actor="prof.martin")
        svc.close_kiosk(staff_login.token)
        svc.clock.advance(days=130)
        fails(lambda: svc.authenticate(zoe.identifier, zoe.provisional_password))
        secrets.letters([svc.recreate(zoe.identifier, actor="prof.martin")])
    finally:
        svc.engine.dispose()

    assert len(raised) == 16 and len(secrets.raw) >= 30
    errors_text = "\n".join(f"{e!s} {e!r} {e.args!r} {getattr(e, 'errors', '')!r}" for e in raised)
    assert "Identifiant ou mot de passe incorrect." in errors_text
    assert secrets.found_in(errors_text) == []

    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in records)
    assert "sqlalchemy.engine" in logs  # the scan did see the SQL statements and their parameters
    assert secrets.found_in(logs) == []

    engine = open_service(settings).engine
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as c:
            audit = "\n".join(json.dumps([str(v) for v in row]) for row in c.execute(text("SELECT * FROM audit_events")))
            at_rest = {name: "\n".join(repr(tuple(row)) for row in c.execute(select(table)))
                       for name, table in meta.tables.items()}
    finally:
        engine.dispose()
    assert "login.failed" in audit and "staff.recreate" in audit
    assert secrets.found_in(audit) == []
    assert "$argon2id$" in at_rest["accounts"]
    for name, content in at_rest.items():
        assert secrets.found_in(content) == [], name


# ================================================================ 7. argon2 parameters


@pytest.mark.argon2
def test_default_argon2_parameters_meet_owasp_minimum_and_are_what_is_stored(service, letter):
    acc = Settings().accounts
    assert (acc.argon2_memory_cost, acc.argon2_time_cost, acc.argon2_parallelism) >= (19 * 1024, 2, 1)
    with service.core.tx() as s:
        stored = s.scalar(text("SELECT password_hash FROM accounts"))
    params = argon2.extract_parameters(stored)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (params.memory_cost, params.time_cost, params.parallelism) == (OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST, 1)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("argon2_memory_cost", OWASP_MIN_MEMORY_KIB - 1, "au moins 19456"),
    ("argon2_time_cost", OWASP_MIN_TIME_COST - 1, "au moins 2"),
    ("argon2_parallelism", 0, "au moins 1"),
])
def test_argon2_parameters_below_owasp_minimum_are_refused(key, value, expected):
    with pytest.raises(ConfigError) as err:
        settings_from_dict({"accounts": {key: value}}, source="kiosk.conf")
    assert str(err.value) == f"kiosk.conf : clé « accounts.{key} » : la valeur doit être {expected}."


@pytest.mark.argon2
def test_rehash_on_login_when_memory_cost_changes(service, letter, clock, meter):
    """m=19456 → 32768: the next login verifies with the old parameters, stores a hash with the
    new ones (the old password still works, on both configurations), and only once."""
    activate(service, letter)
    stronger = msgspec.structs.replace(service.settings, accounts=msgspec.structs.replace(
        service.settings.accounts, argon2_memory_cost=32768))
    svc = AccountService(stronger, service.engine, service.transport, clock=clock)
    mark = meter.mark()
    svc.authenticate(letter.identifier, GOOD_PASSWORD)
    assert meter.since(mark) == [("hash", 2, 32768, 1), ("verify", 2, 19456, 1)]
    with service.core.tx() as s:
        assert s.scalar(text("SELECT password_hash FROM accounts")).startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    mark = meter.mark()
    svc.authenticate(letter.identifier, GOOD_PASSWORD)
    assert meter.since(mark) == [("verify", 2, 32768, 1)]
    assert [e.details["rehashed"] for e in svc.audit_events() if e.event == "login.ok"][-2:] == [True, False]
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "home"


# ================================================================ 8. a stronger password rule


def test_password_rule_defaults_to_the_guide_and_refuses_weaker_settings():
    acc = Settings().accounts
    assert (acc.password_min_length, acc.password_max_length) == (8, 14)
    for raw, key, words in [({"password_min_length": 7}, "password_min_length", "au moins 8"),
                            ({"password_max_length": 129}, "password_max_length", "au plus 128"),
                            ({"password_min_length": 65}, "password_min_length", "au plus 64")]:
        with pytest.raises(ConfigError) as err:
            settings_from_dict({"accounts": raw}, source="kiosk.conf")
        assert str(err.value) == f"kiosk.conf : clé « accounts.{key} » : la valeur doit être {words}.", raw
    with pytest.raises(ConfigError) as err:
        settings_from_dict({"accounts": {"password_min_length": 15}}, source="kiosk.conf")
    assert str(err.value) == ("kiosk.conf : clé « accounts.password_max_length » : doit être au moins égale à "
                              "accounts.password_min_length.")


@pytest.fixture
def strict(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[AccountService]:
    """An establishment that asks for 15 to 64 characters (ASVS 5.0 level 1 length)."""
    svc = open_service(make_settings(db_url, tmp_path, accounts={"password_min_length": 15,
                                                                  "password_max_length": 64}), clock=clock)
    yield svc
    svc.engine.dispose()


LONG = "Velo2roues-et-un-long-chemin"  # 28 characters
LONGEST = ("Un-long-chemin-de-64-caracteres-pour-aller-au-lycee-en-velo-2026"[:64])


def test_configured_rule_is_checked_at_every_password_choice(strict, outbox):
    """15 to 64 characters: 14 are refused with the configured minimum named, 64 accepted, at
    first connection, profile change, reset and staff creation (staff: at least 15, not 12)."""
    assert len(LONGEST) == 64
    julie = strict.import_class_list([student()], actor="cli:t")[0]
    login = strict.authenticate(julie.identifier, julie.provisional_password)
    short = "Velo2roues1234"  # 14: the guide's maximum, below this establishment's minimum
    error = refused(lambda: strict.first_connection(login.token, birth_date=BIRTH, new_password=short,
                                                    confirm_password=short))
    assert error.errors == {"new_password": "Le mot de passe est trop court : 15 caractères minimum."}
    strict.first_connection(login.token, birth_date=BIRTH, new_password=LONG, confirm_password=LONG,
                            email=JULIE, confirm_email=JULIE)
    strict.accept_charter(login.token, strict.settings.charter.version)
    strict.validate_email(last_code(outbox), token=login.token)

    error = refused(lambda: strict.change_password(login.token, LONG, short, short))
    assert "15 caractères minimum" in error.errors["new_password"]
    too_long = LONGEST + "x"
    error = refused(lambda: strict.change_password(login.token, LONG, too_long, too_long))
    assert error.errors == {"new_password": "Le mot de passe est trop long : 64 caractères maximum."}
    strict.change_password(login.token, LONG, LONGEST, LONGEST)
    assert strict.authenticate(julie.identifier, LONGEST).next_step == "home"

    strict.forgot_password(julie.identifier)
    code = last_code(outbox)
    error = refused(lambda: strict.reset_password(julie.identifier, code, short, short))
    assert "15 caractères minimum" in error.errors["new_password"]
    strict.reset_password(julie.identifier, code, LONG + "!", LONG + "!")

    error = refused(lambda: strict.add_staff("prof.x", "Prof-Martin-1", "Prof-Martin-1", actor="cli:t"))  # 13
    assert error.errors == {"password": "Le mot de passe est trop court : 15 caractères minimum."}
    strict.add_staff("prof.x", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:t")


def test_guide_rule_is_kept_by_default(service, letter):
    """Without the keys, 8 and 14 characters pass and 15 are refused, as the guide says."""
    login = service.authenticate(letter.identifier, letter.provisional_password)
    error = refused(lambda: service.first_connection(login.token, birth_date=BIRTH, new_password="Velo2roues12345",
                                                     confirm_password="Velo2roues12345"))
    assert error.errors == {"new_password": "Le mot de passe est trop long : 14 caractères maximum."}
    assert rule() == "Votre nouveau mot de passe doit comporter entre 8 et 14 caractères (au moins un chiffre et une lettre)"
    assert reset_rule() == "(8 caractères minimum, 14 caractères maximum, chiffres ET lettres obligatoires)"


async def test_screens_state_the_configured_rule_and_take_long_passwords(db_url, tmp_path, clock):
    """With 15 to 100 characters configured, PREMIÈRE CONNEXION (the profile screen uses the
    same field) and MODIFIEZ VOTRE MOT DE PASSE state that rule (not « 8 à 14 »), and a
    100-character password can be typed, masked."""
    from textual.widgets import Input
    from ui_support import kiosk, screen_text, shows, type_text

    from entkiosk.ui.screens.first_connection import FirstConnectionScreen
    from entkiosk.ui.screens.forgot import ResetPasswordScreen

    settings = make_settings(db_url, tmp_path, accounts={"password_min_length": 15, "password_max_length": 100})
    svc = open_service(settings, clock=clock)
    try:
        async with kiosk(settings, svc, tmp_path, size=(100, 40)) as (app, pilot):
            await app.push_screen(FirstConnectionScreen())
            await pilot.pause()
            assert shows(app, rule(15, 100)) and "entre 8 et 14" not in screen_text(app)
            app.screen.query_one("#new_password", Input).focus()
            await type_text(pilot, "A1" * 50)
            field = app.screen.query_one("#new_password", Input)
            assert len(field.value) == 100
            assert field.password and "A1A1" not in screen_text(app)  # masked as it is typed
            await app.push_screen(ResetPasswordScreen())
            await pilot.pause()
            assert shows(app, reset_rule(15, 100)) and "14 caractères" not in screen_text(app)
    finally:
        svc.engine.dispose()


# ================================================================ 9. accounts and sessions


def test_a_fresh_database_has_no_account_to_log_in_with(service, meter):
    """No default account (ASVS 6.3.2): staff accounts exist only once ``entkiosk staff add`` made them."""
    with service.core.tx() as s:
        assert s.scalar(text("SELECT COUNT(*) FROM accounts")) == 0
    for identifier, password in (("admin", "admin"), ("root", "root1234"), ("staff", "Staff2026")):
        for kind in ("student", "staff"):
            assert type(refused(lambda: service.authenticate(identifier, password, kind=kind))) is \
                errors.AuthenticationFailed


def test_each_login_gets_a_new_random_session_token_that_logout_ends(service, letter):
    """Session tokens come from the OS's generator, 43 URL-safe characters (258 bits), a new one
    at each login, stored only as a digest; logout ends the one it is given."""
    import secrets as std_secrets

    assert isinstance(service.rng, std_secrets.SystemRandom)
    token = activate(service, letter)
    again = service.authenticate(letter.identifier, GOOD_PASSWORD).token
    assert token != again and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in (token, again))
    with service.core.tx() as s:
        stored = list(s.scalars(text("SELECT token_hash FROM sessions")))
    assert sorted(stored) == sorted(tokens.hash_link_token(t) for t in (token, again))
    service.logout(again)
    assert isinstance(refused(lambda: service.account(again)), errors.SessionExpired)
    assert service.account(token).identifier == letter.identifier
