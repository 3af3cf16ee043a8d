"""« Journal d'audit » in the staff console: the events newest first, filtered by account,
class, kind and first day, a bad date said beside its field, and the selection exported to a
private CSV file whose path is shown."""

from __future__ import annotations

import stat
from pathlib import Path

from conftest import student
from test_ui_console import (  # noqa: F401 - the console's fixtures (one SQLite database, a staff account)
    STAFF,
    cells,
    db_url,
    open_console,
    press_button,
    settings,
    staff,
)
from textual.widgets import DataTable
from ui_support import field_error, kiosk, settle, shows, submit, tab_to, type_text

from entkiosk.config import Settings
from entkiosk.domain import errors
from entkiosk.service import AccountService


async def test_the_audit_reads_filters_and_exports(settings: Settings, service: AccountService, staff: str,
                                                   tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_audit import AuditScreen

    [julie] = service.import_class_list([student("Julie", "Baillet", cls="2nde 1")], actor="cli:secretariat")
    service.import_class_list([student("Zoé", "N'Diaye", cls="2nde 2")], actor="cli:secretariat")
    try:
        service.authenticate(julie.identifier, "pas le bon")
    except errors.DomainError:
        pass
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await press_button(app, pilot, "audit")
        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one("#audit-events", DataTable)
        rows = cells(table)
        assert rows[0][1:] == ["connexion", STAFF, ""]  # the staff login that opened this console, newest
        assert ["connexion refusée", julie.identifier, ""] in [r[1:] for r in rows]
        assert shows(app, f"{len(rows)} événements, du plus récent au plus ancien.")
        # One account: what is about Julie.
        await type_text(pilot, julie.identifier)
        await submit(app, pilot)
        await settle(app, pilot)
        assert [r[1:] for r in cells(table)] == [["connexion refusée", julie.identifier, ""]]
        # A bad first day: said beside the field, the list as it was.
        await tab_to(app, pilot, "since")
        await type_text(pilot, "31/02/2026")
        await submit(app, pilot)
        await settle(app, pilot)
        assert field_error(app, "since") == "Date « 31/02/2026 » invalide : JJ/MM/AAAA, par exemple 01/09/2026."
        assert len(cells(table)) == 1
        # Export of the selection (Julie's one event).
        await press_button(app, pilot, "export")
        await settle(app, pilot)
        [path] = sorted(settings.letters_folder().glob("journal-audit-*.csv"))
        said = str(app.screen.query_one("#audit-summary").render())
        assert said == f"1 événement exporté dans le fichier :\n{path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "date;événement;libellé;compte;par;poste;détails"
    assert len(lines) == 2 and ";login.failed;connexion refusée;julie.baillet;;" in lines[1]
