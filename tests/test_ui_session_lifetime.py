"""A pupil's session at the kiosk ends 30 minutes after the login however busy it is kept
(issue 19, point 2; ASVS 7.3.2): the real app, its service on a fixed clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate
from ui_support import IdleClock, kiosk, settle, shows, submit

from entkiosk.domain.clock import FixedClock
from entkiosk.service import AccountService, IssuedLetter


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


async def test_a_pupil_kept_busy_past_thirty_minutes_is_sent_back_to_the_accueil(
        service: AccountService, letter: IssuedLetter, clock: FixedClock, tmp_path: Path) -> None:
    """A pupil who keeps going between MON COMPTE and the home screen (each visit reads the
    account: the session is never idle) is sent back to the accueil, with the expiry
    message, at the first visit past 30 minutes after the login."""
    from entkiosk.ui.screens.home import HomeScreen
    from entkiosk.ui.screens.profile import ProfileScreen
    from entkiosk.ui.screens.welcome import WelcomeScreen

    activate(service, letter)
    async with kiosk(service.settings, service, tmp_path, idle=IdleClock()) as (app, pilot):
        app.open_session(service.authenticate(letter.identifier, GOOD_PASSWORD))
        await settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        for minutes in (10, 10, 9):  # 29 minutes after the login, the last use 9 minutes ago
            clock.advance(minutes=minutes)
            await submit(app, pilot)  # MON COMPTE
            assert isinstance(app.screen, ProfileScreen)
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, HomeScreen)
        clock.advance(minutes=2)  # 31 minutes after the login, 2 since the last use
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.session is None
        assert shows(app, "Votre session a expiré. Veuillez vous connecter à nouveau.")
