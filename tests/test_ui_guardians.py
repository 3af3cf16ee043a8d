"""Legal guardians in the real console and the real kiosk: the classes' guardian counts, a
class's guardians, a guardian's card and letter by post, a teacher who sees the guardians of
their classes only, and a pupil who has the reset code sent to a guardian."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import GOOD_PASSWORD, OTHER_PASSWORD
from test_guardians import GUARDIANS, import_guardians, import_pupils
from test_ui_console import (  # noqa: F401 - the console's fixtures (one SQLite database, a staff account)
    STAFF,
    answer_confirmation,
    cells,
    db_url,
    finish_job,
    open_console,
    press_button,
    to_import,
    says,
    settings,
    staff,
)
from textual.widgets import DataTable
from ui_support import assert_nothing_cut, fill, kiosk, screen_text, settle, shows, submit, tab_to, tour

from entkiosk.config import Settings
from entkiosk.mail import OutboxTransport
from entkiosk.service import AccountService


async def test_the_console_counts_lists_and_prints_a_guardians_letter(settings: Settings, service: AccountService,
                                                                    staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_guardians import GuardianScreen, GuardiansScreen

    import_pupils(service)
    import_guardians(service)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        classes = app.screen.query_one("#classes", DataTable)
        assert [(row[0], row[-1]) for row in cells(classes)] == [("4A", "0/3"), ("4B", "0/2")]
        await pilot.press("enter")  # 4A
        await settle(app, pilot)
        await press_button(app, pilot, "guardians")
        await settle(app, pilot)
        assert isinstance(app.screen, GuardiansScreen)
        assert shows(app, "3 responsables légaux\u00a0: 0 activé, 3 en attente.")
        table = app.screen.query_one("#guardians", DataTable)
        assert [row[1] for row in cells(table)] == ["sophie.lemaire", "awa.ndiaye", "moussa.ndiaye"]
        assert cells(table)[0][2] == "Julie, Lucas"
        assert_nothing_cut(app)
        await tab_to(app, pilot, "guardians")
        await pilot.press("down", "enter")  # Awa
        await settle(app, pilot)
        assert isinstance(app.screen, GuardianScreen)
        assert shows(app, "Zoé NDIAYE (4A)\u00a0: en attente d'activation")
        assert shows(app, "12 RUE DES TILLEULS, 59000 LILLE")
        assert [w.id for w in await tour(app, pilot)] == ["letter", "back-button"]
        await press_button(app, pilot, "letter")
        await settle(app, pilot)
        assert says(app, "1 courrier à envoyer par la poste")
        await answer_confirmation(app, pilot, confirm=True)
        result = await finish_job(app, pilot)
        assert "envoyez-le par la poste" in result
        pdf = Path(re.search(r"(/\S+\.pdf)", result).group(1))
        assert pdf.is_file() and pdf.stat().st_mode & 0o077 == 0
        await settle(app, pilot)
        assert isinstance(app.screen, GuardiansScreen)  # back to the list, read again
    [event] = [e for e in service.audit_events() if e.event == "letters.issued"]
    assert (event.identifier, event.actor) == ("awa.ndiaye", STAFF)


async def test_a_teacher_sees_the_guardians_of_their_class(settings: Settings, service: AccountService,
                                                           tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_guardians import GuardiansScreen

    import_pupils(service)
    import_guardians(service)
    service.add_staff("m.durand", "Prof2durand2026", "Prof2durand2026", role="enseignant", classes=["4B"],
                      actor="cli:install")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        app.open_session(service.authenticate("m.durand", "Prof2durand2026", kind="staff"))
        await settle(app, pilot)
        assert [row[0] for row in cells(app.screen.query_one("#classes", DataTable))] == ["4B"]
        await pilot.press("enter")
        await settle(app, pilot)
        await press_button(app, pilot, "guardians")
        await settle(app, pilot)
        assert isinstance(app.screen, GuardiansScreen)
        assert [row[1] for row in cells(app.screen.query_one("#guardians", DataTable))] == [
            "claire.oeuvrard", "dogan.yildiz"]


async def test_a_pupil_has_the_code_sent_to_a_guardian_at_the_kiosk(settings: Settings, service: AccountService,
                                                                    tmp_path: Path) -> None:
    from entkiosk.ui.screens.forgot import ResetPasswordScreen
    from entkiosk.ui.screens.forgot import GuardianAskScreen

    outbox = OutboxTransport(settings.outbox_path())
    pupils = import_pupils(service)
    letters = import_guardians(service)
    login = service.authenticate("awa.ndiaye", letters["awa.ndiaye"].provisional_password, kind="parent")
    service.first_connection(login.token, birth_date="14/02/2012", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD, email="awa.ndiaye@example.org",
                             confirm_email="awa.ndiaye@example.org")
    code = re.search(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", outbox.entries()[-1].body, re.M).group(1)
    service.validate_email(code, token=login.token)
    zoe = service.authenticate("zoe.ndiaye", pupils["zoe.ndiaye"].provisional_password)
    service.first_connection(zoe.token, birth_date="14/02/2012", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await tab_to(app, pilot, "forgot-password")
        await submit(app, pilot)
        await press_button(app, pilot, "to-guardian")
        await settle(app, pilot)
        assert isinstance(app.screen, GuardianAskScreen)
        await fill(app, pilot, "identifier", "zoe.ndiaye")
        await tab_to(app, pilot, "birth_day")
        await pilot.press(*"14022012")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        await settle(app, pilot)
        assert shows(app, "Envoyer le code à Mme N.")
        assert "example.org" not in screen_text(app) and "Awa" not in screen_text(app)  # « Mme N. » only
        assert app.focused.id == "guardian-0"
        await submit(app, pilot)
        await settle(app, pilot)
        assert says(app, "Le code a été envoyé à Mme N. La référence de cette demande")
        service.wait_for_mail(10)
        mail = outbox.entries()[-1]
        assert mail.to == "awa.ndiaye@example.org" and "Zoé NDIAYE" in mail.body and "test-kiosk" in mail.body
        code = re.search(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", mail.body, re.M).group(1)
        await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, ResetPasswordScreen)
        await fill(app, pilot, "code", code)
        await fill(app, pilot, "new_password", OTHER_PASSWORD)
        await fill(app, pilot, "new_password_confirm", OTHER_PASSWORD)
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        await settle(app, pilot)
        assert says(app, "Votre mot de passe a été modifié avec succès")
    assert service.authenticate("zoe.ndiaye", OTHER_PASSWORD).identifier == "zoe.ndiaye"


async def test_the_console_imports_the_guardians_export(settings: Settings, service: AccountService, staff: str,
                                                        tmp_path: Path) -> None:
    """« Importer une liste » recognises the guardians' export: a preview (who gets an account,
    the contacts and the pupils not on file), then the accounts and one PDF of letters by post."""
    import_pupils(service)
    path = tmp_path / "ResponsablesAvecAdresses.zip"
    path.write_bytes(GUARDIANS)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_import(app, pilot, path)
        await settle(app, pilot)
        assert shows(app, "5 responsables légaux à créer, un courrier chacun à envoyer par la poste.")
        assert shows(app, "1 autre contact (pas responsable légal)\u00a0: pas de compte.")
        table = app.screen.query_one("#preview-guardians", DataTable)
        assert cells(table)[2] == ["Mme LEMAIRE Sophie", "Julie, Lucas", "sophie.lemaire"]
        assert app.focused.id == "import"
        assert_nothing_cut(app)
        await submit(app, pilot)
        result = await finish_job(app, pilot)
        assert "5 courriers enregistrés dans le fichier" in result and "par la poste" in result
    assert len(service.guardians()) == 5
