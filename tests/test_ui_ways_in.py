"""The portal and the login are built once and kept (``KioskApp.way_in``): every student
passes through them, and a screen built afresh each time cost three quarters of a
screen change. A kept screen must still look new to the next student: what was typed,
chosen or refused there is gone once it leaves the stack, and a login still under way
when the session ends opens nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate
from faults_support import SqliteWriteLock
from textual.widgets import Checkbox, Input, RadioSet
from ui_support import kiosk, screen_text, settle, submit, tab_to, type_text

from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.portal import PortalScreen
from entkiosk.ui.screens.welcome import WelcomeScreen

REFUSED = "Identifiant ou mot de passe incorrect"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


async def to_portal(app, pilot) -> PortalScreen:
    assert isinstance(app.screen, WelcomeScreen)
    await tab_to(app, pilot, "login")
    await submit(app, pilot)
    assert isinstance(app.screen, PortalScreen)
    return app.screen


async def to_login(app, pilot) -> LoginScreen:
    await to_portal(app, pilot)
    await tab_to(app, pilot, "validate")
    await submit(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    return app.screen


async def type_login(app, pilot, identifier: str, password: str) -> None:
    await tab_to(app, pilot, "identifier")
    await type_text(pilot, identifier)
    await pilot.press("tab")
    await type_text(pilot, password)


def inputs(screen) -> dict[str, str]:
    return {field.id: field.value for field in screen.query(Input)}


async def test_the_next_student_finds_the_login_blank(service: AccountService, letter: IssuedLetter,
                                                      tmp_path: Path) -> None:
    """A refused login, then Échap twice: the same screen, when the next student opens it,
    has no identifier, no password, no refusal, and the focus on « votre identifiant »."""
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        first = await to_login(app, pilot)
        await type_login(app, pilot, letter.identifier, "Mauvais1mot")
        await submit(app, pilot)
        assert REFUSED in screen_text(app)
        await type_text(pilot, "Moitie2")  # a password half typed again when the student leaves
        assert inputs(first)["password"] == "Moitie2"
        await submit(app, pilot, "escape")
        await submit(app, pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)
        assert inputs(first) == {"identifier": "", "password": ""}

        again = await to_login(app, pilot)
        assert again is first  # kept, not built again
        assert inputs(again) == {"identifier": "", "password": ""}
        text = screen_text(app)
        assert REFUSED not in text and letter.identifier not in text
        assert app.focused is again.query_one("#identifier")
        assert not again.busy


async def test_the_next_student_finds_the_portal_as_new(service: AccountService, tmp_path: Path) -> None:
    """Another profile chosen, « Mémoriser ce choix » ticked, the refusal of a profile this
    kiosk does not serve: none of it is there for the next student."""
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        portal = await to_portal(app, pilot)
        await tab_to(app, pilot, "profile")
        await pilot.press("down", "down", "down")  # Personnel de collectivité
        await tab_to(app, pilot, "remember")
        await pilot.press("space")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert "Ce poste ne sert que" in screen_text(app)
        assert portal.query_one("#profile", RadioSet).pressed_index == 3
        assert portal.query_one("#remember", Checkbox).value
        await submit(app, pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)

        again = await to_portal(app, pilot)
        assert again is portal
        assert again.query_one("#establishment", RadioSet).pressed_index == 0
        assert again.query_one("#profile", RadioSet).pressed_index == 0
        assert not again.query_one("#remember", Checkbox).value
        assert "Ce poste ne sert que" not in screen_text(app)
        assert app.focused is again.query_one("#establishment")
        # And the first choice is what VALIDER takes: the student login.
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen) and not app.screen.staff
        assert not (tmp_path / "state.json").exists()


async def test_a_login_under_way_when_the_session_ends_opens_nothing(service: AccountService, letter: IssuedLetter,
                                                                    tmp_path: Path) -> None:
    """The service is slow to answer (another kiosk holds the database's write lock) and
    the session ends meanwhile (the idle timeout, or ANNULER…): when the answer comes, it
    is dropped; the accueil stays and nobody is logged in."""
    activate(service, letter)
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        login = await to_login(app, pilot)
        await type_login(app, pilot, letter.identifier, GOOD_PASSWORD)
        lock = SqliteWriteLock(tmp_path / "kiosk.db").take()
        try:
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert login.busy  # the service waits for the lock
            app.end_session("Session terminée après une période d'inactivité : les informations saisies ont été effacées.")
            await pilot.pause(0.3)
            assert isinstance(app.screen, WelcomeScreen)
        finally:
            lock.release()
            lock.join()
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.session is None
        assert not any(isinstance(screen, HomeScreen) for screen in app.screen_stack)
        assert inputs(login) == {"identifier": "", "password": ""} and not login.busy


async def test_changer_de_portail_comes_and_goes_with_the_remembered_choice(service: AccountService,
                                                                          tmp_path: Path) -> None:
    """The kept login shows « Changer de portail » only while a choice is remembered."""
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        await to_portal(app, pilot)
        await tab_to(app, pilot, "remember")
        await pilot.press("space")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        login = app.screen
        assert isinstance(login, LoginScreen) and "Changer de portail" in screen_text(app)
        await tab_to(app, pilot, "change-portal")
        await submit(app, pilot)
        assert isinstance(app.screen, PortalScreen)
        assert not (tmp_path / "state.json").exists()
        assert not app.screen.query_one("#remember", Checkbox).value  # the choice was forgotten
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert app.screen is login
        assert "Changer de portail" not in screen_text(app)
        assert [screen for screen in app.screen_stack if isinstance(screen, PortalScreen)], "the portal is behind"


async def test_each_student_finds_their_own_name_at_home(service: AccountService, letter: IssuedLetter,
                                                         tmp_path: Path) -> None:
    """The home screen is kept too: Julie's name, her last login and the CONTACT box she
    opened are gone when she logs out, and Zoé, next, reads only her own."""
    from conftest import student

    zoe = service.import_class_list([student("Zoé", "Martin", line=3)], actor="cli:test")[0]
    activate(service, letter)
    activate(service, zoe)
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await type_login(app, pilot, letter.identifier, GOOD_PASSWORD)
        await submit(app, pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert "Bienvenue Julie" in screen_text(app) and "Dernière connexion le" in screen_text(app)
        await tab_to(app, pilot, "contact")
        await submit(app, pilot)
        assert "Tél :" in screen_text(app)
        await tab_to(app, pilot, "logout")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        kept = " ".join(str(widget.render()) for widget in home.query("Static"))
        assert "Julie" not in kept and "Tél :" not in kept and "Dernière connexion" not in kept

        await to_login(app, pilot)
        await type_login(app, pilot, zoe.identifier, GOOD_PASSWORD)
        await submit(app, pilot)
        assert app.screen is home
        text = screen_text(app)
        assert "Bienvenue Zoé" in text and "Julie" not in text and "Tél :" not in text
        assert app.focused is home.query_one("#account")
