"""The console with SIECLE's exports: « Importer une liste » takes the export (zip), names the
school and the pupils it leaves out; « Mise à jour SIECLE » previews the new school year,
grouped, writes nothing until APPLIQUER, then applies it and writes the newcomers' letters."""

from __future__ import annotations

from pathlib import Path

from siecle_support import first_year, pupils_xml, pupils_zip, second_year
from test_ui_console import (  # noqa: F401 - the console's fixtures (one SQLite database, a staff account)
    audited,
    cells,
    finish_job,
    letter_files,
    new_letter_file,
    open_console,
    press_button,
    answer_confirmation,
    printed,
    says,
    settings,
    db_url,
    staff,
    to_import,
)
from textual.widgets import Button, DataTable
from ui_support import kiosk, settle, shows, submit, type_text

from entkiosk.config import Settings
from entkiosk.service import AccountService


async def test_console_imports_the_siecle_zip(settings: Settings, service: AccountService, staff: str,
                                              tmp_path: Path) -> None:
    export = tmp_path / "ExportXML_ElevesSansAdresses.zip"
    export.write_bytes(pupils_zip(pupils_xml(first_year())))
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_import(app, pilot, export)
        assert shows(app, "Export XML de SIECLE (ElevesSansAdresses) de l'établissement 0599999Z.")
        assert shows(app, "1 élève sorti (date de sortie dans SIECLE) : pas de compte.")
        assert shows(app, "Sans division dans SIECLE, pas encore de compte : élève 4108 (ROUX Inès).")
        assert shows(app, "6 élève(s) à créer dans 2 classe(s) : 4A (3), 4B (3).")
        table = app.screen.query_one("#preview-pupils", DataTable)
        assert cells(table)[:2] == [["NDIAYE Zoé", "14/02/2012", "4A", "zoe.ndiaye"],
                                    ["MARTIN Lucas", "03/05/2012", "4A", "lucas.martin"]]
        assert not app.screen.query_one("#preview-rows", DataTable).display
        await submit(app, pilot)
        said = await finish_job(app, pilot)
        assert said.startswith("6 courriers enregistrés dans 2 fichiers, un par classe")
    with service.engine.connect() as c:
        from sqlalchemy import select

        from entkiosk.store.models import Account
        assert dict(c.execute(select(Account.identifier, Account.eleve_id)).all())["agca.yildiz"] == "4105"


async def test_console_bad_siecle_records_are_named(settings: Settings, service: AccountService, staff: str,
                                                    tmp_path: Path) -> None:
    pupils = first_year()
    pupils[1].born = "31/02/2012"
    export = tmp_path / "ElevesSansAdresses.xml"
    export.write_bytes(pupils_xml(pupils))
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_import(app, pilot, export)
        assert shows(app, "1 élève refusé : aucun élève ne sera importé. Corrigez-le dans SIECLE, exportez à nouveau, "
                          "puis relancez l'aperçu.")
        table = app.screen.query_one("#preview-bad-pupils", DataTable)
        assert cells(table) == [["élève 4102 (MARTIN Lucas)", "la date de naissance « 31/02/2012 » n'existe pas"]]
        assert app.focused is table and not app.screen.query_one("#import", Button).display
    assert service.class_students() == []


async def to_sync(app, pilot, path: Path) -> None:
    from entkiosk.ui.screens.staff_sync import SyncScreen

    await press_button(app, pilot, "sync")
    assert isinstance(app.screen, SyncScreen)
    assert app.focused.id == "path"
    await type_text(pilot, str(path))
    await submit(app, pilot)


async def test_console_yearly_update_preview_then_apply(settings: Settings, service: AccountService, staff: str,
                                                       tmp_path: Path) -> None:
    first = service.preview_class_list(pupils_zip(pupils_xml(first_year())))
    service.import_class_list(first.rows, actor="cli:seed", uaj=first.uaj)
    export = tmp_path / "ElevesSansAdresses.xml"
    export.write_bytes(pupils_xml(second_year(), year="2027"))
    before = {st.identifier: st.class_name for st in service.class_students()}
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_sync(app, pilot, export)
        assert shows(app, "Export SIECLE de l'établissement 0599999Z, année 2027-2028 : 3 nouveaux élèves, "
                          "4 changements de classe, 1 départ, 0 retour, 1 nom corrigé, 0 élève inchangé, 1 INE reçu. Vérifiez, "
                          "puis appliquez (les courriers des nouveaux élèves iront dans un PDF à imprimer).")
        changes = cells(app.screen.query_one("#sync-changes", DataTable))
        assert changes[0] == ["Nouvel élève", "ROUX Inès", "ines.roux", "3A"]
        assert ["Classe", "NDIAYE Zoé", "zoe.ndiaye", "4A → 3A"] in changes
        assert ["Départ", "BAILLET Julie", "julie.baillet1", "4B, absent de l'export"] in changes
        assert ["Nom corrigé", "ŒUVRARD Çécile", "cecile.oeuvrard", "→ ŒUVRARD-LEROY Çécile"] in changes
        assert {st.identifier: st.class_name for st in service.class_students()} == before  # nothing written
        assert app.focused.id == "apply"
        files = letter_files(settings)
        await submit(app, pilot)
        # Asked first, with ANNULER focused: a second Entrée changes nothing.
        assert says(app, "Appliquer la mise à jour annuelle") and says(app, "1 compte sera fermé aussitôt.")
        await answer_confirmation(app, pilot, confirm=False)
        assert {st.identifier: st.class_name for st in service.class_students()} == before
        await submit(app, pilot)
        await answer_confirmation(app, pilot, confirm=True)
        said = await finish_job(app, pilot)
        assert said.startswith("Mise à jour appliquée : 3 nouveaux élèves, 4 changements de classe, 1 départ")
        assert "3 courriers enregistrés dans 2 fichiers, un par classe" in said
        await settle(app, pilot)
        from entkiosk.ui.screens.staff import StaffScreen
        assert isinstance(app.screen, StaffScreen)
    written = [p for p in letter_files(settings) if p not in files]
    assert sorted(ident for p in written for ident in printed(p)) == ["ines.roux", "julie.baillet2", "nathan.lefebvre"]
    now = {st.identifier: (st.class_name, st.state) for st in service.class_students()}
    assert now["zoe.ndiaye"] == ("3A", "waiting") and now["julie.baillet1"] == ("4B", "left")
    assert [e.identifier for e in audited(service, "sync.left")] == ["julie.baillet1"]


async def test_console_yearly_update_refuses_another_school_and_a_csv(settings: Settings, service: AccountService,
                                                                      staff: str, tmp_path: Path) -> None:
    first = service.preview_class_list(pupils_zip(pupils_xml(first_year())))
    service.import_class_list(first.rows, actor="cli:seed", uaj=first.uaj)
    other = tmp_path / "autre.xml"
    other.write_bytes(pupils_xml(second_year(), uaj="0591234A"))
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_sync(app, pilot, other)
        assert shows(app, "Cet export SIECLE est celui de l'établissement 0591234A, et ce kiosque sert l'établissement "
                          "0599999Z")
        assert not app.screen.query_one("#apply", Button).display
    assert audited(service, "sync.applied") == []


async def test_a_leaver_at_the_kiosk_is_told_the_account_is_closed(settings: Settings, service: AccountService,
                                                                   tmp_path: Path) -> None:
    from test_ui_kiosk import log_in, to_login

    from entkiosk.ui.screens.login import LoginScreen

    first = service.preview_class_list(pupils_zip(pupils_xml(first_year())))
    letters = {l.identifier: l for l in service.import_class_list(first.rows, actor="cli:seed", uaj=first.uaj)}
    service.apply_update(pupils_xml([p for p in first_year() if p.eleve_id != "4101"]), actor="cli:seed")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, "zoe.ndiaye", letters["zoe.ndiaye"].provisional_password)
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, "Ce compte est fermé : votre scolarité dans l'établissement est terminée. Si vous y êtes de "
                          "retour, adressez-vous au secrétariat.")


async def test_a_leavers_card_says_when_and_offers_nothing(settings: Settings, service: AccountService, staff: str,
                                                           tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_student import StudentScreen

    first = service.preview_class_list(pupils_zip(pupils_xml(first_year())))
    service.import_class_list(first.rows, actor="cli:seed", uaj=first.uaj)
    service.apply_update(pupils_xml([p for p in first_year() if p.eleve_id != "4101"]), actor="cli:seed")
    [zoe] = [st for st in service.class_students("4A") if st.identifier == "zoe.ndiaye"]
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        app.push_screen(StudentScreen(zoe))
        await settle(app, pilot)
        assert shows(app, "Sorti") and shows(app, "Départ le") and shows(app, "(sauf retour avant)")
        assert [b.id for b in app.screen.query(Button)] == ["back-button"]
