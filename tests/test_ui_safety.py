"""Kiosk safety found missing in review: the real idle timer, pasted escape sequences,
addresses shown as written, and a state folder that cannot be written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate, make_settings
from sqlalchemy import update
from sqlalchemy.orm import Session
from textual import events
from textual.widgets import Input
from ui_support import IdleClock, kiosk, screen_text, settle

from entkiosk.domain.clock import FixedClock
from entkiosk.runtime import open_service
from entkiosk.store.models import Account
from entkiosk.ui.screens.idle import IdleWarning
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.profile import ProfileScreen
from entkiosk.ui.screens.welcome import WelcomeScreen


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


@pytest.fixture
def quick(tmp_path: Path, db_url: str, clock: FixedClock):
    """A kiosk whose idle timeout is the shortest allowed (30 s), to watch the real timer."""
    settings = make_settings(db_url, tmp_path, kiosk={"idle_timeout": 30})
    svc = open_service(settings, clock=clock)
    yield svc
    svc.engine.dispose()


async def test_the_idle_timer_runs_by_itself(quick, tmp_path):
    """No test hook: the app's own one-second timer shows the countdown, then ends the session."""
    idle = IdleClock()
    async with kiosk(quick.settings, quick, tmp_path, idle=idle) as (app, pilot):
        await app.push_screen(LoginScreen())
        app.screen.query_one("#identifier", Input).value = "julie.baillet"
        idle.advance(25)
        await pilot.pause(1.3)
        assert isinstance(app.screen, IdleWarning)
        idle.advance(10)
        await pilot.pause(1.3)
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert "julie.baillet" not in screen_text(app)


async def test_pasted_escape_sequences_never_reach_a_field(service, tmp_path):
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        await app.push_screen(LoginScreen())
        await pilot.pause()
        field = app.screen.query_one("#identifier", Input)
        field.focus()
        field.post_message(events.Paste("julie\x1b]52;c;Zm9v\x07.bail\x1b[31mlet"))
        await pilot.pause()
        assert field.value == "julie]52;c;Zm9v.bail[31mlet"
        assert "\x1b" not in field.value and "\x07" not in field.value


async def test_addresses_are_shown_as_written(service, letter, tmp_path):
    """An address holding markup and an escape sequence (put there behind the service's back)
    is displayed literally on the profile, never styled or sent to the terminal."""
    activate(service, letter)
    odd = "[b]zoe[/b]\x1b[31m@example.org"
    with Session(service.engine) as s, s.begin():
        s.execute(update(Account).where(Account.identifier == letter.identifier)
                  .values(email=odd, pending_email="[i]new[/i]@example.org"))
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        app.open_session(service.authenticate(letter.identifier, GOOD_PASSWORD))
        await settle(app, pilot)
        await app.push_screen(ProfileScreen())
        await settle(app, pilot)
        text = screen_text(app)
        assert "[b]zoe[/b]\\x1b[31m@example.org" in text
        assert "[i]new[/i]@example.org" in text


async def test_a_state_folder_that_cannot_be_written_does_not_crash(service, tmp_path):
    """« Changer de portail » with a read-only state file location: the kiosk goes on."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    from entkiosk.ui.app import make_app

    app = make_app(service.settings, service, blink=False, state_path=blocker / "state.json", idle_clock=IdleClock())
    app.memory.forget()  # must not raise
    app.memory.save("Lycées et collèges", "Élève")  # must not raise either
    assert app.memory.load() is None


def test_a_bug_goes_to_the_log_without_what_was_typed(service, tmp_path, capfd, caplog):
    """An unexpected error ends that run of the kiosk: nothing reaches the terminal, and the
    log names the frame and the exception's type, but neither a variable's value nor the
    exception's message (both hold what a student typed here)."""
    import logging

    from entkiosk.ui.app import KioskApp, make_app

    class Buggy(KioskApp):
        def on_ready(self) -> None:
            typed_password = "".join(["Vel", "o2ro", "ues"])  # not in the source the log quotes
            raise ValueError(typed_password)

    app = make_app(service.settings, service, blink=False, state_path=tmp_path / "state.json")
    app.__class__ = Buggy
    with caplog.at_level(logging.ERROR, logger="entkiosk.ui.crash"):
        app.run(headless=True, size=(80, 24))
    out, err = capfd.readouterr()
    assert app.return_code == 1
    assert "Traceback" not in out + err and "Velo2roues" not in out + err
    [record] = [r for r in caplog.records if r.name == "entkiosk.ui.crash"]
    logged = record.getMessage()
    assert "in on_ready" in logged and "ValueError" in logged
    assert "Velo2roues" not in logged


async def test_the_press_that_dismisses_the_countdown_clicks_nothing(service, letter, tmp_path):
    """The countdown covers a screen; the mouse press that dismisses it, and its release,
    leave the button under the pointer unpressed (as a key would), even when that button
    was the last one clicked."""
    idle = IdleClock()

    async def press_and_release(x: int, y: int) -> None:
        for kind in (events.MouseDown, events.MouseUp):
            app.post_message(kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))
            await pilot.pause()
        await settle(app, pilot)

    async with kiosk(service.settings, service, tmp_path, idle=idle) as (app, pilot):
        await app.push_screen(LoginScreen())
        await settle(app, pilot)
        login = app.screen
        x, y = login.query_one("#validate").region.center
        await press_and_release(x, y)  # a real click on VALIDER: the empty form is refused
        assert "Saisissez votre identifiant" in screen_text(app)
        login.query_one("#identifier", Input).value = "julie.baillet"
        login.query_one("#password", Input).value = "Faux9999x"
        await settle(app, pilot)
        idle.advance(service.settings.kiosk.idle_timeout - 5)
        await pilot.pause(1.3)
        assert isinstance(app.screen, IdleWarning)
        await press_and_release(x, y)
        assert app.screen is login
        assert "incorrect" not in screen_text(app)
        assert login.query_one("#password", Input).value == "Faux9999x"  # no refusal emptied it


async def test_a_notice_for_the_student_who_left_does_not_wait_for_the_next(service, tmp_path, monkeypatch):
    """« Vous avez refusé la charte… » on the accueil: still there while its reader moves
    around the accueil, gone once someone leaves the accueil and comes back, and gone by
    itself after a while."""
    notice = "Vous avez refusé la charte : vous êtes déconnecté(e)."
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        app.end_session(notice)
        await settle(app, pilot)
        assert "refusé la charte" in screen_text(app)
        await pilot.press("tab", "tab")
        await settle(app, pilot)
        assert "refusé la charte" in screen_text(app)
        await app.push_screen(LoginScreen())
        await settle(app, pilot)
        app.pop_screen()
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen) and "refusé la charte" not in screen_text(app)

        monkeypatch.setattr(WelcomeScreen, "NOTICE_SECONDS", 0.2)
        app.end_session(notice)
        await settle(app, pilot)
        for _ in range(50):  # gone by itself, however loaded the machine (5 s at most)
            await pilot.pause(0.1)
            if "refusé la charte" not in screen_text(app):
                break
        assert isinstance(app.screen, WelcomeScreen) and "refusé la charte" not in screen_text(app)


async def test_declining_the_charter_says_the_new_password_stays(service, letter, tmp_path):
    """Échap-free refusal of the charter: the accueil says the session ended and that the
    password chosen at the first connection is the one to use next time."""
    from conftest import GOOD_PASSWORD, activate
    from test_ui_kiosk import log_in, to_login
    from ui_support import submit, tab_to

    from entkiosk.ui.screens.charter import CharterScreen

    activate(service, letter, accept=False)
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert isinstance(app.screen, CharterScreen)
        await tab_to(app, pilot, "decline")
        await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = " ".join(screen_text(app).split())
        assert "Vous avez refusé la charte" in text and "Votre nouveau mot de passe reste valable" in text
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "charter"
