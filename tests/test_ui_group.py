"""« Groupe » in the real console (issue 15, point 4): pupils ticked with Espace in two
classes, their letters in one PDF with the CSV of their identifiers beside it (no
password); an activated pupil in the group stops everything; a reset of the group."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import activate, student
from test_ui_console import (  # noqa: F401 - the console's fixtures (one SQLite database, a staff account)
    STAFF,
    cells,
    db_url,
    open_class,
    open_console,
    press_button,
    says,
    settings,
    staff,
)
from textual.widgets import DataTable
from ui_support import kiosk, settle, shows

from entkiosk.config import Settings
from entkiosk.domain import errors
from entkiosk.service import AccountService


async def _tick(app, pilot, class_name: str, identifiers: list[str]) -> None:
    """From the console: open the class, Espace on each pupil named, back."""
    await open_class(app, pilot, class_name)
    table = app.screen.query_one("#students", DataTable)
    for ident in identifiers:
        table.move_cursor(row=table.get_row_index(ident))
        await pilot.press("space")
        await settle(app, pilot)
    await pilot.press("escape")
    await settle(app, pilot)


async def test_a_group_across_classes_prints_one_pdf_and_the_identifiers(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from entkiosk.ui.screens.staff_class import ClassScreen
    from entkiosk.ui.screens.staff_group import GroupScreen

    julie, zoe, paul = service.import_class_list(
        [student("Julie", "Baillet", cls="3A"), student("Zoé", "N'Diaye", cls="3B", line=3),
         student("Paul", "Petit", cls="3B", line=4)], actor="cli:seed")
    activate(service, paul)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await _tick(app, pilot, "3A", [julie.identifier])
        await _tick(app, pilot, "3B", [zoe.identifier, paul.identifier, paul.identifier])  # Paul ticked, unticked
        await open_class(app, pilot, "3B")
        assert isinstance(app.screen, ClassScreen)
        assert ["✓ N'Diaye Zoé", zoe.identifier] == cells(app.screen.query_one("#students", DataTable))[0][:2]
        await press_button(app, pilot, "group")
        assert isinstance(app.screen, GroupScreen)
        assert [r[1:3] for r in cells(app.screen.query_one("#group", DataTable))] == [
            [julie.identifier, "3A"], [zoe.identifier, "3B"]]
        assert shows(app, "2 élèves cochés.")
        await press_button(app, pilot, "group-letters")
        await press_button(app, pilot, "confirm")
        await settle(app, pilot)
        [pdf] = list(settings.letters_folder().glob("*.pdf"))
        csv = pdf.with_suffix(".csv")
        assert says(app, f"2 courriers enregistrés dans le fichier : {pdf}")
        assert says(app, f"Identifiants (sans mot de passe) pour l'administrateur de l'ENT : {csv}")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, GroupScreen) and app.staff_group == {}
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages]
    assert len(texts) == 2 and julie.identifier in texts[0] and zoe.identifier in texts[1]
    lines = csv.read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[:4] for line in lines] == [["identifiant", "nom", "prénom", "classe"],
                                                      [julie.identifier, "Baillet", "Julie", "3A"],
                                                      [zoe.identifier, "N'Diaye", "Zoé", "3B"]]
    with pytest.raises(errors.AuthenticationFailed):  # the old letters no longer work
        service.authenticate(julie.identifier, julie.provisional_password)
    [event] = [e for e in service.audit_events() if e.event == "letters.issued" and e.identifier == zoe.identifier]
    assert event.actor == STAFF


async def test_an_activated_pupil_stops_the_groups_letters_and_a_reset_serves_them_all(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_group import GroupScreen

    julie, paul = service.import_class_list(
        [student("Julie", "Baillet", cls="3A"), student("Paul", "Petit", cls="3B", line=3)], actor="cli:seed")
    activate(service, paul)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await _tick(app, pilot, "3A", [julie.identifier])
        await _tick(app, pilot, "3B", [paul.identifier])
        await open_class(app, pilot, "3B")
        await press_button(app, pilot, "group")
        assert isinstance(app.screen, GroupScreen)
        await press_button(app, pilot, "group-letters")
        await press_button(app, pilot, "confirm")
        await settle(app, pilot)
        assert says(app, f"{paul.identifier} : compte(s) déjà activé(s)")
        assert list(settings.letters_folder().glob("*")) == []
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(app.staff_group) == 2  # nothing done: the group stays
        await press_button(app, pilot, "group-reset")
        await press_button(app, pilot, "confirm")
        await settle(app, pilot)
        assert says(app, "2 courriers enregistrés")
    assert {p.suffix for p in settings.letters_folder().iterdir()} == {".pdf", ".csv"}
    assert [s.state for s in service.class_students()] == ["waiting", "waiting"]


async def test_the_class_screen_taken_down_still_answers_which_keys_it_offers(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    """Échap on a class: Textual removes its list before the screen, and the footer may ask
    the screen's keys in between (a CI run crashed the kiosk with NoMatches there)."""
    service.import_class_list([student("Julie", "Baillet", cls="3A")], actor="cli:seed")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "3A")
        screen = app.screen
        offered = {binding.action for _node, binding, enabled, _tip in screen.active_bindings.values() if enabled}
        assert "tick" in offered  # the list has the focus: Espace ticks
        await screen.remove_children()  # what the taking down does first
        offered = {binding.action for _node, binding, enabled, _tip in screen.active_bindings.values() if enabled}
        assert "tick" not in offered
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is not screen
