"""How long a session lives (issue 19, point 2; ASVS 7.3.2): besides the idle timeout, an
absolute lifetime — a pupil's visit (30 minutes), a staff member's working day (8 hours, a
supervised session lasting a lesson) — however busy the session is kept; and a disabled
staff account ends its sessions wherever it was disabled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from entkiosk.domain import errors
from entkiosk.domain.clock import FixedClock
from entkiosk.service import AccountService
from entkiosk.store.models import Account

from conftest import activate, student

STAFF_PASSWORD = "Craie7tableau2026"
EXPIRED = "Votre session a expiré. Veuillez vous connecter à nouveau."


def _busy(clock: FixedClock, service: AccountService, use, *, until: timedelta, step: timedelta) -> None:
    """Use the session every ``step`` (well within the idle timeout) until ``until`` after its login."""
    elapsed = timedelta()
    while elapsed + step <= until:
        clock.advance(seconds=step.total_seconds())
        elapsed += step
        use()


def test_a_staff_session_kept_busy_ends_after_eight_hours(service: AccountService, clock: FixedClock):
    """A supervised session reads the database every few seconds: it outlives a pupil's 30
    minutes and a lesson, but not the working day."""
    service.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    token = service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff").token
    accounts = service.settings.accounts
    assert (accounts.session_max_age, accounts.staff_session_max_age) == (1800, 8 * 3600)
    _busy(clock, service, lambda: service.staff_member(token), until=timedelta(hours=8), step=timedelta(minutes=20))
    clock.advance(seconds=1)
    with pytest.raises(errors.SessionExpired) as refused:
        service.staff_member(token)
    assert str(refused.value) == EXPIRED


def test_a_disabled_staff_account_ends_its_sessions_even_when_nothing_revoked_them(service: AccountService):
    """Whatever disables a staff account (here an administrator's SQL, which revokes nothing),
    its open sessions end at their next use: the session check reads the account."""
    service.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    service.add_staff("mme.durand", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    token = service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff").token
    other = service.authenticate("mme.durand", STAFF_PASSWORD, kind="staff").token
    with service.core.tx() as s:
        s.execute(update(Account).where(Account.identifier == "prof.martin").values(disabled_at=service.clock.now()))
    with pytest.raises(errors.SessionExpired):
        service.staff_member(token)
    assert service.staff_member(other) == "mme.durand"  # another member's session goes on


def test_a_disabled_pupil_account_ends_its_sessions_at_their_next_use(service: AccountService):
    """The same for a pupil: the session check itself reads the account (staff use cases
    checked ``disabled_at`` on their own before; a pupil's screens only had the session)."""
    letter = service.import_class_list([student()], actor="cli:test")[0]
    token = activate(service, letter)
    service.account(token)  # live
    with service.core.tx() as s:
        s.execute(update(Account).where(Account.identifier == letter.identifier).values(disabled_at=service.clock.now()))
    with pytest.raises(errors.SessionExpired):
        service.account(token)
