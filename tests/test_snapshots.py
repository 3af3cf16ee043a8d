"""Snapshots of every kiosk screen and every error state, at 80×24.

Each picture is stable from run to run: a fixed clock, a seeded generator for the
secrets shown (provisional passwords, references), the cursor blink and animations
off, and a fixed idle clock. Each test's docstring says what the picture must show;
a snapshot is updated (``--snapshot-update``) only after looking at the report.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, START, activate, last_code, make_settings, open_test_service, student
from textual.pilot import Pilot
import ui_support

from entkiosk.domain.clock import FixedClock
from entkiosk.runtime import open_service
from entkiosk.service import AccountService
from entkiosk.ui.app import KioskApp, make_app

SIZE = (80, 24)
EMAIL = "julie.baillet@example.org"


class Frozen:
    """An idle clock that never moves: no countdown unless a test asks for one."""

    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pictures do not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'snap.db'}"


@pytest.fixture
def service(db_url: str, tmp_path: Path, request: pytest.FixtureRequest):
    settings = make_settings(db_url, tmp_path, guide={"url": "https://ent.example.org/guide-eleves/"},
                             establishment={"message": "Les conseils de classe du 2e trimestre ont lieu du 9 au 20 mars."})
    svc = open_test_service(settings, request, clock=FixedClock(START), rng=random.Random(20260901))
    yield svc
    svc.engine.dispose()


@pytest.fixture
def julie(service: AccountService):
    return service.import_class_list([student()], actor="cli:test")[0]


Steps = Callable[[Pilot], Awaitable[None]]


def kiosk(service: AccountService, tmp_path: Path, idle: Frozen | None = None) -> KioskApp:
    return make_app(service.settings, service, blink=False, state_path=tmp_path / "state.json",
                    idle_clock=idle or Frozen())


async def settle(pilot: Pilot) -> None:
    await ui_support.settle(pilot.app, pilot)


def steps(*actions: Callable[[Pilot], Awaitable[None] | None]) -> Steps:
    """``run_before`` for snap_compare: each action, then let workers finish."""

    async def run(pilot: Pilot) -> None:
        await settle(pilot)
        for action in actions:
            result = action(pilot)
            if result is not None:
                await result
            await settle(pilot)

    return run


def push(screen_factory: Callable[[], object]) -> Callable[[Pilot], Awaitable[None]]:
    async def action(pilot: Pilot) -> None:
        await pilot.app.push_screen(screen_factory())

    return action


def login_as(service: AccountService, identifier: str, password: str) -> Callable[[Pilot], None]:
    def action(pilot: Pilot) -> None:
        pilot.app.open_session(service.authenticate(identifier, password))

    return action


def fill(**values: str) -> Callable[[Pilot], None]:
    """Put text in fields by id (what the student typed), as the pilot tests do key by key."""

    def action(pilot: Pilot) -> None:
        from textual.widgets import Input

        for field_id, value in values.items():
            pilot.app.screen.query_one(f"#{field_id}", Input).value = value

    return action


def press(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    async def action(pilot: Pilot) -> None:
        await pilot.press(*keys)

    return action


def click(selector: str) -> Callable[[Pilot], Awaitable[None]]:
    async def action(pilot: Pilot) -> None:
        from textual.widgets import Button

        pilot.app.screen.query_one(selector, Button).press()
        await pilot.pause()

    return action


# ------------------------------------------------------------ 1. accueil and portal


def test_welcome(snap_compare, service, tmp_path):
    """Accueil: band ACCUEIL and the establishment, the welcome sentence, the menu
    (Se connecter focused, Identifiant oublié ?, Mot de passe oublié ?, J'ai reçu un code…,
    Guide mobile); no demo entry, no quit key in the footer."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps())


def test_portal_choice(snap_compare, service, tmp_path):
    """Portal choice of the guide: « Connectez-vous en fonction de votre établissement »,
    the five establishment types and five profiles (Lycées et collèges / Élève selected),
    « Mémoriser ce choix », Valider."""
    from entkiosk.ui.screens.portal import PortalScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(push(PortalScreen)))


def test_portal_choice_not_served(snap_compare, service, tmp_path):
    """Choosing « Personnel de collectivité » says plainly, in red, that this kiosk serves
    only the establishment's students, their legal guardians and its staff; the portal stays
    on screen."""
    from entkiosk.ui.screens.portal import PortalScreen

    async def choose_other(pilot: Pilot) -> None:
        from textual.widgets import RadioSet

        pilot.app.screen.query_one("#profile", RadioSet).focus()
        await pilot.press("down", "down", "down", "enter")

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(push(PortalScreen), choose_other, click("#validate")))


def test_guardian_login(snap_compare, service, tmp_path):
    """« Parent » leads to the legal guardians' login: their letter came by post."""
    from entkiosk.ui.screens.portal import PortalScreen

    async def choose_parent(pilot: Pilot) -> None:
        from textual.widgets import RadioSet

        pilot.app.screen.query_one("#profile", RadioSet).focus()
        await pilot.press("down", "enter")

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(push(PortalScreen), choose_parent))


# ------------------------------------------------------------ 2. login


def test_login(snap_compare, service, tmp_path):
    """SCOLARITÉ SERVICES authentication: the guide's welcome sentence, « votre identifiant »
    (placeholder « Saisissez un identifiant », focused), « votre mot de passe » (masked),
    VALIDER, and the two « oublié ? → » links; Entrée Valider and Échap Retour in the footer."""
    from entkiosk.ui.screens.login import LoginScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(push(LoginScreen)))


def test_login_refused(snap_compare, service, julie, tmp_path):
    """A wrong password: « Identifiant ou mot de passe incorrect. » in red; the identifier
    typed is kept, the password field is empty and has the cursor."""
    from entkiosk.ui.screens.login import LoginScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(LoginScreen), fill(identifier="julie.baillet", password="Mauvais123"), click("#validate")))


def themed(service: AccountService, tmp_path: Path, theme: str) -> KioskApp:
    """The kiosk with ``[kiosk] theme = theme``."""
    import msgspec

    settings = msgspec.structs.replace(service.settings,
                                       kiosk=msgspec.structs.replace(service.settings.kiosk, theme=theme))
    return make_app(settings, service, blink=False, state_path=tmp_path / "state.json", idle_clock=Frozen())


@pytest.mark.parametrize("theme", ["contraste", "ansi"])
def test_welcome_in_each_theme(snap_compare, service, tmp_path, theme):
    """The accueil in the high-contrast theme (black, white, yellow: the band and « Se connecter »
    black on yellow) and in the terminal's 16 colours; the focused entry is marked by more than
    its colour (bold, reversed) and F4 « Couleurs » is in the footer."""
    assert snap_compare(themed(service, tmp_path, theme), terminal_size=SIZE, run_before=steps())


@pytest.mark.parametrize("theme", ["contraste", "ansi"])
def test_login_refused_in_each_theme(snap_compare, service, julie, tmp_path, theme):
    """A refused login in each theme: the sentence « Identifiant ou mot de passe incorrect. »
    says it (not only its colour); the fields and VALIDER readable."""
    from entkiosk.ui.screens.login import LoginScreen

    assert snap_compare(themed(service, tmp_path, theme), terminal_size=SIZE, run_before=steps(
        push(LoginScreen), fill(identifier="julie.baillet", password="Mauvais123"), click("#validate")))


def test_login_locked(snap_compare, service, julie, tmp_path):
    """After five failures: « Trop de tentatives infructueuses. Réessayez dans 1 minute… »."""
    from entkiosk.domain.errors import DomainError
    from entkiosk.ui.screens.login import LoginScreen

    for _ in range(4):
        with pytest.raises(DomainError):
            service.authenticate("julie.baillet", "Mauvais123")
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(LoginScreen), fill(identifier="julie.baillet", password="Mauvais123"), click("#validate")))


def test_login_expired_letter(snap_compare, service, julie, tmp_path):
    """The provisional password after the deadline (midnight passed while the kiosk ran, so
    the start-up purge did not delete it yet): a page « Compte expiré » saying the 3-month
    delay is over and that the establishment can create the account again."""
    from entkiosk.ui.screens.login import LoginScreen

    def after_deadline(pilot: Pilot) -> None:
        service.clock.set(datetime(2026, 12, 3, 9, tzinfo=UTC))

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        after_deadline, push(LoginScreen), fill(identifier="julie.baillet", password=julie.provisional_password),
        click("#validate")))


# ------------------------------------------------------------ 3. first connection


def _first_connection(service, julie):
    return login_as(service, julie.identifier, julie.provisional_password)


def test_first_connection(snap_compare, service, julie, tmp_path):
    """PREMIÈRE CONNEXION — Vos informations: the identifier already filled (read-only,
    « Votre identifiant est déjà renseigné »), date de naissance* as jour / mois / année
    with the day focused, nouveau mot de passe* with the guide's rule."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(_first_connection(service, julie)))


def test_first_connection_wrong_birth_date(snap_compare, service, julie, tmp_path):
    """A wrong birth date: « La date de naissance ne correspond pas à ce compte. » under the
    date fields, which keep what was typed; the password fields are emptied."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        _first_connection(service, julie),
        fill(birth_day="15", birth_month="03", birth_year="2010", new_password=GOOD_PASSWORD,
             new_password_confirm=GOOD_PASSWORD),
        click("#validate")))


def test_first_connection_password_too_short(snap_compare, service, julie, tmp_path):
    """A 7-character password: « Le mot de passe est trop court : 8 caractères minimum. »
    beside the new-password field."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        _first_connection(service, julie),
        fill(birth_day="14", birth_month="03", birth_year="2010", new_password="Abcde12", new_password_confirm="Abcde12"),
        click("#validate")))


def test_first_connection_mismatched_confirmation(snap_compare, service, julie, tmp_path):
    """Two different passwords: « Les deux mots de passe saisis sont différents. » beside the
    confirmation field (scrolled into view); both passwords emptied, the cursor in the first."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        _first_connection(service, julie),
        fill(birth_day="14", birth_month="03", birth_year="2010", new_password=GOOD_PASSWORD,
             new_password_confirm="Autre2mot"),
        click("#validate")))


def test_first_connection_bad_email(snap_compare, service, julie, tmp_path):
    """An address that is not one: « Cette adresse mail n'est pas valide. » beside it; the
    address typed is kept."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        _first_connection(service, julie),
        fill(birth_day="14", birth_month="03", birth_year="2010", new_password=GOOD_PASSWORD,
             new_password_confirm=GOOD_PASSWORD, email="julie.baillet@", email_confirm="julie.baillet@"),
        click("#validate")))


def test_pending_validation_page(snap_compare, service, julie, tmp_path):
    """With an address: « Compte en attente de validation — Pour utiliser votre compte, ouvrez
    maintenant le mail que vous venez de recevoir et suivez les instructions. », then the charter
    first and where the code goes (« MON COMPTE », « SAISIR LE CODE REÇU »), and VALIDER."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        _first_connection(service, julie),
        fill(birth_day="14", birth_month="03", birth_year="2010", new_password=GOOD_PASSWORD,
             new_password_confirm=GOOD_PASSWORD, email=EMAIL, email_confirm=EMAIL),
        click("#validate")))


# ------------------------------------------------------------ 4–5. charter and home


def _activated(service, julie, *, email: str = "", accept: bool = True):
    token = activate(service, julie, email=email, accept=accept)
    service.logout(token)
    return login_as(service, julie.identifier, GOOD_PASSWORD)


def test_charter(snap_compare, service, julie, tmp_path):
    """Charte d'utilisation de l'ENT: the sample charter in a scrolling frame, « J'accepte la
    charte » unticked, VALIDER and « Refuser et se déconnecter »."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(_activated(service, julie, accept=False)))


def test_charter_not_ticked(snap_compare, service, julie, tmp_path):
    """VALIDER without ticking: « Cochez « J'accepte la charte » pour accéder aux services. »"""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(_activated(service, julie, accept=False), click("#validate")))


def test_home(snap_compare, service, julie, tmp_path):
    """Accueil de l'élève: « Bienvenue Julie », « Dernière connexion le 01/09/2026 à 10:00 »,
    MON COMPTE / CONTACT / SE DÉCONNECTER, the establishment's message and the services."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(_activated(service, julie)))


# ------------------------------------------------------------ 6–7. profile and e-mail validation


def _profile(service, julie, email: str = ""):
    from entkiosk.ui.screens.profile import ProfileScreen

    return [_activated(service, julie, email=email), push(ProfileScreen)]


def test_profile(snap_compare, service, julie, tmp_path):
    """VOTRE COMPTE — COMPTE DE julie.baillet: RETOUR and SE DÉCONNECTER, the identifier, an
    empty current address with its explanation, and « Modification de vos informations »."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(*_profile(service, julie)))


def test_profile_pending_address(snap_compare, service, julie, tmp_path):
    """An address waiting for validation: « Votre adresse mail n'a pas été validée » with the
    address, RENVOYER UN MAIL DE VALIDATION and SAISIR LE CODE REÇU."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(*_profile(service, julie, EMAIL)))


def test_profile_resent(snap_compare, service, julie, tmp_path):
    """After RENVOYER UN MAIL DE VALIDATION (a minute later): « Le mail a été envoyé »."""
    def later(pilot: Pilot) -> None:
        service.clock.advance(seconds=61)

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(*_profile(service, julie, EMAIL), later, click("#resend")))


def test_profile_wrong_current_password(snap_compare, service, julie, tmp_path):
    """ENREGISTRER with a wrong current password: « Le mot de passe actuel est incorrect. »
    beside that field; the new address typed is kept, passwords emptied."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        *_profile(service, julie),
        fill(current_password="Mauvais123", email=EMAIL, email_confirm=EMAIL), click("#save")))


def test_profile_email_requested(snap_compare, service, julie, tmp_path):
    """A new address saved: the guide's page « VOTRE ADRESSE MAIL — Vous souhaitez modifier
    votre adresse mail. Un mail vient de vous être envoyé… »."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        *_profile(service, julie),
        fill(current_password=GOOD_PASSWORD, email=EMAIL, email_confirm=EMAIL), click("#save")))


def test_validate_email(snap_compare, service, julie, tmp_path):
    """Valider mon adresse mail: the explanation, « code reçu par mail* » (placeholder
    XXXX-XXXX), VALIDER and ANNULER."""
    from entkiosk.ui.screens.validate_email import ValidateEmailScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(*_profile(service, julie, EMAIL), push(ValidateEmailScreen)))


def test_validate_email_wrong_code(snap_compare, service, julie, tmp_path):
    """A wrong code: « Ce code est incorrect ou n'est plus valable… » in red under the code field."""
    from entkiosk.ui.screens.validate_email import ValidateEmailScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        *_profile(service, julie, EMAIL), push(ValidateEmailScreen), fill(code="AAAA-BBBB"), click("#validate")))


def test_email_validated(snap_compare, service, julie, outbox, tmp_path):
    """The right code: CONFIRMATION — « Confirmation de votre adresse mail », the guide's
    sentence, and ACCÉDER AUX SERVICES."""
    from entkiosk.ui.screens.validate_email import ValidateEmailScreen

    def code(pilot: Pilot) -> None:
        fill(code=last_code(outbox))(pilot)

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        *_profile(service, julie, EMAIL), push(ValidateEmailScreen), code, click("#validate")))


# ------------------------------------------------------------ 8–10. recovery


def test_forgot_identifier(snap_compare, service, tmp_path):
    """IDENTIFIANT OUBLIÉ: « Veuillez saisir les informations suivantes : », « votre adresse
    mail* », « *Champ obligatoire », VALIDER and ANNULER."""
    from entkiosk.ui.screens.forgot import ForgotIdentifierScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(push(ForgotIdentifierScreen)))


def test_forgot_identifier_refused(snap_compare, service, tmp_path):
    """An address no account has validated: « Les informations associées à votre compte ne
    permettent pas de répondre à votre demande. Merci de contacter votre établissement. »"""
    from entkiosk.ui.screens.forgot import ForgotIdentifierScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(ForgotIdentifierScreen), fill(email="inconnu@example.org"), click("#validate")))


def test_forgot_identifier_sent(snap_compare, service, julie, outbox, tmp_path):
    """A validated address: « Un mail rappelant votre identifiant vous a été envoyé à
    l'adresse suivante : julie.baillet@example.org. »"""
    from entkiosk.ui.screens.forgot import ForgotIdentifierScreen

    token = activate(service, julie, email=EMAIL)
    service.validate_email(last_code(outbox), token=token)
    service.logout(token)
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(ForgotIdentifierScreen), fill(email=EMAIL), click("#validate")))


def test_forgot_password(snap_compare, service, tmp_path):
    """MOT DE PASSE OUBLIÉ: « votre identifiant* », VALIDER and ANNULER."""
    from entkiosk.ui.screens.forgot import ForgotPasswordScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(push(ForgotPasswordScreen)))


def test_forgot_password_reference(snap_compare, service, julie, tmp_path):
    """The request recorded: « La référence de cette demande est le n° » and 13 digits,
    « Veuillez noter ce numéro. », and the mail to come."""
    from entkiosk.ui.screens.forgot import ForgotPasswordScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(ForgotPasswordScreen), fill(identifier="julie.baillet"), click("#validate")))


def test_help_waiting(snap_compare, service, julie, tmp_path):
    """« Je n'ai pas d'adresse mail », asked: « Demande n° » and its six-character code, « BAILLET
    Julie — classe 2nde 1 », what to do (show the screen to a teacher), the time it expires and
    that Échap cancels; the footer offers only Échap « Annuler la demande »."""
    from entkiosk.ui.screens.help import HelpWaitScreen

    token = activate(service, julie)
    service.logout(token)
    ticket = service.ask_for_help(julie.identifier, "14/03/2010")
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(push(lambda: HelpWaitScreen(ticket))))


def test_reset_password(snap_compare, service, tmp_path):
    """MODIFIEZ VOTRE MOT DE PASSE: « Veuillez saisir votre identifiant ainsi que votre nouveau
    mot de passe. », identifier, code, new password with « (8 caractères minimum, 14
    caractères maximum, chiffres ET lettres obligatoires) », confirmation."""
    from entkiosk.ui.screens.forgot import ResetPasswordScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(push(ResetPasswordScreen)))


def test_reset_password_wrong_code(snap_compare, service, julie, tmp_path):
    """A wrong code: « Ce code est incorrect ou n'est plus valable… » under the code field;
    identifier and code kept, the passwords emptied."""
    from entkiosk.ui.screens.forgot import ResetPasswordScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(ResetPasswordScreen),
        fill(identifier="julie.baillet", code="AAAA-BBBB", new_password="Nouveau2mdp", new_password_confirm="Nouveau2mdp"),
        click("#validate")))


def test_password_changed(snap_compare, service, julie, outbox, tmp_path):
    """CONFIRMATION — « Confirmation de modification de mot de passe », « Votre mot de passe a
    été modifié avec succès. », « Vous pouvez à présent vous connecter… »."""
    from entkiosk.ui.screens.forgot import ResetPasswordScreen

    token = activate(service, julie, email=EMAIL)
    service.validate_email(last_code(outbox), token=token)
    service.forgot_password(julie.identifier)

    def code(pilot: Pilot) -> None:
        fill(code=last_code(outbox))(pilot)

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(ResetPasswordScreen), fill(identifier="julie.baillet", new_password="Nouveau2mdp",
                                        new_password_confirm="Nouveau2mdp"), code, click("#validate")))


# ------------------------------------------------------------ 11. guide, idle, demo (the staff console: test_snapshots_console.py)


def test_guide_mobile(snap_compare, service, tmp_path):
    """Guide mobile: the QR code of the guide (black on white, quiet zone) on the left; the
    Scenari Reader words for iOS and Android and the URL in text on the right."""
    from entkiosk.ui.screens.guide import GuideScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(push(GuideScreen)))


def test_idle_countdown(snap_compare, service, julie, tmp_path):
    """Idle for 113 s of 120: the modal « Êtes-vous toujours là ? » with « la session se
    termine dans 7 secondes » over the student's screen."""
    idle = Frozen()

    def wait(pilot: Pilot) -> None:
        idle.now += service.settings.kiosk.idle_timeout - 7
        pilot.app.check_inactivity()

    assert snap_compare(kiosk(service, tmp_path, idle), terminal_size=SIZE,
                        run_before=steps(_activated(service, julie), wait))


def test_demo_letters(snap_compare, service, tmp_path):
    """« entkiosk demo », F2: « Entrée sur un élève ou un parent : sa connexion s'ouvre, déjà saisie. », the
    sample class's letters — identifier, provisional password (from the seeded generator here), birth date and
    name, and a guardian « parent de Zoé N'Diaye » — with the first row under the cursor; then how to reach the
    console: « Se connecter »,
    profil « Personnel de l'Éducation Nationale », identifiant prof.demo, mot de passe
    Kp7w-Qm3r-Xt8v; the buttons « Console du personnel » and RETOUR; footer Entrée Ouvrir, ↑↓
    Choisir, Tab Suivant, Échap Retour."""
    from entkiosk.domain.letter import IssuedLetter

    letters = service.import_class_list(
        [student(), student("Zoé", "N'Diaye", line=3), student("Gaëtan", "Œuvray", line=4)], actor="cli:test")
    zoe = letters[1]
    letters.append(IssuedLetter("awa.n-diaye", "Awa", "N'DIAYE", None, zoe.deadline, zoe.issued_at, None, "Tq4m8Rzw",
                                guardian=True, civility="Mme", children=("Zoé N'Diaye (2nde 1)",)))
    app = make_app(service.settings, service, blink=False, state_path=tmp_path / "state.json",
                   idle_clock=Frozen(), demo_letters=letters, demo_staff=("prof.demo", "Kp7w-Qm3r-Xt8v"))
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(press("f2")))


def test_welcome_after_idle_timeout(snap_compare, service, julie, tmp_path):
    """The session ended for inactivity: a fresh accueil with, in green, « Session terminée
    après une période d'inactivité : les informations saisies ont été effacées. »"""
    idle = Frozen()

    def timeout(pilot: Pilot) -> None:
        idle.now += service.settings.kiosk.idle_timeout + 1
        pilot.app.check_inactivity()

    assert snap_compare(kiosk(service, tmp_path, idle), terminal_size=SIZE,
                        run_before=steps(_activated(service, julie), timeout))


# ------------------------------------------------------------ more error states


def test_login_empty_fields(snap_compare, service, tmp_path):
    """VALIDER with nothing typed: « Saisissez votre identifiant. » and « Saisissez votre mot
    de passe. » each beside its field."""
    from entkiosk.ui.screens.login import LoginScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE,
                        run_before=steps(push(LoginScreen), click("#validate")))


def test_reset_password_too_short(snap_compare, service, julie, tmp_path):
    """MODIFIEZ VOTRE MOT DE PASSE with a 7-character password: « Le mot de passe est trop
    court : 8 caractères minimum. » beside the new-password field."""
    from entkiosk.ui.screens.forgot import ResetPasswordScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        push(ResetPasswordScreen),
        fill(identifier="julie.baillet", code="AAAA-BBBB", new_password="Abcde12", new_password_confirm="Abcde12"),
        click("#validate")))


def test_profile_password_changed(snap_compare, service, julie, tmp_path):
    """ENREGISTRER with a new password: « Votre nouveau mot de passe est pris en compte dès
    maintenant. » in green; every field emptied."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=SIZE, run_before=steps(
        *_profile(service, julie),
        fill(current_password=GOOD_PASSWORD, new_password="Nouveau2mdp", new_password_confirm="Nouveau2mdp"),
        click("#save")))


def test_charter_unreadable(snap_compare, db_url, tmp_path):
    """The configured charter file is missing: the frame says so in French and VALIDER
    explains that the charter is not available; no traceback."""
    settings = make_settings(db_url, tmp_path, charter={"file": "/nonexistent/entkiosk/charte.txt"})
    svc = open_service(settings, clock=FixedClock(START), rng=random.Random(1))
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    try:
        assert snap_compare(kiosk(svc, tmp_path), terminal_size=SIZE, run_before=steps(
            _activated(svc, letter, accept=False), click("#validate")))
    finally:
        svc.engine.dispose()


def test_pending_page_when_the_mail_could_not_leave(snap_compare, db_url, tmp_path):
    """SMTP unreachable at the first connection: « Compte activé, adresse mail en attente »,
    in red: the account is active and the password kept, the mail could not be sent (no
    server path), the address waits and « RENVOYER UN EMAIL DE VALIDATION » in MON COMPTE
    sends it again; no word of a mail to open. VALIDER leads to the charter."""
    import socket

    from entkiosk.mail import SmtpTransport

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(db_url, tmp_path)
    svc = open_service(settings, clock=FixedClock(START), rng=random.Random(2),
                       transport=SmtpTransport("127.0.0.1", port, security="none", timeout=2))
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    try:
        assert snap_compare(kiosk(svc, tmp_path), terminal_size=SIZE, run_before=steps(
            _first_connection(svc, letter),
            fill(birth_day="14", birth_month="03", birth_year="2010", new_password=GOOD_PASSWORD,
                 new_password_confirm=GOOD_PASSWORD, email=EMAIL, email_confirm=EMAIL),
            click("#validate")))
    finally:
        svc.engine.dispose()


# ------------------------------------------------------------ below 80×24


def test_window_too_small(snap_compare, service, julie, tmp_path):
    """A 60×20 terminal on the login form being filled: only « Agrandissez la fenêtre : 80
    colonnes et 24 lignes au minimum. » (bold, centred, wrapped before « minimum. ») and,
    under it, « La fenêtre mesure actuellement 60 colonnes et 20 lignes. »; nothing of the
    form, neither its identifier nor its band, and no footer; the notice centred on the whole
    terminal, band rows included."""
    from entkiosk.ui.screens.login import LoginScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=(60, 20), run_before=steps(
        push(LoginScreen), fill(identifier="julie.baillet", password="Velo")))
