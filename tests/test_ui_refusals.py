"""Refusals at the login: an expired letter, a locked account, an unknown identifier.

The lockout message is the same whether the identifier exists or not, and the right
password does not get through while the lock lasts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import activate
from ui_support import kiosk, settle, shows, submit, tab_to, tour, type_text, value

from entkiosk.config import Settings
from entkiosk.domain.clock import FixedClock
from entkiosk.domain.errors import BAD_CREDENTIALS, AccountExpired, Locked
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.screens.first_connection import FirstConnectionScreen
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.message import MessageScreen
from entkiosk.ui.screens.welcome import WelcomeScreen

LOCKED = str(Locked(60))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


async def to_login(app, pilot) -> None:
    """Accueil → Se connecter → portal (Lycées et collèges / Élève) → VALIDER."""
    assert isinstance(app.screen, WelcomeScreen)
    await submit(app, pilot)
    await tab_to(app, pilot, "validate")
    await submit(app, pilot)
    assert isinstance(app.screen, LoginScreen)


async def attempt(app, pilot, identifier: str, password: str) -> None:
    """Retype both fields (the identifier is kept after a refusal: select it and type over it)."""
    await tab_to(app, pilot, "identifier")
    await pilot.press("ctrl+u", "end", "ctrl+u")
    await type_text(pilot, identifier)
    await pilot.press("tab")
    await type_text(pilot, password)
    await submit(app, pilot)


async def test_expired_letter(settings: Settings, service: AccountService, letter: IssuedLetter,
                              clock: FixedClock, tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        # The kiosk purged at start-up (nothing was expired then); three months and a day later:
        clock.advance(days=93)
        await to_login(app, pilot)
        await attempt(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, MessageScreen)
        assert shows(app, str(AccountExpired(settings.accounts.activation_months)))
        assert shows(app, "Compte expiré")
        await tour(app, pilot)
        assert app.session is None

        # VALIDER (or Échap) goes back to the login, the password emptied.
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert value(app, "password") == ""


async def test_expired_letter_purged_at_start_is_just_unknown(
        settings: Settings, service: AccountService, letter: IssuedLetter, clock: FixedClock,
        tmp_path: Path) -> None:
    """Started after the deadline, the kiosk deletes the account first: the login no longer knows it."""
    clock.advance(days=93)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await attempt(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, BAD_CREDENTIALS)


@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
async def test_lockout_after_five_failures(settings: Settings, service: AccountService, letter: IssuedLetter,
                                           clock: FixedClock, tmp_path: Path, known: bool) -> None:
    activate(service, letter)
    identifier = letter.identifier if known else "personne.inconnue"
    threshold = settings.accounts.lockout_threshold
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        for _ in range(threshold - 1):
            await attempt(app, pilot, identifier, "Mauvais1pass")
            assert shows(app, BAD_CREDENTIALS)
            assert value(app, "identifier") == identifier and value(app, "password") == ""
        await attempt(app, pilot, identifier, "Mauvais1pass")
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, LOCKED)
        await tour(app, pilot)

        # Locked: even the right password is refused, with the same message.
        await attempt(app, pilot, identifier, "Velo2roues")
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, LOCKED)

        if known:
            # Once the lock is over, the right password opens the account.
            clock.advance(minutes=2)
            await attempt(app, pilot, identifier, "Velo2roues")
            assert isinstance(app.screen, HomeScreen)


async def test_wrong_birth_dates_lock_the_first_connection(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path) -> None:
    """A wrong birth date counts as a failed login: the fifth one locks, and says so."""
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await attempt(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, FirstConnectionScreen)
        for _ in range(settings.accounts.lockout_threshold):
            await tab_to(app, pilot, "birth_day")
            await type_text(pilot, "01012001")
            await tab_to(app, pilot, "new_password")
            await type_text(pilot, "Velo2roues")
            await pilot.press("tab")
            await type_text(pilot, "Velo2roues")
            await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, FirstConnectionScreen)
        assert shows(app, LOCKED)


async def test_a_refusal_leaves_the_focus_on_valider(settings: Settings, service: AccountService,
                                                     letter: IssuedLetter, tmp_path: Path) -> None:
    """VALIDER pressed with Entrée: after the refusal the focus never slides to the next button
    (where Entrée would do something else): it goes to the password the refusal emptied, where
    what the student types next lands and Entrée validates again."""
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await type_text(pilot, letter.identifier)
        await pilot.press("tab")
        await type_text(pilot, "Mauvais1pass")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert shows(app, BAD_CREDENTIALS)
        assert app.focused.id == "password"
        assert value(app, "password") == "" and value(app, "identifier") == letter.identifier
