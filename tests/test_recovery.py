"""E-mail validation, profile changes and account recovery, on SQLite and PostgreSQL.

Covers the use cases after activation: validating an address (short code or link
token), changing the address or the password from the profile, the forgotten
identifier and the forgotten password, mail delivery through a real SMTP server on
loopback, and the absence of secrets in the audit trail and the logs.
"""

from __future__ import annotations

import email
import json
import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import argon2
import msgspec
import pytest
from aiosmtpd.controller import Controller
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code, last_link_token, student
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from entkiosk.domain import errors, tokens
from entkiosk.domain.lifecycle import EmailState
from entkiosk.domain.passwords import Hasher, HashParameters
from entkiosk.mail import OutboxEntry, OutboxTransport, SmtpTransport
from entkiosk.service import AccountService, IssuedLetter, MailNotSent
from entkiosk.store.models import Account, AuditEvent, OneTimeToken, ResetRequest

THIRD_PASSWORD = "Bateau3voiles"
WRONG_PASSWORD = "Mauvais9mdp"
JULIE = "julie.baillet@example.org"
NEW_ADDRESS = "julie.nouvelle@example.org"
SHARED = "famille.baillet@example.org"
UNKNOWN_IDENTIFIER = "personne.inconnue"
PASSWORD_NOTICE = "Votre mot de passe a été modifié le"
EMAIL_NOTICE = "Votre adresse mail a été modifiée le"
RESET_SUBJECT = "Demande de changement de mot de passe n° "
REMINDER_SUBJECT = "Message des services en ligne - Rappel de votre identifiant"
VALIDATION_SUBJECT = "Message des services en ligne - Mise à jour de votre adresse mail"
GUIDE_REFUSAL = (
    "Les informations associées à votre compte ne permettent pas de répondre à votre "
    "demande. Merci de contacter votre établissement."
)
CODE_RE = re.compile(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", re.MULTILINE)
LINK_RE = re.compile(r"code=([A-Za-z0-9_-]+)")


# ---------------------------------------------------------------- helpers


def _account(service: AccountService, identifier: str) -> Account:
    with DbSession(service.engine) as s:
        row = s.scalar(select(Account).where(Account.identifier == identifier))
        assert row is not None
        return row


def _rows(service: AccountService, model: Any, *where: Any) -> list[Any]:
    with DbSession(service.engine) as s:
        return list(s.scalars(select(model).where(*where).order_by(model.id)))


def _email_tokens(service: AccountService, identifier: str) -> list[OneTimeToken]:
    account_id = _account(service, identifier).id
    return _rows(service, OneTimeToken, OneTimeToken.account_id == account_id, OneTimeToken.purpose == "email")


def _code_in(body: str) -> str:
    match = CODE_RE.search(body)
    assert match, body
    return match.group(1)


def _link_in(body: str) -> str:
    match = LINK_RE.search(body)
    assert match, body
    return match.group(1)


def _mails(outbox: OutboxTransport, to: str | None = None, *, subject: str = "", text: str = "") -> list[OutboxEntry]:
    return [m for m in outbox.entries()
            if (to is None or m.to == to) and m.subject.startswith(subject) and text in m.body]


def _other_code(real: str) -> str:
    """A well-formed code that is not ``real``."""
    return "ZZZZ-ZZZZ" if tokens.normalize_code(real) != "ZZZZZZZZ" else "YYYY-YYYY"


def _second(service: AccountService, first: str = "Paul", last: str = "Petit", line: int = 3) -> IssuedLetter:
    """Another student, born on the same day as the default one (``activate`` types 14/03/2010)."""
    return service.import_class_list([student(first, last, line=line)], actor="cli:test")[0]


def _validated(service: AccountService, letter: IssuedLetter, outbox: OutboxTransport, address: str = JULIE) -> str:
    """Activate with ``address`` and validate it by its short code; returns the session token."""
    token = activate(service, letter, email=address)
    service.validate_email(last_code(outbox), token=token)
    return token


def _tuned(service: AccountService, **accounts: Any) -> AccountService:
    """The same database, mail and clock with other [accounts] settings."""
    settings = service.settings
    tuned = msgspec.structs.replace(settings, accounts=msgspec.structs.replace(settings.accounts, **accounts))
    return AccountService(tuned, service.engine, service.transport, clock=service.clock, hasher=service.hasher)


def _reset_request(service: AccountService, reference: str) -> ResetRequest:
    [row] = _rows(service, ResetRequest, ResetRequest.reference == reference)
    return row


# ================================================================ 1. e-mail validation


def test_short_code_validates_pending_address(service, letter, outbox, clock):
    """The code of the mail, typed in the session, turns the pending address into the validated one."""
    token = activate(service, letter, email=JULIE)
    assert service.account(token).email_state == EmailState.PENDING
    view = service.validate_email(last_code(outbox), token=token)
    assert (view.email, view.pending_email, view.email_state) == (JULIE, None, EmailState.VALIDATED)
    again = service.account(token)
    assert (again.email, again.pending_email, again.email_state) == (JULIE, None, EmailState.VALIDATED)
    assert _account(service, letter.identifier).email_validated_at == clock.now()
    # A first address has no previous one to warn.
    assert _mails(outbox, text=EMAIL_NOTICE) == []


@pytest.mark.parametrize("pasted", ["token", "whole link"])
def test_link_token_validates_without_session(service, letter, outbox, pasted):
    """The ``code=`` of the link (bare, or the whole pasted link) validates with no session at all."""
    activate(service, letter, email=JULIE)
    link = _link_in(outbox.entries()[-1].body)
    typed = link if pasted == "token" else f"https://services.example.org/email?code={link}"
    view = service.validate_email(typed)
    assert (view.identifier, view.email, view.pending_email) == (letter.identifier, JULIE, None)


def test_short_code_needs_a_session(service, letter, outbox):
    """A guessable short code without a session is refused and validates nothing."""
    activate(service, letter, email=JULIE)
    with pytest.raises(errors.SessionExpired):
        service.validate_email(last_code(outbox))
    assert _account(service, letter.identifier).email is None


@pytest.mark.parametrize("via", ["code", "link"])
def test_used_code_or_token_cannot_be_reused(service, letter, outbox, via):
    """Once a code or link token has validated the address, it fails the second time."""
    token = activate(service, letter, email=JULIE)
    secret = last_code(outbox) if via == "code" else last_link_token(outbox)
    service.validate_email(secret, token=token)
    assert all(t.used_at or t.voided_at for t in _email_tokens(service, letter.identifier))
    with pytest.raises(errors.InvalidCode):
        service.validate_email(secret, token=token)
    if via == "link":
        with pytest.raises(errors.InvalidCode):
            service.validate_email(secret)


@pytest.mark.parametrize("via", ["code", "link"])
@pytest.mark.parametrize(("offset", "works"), [(-1, True), (0, False)], ids=["72h-1s", "72h"])
def test_validation_expires_after_72_hours(service, letter, outbox, clock, via, offset, works):
    """A validation code or link works until created+72h-1s and fails at exactly created+72h."""
    activate(service, letter, email=JULIE)
    code, link = last_code(outbox), last_link_token(outbox)
    clock.advance(hours=service.settings.accounts.email_token_hours, seconds=offset)
    session = service.authenticate(letter.identifier, GOOD_PASSWORD).token  # the old one timed out
    attempt = (lambda: service.validate_email(code, token=session)) if via == "code" else (lambda: service.validate_email(link))
    if works:
        assert attempt().email == JULIE
    else:
        with pytest.raises(errors.InvalidCode):
            attempt()
        assert _account(service, letter.identifier).email is None


def test_resend_voids_older_code(service, letter, outbox):
    """RENVOYER: the new mail's code works, the older code and link do not."""
    token = activate(service, letter, email=JULIE)
    old_code, old_link = last_code(outbox), last_link_token(outbox)
    service.clock.advance(seconds=61)  # one validation mail a minute at most
    assert service.resend_validation(token) == JULIE
    new_code = last_code(outbox)
    assert outbox.entries()[-1].to == JULIE and new_code != old_code
    with pytest.raises(errors.InvalidCode):
        service.validate_email(old_code, token=token)
    with pytest.raises(errors.InvalidCode):
        service.validate_email(old_link)
    assert service.validate_email(new_code, token=token).email == JULIE


def _code_containing(service: AccountService, token: str, outbox: OutboxTransport, char: str) -> str:
    """Resend until the mailed code contains ``char`` (each code is random).

    The resend limits (one a minute, ten a day) are lifted for this: they have their own tests.
    """
    import entkiosk.service.profile as service_module

    mp = pytest.MonkeyPatch()
    mp.setattr(service_module, "RESEND_DELAY", timedelta(0))
    mp.setattr(service_module, "RESEND_PER_DAY", 10_000)
    try:
        return _resend_until(service, token, outbox, char)
    finally:
        mp.undo()


def _resend_until(service: AccountService, token: str, outbox: OutboxTransport, char: str) -> str:
    for _ in range(300):
        code = last_code(outbox)
        if char in code:
            return code
        service.resend_validation(token)
    pytest.fail(f"no code with {char!r} in 300 resends")


@pytest.mark.parametrize(
    ("form", "needs"),
    [
        (lambda c: c.lower(), ""),
        (lambda c: c.replace("-", ""), ""),
        (lambda c: f"  {c.lower().replace('-', ' ')}  ", ""),
        (lambda c: c.replace("0", "O"), "0"),
        (lambda c: c.replace("1", "l"), "1"),
    ],
    ids=["lower case", "without dash", "spaces instead of dash", "O for 0", "l for 1"],
)
def test_typed_code_is_normalized(service, letter, outbox, form, needs):
    """Codes typed in lower case, without the dash, or with confusable letters are accepted."""
    token = activate(service, letter, email=JULIE)
    code = _code_containing(service, token, outbox, needs) if needs else last_code(outbox)
    typed = form(code)
    assert typed != code
    assert service.validate_email(typed, token=token).email == JULIE


@pytest.mark.parametrize(("wrong", "works"), [(4, True), (5, False)])
def test_code_dies_after_max_wrong_attempts(service, letter, outbox, wrong, works):
    """After code_max_attempts (5) wrong codes the real code is void; after 4 it still works.

    The lockout threshold is raised here so that only the per-code attempt limit acts.
    """
    svc = _tuned(service, lockout_threshold=50)
    assert svc.settings.accounts.code_max_attempts == 5
    token = activate(svc, letter, email=JULIE)
    code = last_code(outbox)
    for _ in range(wrong):
        with pytest.raises(errors.InvalidCode):
            svc.validate_email(_other_code(code), token=token)
    if works:
        assert svc.validate_email(code, token=token).email == JULIE
        return
    with pytest.raises(errors.InvalidCode):
        svc.validate_email(code, token=token)
    assert _account(svc, letter.identifier).email is None
    svc.clock.advance(seconds=61)  # one validation mail a minute at most
    svc.resend_validation(token)  # the way out: a new code
    assert svc.validate_email(last_code(outbox), token=token).email == JULIE


def test_code_lockout_after_five_failures(service, letter, outbox, clock):
    """5 wrong codes lock code entry (even the right code) for 60 s; then the code works.

    The per-code attempt limit is raised here so that only the lockout acts.
    """
    svc = _tuned(service, code_max_attempts=20)
    token = activate(svc, letter, email=JULIE)
    code = last_code(outbox)
    for _ in range(4):
        with pytest.raises(errors.InvalidCode):
            svc.validate_email(_other_code(code), token=token)
    with pytest.raises(errors.Locked) as locked:
        svc.validate_email(_other_code(code), token=token)
    assert locked.value.seconds == 60 and "Trop de tentatives" in str(locked.value)
    with pytest.raises(errors.Locked):
        svc.validate_email(code, token=token)
    clock.advance(seconds=59)
    with pytest.raises(errors.Locked):
        svc.validate_email(code, token=token)
    clock.advance(seconds=1)
    assert svc.validate_email(code, token=token).email == JULIE


def test_code_of_one_account_fails_in_another_session(service, letter, outbox):
    """A's code typed in B's session validates nothing; A can still use it."""
    token_a = activate(service, letter, email=JULIE)
    code_a = last_code(outbox)
    other = _second(service)
    token_b = activate(service, other, email="paul.petit@example.org")
    with pytest.raises(errors.InvalidCode):
        service.validate_email(code_a, token=token_b)
    assert _account(service, other.identifier).email is None
    assert _account(service, letter.identifier).email is None
    assert service.validate_email(code_a, token=token_a).email == JULIE


def test_link_token_validates_its_own_account_only(service, letter, outbox):
    """A's link token is refused in B's session and, alone, validates A and nobody else."""
    activate(service, letter, email=JULIE)
    link_a = last_link_token(outbox)
    other = _second(service)
    token_b = activate(service, other, email="paul.petit@example.org")
    with pytest.raises(errors.InvalidCode):
        service.validate_email(link_a, token=token_b)
    assert _account(service, letter.identifier).email is None
    view = service.validate_email(link_a)
    assert (view.identifier, view.email) == (letter.identifier, JULIE)
    b = _account(service, other.identifier)
    assert (b.email, b.pending_email) == (None, "paul.petit@example.org")


# ================================================================ 2. changing the address


def test_change_email_requires_current_password(service, letter, outbox):
    """No current password: refused with the guide's sentence, nothing requested, no mail."""
    token = activate(service, letter)
    with pytest.raises(errors.InvalidInput) as err:
        service.change_email(token, "", NEW_ADDRESS, NEW_ADDRESS)
    assert "mot de passe actuel est obligatoire" in err.value.errors["current_password"]
    assert _account(service, letter.identifier).pending_email is None
    assert outbox.entries() == []


def test_change_email_wrong_current_password_refused_and_counted(service, letter, outbox):
    """A wrong current password is refused and counts as a login failure: the 5th locks the account."""
    token = activate(service, letter)
    for _ in range(4):
        with pytest.raises(errors.InvalidInput) as err:
            service.change_email(token, WRONG_PASSWORD, NEW_ADDRESS, NEW_ADDRESS)
        assert "incorrect" in err.value.errors["current_password"]
    with pytest.raises(errors.Locked):
        service.change_email(token, WRONG_PASSWORD, NEW_ADDRESS, NEW_ADDRESS)
    with pytest.raises(errors.Locked):
        service.authenticate(letter.identifier, GOOD_PASSWORD)
    assert _account(service, letter.identifier).pending_email is None
    assert _mails(outbox, NEW_ADDRESS) == []
    events = [e.event for e in _rows(service, AuditEvent, AuditEvent.identifier == letter.identifier)]
    assert events.count("profile.bad_password") == 5


def test_pending_new_address_does_not_replace_recovery_address(service, letter, outbox):
    """Until validated, the new address is only pending: recovery still uses the old one."""
    token = _validated(service, letter, outbox)
    outcome = service.change_email(token, GOOD_PASSWORD, NEW_ADDRESS, NEW_ADDRESS)
    assert outcome.email_pending and outcome.mail_problem is None
    assert _mails(outbox, NEW_ADDRESS, subject=VALIDATION_SUBJECT)
    view = service.account(token)
    assert (view.email, view.pending_email, view.email_state) == (JULIE, NEW_ADDRESS, EmailState.PENDING)

    assert service.forgot_identifier(JULIE) == JULIE
    assert _mails(outbox, JULIE, subject=REMINDER_SUBJECT)
    with pytest.raises(errors.RecoveryRefused):
        service.forgot_identifier(NEW_ADDRESS)
    reference = service.forgot_password(letter.identifier)
    assert [m.to for m in _mails(outbox, subject=RESET_SUBJECT + reference)] == [JULIE]


def test_validating_new_address_notifies_previous_address(service, letter, outbox):
    """Once the new address is validated, a notice goes to the previous one, which stops serving recovery."""
    token = _validated(service, letter, outbox)
    service.change_email(token, GOOD_PASSWORD, NEW_ADDRESS, NEW_ADDRESS)
    assert _mails(outbox, text=EMAIL_NOTICE) == []  # nothing before validation
    view = service.validate_email(last_code(outbox), token=token)
    assert (view.email, view.pending_email) == (NEW_ADDRESS, None)
    [notice] = _mails(outbox, text=EMAIL_NOTICE)
    assert notice.to == JULIE
    assert f"{EMAIL_NOTICE} 01/09/2026 à 10:00" in notice.body  # Lille time
    assert service.forgot_identifier(NEW_ADDRESS) == NEW_ADDRESS
    with pytest.raises(errors.RecoveryRefused):
        service.forgot_identifier(JULIE)


# ================================================================ 3. changing the password


def test_profile_password_change_replaces_password(service, letter):
    """After the change the old password fails and the new one logs in."""
    token = activate(service, letter)
    outcome = service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    assert outcome.password_changed
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, GOOD_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


def test_profile_password_change_revokes_other_sessions_only(service, letter):
    """Other sessions of the account end; the session that made the change goes on."""
    token = activate(service, letter)
    elsewhere = service.authenticate(letter.identifier, GOOD_PASSWORD).token
    service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    with pytest.raises(errors.SessionExpired):
        service.account(elsewhere)
    assert service.account(token).identifier == letter.identifier


def test_profile_password_change_notifies_validated_address(service, letter, outbox):
    """A notice with the local date and time goes to the validated address."""
    token = _validated(service, letter, outbox)
    service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    [notice] = _mails(outbox, text=PASSWORD_NOTICE)
    assert notice.to == JULIE
    assert f"{PASSWORD_NOTICE} 01/09/2026 à 10:00" in notice.body


@pytest.mark.parametrize("address", ["none", "pending only"])
def test_no_password_notice_without_validated_address(service, letter, outbox, address):
    """No validated address, no notice (in particular not to a merely pending address)."""
    token = activate(service, letter, email=JULIE if address == "pending only" else "")
    before = len(outbox.entries())
    service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    assert len(outbox.entries()) == before
    assert _mails(outbox, text=PASSWORD_NOTICE) == []


# ================================================================ 4. forgotten identifier


def test_forgot_identifier_mails_identifier_to_validated_address(service, letter, outbox):
    """A validated address gets a reminder with the identifier; the address is returned."""
    _validated(service, letter, outbox)
    assert service.forgot_identifier(JULIE) == JULIE
    [reminder] = _mails(outbox, JULIE, subject=REMINDER_SUBJECT)
    assert f"Votre identifiant est : {letter.identifier}\n" in reminder.body


@pytest.mark.parametrize("address", ["pending", "unknown"])
def test_forgot_identifier_refuses_unvalidated_and_unknown_address(service, letter, outbox, address):
    """A pending or unknown address is refused with the guide's exact sentence, and nothing is mailed."""
    activate(service, letter, email=JULIE)
    typed = JULIE if address == "pending" else "inconnu@example.org"
    with pytest.raises(errors.RecoveryRefused) as err:
        service.forgot_identifier(typed)
    assert str(err.value) == GUIDE_REFUSAL
    assert _mails(outbox, subject=REMINDER_SUBJECT) == []


@pytest.mark.parametrize(
    ("registered", "typed"),
    [(JULIE, "Julie.Baillet@EXAMPLE.ORG"), ("Julie.Baillet@Example.ORG", JULIE)],
    ids=["typed in capitals", "registered in capitals"],
)
def test_forgot_identifier_ignores_case(service, letter, outbox, registered, typed):
    """The address matches whatever its case when registered or typed."""
    _validated(service, letter, outbox, address=registered)
    assert service.forgot_identifier(typed) == JULIE
    [reminder] = _mails(outbox, JULIE, subject=REMINDER_SUBJECT)
    assert letter.identifier in reminder.body


def test_forgot_identifier_lists_every_account_of_a_shared_address(service, letter, outbox):
    """Two accounts validated with one address: the reminder names both."""
    _validated(service, letter, outbox, address=SHARED)
    other = _second(service)
    _validated(service, other, outbox, address=SHARED)
    assert service.forgot_identifier(SHARED) == SHARED
    [reminder] = _mails(outbox, SHARED, subject=REMINDER_SUBJECT)
    assert letter.identifier in reminder.body and other.identifier in reminder.body


# ================================================================ 5. forgotten password


def test_forgot_password_answers_alike_and_mails_only_validated(service, letter, outbox):
    """Known+validated, known without validated address, unknown: a 13-digit reference each;
    one mail only, to the validated address, with the reference in its subject."""
    _validated(service, letter, outbox)
    no_email = _second(service)
    activate(service, no_email)
    pending = _second(service, "Emma", "Durand", line=4)
    activate(service, pending, email="emma.durand@example.org")
    before = len(outbox.entries())

    answers = [service.forgot_password(i) for i in
               (letter.identifier, no_email.identifier, pending.identifier, UNKNOWN_IDENTIFIER)]
    for reference in answers:
        assert isinstance(reference, str) and re.fullmatch(r"\d{13}", reference)
    assert len(set(answers)) == 4

    sent = outbox.entries()[before:]
    assert [(m.to, m.subject) for m in sent] == [(JULIE, f"{RESET_SUBJECT}{answers[0]}")]
    assert re.search(r"^\s+[0-9A-Z]{4}-[0-9A-Z]{4}\s*$", sent[0].body, re.MULTILINE)
    assert [_reset_request(service, r).status for r in answers] == ["mailed", "void", "void", "void"]


def test_new_reset_request_voids_older_code(service, letter, outbox):
    """A second request: the first mail's code and link fail, the second's works."""
    _validated(service, letter, outbox)
    service.forgot_password(letter.identifier)
    old_code, old_link = last_code(outbox), last_link_token(outbox)
    service.forgot_password(letter.identifier)
    new_code = last_code(outbox)
    for stale in (old_code, old_link):
        with pytest.raises(errors.InvalidCode):
            service.reset_password(letter.identifier, stale, OTHER_PASSWORD, OTHER_PASSWORD)
    service.reset_password(letter.identifier, new_code, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


def test_new_reset_request_marks_older_request_void(service, letter, outbox):
    """The older ResetRequest row is marked void when a new request supersedes it."""
    _validated(service, letter, outbox)
    first = service.forgot_password(letter.identifier)
    second = service.forgot_password(letter.identifier)
    assert _reset_request(service, second).status == "mailed"
    assert _reset_request(service, first).status == "void"


@pytest.mark.parametrize("via", ["code", "link"])
def test_reset_changes_password_revokes_all_sessions_and_notifies(service, letter, outbox, via):
    """Reset by the mail's code (or link): new password works, old fails, every session ends, notice sent."""
    token = _validated(service, letter, outbox)
    elsewhere = service.authenticate(letter.identifier, GOOD_PASSWORD).token
    reference = service.forgot_password(letter.identifier)
    secret = last_code(outbox) if via == "code" else last_link_token(outbox)
    service.reset_password(letter.identifier, secret, OTHER_PASSWORD, OTHER_PASSWORD)

    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, GOOD_PASSWORD)
    for session in (token, elsewhere):
        with pytest.raises(errors.SessionExpired):
            service.account(session)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"
    [notice] = _mails(outbox, text=PASSWORD_NOTICE)
    assert notice.to == JULIE
    assert _reset_request(service, reference).status == "done"


@pytest.mark.parametrize(("offset", "works"), [(-1, True), (0, False)], ids=["30min-1s", "30min"])
def test_reset_code_expires_after_30_minutes(service, letter, outbox, clock, offset, works):
    """By default (``[accounts] reset_code_minutes = 30``) the reset code works until
    created+30min-1s and fails at exactly created+30min; its mail says so."""
    _validated(service, letter, outbox)
    service.forgot_password(letter.identifier)
    code = last_code(outbox)
    assert "Ce lien et ce code sont valables 30 minutes" in outbox.entries()[-1].body
    clock.advance(minutes=30, seconds=offset)
    if works:
        service.reset_password(letter.identifier, code, OTHER_PASSWORD, OTHER_PASSWORD)
        assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"
    else:
        with pytest.raises(errors.InvalidCode):
            service.reset_password(letter.identifier, code, OTHER_PASSWORD, OTHER_PASSWORD)
        assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "home"


def test_reset_code_cannot_be_reused(service, letter, outbox):
    """A used reset code fails the second time and the password stays the first reset's."""
    _validated(service, letter, outbox)
    service.forgot_password(letter.identifier)
    code = last_code(outbox)
    service.reset_password(letter.identifier, code, OTHER_PASSWORD, OTHER_PASSWORD)
    with pytest.raises(errors.InvalidCode):
        service.reset_password(letter.identifier, code, THIRD_PASSWORD, THIRD_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


def test_reset_code_voided_by_profile_password_change(service, letter, outbox):
    """Changing the password from the profile voids a pending reset code."""
    token = _validated(service, letter, outbox)
    service.forgot_password(letter.identifier)
    code = last_code(outbox)
    service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    with pytest.raises(errors.InvalidCode):
        service.reset_password(letter.identifier, code, THIRD_PASSWORD, THIRD_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


@pytest.mark.parametrize("via", ["code", "link"])
def test_reset_code_of_one_account_fails_for_another_identifier(service, letter, outbox, via):
    """A's code (or link) with B's identifier changes nobody's password; A can still use it."""
    _validated(service, letter, outbox)
    other = _second(service)
    _validated(service, other, outbox, address="paul.petit@example.org")
    service.forgot_password(letter.identifier)
    secret = last_code(outbox) if via == "code" else last_link_token(outbox)
    with pytest.raises(errors.InvalidCode):
        service.reset_password(other.identifier, secret, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(other.identifier, GOOD_PASSWORD).next_step == "home"
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "home"
    service.reset_password(letter.identifier, secret, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


def test_unknown_identifier_gets_the_wrong_code_error(service, letter, outbox):
    """An unknown identifier with any code (even a real one of another account) gets InvalidCode,
    with the very sentence of a wrong code on a known identifier."""
    _validated(service, letter, outbox)
    service.forgot_password(letter.identifier)
    real = last_code(outbox)
    with pytest.raises(errors.InvalidCode) as known:
        service.reset_password(letter.identifier, _other_code(real), OTHER_PASSWORD, OTHER_PASSWORD)
    for typed in (real, _other_code(real), last_link_token(outbox)):
        with pytest.raises(errors.InvalidCode) as unknown:
            service.reset_password(UNKNOWN_IDENTIFIER, typed, OTHER_PASSWORD, OTHER_PASSWORD)
        assert type(unknown.value) is type(known.value)
        assert str(unknown.value) == str(known.value) == errors.INVALID_CODE


class CountingPasswordHasher(argon2.PasswordHasher):
    """argon2-cffi's hasher, counting the argon2 computations it runs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.verifies = 0
        self.hashes = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Any:  # noqa: A002
        self.verifies += 1
        return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)


class CountingHasher(Hasher):
    """The project's Hasher, counting its calls and the argon2 work underneath (the library boundary)."""

    def __init__(self, params: HashParameters) -> None:
        super().__init__(params)
        assert isinstance(self._ph, argon2.PasswordHasher)
        self._ph = CountingPasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_cost,
                                          parallelism=params.parallelism, type=argon2.Type.ID)
        self.verify_calls = 0
        self.hash_calls = 0

    def verify(self, stored: str | None, password: str) -> bool:
        self.verify_calls += 1
        return super().verify(stored, password)

    def hash(self, password: str) -> str:
        self.hash_calls += 1
        return super().hash(password)

    def work(self) -> tuple[int, int, int, int]:
        return self.verify_calls, self._ph.verifies, self.hash_calls, self._ph.hashes


def test_unknown_identifier_costs_the_same_argon2_work(service, letter, outbox, clock):
    """Login with a wrong password, and reset with a wrong code, run as many argon2 computations
    for an unknown identifier as for a known one, with or without a reset code waiting (no
    timing oracle)."""
    _validated(service, letter, outbox)
    counting = CountingHasher(service.hasher.params)
    svc = AccountService(service.settings, service.engine, service.transport, clock=clock, hasher=counting)

    def cost(error: type[Exception], action: Any) -> tuple[int, ...]:
        before = counting.work()
        with pytest.raises(error):
            action()
        return tuple(after - b for after, b in zip(counting.work(), before, strict=True))

    known = cost(errors.AuthenticationFailed, lambda: svc.authenticate(letter.identifier, WRONG_PASSWORD))
    unknown = cost(errors.AuthenticationFailed, lambda: svc.authenticate(UNKNOWN_IDENTIFIER, WRONG_PASSWORD))
    assert known == unknown
    assert known[1] == 1  # one real argon2 verification in both cases

    known = cost(errors.InvalidCode, lambda: svc.reset_password(letter.identifier, "ZZZZ-ZZZZ", OTHER_PASSWORD, OTHER_PASSWORD))
    unknown = cost(errors.InvalidCode, lambda: svc.reset_password(UNKNOWN_IDENTIFIER, "ZZZZ-ZZZZ", OTHER_PASSWORD, OTHER_PASSWORD))
    assert known == unknown
    assert known[3] == 1  # the new password is hashed in both cases

    # A code waiting for the account (argon2id at rest): checking it costs what checking none does.
    svc.forgot_password(letter.identifier)
    wrong = _other_code(last_code(outbox))
    waiting = cost(errors.InvalidCode, lambda: svc.reset_password(letter.identifier, wrong, OTHER_PASSWORD, OTHER_PASSWORD))
    assert waiting == unknown == known
    assert known[1] == 1  # one code verification, against the account's code or against none


# ================================================================ 6. real SMTP on loopback


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives; can be stopped and restarted."""

    port: int = field(default_factory=_free_port)
    received: list[EmailMessage] = field(default_factory=list)
    controller: Controller | None = None
    refuse: bool = False  # keep the message, then answer 554 (the sender sees a failure)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        self.received.append(email.message_from_bytes(raw, policy=policy.default))
        return "554 5.7.1 Message refused" if self.refuse else "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=5)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def last_code(self) -> str:
        return _code_in(self.received[-1].get_content())


@pytest.fixture
def smtp(service: AccountService) -> Iterator[tuple[SmtpSink, AccountService]]:
    """A running SMTP sink and a service (same database and clock) that mails through it."""
    sink = SmtpSink()
    sink.start()
    transport = SmtpTransport("127.0.0.1", sink.port, security="none", timeout=5)
    yield sink, AccountService(service.settings, service.engine, transport, clock=service.clock, hasher=service.hasher)
    sink.stop()


def test_smtp_delivers_validation_mail_with_working_code(smtp, letter):
    """Activation with an address sends the validation mail to the SMTP server; its code validates."""
    sink, svc = smtp
    token = activate(svc, letter, email=JULIE)
    [mail] = sink.received
    assert mail["To"] == JULIE and mail["Subject"] == VALIDATION_SUBJECT
    assert svc.validate_email(sink.last_code(), token=token).email == JULIE


def test_smtp_down_resend_keeps_request_and_works_once_back(smtp, letter):
    """SMTP down: resend raises MailNotSent (French), the pending address and earlier token stay stored;
    with the server back, resend delivers a code that validates."""
    sink, svc = smtp
    token = activate(svc, letter, email=JULIE)
    first = _email_tokens(svc, letter.identifier)
    sink.stop()

    with pytest.raises(MailNotSent) as err:
        svc.clock.advance(seconds=61)  # one validation mail a minute at most
        svc.resend_validation(token)
    assert isinstance(err.value, errors.DomainError)
    assert "Le mail n'a pas pu être envoyé" in str(err.value) and "réessayez plus tard" in str(err.value)
    row = _account(svc, letter.identifier)
    assert (row.email, row.pending_email) == (None, JULIE)
    stored = {t.id for t in _email_tokens(svc, letter.identifier)}
    assert {t.id for t in first} <= stored
    assert svc.account(token).email_state == EmailState.PENDING

    sink.start()
    svc.clock.advance(seconds=61)  # one validation mail a minute at most
    assert svc.resend_validation(token) == JULIE
    assert len(sink.received) == 2
    assert svc.validate_email(sink.last_code(), token=token).email == JULIE


def test_smtp_down_resend_keeps_previous_code_usable(smtp, letter):
    """After a resend that could not be mailed, the code already delivered still validates."""
    sink, svc = smtp
    token = activate(svc, letter, email=JULIE)
    delivered = sink.last_code()
    sink.stop()
    with pytest.raises(MailNotSent):
        svc.clock.advance(seconds=61)  # one validation mail a minute at most
        svc.resend_validation(token)
    assert svc.validate_email(delivered, token=token).email == JULIE


def test_forgot_password_with_smtp_down_still_answers_with_reference(service, letter, outbox, clock):
    """SMTP down: the reference is still returned (no leak of existence) and the request says mail_failed."""
    _validated(service, letter, outbox)
    down = AccountService(service.settings, service.engine,
                          SmtpTransport("127.0.0.1", _free_port(), security="none", timeout=2),
                          clock=clock, hasher=service.hasher)
    reference = down.forgot_password(letter.identifier)
    unknown = down.forgot_password(UNKNOWN_IDENTIFIER)
    assert re.fullmatch(r"\d{13}", reference) and re.fullmatch(r"\d{13}", unknown)
    assert _reset_request(down, reference).status == "mail_failed"
    assert _reset_request(down, unknown).status == "void"
    events = _rows(down, AuditEvent, AuditEvent.event == "mail.failed")
    assert [(e.identifier, e.details["reference"]) for e in events] == [(letter.identifier, reference)]


# ================================================================ 7. no secrets in audit or logs


def test_no_secret_reaches_audit_or_logs(service, letter, outbox, clock, caplog):
    """After the flows above (with failures and a failed mail), no password, provisional password,
    session token, code or link token appears in any audit row or log record."""
    caplog.set_level(logging.DEBUG)
    secrets: set[str] = {letter.provisional_password, GOOD_PASSWORD, OTHER_PASSWORD, THIRD_PASSWORD, WRONG_PASSWORD}

    def mailed() -> tuple[str, str]:
        code, link = last_code(outbox), last_link_token(outbox)
        secrets.update({code, tokens.normalize_code(code) or code, link})
        return code, link

    # activation, a wrong login, a wrong code, then the right one
    token = activate(service, letter, email=JULIE)
    secrets.add(token)
    code, _ = mailed()
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(letter.identifier, WRONG_PASSWORD)
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(UNKNOWN_IDENTIFIER, WRONG_PASSWORD)
    with pytest.raises(errors.InvalidCode):
        service.validate_email(_other_code(code), token=token)
    service.validate_email(code, token=token)

    # new address: wrong current password, then validation by link token
    with pytest.raises(errors.InvalidInput):
        service.change_email(token, WRONG_PASSWORD, NEW_ADDRESS, NEW_ADDRESS)
    service.change_email(token, GOOD_PASSWORD, NEW_ADDRESS, NEW_ADDRESS)
    _, link = mailed()
    service.validate_email(link)

    # profile password change, then forgotten password: wrong code, code, link
    service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    service.forgot_password(letter.identifier)
    code, _ = mailed()
    with pytest.raises(errors.InvalidCode):
        service.reset_password(letter.identifier, _other_code(code), THIRD_PASSWORD, THIRD_PASSWORD)
    service.reset_password(letter.identifier, code, THIRD_PASSWORD, THIRD_PASSWORD)
    service.forgot_password(letter.identifier)
    _, link = mailed()
    service.reset_password(letter.identifier, link, OTHER_PASSWORD, OTHER_PASSWORD)
    with pytest.raises(errors.InvalidCode):
        service.reset_password(UNKNOWN_IDENTIFIER, code, THIRD_PASSWORD, THIRD_PASSWORD)
    service.forgot_identifier(NEW_ADDRESS)
    login = service.authenticate(letter.identifier, OTHER_PASSWORD)
    secrets.add(login.token)

    # mail that cannot leave (warning path of the logs): a server that reads each mail, then
    # refuses it, so the codes that never reached the student are known here too.
    sink = SmtpSink(refuse=True)
    sink.start()
    try:
        down = AccountService(service.settings, service.engine,
                              SmtpTransport("127.0.0.1", sink.port, security="none", timeout=5),
                              clock=clock, hasher=service.hasher)
        with pytest.raises(MailNotSent):
            down.forgot_identifier(NEW_ADDRESS)
        down.forgot_password(letter.identifier)
        assert down.change_email(login.token, OTHER_PASSWORD, JULIE, JULIE).mail_problem
        with pytest.raises(MailNotSent):
            down.clock.advance(seconds=61)  # one validation mail a minute at most
            down.resend_validation(login.token)
    finally:
        sink.stop()
    refused = [m.get_content() for m in sink.received]
    assert len(refused) == 4
    for body in refused[1:]:
        code = _code_in(body)
        secrets.update({code, tokens.normalize_code(code) or code, _link_in(body)})

    rows = _rows(service, AuditEvent)
    events = {r.event for r in rows}
    assert {"login.failed", "email.bad_code", "email.validated", "profile.bad_password", "password.changed",
            "password.bad_code", "password.reset", "recovery.identifier", "mail.failed"} <= events
    audit = "\n".join(json.dumps([r.event, r.identifier, r.actor, r.details], default=str) for r in rows)
    # Every record but those of the test's own SMTP server (aiosmtpd logs what it receives).
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in ours)
    assert "mail not sent" in logs  # the logs did capture the flows
    assert len(secrets) >= 20
    for secret in secrets:
        assert secret not in audit, f"secret in audit: {secret[:3]}…"
        assert secret not in logs, f"secret in logs: {secret[:3]}…"
