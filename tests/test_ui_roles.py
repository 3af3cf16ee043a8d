"""Roles in the real console (issue 15, point 1): a teacher's console shows their classes
and nothing else of the school; the direction manages staff accounts from « Personnel »."""

from __future__ import annotations

from pathlib import Path

from conftest import student
from test_ui_console import (  # noqa: F401 - the console's fixtures (one SQLite database, a staff account)
    STAFF,
    STAFF_PASSWORD,
    cells,
    db_url,
    open_console,
    press_button,
    says,
    settings,
    staff,
)
from textual.widgets import DataTable
from ui_support import fill, kiosk, settle, shows, submit, tab_to, tour

from entkiosk.config import Settings
from entkiosk.domain.roles import Role
from entkiosk.service import AccountService

TEACHER_PASSWORD = "Prof2durand2026"


def _school(service: AccountService) -> None:
    service.import_class_list([student("Julie", "Baillet", cls="3A"), student("Paul", "Martin", cls="3B"),
                               student("Léa", "Roux", cls="4C")], actor="cli:seed")


async def test_a_teachers_console_shows_their_classes_only(settings: Settings, service: AccountService,
                                                           tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_class import ClassScreen
    from entkiosk.ui.screens.staff_student import StudentScreen

    _school(service)
    service.add_staff("m.durand", TEACHER_PASSWORD, TEACHER_PASSWORD, role="enseignant", classes=["3A", "4C"],
                      actor="cli:install")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        app.open_session(service.authenticate("m.durand", TEACHER_PASSWORD, kind="staff"))
        await settle(app, pilot)
        table = app.screen.query_one("#classes", DataTable)
        assert [row[0] for row in cells(table)] == ["3A", "4C"]
        assert shows(app, "2 classes, 2 élèves")
        stops = [w.id for w in await tour(app, pilot)]
        assert stops == ["classes", "reference", "approve", "close", "logout"]  # no import, update, audit, staff…
        await pilot.press("enter")  # opens 3A
        await settle(app, pilot)
        assert isinstance(app.screen, ClassScreen)
        assert {w.id for w in await tour(app, pilot)} == {"search", "students", "live", "letters", "group", "guardians",
                                                           "back-button"}
        await tab_to(app, pilot, "students")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StudentScreen)
        assert [w.id for w in await tour(app, pilot)] == ["letter", "back-button"]  # a letter, no reset


async def test_the_direction_adds_a_teacher_then_disables_them(settings: Settings, service: AccountService,
                                                               staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_actions import ConfirmScreen
    from entkiosk.ui.screens.staff_team import StaffMemberScreen, TeamScreen

    _school(service)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await press_button(app, pilot, "team")
        assert isinstance(app.screen, TeamScreen)
        await settle(app, pilot)
        assert cells(app.screen.query_one("#team", DataTable)) == [[STAFF, "", "Direction", "", "actif"]]
        await press_button(app, pilot, "team-add")
        assert isinstance(app.screen, StaffMemberScreen)
        await fill(app, pilot, "identifier", "m.durand")
        await fill(app, pilot, "last_name", "Durand")
        await fill(app, pilot, "classes", "3a, 5E")  # a class that does not exist
        await fill(app, pilot, "password", TEACHER_PASSWORD)
        await fill(app, pilot, "confirm", TEACHER_PASSWORD)
        await press_button(app, pilot, "save")
        await settle(app, pilot)
        assert isinstance(app.screen, StaffMemberScreen)
        assert shows(app, "Classe inconnue : 5E (classes de l'établissement : 3A, 3B, 4C).")
        assert [v.identifier for v in service.staff_accounts()] == [STAFF]
        await fill(app, pilot, "classes", "3a")
        await fill(app, pilot, "password", TEACHER_PASSWORD)
        await fill(app, pilot, "confirm", TEACHER_PASSWORD)
        await press_button(app, pilot, "save")
        await settle(app, pilot)
        assert isinstance(app.screen, TeamScreen)
        await settle(app, pilot)
        rows = cells(app.screen.query_one("#team", DataTable))
        assert ["m.durand", "Durand", "Enseignant", "3A", "actif"] in rows
        table = app.screen.query_one("#team", DataTable)
        table.focus()
        table.move_cursor(row=[r[0] for r in rows].index("m.durand"))
        await press_button(app, pilot, "team-toggle")
        assert isinstance(app.screen, ConfirmScreen)
        await press_button(app, pilot, "confirm")
        await settle(app, pilot)
        assert ["m.durand", "Durand", "Enseignant", "3A", "désactivé le 01/09/2026"] in cells(
            app.screen.query_one("#team", DataTable))
    [view] = [v for v in service.staff_accounts() if v.identifier == "m.durand"]
    assert (view.role, view.classes, view.active) == (Role.TEACHER, ("3A",), False)
    [added] = [e for e in service.audit_events() if e.event == "staff.added" and e.identifier == "m.durand"]
    assert added.actor == STAFF and added.details == {"role": "enseignant", "classes": ["3A"]}


async def test_the_last_direction_account_cannot_be_disabled_from_the_console(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_team import TeamScreen

    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await press_button(app, pilot, "team")
        await settle(app, pilot)
        await press_button(app, pilot, "team-toggle")
        await press_button(app, pilot, "confirm")
        await settle(app, pilot)
        assert isinstance(app.screen, TeamScreen)
        assert says(app, "C'est le dernier compte actif de la direction")
    assert [v.active for v in service.staff_accounts()] == [True]
    assert service.authenticate(STAFF, STAFF_PASSWORD, kind="staff").role == Role.DIRECTION


async def test_submit_on_a_member_changes_the_role(settings: Settings, service: AccountService, staff: str,
                                                   tmp_path: Path) -> None:
    """Entrée on a row opens the account; the role chosen with the arrows is saved."""
    from entkiosk.ui.screens.staff_team import StaffMemberScreen, TeamScreen

    _school(service)
    service.add_staff("m.durand", TEACHER_PASSWORD, TEACHER_PASSWORD, role="enseignant", classes=["3A"],
                      actor="cli:install")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await press_button(app, pilot, "team")
        await settle(app, pilot)
        await tab_to(app, pilot, "team")
        rows = [r[0] for r in cells(app.screen.query_one("#team", DataTable))]
        app.screen.query_one("#team", DataTable).move_cursor(row=rows.index("m.durand"))
        await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, StaffMemberScreen)
        assert app.focused.id == "role"
        await pilot.press("down")  # Enseignant → Secrétariat
        await settle(app, pilot)
        assert shows(app, "Secrétariat : les comptes de toutes les classes")
        await press_button(app, pilot, "save")
        await settle(app, pilot)
        assert isinstance(app.screen, TeamScreen)
    [view] = [v for v in service.staff_accounts() if v.identifier == "m.durand"]
    assert (view.role, view.classes) == (Role.SECRETARIAT, ())
