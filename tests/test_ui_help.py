"""The supervised session acts, and a recovery without e-mail approved by an adult (issue 15,
points 2, 3 and 6) — with the real live view, and the pupil's kiosk as the real installed
command in a pseudo-terminal on the same database."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import activate, student
from test_ui_console import (  # noqa: F401 - the console's fixtures (one SQLite database, a staff account)
    cells,
    console_settings,
    db_url,
    lock_out,
    open_class,
    press_button,
    says,
    settings,
)
from textual.widgets import DataTable
from ui_support import fill, kiosk, settle, shows, submit, type_text

from entkiosk.config import Settings
from entkiosk.service import AccountService

TEACHER = "prof.durand"
TEACHER_PASSWORD = "Gomme4cahiers26"
NEW_PASSWORD = "Velo2roues"
CODE = re.compile(r"Demande n°\s([0-9A-Z]{3}-[0-9A-Z]{3})")


def _teacher(service: AccountService) -> None:
    service.add_staff(TEACHER, TEACHER_PASSWORD, TEACHER_PASSWORD, role="enseignant", classes=["3A"],
                      actor="cli:install")


async def _open_live(app, pilot, service: AccountService) -> None:
    from entkiosk.ui.screens.live_session import LiveSessionScreen

    app.open_session(service.authenticate(TEACHER, TEACHER_PASSWORD, kind="staff"))
    await settle(app, pilot)
    await open_class(app, pilot, "3A")
    await press_button(app, pilot, "live")
    assert isinstance(app.screen, LiveSessionScreen)
    await settle(app, pilot)


async def _type_password(app, pilot, password: str) -> None:
    from entkiosk.ui.screens.staff_help import PasswordCheckScreen

    assert isinstance(app.screen, PasswordCheckScreen)
    assert shows(app, f"Cette action se fait au nom de {TEACHER}.")
    await type_text(pilot, password)
    await submit(app, pilot)
    await settle(app, pilot)


async def test_the_live_view_unlocks_and_prints_after_the_teachers_password(
        settings: Settings, service: AccountService, clock, tmp_path: Path) -> None:
    from entkiosk.ui.screens.live_session import LiveSessionScreen
    from entkiosk.ui.screens.staff_actions import ConfirmScreen, JobScreen

    julie, zoe = service.import_class_list([student("Julie", "Baillet", cls="3A"),
                                            student("Zoé", "N'Diaye", cls="3A")], actor="cli:seed")
    _teacher(service)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await _open_live(app, pilot, service)
        clock.advance(minutes=5)  # the login no longer covers the actions
        lock_out(service, julie.identifier)
        app.screen.refresh_now()
        await settle(app, pilot)
        missing = app.screen.query_one("#live-missing", DataTable)
        assert [r[1:] for r in cells(missing)] == [[julie.identifier, "Bloqué (trop d'essais)"],
                                                   [zoe.identifier, "Pas encore activé"]]
        await pilot.press("d")  # Julie, under the cursor
        await settle(app, pilot)
        await _type_password(app, pilot, "pas le mien 1")
        assert says(app, "Mot de passe incorrect.")
        assert [s.locked for s in service.class_students("3A")] == [True, False]  # nothing done
        await fill(app, pilot, "password", TEACHER_PASSWORD)
        await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, LiveSessionScreen)
        assert shows(app, f"Compte {julie.identifier} débloqué : la connexion est de nouveau possible.")
        assert [s.locked for s in service.class_students("3A")] == [False, False]

        # Within five minutes: the next action asks nothing but its confirmation (a letter voids the last one).
        await pilot.press("down", "c")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await press_button(app, pilot, "confirm")
        await settle(app, pilot)
        assert isinstance(app.screen, JobScreen)
        [pdf] = list(settings.letters_folder().glob("*.pdf"))
        assert says(app, f"1 courrier enregistré dans le fichier : {pdf}")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LiveSessionScreen)

        # Five minutes later, the password again.
        clock.advance(minutes=5)
        lock_out(service, zoe.identifier)
        app.screen.refresh_now()
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        await _type_password(app, pilot, TEACHER_PASSWORD)
        assert shows(app, f"Compte {zoe.identifier} débloqué")
    events = [(e.event, e.identifier, e.actor) for e in service.audit_events() if e.actor == TEACHER]
    assert events == [("staff.confirmed", TEACHER, TEACHER), ("staff.unlock", julie.identifier, TEACHER),
                      ("letters.issued", zoe.identifier, TEACHER), ("staff.confirmed", TEACHER, TEACHER),
                      ("staff.unlock", zoe.identifier, TEACHER)]
    # The wrong password typed first counted as a failed login of the teacher's account.
    assert [e.event for e in service.audit_events() if e.event == "staff.confirm_failed"] == ["staff.confirm_failed"]


async def test_a_recovery_approved_end_to_end_between_two_kiosks(tmp_path: Path) -> None:
    """The pupil at the installed kiosk (a pty) asks without e-mail and waits; the teacher's
    live view (another app on the same database) shows the request, the teacher approves it
    with the pupil's name; the pupil's kiosk moves on to the new password by itself."""
    from pty_support import Terminal, installed_command, newcomer_env
    from test_cli import write_conf

    db_url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    conf.write_text(conf.read_text(encoding="utf-8") + "live_refresh = 0.5\n", encoding="utf-8")
    settings = console_settings(db_url, tmp_path)
    from entkiosk.runtime import open_service

    service = open_service(settings)
    [julie] = service.import_class_list([student("Julie", "Baillet", cls="3A")], actor="cli:seed")
    activate(service, julie)
    _teacher(service)
    env = dict(newcomer_env(tmp_path / "home"), ENTKIOSK_CONFIG=str(conf))
    with Terminal([str(installed_command())], env=env, cwd=tmp_path) as pupil:
        pupil.wait_for("ACCUEIL", "Mot de passe oublié")
        pupil.press("tab", "tab", "enter")
        pupil.wait_for("Mot de passe oublié", "Je n'ai pas d'adresse mail")
        pupil.press("tab", "tab", "tab", "enter")
        pupil.wait_for("Un adulte de l'établissement", "votre date de naissance*")
        pupil.type(julie.identifier)
        pupil.press("tab")
        pupil.type("14032010")
        pupil.press("enter")
        screen = pupil.wait_for("Demande en attente", "BAILLET Julie — classe 3A")
        code = CODE.search(screen.replace("\n", " ")).group(1)

        async with kiosk(settings, service, tmp_path) as (app, pilot):
            await _open_live(app, pilot, service)
            requests = app.screen.query_one("#live-requests", DataTable)
            assert [r[:2] for r in cells(requests)] == [[code, "BAILLET Julie"]]
            assert shows(app, "1 demande sans adresse mail (A pour approuver) :")
            await pilot.press("a")  # just logged in: no password asked yet
            await settle(app, pilot)
            assert app.focused.id == "pupil"
            await type_text(pilot, "Zoé N'Diaye")  # not the pupil of this request
            await submit(app, pilot)
            await settle(app, pilot)
            assert says(app, f"Ce n'est pas l'élève de la demande {code}")
            assert "Demande en attente" in pupil.text()
            app.screen.query_one("#pupil").value = ""
            await fill(app, pilot, "pupil", "baillet julie")
            await submit(app, pilot)
            await settle(app, pilot)
            assert shows(app, f"Demande {code} approuvée : BAILLET Julie choisit maintenant son mot de passe")

        pupil.wait_for("Votre nouveau mot de passe", f"{code} approuvée")
        pupil.type(NEW_PASSWORD)
        pupil.press("tab")
        pupil.type(NEW_PASSWORD)
        pupil.press("enter")
        pupil.wait_for("Votre mot de passe a été modifié avec succès")
    assert service.authenticate(julie.identifier, NEW_PASSWORD).next_step == "home"
    [approved] = [e for e in service.audit_events() if e.event == "recovery.help_approved"]
    assert (approved.identifier, approved.actor, approved.details["code"]) == (julie.identifier, TEACHER, code)
    service.engine.dispose()


async def test_an_expired_request_ends_on_the_pupils_kiosk(settings: Settings, service: AccountService, clock,
                                                         tmp_path: Path) -> None:
    from entkiosk.ui.screens.help import HelpWaitScreen

    [julie] = service.import_class_list([student("Julie", "Baillet", cls="3A")], actor="cli:seed")
    activate(service, julie)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        from entkiosk.ui.screens.help import HelpAskScreen

        app.push_screen(HelpAskScreen())
        await settle(app, pilot)
        await type_text(pilot, julie.identifier)
        await pilot.press("tab")
        await type_text(pilot, "14032010")
        await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, HelpWaitScreen)
        assert shows(app, "BAILLET Julie — classe 3A")
        assert app.screen.KEEPS_AWAKE
        clock.advance(minutes=15)
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert shows(app, "Cette demande a expiré sans être approuvée.")
    assert [r.identifier for r in service.help_requests(actor="cli:t")] == []


async def test_a_request_code_typed_in_the_consoles_search_opens_its_approval(
        settings: Settings, service: AccountService, tmp_path: Path) -> None:
    """The console's « Retrouver une demande » field takes a 13-digit reference; the six
    characters of a request « sans adresse mail » typed there lead to its approval."""
    from entkiosk.ui.screens.staff_help import ApproveScreen

    [julie] = service.import_class_list([student("Julie", "Baillet", cls="3A")], actor="cli:seed")
    activate(service, julie)
    _teacher(service)
    ticket = service.ask_for_help(julie.identifier, "14/03/2010")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        app.open_session(service.authenticate(TEACHER, TEACHER_PASSWORD, kind="staff"))
        await settle(app, pilot)
        assert says(app, f"1 demande sans adresse mail en attente : {ticket.code} BAILLET Julie (3A).")
        await fill(app, pilot, "reference", ticket.code.lower())
        await submit(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, ApproveScreen) and app.focused.id == "pupil"
        await type_text(pilot, "Julie Baillet")
        await submit(app, pilot)
        await settle(app, pilot)
        assert not isinstance(app.screen, ApproveScreen)
    assert service.help_state(ticket.token) == "approved"
