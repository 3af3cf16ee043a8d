"""What every form of the kiosk does with a refusal, keyboard only.

After a refused form the focus is on the first field in error (in Tab order, even
when VALIDER had it), and each error line goes away as soon as its own field is
corrected, the others staying until then. A password emptied by the refusal keeps
its error: emptying is the kiosk's doing, not a correction. In the birth date,
Retour arrière in an empty part goes back into the previous one, so a wrong date
can be erased from the year to the day.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate
from test_ui_activation import log_in, to_login
from test_ui_console import STAFF, STAFF_PASSWORD
from ui_support import field_error, kiosk, settle, shows, submit, tab_to, type_text, value

from entkiosk.config import Settings
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.screens.base import KioskScreen
from entkiosk.ui.screens.first_connection import FirstConnectionScreen
from entkiosk.ui.screens.forgot import ForgotIdentifierScreen, ForgotPasswordScreen, ResetPasswordScreen
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.profile import ProfileScreen
from entkiosk.ui.screens.staff_add import AddStudentScreen
from entkiosk.ui.screens.staff_import import ImportScreen
from entkiosk.ui.screens.validate_email import ValidateEmailScreen


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


def errors(app) -> dict[str, str]:
    """The error lines shown beside the fields of the screen on top."""
    shown = {name: field_error(app, name) for name in app.screen.fields()}
    return {name: message for name, message in shown.items() if message}


# ------------------------------------------------------------------ PREMIÈRE CONNEXION


async def test_first_connection_errors_go_as_each_field_is_corrected(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, FirstConnectionScreen)

        # Everything empty, VALIDER pressed: the focus goes back to the first field in error.
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert set(errors(app)) == {"birth_date", "new_password"}
        assert app.focused.id == "birth_day"

        # One digit in the date: its error goes, the password's stays.
        await type_text(pilot, "1")
        await settle(app, pilot)
        assert set(errors(app)) == {"new_password"}

        # A password too short: refused, emptied, and its error is still there.
        await type_text(pilot, "4032010")
        await tab_to(app, pilot, "new_password")
        await type_text(pilot, "abc1")
        await pilot.press("tab")
        await type_text(pilot, "abc1")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert errors(app) == {"new_password": "Le mot de passe est trop court : 8 caractères minimum."}
        assert value(app, "new_password") == value(app, "new_password_confirm") == ""
        assert app.focused.id == "new_password"
        assert shows(app, "Le mot de passe est trop court : 8 caractères minimum.")

        # The student types again: the error goes with the first key.
        await type_text(pilot, "V")
        await settle(app, pilot)
        assert errors(app) == {}
        assert not shows(app, "trop court")


async def test_a_refusal_focuses_the_first_field_in_error_below_others(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path) -> None:
    """Only the confirmation is wrong: the focus goes there, past the fields that are right."""
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        await type_text(pilot, "14032010")
        await tab_to(app, pilot, "new_password")
        await type_text(pilot, GOOD_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, "Autre1chose")
        await tab_to(app, pilot, "email")
        await type_text(pilot, "julie@example.org")
        await pilot.press("tab")
        await type_text(pilot, "julie@example.org")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert errors(app) == {"new_password_confirm": "Les deux mots de passe saisis sont différents."}
        assert app.focused.id == "new_password"  # both were emptied: the first one first


# ------------------------------------------------------------------ the birth date


async def test_backspace_goes_back_through_the_birth_date(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        assert app.focused.id == "birth_day"
        await type_text(pilot, "01012009")
        assert app.focused.id == "birth_year"

        def date() -> tuple[str, str, str]:
            return value(app, "birth_day"), value(app, "birth_month"), value(app, "birth_year")

        # Four Retour arrière empty the year; the fifth goes back into the month, at its end.
        await pilot.press(*["backspace"] * 4)
        assert date() == ("01", "01", "") and app.focused.id == "birth_year"
        await pilot.press("backspace")
        assert app.focused.id == "birth_month" and date() == ("01", "01", "")
        await pilot.press("backspace")
        assert date() == ("01", "0", "")
        # A digit typed there completes the month and moves on, as when typing forward.
        await type_text(pilot, "3")
        assert date() == ("01", "03", "") and app.focused.id == "birth_year"

        # Erased whole, from the year to the day, without Maj+Tab.
        await pilot.press(*["backspace"] * 6)
        assert date() == ("", "", "") and app.focused.id == "birth_day"
        await pilot.press("backspace")  # nothing before the day: it stays
        assert app.focused.id == "birth_day"

        # And typed again at once, the right date this time.
        await type_text(pilot, "14032010")
        assert date() == ("14", "03", "2010")
        await tab_to(app, pilot, "new_password")
        await type_text(pilot, GOOD_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, GOOD_PASSWORD)
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert not isinstance(app.screen, FirstConnectionScreen)


# ------------------------------------------------------------------ every other form


def student_session(service: AccountService, letter: IssuedLetter):
    activate(service, letter)
    return service.authenticate(letter.identifier, GOOD_PASSWORD)


def staff_session(service: AccountService, letter: IssuedLetter):
    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    return service.authenticate(STAFF, STAFF_PASSWORD, kind="staff")


#: screen, the session it needs, its submit button, the first field in error when sent
#: empty (the focus goes to its input), the other fields then in error.
FORMS: dict[str, tuple[Callable[[], KioskScreen], Callable | None, str, str, str, set[str]]] = {
    "staff login": (lambda: LoginScreen(staff=True), None, "validate", "identifier", "identifier", {"password"}),
    "identifiant oublié": (ForgotIdentifierScreen, None, "validate", "email", "email", set()),
    "mot de passe oublié": (ForgotPasswordScreen, None, "validate", "identifier", "identifier", set()),
    "reset with code": (ResetPasswordScreen, None, "validate", "identifier", "identifier", {"code", "new_password"}),
    "validate e-mail": (ValidateEmailScreen, student_session, "validate", "code", "code", set()),
    "profile": (ProfileScreen, student_session, "save", "current_password", "current_password", set()),
    "ajouter un élève": (AddStudentScreen, staff_session, "create", "last_name", "last_name",
                         {"first_name", "birth_date", "class_name"}),
    "import": (ImportScreen, staff_session, "preview", "path", "path", set()),
}


@pytest.mark.parametrize("form", list(FORMS))
async def test_every_form_focuses_its_first_error_and_drops_it_when_corrected(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path, form: str) -> None:
    make, session, button, first, input_id, others = FORMS[form]
    login = session(service, letter) if session else None
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        if login is not None:
            app.open_session(login)
            await settle(app, pilot)
        app.push_screen(make())
        await settle(app, pilot)

        # Sent empty with its button: the first field in error has the focus, on screen.
        await tab_to(app, pilot, button)
        await submit(app, pilot)
        assert set(errors(app)) == {first, *others}, errors(app)
        assert app.focused.id == input_id
        await tab_to(app, pilot, input_id)  # (on screen: tab_to checks it without moving)

        # The first key in that field takes its error away, and only its error.
        await type_text(pilot, "x")
        await settle(app, pilot)
        assert set(errors(app)) == others
