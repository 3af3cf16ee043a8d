"""The guide's main path at the kiosk, keyboard only, on a real database.

Letter → accueil → Se connecter → portal choice → login with the provisional
password → PREMIÈRE CONNEXION (every refusal, then success with and without an
address) → charter → home → MON COMPTE (password, address, resend, code) → logout.
Each screen on the way is toured with Tab at 80×24: every stop is on screen and the
footer names the keys in French.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code, student
from ui_support import (
    field_error,
    fill,
    kiosk,
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
from entkiosk.domain.passwords import RULE
from entkiosk.mail import OutboxTransport
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.screens.charter import CharterScreen
from entkiosk.ui.screens.first_connection import FirstConnectionScreen
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.message import MessageScreen
from entkiosk.ui.screens.portal import NOT_SERVED, PortalScreen
from entkiosk.ui.screens.profile import EMAIL_REQUESTED, ProfileScreen
from entkiosk.ui.screens.validate_email import CONFIRMED, ValidateEmailScreen
from entkiosk.ui.screens.welcome import WelcomeScreen


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


# ------------------------------------------------------------------ steps a student takes


async def choose_portal(app, pilot, *, profile_downs: int = 0, remember: bool = False) -> None:
    """On the portal: « Lycées et collèges », the profile ``profile_downs`` rows below « Élève »."""
    assert isinstance(app.screen, PortalScreen)
    assert app.focused.id == "establishment"
    await pilot.press("tab")
    assert app.focused.id == "profile"
    for _ in range(profile_downs):
        await pilot.press("down")
    await pilot.press("tab")
    assert app.focused.id == "remember"
    if remember:
        await pilot.press("space")
    await pilot.press("tab")
    assert app.focused.id == "validate"
    await submit(app, pilot)


async def to_login(app, pilot, *, remember: bool = False) -> None:
    """Accueil → Se connecter → (portal) → the student login."""
    assert isinstance(app.screen, WelcomeScreen)
    assert app.focused.id == "login"
    await submit(app, pilot)
    if isinstance(app.screen, PortalScreen):
        await choose_portal(app, pilot, remember=remember)
    assert isinstance(app.screen, LoginScreen)
    assert app.focused.id == "identifier"


async def log_in(app, pilot, identifier: str, password: str) -> None:
    """Type the identifier, Tab, the password, Entrée."""
    assert app.focused.id == "identifier"
    await type_text(pilot, identifier)
    await pilot.press("tab")
    assert app.focused.id == "password"
    await type_text(pilot, password)
    await submit(app, pilot)


async def fill_first_connection(app, pilot, *, born: str | None = "14032010", password: str = GOOD_PASSWORD,
                                confirm: str | None = None, email: str | None = "",
                                email_confirm: str | None = None) -> None:
    """Fill PREMIÈRE CONNEXION in its Tab order and press Entrée.

    ``born`` is typed as eight digits (the day and the month move on by themselves);
    a part given as None is left as it is, as a student would after a refusal.
    """
    assert isinstance(app.screen, FirstConnectionScreen)
    if born is not None:
        await tab_to(app, pilot, "birth_day")
        await type_text(pilot, born)  # two digits move the focus on, even typed quickly
        assert app.focused.id == "birth_year"
    await fill(app, pilot, "new_password", password)
    await fill(app, pilot, "new_password_confirm", password if confirm is None else confirm)
    if email is not None:
        await fill(app, pilot, "email", email)
        await fill(app, pilot, "email_confirm", email if email_confirm is None else email_confirm)
    await submit(app, pilot)


def clear_form(app) -> None:
    """What a student does with Ctrl+U in each field, all at once."""
    for field in app.screen.fields().values():
        if not field.query_one(Input).disabled:
            field.clear()


async def accept_charter(app, pilot) -> None:
    assert isinstance(app.screen, CharterScreen)
    await tab_to(app, pilot, "accept")
    await pilot.press("space")
    await tab_to(app, pilot, "validate")
    await submit(app, pilot)


# ------------------------------------------------------------------ the portal


async def test_portal_choices_and_memory(settings: Settings, service: AccountService, letter: IssuedLetter,
                                         tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await tour(app, pilot)
        await submit(app, pilot)
        assert isinstance(app.screen, PortalScreen)
        assert shows(app, "Connectez-vous en fonction de votre établissement")
        stops = await tour(app, pilot)
        assert [w.id for w in stops] == ["establishment", "profile", "remember", "validate"]

        # Personnel de collectivité: not served here, said plainly; nothing remembered even when ticked.
        await choose_portal(app, pilot, profile_downs=3, remember=True)
        assert isinstance(app.screen, PortalScreen)
        assert shows(app, NOT_SERVED)
        assert not (tmp_path / "state.json").exists()

        # Élève without « Mémoriser ce choix »: the login, and the portal again next time.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await submit(app, pilot)
        await choose_portal(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, "Bienvenu(e) sur Scolarité Services")
        await tour(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortalScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await submit(app, pilot)
        assert isinstance(app.screen, PortalScreen)

        # Entrée on the list of profiles is VALIDER too.
        await pilot.press("tab")
        assert app.focused.id == "profile"
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PortalScreen) and app.focused.id == "profile"  # where it was
        await pilot.press("shift+tab")

        # Élève, remembered: the next visit goes straight to the login.
        await choose_portal(app, pilot, remember=True)
        assert isinstance(app.screen, LoginScreen)
        assert (tmp_path / "state.json").exists()
        app.end_session()
        await settle(app, pilot)
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen)

        # « Changer de portail » forgets the choice.
        await tab_to(app, pilot, "change-portal")
        await submit(app, pilot)
        assert isinstance(app.screen, PortalScreen)
        assert not (tmp_path / "state.json").exists()


# ------------------------------------------------------------------ first connection, every refusal


async def test_first_connection_refusals_then_activation_with_email(
        settings: Settings, service: AccountService, letter: IssuedLetter, outbox: OutboxTransport,
        tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        assert isinstance(app.screen, FirstConnectionScreen)
        assert shows(app, "PREMIÈRE CONNEXION")
        assert value(app, "identifier") == letter.identifier
        assert app.screen.query_one("#identifier").disabled
        assert shows(app, "Votre identifiant est déjà renseigné")
        assert shows(app, RULE)
        assert shows(app, "L'adresse mail n'est pas obligatoire mais fortement recommandée.")
        assert shows(app, "*Champ obligatoire")
        assert app.focused.id == "birth_day"
        stops = await tour(app, pilot)
        assert [w.id for w in stops] == ["birth_day", "birth_month", "birth_year", "new_password",
                                         "new_password_confirm", "email", "email_confirm", "validate", "cancel"]

        # A wrong birth date: the error beside it; typed text kept, passwords emptied.
        await fill_first_connection(app, pilot, born="01012009", email="julie@example.org")
        assert field_error(app, "birth_date") == "La date de naissance ne correspond pas à ce compte."
        assert app.focused.id == "birth_day"
        assert (value(app, "birth_day"), value(app, "birth_month"), value(app, "birth_year")) == ("01", "01", "2009")
        assert value(app, "email") == value(app, "email_confirm") == "julie@example.org"
        assert value(app, "new_password") == value(app, "new_password_confirm") == ""
        assert shows(app, "La date de naissance ne correspond pas à ce compte.")
        await tour(app, pilot)

        # Each broken password rule, beside « nouveau mot de passe* ».
        refusals = {
            "abc1": "Le mot de passe est trop court : 8 caractères minimum.",
            "abcdefgh1234567": "Le mot de passe est trop long : 14 caractères maximum.",
            "abcdefghij": "Le mot de passe doit contenir au moins un chiffre.",
            "12345678": "Le mot de passe doit contenir au moins une lettre.",
            "a1234567": "Ce mot de passe est trop courant : choisissez-en un autre.",
            letter.provisional_password: "Le nouveau mot de passe doit être différent du mot de passe provisoire.",
        }
        clear_form(app)
        await fill_first_connection(app, pilot, password="abc1", email="julie@example.org")
        for password, message in refusals.items():
            if password != "abc1":  # the birth date and the address are still there: only the passwords again
                await fill_first_connection(app, pilot, born=None, password=password, email=None)
            assert isinstance(app.screen, FirstConnectionScreen)
            assert field_error(app, "new_password") == message, password
            assert field_error(app, "birth_date") == ""
            assert app.focused.id == "new_password"
            assert value(app, "new_password") == ""
            assert value(app, "email") == "julie@example.org"
            assert shows(app, message)

        # The confirmation differs: the error beside the confirmation.
        await fill_first_connection(app, pilot, born=None, confirm="Velo2rouez", email=None)
        assert field_error(app, "new_password_confirm") == "Les deux mots de passe saisis sont différents."
        assert field_error(app, "new_password") == ""
        # Both passwords were emptied: both are typed again, the first one first.
        assert app.focused.id == "new_password"
        assert value(app, "new_password") == value(app, "new_password_confirm") == ""
        assert shows(app, "Les deux mots de passe saisis sont différents.")

        # The two addresses differ: beside the address confirmation.
        await tab_to(app, pilot, "email_confirm")
        await pilot.press("end", "backspace", "backspace", "backspace", *"com")
        await fill_first_connection(app, pilot, born=None, email=None)
        assert field_error(app, "email_confirm") == "Les deux adresses mail saisies sont différentes."
        assert shows(app, "Les deux adresses mail saisies sont différentes.")

        # All good, with an address: « Compte en attente de validation », then the charter.
        await tab_to(app, pilot, "email_confirm")
        await pilot.press("end", "backspace", "backspace", "backspace", *"org")
        await fill_first_connection(app, pilot, born=None, email=None)
        assert isinstance(app.screen, MessageScreen), screen_text(app)
        assert shows(app, "Compte en attente de validation")
        assert shows(app, "Pour utiliser votre compte, ouvrez maintenant le mail que vous venez de recevoir et "
                          "suivez les instructions.")
        assert outbox.entries()[-1].to == "julie@example.org"
        await tour(app, pilot)
        await submit(app, pilot)
        assert isinstance(app.screen, CharterScreen)

        # The charter: VALIDER without the box ticked is refused, beside the box.
        assert app.focused.id == "charter-text"
        assert shows(app, "Charte d'utilisation de l'ENT")
        assert shows(app, "CHARTE D'UTILISATION DE L'ENT ET DES SERVICES EN LIGNE")
        stops = await tour(app, pilot)
        assert [w.id for w in stops] == ["charter-text", "accept", "validate", "decline"]
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)
        assert isinstance(app.screen, CharterScreen)
        assert shows(app, "Cochez « J'accepte la charte » pour accéder aux services.")
        assert app.focused.id == "accept"
        await pilot.press("space")
        await tab_to(app, pilot, "validate")
        await submit(app, pilot)

        # Home: « Bienvenue Julie ».
        assert isinstance(app.screen, HomeScreen)
        assert shows(app, "Bienvenue Julie")
        assert app.focused.id == "account"
        await tour(app, pilot)
        view = service.account(app.token)
        assert view.pending_email == "julie@example.org" and view.email is None


async def test_activation_without_email_goes_straight_to_the_charter(
        settings: Settings, service: AccountService, outbox: OutboxTransport, tmp_path: Path) -> None:
    first, second = service.import_class_list(
        [student("Jean Pierre", "Lefèvre", line=2), student("Inès", "Bernard", line=3)], actor="cli:test")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot, remember=True)
        await log_in(app, pilot, second.identifier, second.provisional_password)
        await fill_first_connection(app, pilot)
        assert isinstance(app.screen, CharterScreen)
        assert outbox.entries() == []
        await accept_charter(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert shows(app, "Bienvenue Inès")
        assert shows(app, "Vos services")
        token = app.token

        # SE DÉCONNECTER: the session is over and the accueil is back.
        await tab_to(app, pilot, "logout")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        with pytest.raises(SessionExpired):
            service.account(token)

        # The next student (remembered portal): straight to the login.
        await to_login(app, pilot)
        await log_in(app, pilot, first.identifier, first.provisional_password)
        assert isinstance(app.screen, FirstConnectionScreen)
        assert value(app, "identifier") == first.identifier

        # ANNULER (Échap): nothing activated, the session ends.
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert service.authenticate(first.identifier, first.provisional_password).next_step == "first_connection"


# ------------------------------------------------------------------ the profile


async def test_profile_password_email_resend_and_code(
        settings: Settings, service: AccountService, letter: IssuedLetter, outbox: OutboxTransport,
        clock: FixedClock, tmp_path: Path) -> None:
    activate(service, letter)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert isinstance(app.screen, HomeScreen)
        assert shows(app, "Bienvenue Julie")
        await submit(app, pilot)  # MON COMPTE
        assert isinstance(app.screen, ProfileScreen)
        assert shows(app, f"COMPTE DE {letter.identifier}")  # as typed: never upper-cased
        assert shows(app, "Si cette zone est vierge, vous n'avez pas d'adresse mail rattachée à votre compte.")
        assert app.focused.id == "current_password"
        stops = await tour(app, pilot)
        assert {"return", "logout", "current_password", "email", "email_confirm", "new_password",
                "new_password_confirm", "save"} <= {w.id for w in stops}

        # Nothing to change, then a wrong current password: errors beside their fields.
        await fill(app, pilot, "current_password", GOOD_PASSWORD)
        await submit(app, pilot)
        assert field_error(app, "new_password") == "Saisissez un nouveau mot de passe ou une nouvelle adresse mail."
        await fill(app, pilot, "current_password", "Pas1bonne")
        await fill(app, pilot, "new_password", OTHER_PASSWORD)
        await fill(app, pilot, "new_password_confirm", OTHER_PASSWORD)
        await submit(app, pilot)
        assert field_error(app, "current_password") == "Le mot de passe actuel est incorrect."
        assert value(app, "new_password") == ""

        # A new password counts at once.
        await fill(app, pilot, "current_password", GOOD_PASSWORD)
        await fill(app, pilot, "new_password", OTHER_PASSWORD)
        await fill(app, pilot, "new_password_confirm", OTHER_PASSWORD)
        await submit(app, pilot)
        assert shows(app, "Votre nouveau mot de passe est pris en compte dès maintenant.")
        assert all(value(app, name) == "" for name in ("current_password", "new_password", "new_password_confirm"))

        # Log out (RETOUR, then Échap on the home screen) and back in with the new password.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert shows(app, "Identifiant ou mot de passe incorrect.")
        assert value(app, "identifier") == letter.identifier and value(app, "password") == ""
        await tab_to(app, pilot, "password")
        await type_text(pilot, OTHER_PASSWORD)
        await submit(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert shows(app, "Dernière connexion le 01/09/2026 à 10:00")

        # A new address: the guide's message page, then the unvalidated state.
        await submit(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        await fill(app, pilot, "current_password", OTHER_PASSWORD)
        await fill(app, pilot, "email", "julie.baillet@example.org")
        await fill(app, pilot, "email_confirm", "julie.baillet@example.org")
        await submit(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        assert shows(app, EMAIL_REQUESTED)
        first_code = last_code(outbox)
        await submit(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        await settle(app, pilot)
        assert "Votre adresse mail n'a pas été validée : julie.baillet@example.org" in screen_content(app)
        await tour(app, pilot)

        # RENVOYER UN MAIL DE VALIDATION: not twice in a minute, said under the button.
        await tab_to(app, pilot, "resend")
        await submit(app, pilot)
        assert shows(app, "Un mail de validation vient d'être envoyé : patientez une minute")
        assert app.focused.id == "resend"
        await tour(app, pilot)

        # Two minutes later → « Le mail a été envoyé », with a new code.
        clock.advance(minutes=2)
        await submit(app, pilot)
        assert shows(app, "Le mail a été envoyé")
        code = last_code(outbox)
        assert code != first_code
        assert outbox.entries()[-1].to == "julie.baillet@example.org"

        # SAISIR LE CODE REÇU: a wrong code first, then the one of the mail.
        await tab_to(app, pilot, "enter-code")
        await submit(app, pilot)
        assert isinstance(app.screen, ValidateEmailScreen)
        assert app.focused.id == "code"
        await tour(app, pilot)
        await type_text(pilot, "AAAA-AAAA")
        await submit(app, pilot)
        # Beside the code field, focused; gone as soon as the code is corrected.
        assert field_error(app, "code").startswith("Ce code est incorrect ou n'est plus valable.")
        assert app.focused.id == "code"
        assert value(app, "code") == "AAAA-AAAA"
        await pilot.press("ctrl+u")
        assert field_error(app, "code") == ""
        await type_text(pilot, code)
        await submit(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        assert shows(app, "Confirmation de votre adresse mail")
        assert shows(app, CONFIRMED)
        assert service.account(app.token).email == "julie.baillet@example.org"

        # ACCÉDER AUX SERVICES → home; SE DÉCONNECTER → accueil.
        await submit(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        token = app.token
        await tab_to(app, pilot, "logout")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.session is None
        with pytest.raises(SessionExpired):
            service.account(token)
