"""Kiosk safety: the idle countdown, keys that must do nothing, plain text, no clipboard.

A student must not be able to quit, suspend or open anything; only a staff login
closes the kiosk. Names and texts from the database or the configuration are shown
as they are written (markup and terminal escape sequences included, never obeyed).
Nothing one student typed or copied reaches the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate, make_settings, student
from rich.style import Style
from textual.command import CommandPalette
from textual.widgets import DataTable, Input
from ui_support import (
    IdleClock,
    fill,
    kiosk,
    rendered,
    screen_content,
    screen_text,
    settle,
    shows,
    submit,
    tab_to,
    tour,
    type_text,
    value,
)

from entkiosk.config import Settings
from entkiosk.domain.clock import FixedClock
from entkiosk.domain.errors import SessionExpired
from entkiosk.runtime import open_service
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.app import IDLE_WARNING
from entkiosk.ui.screens.demo import DemoLettersScreen
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.idle import IdleWarning
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.staff import StaffScreen
from entkiosk.ui.screens.welcome import WelcomeScreen

STAFF_PASSWORD = "Prof2martin2026"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


async def to_login(app, pilot, *, staff: bool = False) -> None:
    """Accueil → Se connecter → portal → Élève (or Personnel de l'Éducation Nationale) → VALIDER."""
    assert isinstance(app.screen, WelcomeScreen)
    await submit(app, pilot)
    await pilot.press("tab")
    if staff:
        await pilot.press("down", "down")
    await tab_to(app, pilot, "validate")
    await submit(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    assert app.screen.staff is staff


async def log_in(app, pilot, identifier: str, password: str) -> None:
    await tab_to(app, pilot, "identifier")
    await type_text(pilot, identifier)
    await pilot.press("tab")
    await type_text(pilot, password)
    await submit(app, pilot)


def typed_anywhere(app) -> list[str]:
    """Every non-empty input of every screen still in the app."""
    return [w.value for screen in app.screen_stack for w in screen.query(Input) if w.value]


# ------------------------------------------------------------------ idle timeout


async def test_idle_countdown_then_the_session_ends(settings: Settings, service: AccountService,
                                                    letter: IssuedLetter, tmp_path: Path) -> None:
    activate(service, letter)
    idle = IdleClock()
    timeout = settings.kiosk.idle_timeout
    async with kiosk(settings, service, tmp_path, idle=idle) as (app, pilot):
        # Nobody there: the accueil just waits.
        idle.advance(timeout * 5)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)

        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert isinstance(app.screen, HomeScreen)
        token = app.token
        await submit(app, pilot)  # MON COMPTE
        await fill(app, pilot, "email", "julie@example.org")

        # Ten seconds before the end: the countdown, over the screen.
        idle.advance(timeout - IDLE_WARNING)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, IdleWarning)
        assert "Êtes-vous toujours là ?" in screen_content(app)
        assert f"la session se termine dans {IDLE_WARNING} secondes" in screen_content(app)
        idle.advance(7)
        app.check_inactivity()
        await pilot.pause()
        assert "la session se termine dans 3 secondes" in screen_content(app)

        # A key keeps the session, and does nothing else (no letter typed, no Échap).
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, IdleWarning)
        assert value(app, "email") == "julie@example.org"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        service.account(token)  # still open

        # The countdown again, and this time nobody answers.
        idle.advance(timeout - IDLE_WARNING)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, IdleWarning)
        idle.advance(IDLE_WARNING)
        app.check_inactivity()
        await settle(app, pilot)

        # A fresh accueil, nothing of the student left, the session revoked.
        assert isinstance(app.screen, WelcomeScreen)
        assert len(app.screen_stack) == 2  # Textual's default screen, then the accueil
        assert app.session is None
        assert typed_anywhere(app) == []
        assert shows(app, "Session terminée après une période d'inactivité")
        with pytest.raises(SessionExpired):
            service.account(token)

        # Typing resets the clock: a form being filled is never cut short.
        await to_login(app, pilot)
        await type_text(pilot, "julie")
        idle.advance(timeout - IDLE_WARNING - 1)
        await pilot.press("ctrl+u")
        idle.advance(timeout - IDLE_WARNING - 1)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)


# ------------------------------------------------------------------ keys that do nothing


FORBIDDEN = ["ctrl+q", "ctrl+c", "ctrl+p", "ctrl+z", "ctrl+backslash", "f1", "ctrl+s", "ctrl+d"]


async def test_no_key_quits_or_opens_anything(settings: Settings, service: AccountService, letter: IssuedLetter,
                                              tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        for where in ("accueil", "login field"):
            screen, focused = app.screen, app.focused
            for key in FORBIDDEN:
                await pilot.press(key)
                await pilot.pause()
                assert app.is_running, key
                assert app.screen is screen, key
                assert app.focused is focused, key
                assert not any(isinstance(s, CommandPalette) for s in app.screen_stack), key
                assert app.return_code is None, key
            if where == "accueil":
                await to_login(app, pilot)
                await type_text(pilot, "julie")
        assert value(app, "identifier") == "julie"


async def test_only_a_staff_login_closes_the_kiosk(settings: Settings, service: AccountService,
                                                   tmp_path: Path) -> None:
    service.add_staff("prof.test", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:t")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        # A student password does not open the staff side, nor the reverse.
        await to_login(app, pilot, staff=True)
        assert shows(app, "Personnel de l'Éducation Nationale — authentification")
        await tour(app, pilot)
        await log_in(app, pilot, "prof.test", STAFF_PASSWORD)
        assert isinstance(app.screen, StaffScreen)
        assert shows(app, "Connecté(e) : prof.test")
        stops = await tour(app, pilot)
        assert {w.id for w in stops} == {"classes", "reference", "import", "sync", "add", "close", "force-all", "audit", "team", "approve", "logout"}
        token = app.token

        await tab_to(app, pilot, "close")
        await pilot.press("enter")
        await pilot.pause()
        # A confirmation first; ANNULER (focused) keeps the kiosk running.
        assert shows(app, "Le programme du kiosque s'arrête sur ce poste")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, StaffScreen)
        service.staff_member(token)
        await tab_to(app, pilot, "close")
        await pilot.press("enter")
        await pilot.pause()
        await tab_to(app, pilot, "confirm")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert not app.is_running
    assert app.return_code == 0
    with pytest.raises(SessionExpired):
        service.account(token)


async def test_a_student_cannot_use_the_staff_login(settings: Settings, service: AccountService,
                                                    letter: IssuedLetter, tmp_path: Path) -> None:
    activate(service, letter)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot, staff=True)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, "Identifiant ou mot de passe incorrect.")


# ------------------------------------------------------------------ plain text


ESC = "\x1b[31m"
NAME = "Zoé [b]N'Diaye[/b]"


@pytest.fixture
def odd_settings(db_url: str, tmp_path: Path) -> Settings:
    """Markup and a terminal escape sequence where the configuration reaches the screen."""
    return make_settings(
        db_url, tmp_path,
        establishment={"name": f"Lycée [i]Test[/i] {ESC}", "message": f"Réunion {ESC}demain[/] [b]8h[/b]"},
        services={"list": [f"[b]Pronote[/b] {ESC}rouge", "Notes"]},
    )


@pytest.fixture
def odd_service(odd_settings: Settings, clock: FixedClock) -> Iterator[AccountService]:
    svc = open_service(odd_settings, clock=clock)
    yield svc
    svc.engine.dispose()


def styles_of(app, text: str) -> set[Style]:
    """The styles of the cells showing ``text`` on one line of the terminal."""
    for strip in rendered(app):
        line = strip.text
        start = line.find(text)
        if start < 0:
            continue
        found: set[Style] = set()
        x = 0
        for segment in strip:
            if segment.control:
                continue
            end = x + len(segment.text)
            if end > start and x < start + len(text):
                found.add(segment.style)
            x = end
        return found
    raise AssertionError(f"{text!r} is not on screen:\n{screen_text(app)}")


async def test_names_and_settings_are_shown_literally(odd_settings: Settings, odd_service: AccountService,
                                                      tmp_path: Path) -> None:
    letter = odd_service.import_class_list([student(NAME, f"N'Diaye{ESC}")], actor="cli:test")[0]
    assert letter.identifier == "zoe-bn-diayeb.n-diaye31m"
    activate(odd_service, letter)
    async with kiosk(odd_settings, odd_service, tmp_path, demo_letters=[letter]) as (app, pilot):
        assert shows(app, "Lycée [i]Test[/i] \\x1b[31m")

        # The demo letters (names from the class list) as they were written.
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, DemoLettersScreen)
        assert shows(app, NAME)
        row = [str(cell) for cell in app.screen.query_one(DataTable).get_row_at(0)]
        # Shown literally; at 80 columns the end of this long name gives way (« … »).
        assert row[3].startswith(f"{NAME} N'")
        await tour(app, pilot)
        await pilot.press("escape")
        await pilot.pause()

        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert isinstance(app.screen, HomeScreen)
        assert shows(app, f"Bienvenue {NAME}")
        assert shows(app, "Réunion \\x1b[31mdemain[/] [b]8h[/b]")
        assert shows(app, "[b]Pronote[/b] \\x1b[31mrouge")
        await tour(app, pilot)

        # Written out, and not obeyed: no escape byte reaches the terminal, no change of style.
        assert not any("\x1b" in segment.text for strip in rendered(app) for segment in strip)
        assert len(styles_of(app, f"Bienvenue {NAME}")) == 1
        assert len(styles_of(app, "Réunion \\x1b[31mdemain[/] [b]8h[/b]")) == 1
        assert len(styles_of(app, "[b]Pronote[/b] \\x1b[31mrouge")) == 1
        (style,) = styles_of(app, "[b]8h[/b]")
        assert not style.bold

        # CONTACT: the establishment's details, written out too.
        await tab_to(app, pilot, "contact")
        await submit(app, pilot)
        assert shows(app, "Lycée [i]Test[/i] \\x1b[31m")


# ------------------------------------------------------------------ the clipboard


async def test_a_password_typed_in_one_session_cannot_be_pasted_in_the_next(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path) -> None:
    activate(service, letter)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await type_text(pilot, letter.identifier)
        await pilot.press("tab")
        await type_text(pilot, GOOD_PASSWORD)

        # Select all, copy, cut: nothing leaves a password field (and it keeps its text).
        for keys in (["ctrl+shift+a", "ctrl+c"], ["shift+home", "ctrl+c"], ["ctrl+shift+a", "ctrl+x"]):
            await pilot.press(*keys)
            await pilot.pause()
            assert app.clipboard == ""
        assert value(app, "password") == GOOD_PASSWORD

        # Nor from a plain field: the kiosk copies nothing anywhere.
        await pilot.press("shift+tab")
        await pilot.press("ctrl+shift+a", "ctrl+c")
        assert app.clipboard == ""
        await pilot.press("end", "ctrl+v")
        assert value(app, "identifier") == letter.identifier

        # Log in, then out (SE DÉCONNECTER).
        await tab_to(app, pilot, "password")
        await submit(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        await tab_to(app, pilot, "logout")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)

        # The next student: Ctrl+V pastes nothing.
        await to_login(app, pilot)
        assert app.focused.id == "identifier"
        await pilot.press("ctrl+v")
        await pilot.pause()
        assert value(app, "identifier") == ""
        assert app.clipboard == ""
        assert typed_anywhere(app) == []


# ------------------------------------------------------------------ layout


async def test_a_long_home_page_scrolls_and_cuts_nothing(db_url: str, tmp_path: Path, clock: FixedClock) -> None:
    services = [f"Service numéro {i} de l'établissement" for i in range(25)]
    settings = make_settings(db_url, tmp_path, services={"list": services},
                             establishment={"message": "Un long message de l'établissement. " * 8})
    service = open_service(settings, clock=clock)
    try:
        letter = service.import_class_list([student()], actor="cli:test")[0]
        activate(service, letter)
        async with kiosk(settings, service, tmp_path) as (app, pilot):
            await to_login(app, pilot)
            await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
            assert isinstance(app.screen, HomeScreen)
            assert not shows(app, services[-1])
            stops = await tour(app, pilot)
            assert [w.id for w in stops] == ["account", "contact", "logout", "body"]
            await tab_to(app, pilot, "body")
            await pilot.press("end")
            await pilot.pause()
            assert shows(app, services[-1])
            await pilot.press("pageup", "pageup", "pageup")
            await pilot.pause()
            assert shows(app, "Bienvenue Julie")
    finally:
        service.engine.dispose()


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 50)])
async def test_forms_at_several_sizes(settings: Settings, service: AccountService, letter: IssuedLetter,
                                      tmp_path: Path, size: tuple[int, int]) -> None:
    """Every stop of the first forms is on screen and nothing is cut, whatever the terminal."""
    async with kiosk(settings, service, tmp_path, size=size) as (app, pilot):
        await tour(app, pilot)
        await to_login(app, pilot)
        await tour(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        await tour(app, pilot)
        await submit(app, pilot)  # every error at once
        await tour(app, pilot)
