"""Brute force: lockout thresholds and growing delays that never tell whether an identifier exists."""

from __future__ import annotations

from datetime import UTC, datetime

import argon2
import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate
from sqlalchemy import select

from entkiosk.domain import errors
from entkiosk.store.models import Throttle


def _fail(service, identifier, times):
    """``times`` wrong passwords; returns the errors raised."""
    raised = []
    for _ in range(times):
        with pytest.raises((errors.AuthenticationFailed, errors.Locked)) as err:
            service.authenticate(identifier, "Wrong9999x")
        raised.append(err.value)
    return raised


@pytest.mark.parametrize("identifier", ["julie.baillet", "nobody.here"])
def test_fifth_failure_locks_for_one_minute_known_or_unknown(service, letter, clock, identifier):
    raised = _fail(service, identifier, 5)
    assert all(isinstance(e, errors.AuthenticationFailed) for e in raised[:4])
    assert isinstance(raised[4], errors.Locked) and raised[4].seconds == 60
    # While locked, even the right password is refused with the lockout message.
    with pytest.raises(errors.Locked) as err:
        service.authenticate(identifier, letter.provisional_password)
    assert "1 minute" in str(err.value)
    clock.advance(seconds=59)
    with pytest.raises(errors.Locked):
        service.authenticate(identifier, letter.provisional_password)
    clock.advance(seconds=1)
    if identifier == letter.identifier:
        assert service.authenticate(identifier, letter.provisional_password).next_step == "first_connection"
    else:
        with pytest.raises(errors.AuthenticationFailed):
            service.authenticate(identifier, letter.provisional_password)


def test_four_failures_do_not_lock_and_success_resets_count(service, letter):
    _fail(service, letter.identifier, 4)
    service.authenticate(letter.identifier, letter.provisional_password)
    raised = _fail(service, letter.identifier, 4)
    assert all(isinstance(e, errors.AuthenticationFailed) for e in raised)


def test_delays_double_and_cap_at_fifteen_minutes(service, letter, clock):
    seen = []
    for _ in range(6):
        raised = _fail(service, letter.identifier, 5)
        assert isinstance(raised[-1], errors.Locked)
        seen.append(raised[-1].seconds)
        clock.advance(seconds=raised[-1].seconds)
    assert seen == [60, 120, 240, 480, 900, 900]


def test_same_message_for_known_and_unknown_identifier(service, letter):
    with pytest.raises(errors.AuthenticationFailed) as known:
        service.authenticate(letter.identifier, "Wrong9999x")
    with pytest.raises(errors.AuthenticationFailed) as unknown:
        service.authenticate("personne.inconnue", "Wrong9999x")
    assert str(known.value) == str(unknown.value) == "Identifiant ou mot de passe incorrect."


def test_failures_forgotten_after_a_day(service, letter, clock):
    _fail(service, letter.identifier, 4)
    clock.advance(hours=25)
    raised = _fail(service, letter.identifier, 4)
    assert all(isinstance(e, errors.AuthenticationFailed) for e in raised)


def test_staff_unlock_lifts_lockout(service, letter):
    _fail(service, letter.identifier, 5)
    service.unlock(letter.identifier, actor="staff:test")
    assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"
    events = [e.event for e in service.audit_events()]
    assert "lockout" in events and "staff.unlock" in events
    assert [e.actor for e in service.audit_events() if e.event == "staff.unlock"] == ["staff:test"]


def test_lockout_is_per_identifier(service, letter):
    _fail(service, "someone.else", 5)
    assert service.authenticate(letter.identifier, letter.provisional_password)


def test_wrong_current_password_in_profile_counts_toward_lockout(service, letter):
    token = activate(service, letter)
    for _ in range(4):
        with pytest.raises(errors.InvalidInput):
            service.change_password(token, "Wrong9999x", "Train4wagons", "Train4wagons")
    with pytest.raises(errors.Locked):
        service.change_password(token, "Wrong9999x", "Train4wagons", "Train4wagons")
    with pytest.raises(errors.Locked):
        service.authenticate(letter.identifier, GOOD_PASSWORD)


def test_identifier_typed_with_spaces_and_capitals_is_the_same(service, letter):
    assert service.authenticate("  Julie.BAILLET ", letter.provisional_password).identifier == "julie.baillet"


def test_audit_of_unknown_identifier_keeps_no_typed_text(service):
    typed = "Velo2roues"  # a student who typed a password in the identifier field
    with pytest.raises(errors.AuthenticationFailed):
        service.authenticate(typed, "whatever1")
    for event in service.audit_events():
        assert typed.lower() not in repr((event.identifier, event.details))
        assert "whatever1" not in repr((event.identifier, event.details))


# ---------------------------------------------------------------- a guess is counted before it is judged


def _throttle(service, scope, typed):
    with service.core.tx() as s:
        row = s.scalar(select(Throttle).where(Throttle.key == service.core.lockout.key(scope, typed)))
        return None if row is None else (row.failures, row.level, row.locked_until is not None)


def test_a_guess_counts_before_argon2_judges_it(service, letter, monkeypatch):
    """The failure is counted before the verification: a kiosk that dies while argon2
    runs (here argon2-cffi itself fails) leaves the guess counted, never free."""
    def dies(self, hash, password):  # noqa: A002 - argon2-cffi's own signature
        raise MemoryError("the kiosk dies while argon2 runs")

    monkeypatch.setattr(argon2.PasswordHasher, "verify", dies)
    with pytest.raises(MemoryError):
        service.authenticate(letter.identifier, "Wrong9999x")
    assert _throttle(service, "login", letter.identifier) == (1, 0, False)


def test_the_right_password_on_the_locking_try_gives_the_lock_back(service, letter):
    """4 wrong current passwords in the profile, then the right one: the fifth try, whose
    reservation locked the identifier, is given back — no lockout, the 4 failures stay
    (the profile does not reset them), and the next wrong one locks."""
    token = activate(service, letter)
    for _ in range(4):
        with pytest.raises(errors.InvalidInput):
            service.change_password(token, "Wrong9999x", OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD).password_changed
    assert _throttle(service, "login", letter.identifier) == (4, 0, False)
    assert "lockout" not in [e.event for e in service.audit_events()]
    with pytest.raises(errors.Locked):
        service.change_password(token, "Wrong9999x", GOOD_PASSWORD, GOOD_PASSWORD)


def test_a_refusal_after_the_right_password_never_counts(service, letter, clock):
    """The right provisional password of an expired letter, six times: always « expired »,
    never the lockout (each try was reserved, and given back when the guess proved right)."""
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    for _ in range(6):
        with pytest.raises(errors.AccountExpired):
            service.authenticate(letter.identifier, letter.provisional_password)
    assert _throttle(service, "login", letter.identifier) is None


def test_a_wrong_birth_date_when_mailing_a_guardian_counts_at_once(service, letter):
    """« Envoyer le code à un responsable légal » with a wrong birth date: the guardian
    refusal, at once, and counted (the fifth locks). It used to count in a transaction
    opened inside the use case's own, which on SQLite waited for its write lock: 15 s,
    then « service indisponible », and nothing counted."""
    for _ in range(4):
        with pytest.raises(errors.DomainError, match="Impossible d'envoyer le code à un responsable"):
            service.mail_code_to_guardian(letter.identifier, "01/01/2001", 0)
    with pytest.raises(errors.Locked):
        service.mail_code_to_guardian(letter.identifier, "01/01/2001", 0)
    assert [e.event for e in service.audit_events()].count("recovery.guardian_refused") == 5
