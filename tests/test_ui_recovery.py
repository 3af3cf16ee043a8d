"""Self-service recovery at the kiosk, keyboard only: IDENTIFIANT OUBLIÉ and MOT DE PASSE OUBLIÉ.

The forgotten identifier is mailed only to a validated address; an unvalidated or
unknown one gets the guide's refusal sentence. The forgotten password gives a
13-digit reference, then MODIFIEZ VOTRE MOT DE PASSE takes the code of the mail
(read from the outbox) and the new password, which then opens the account.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code
from ui_support import field_error, fill, kiosk, settle, shows, submit, tab_to, tour, type_text, value

from entkiosk.config import Settings
from entkiosk.domain.errors import UNKNOWN_RECOVERY
from entkiosk.mail import OutboxTransport
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.screens.forgot import ForgotIdentifierScreen, ForgotPasswordScreen, ResetPasswordScreen
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.message import MessageScreen
from entkiosk.ui.screens.welcome import WelcomeScreen


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


def validated(service: AccountService, letter: IssuedLetter, outbox: OutboxTransport, address: str) -> None:
    """``letter``'s account activated with ``address``, validated with the code of its mail."""
    token = activate(service, letter, email=address)
    service.validate_email(last_code(outbox), token=token)
    service.logout(token)


async def open_from_welcome(app, pilot, button: str) -> None:
    assert isinstance(app.screen, WelcomeScreen)
    await tab_to(app, pilot, button)
    await submit(app, pilot)


# ------------------------------------------------------------------ IDENTIFIANT OUBLIÉ


async def test_forgotten_identifier(settings: Settings, service: AccountService, letter: IssuedLetter,
                                    outbox: OutboxTransport, tmp_path: Path) -> None:
    validated(service, letter, outbox, "julie@example.org")
    sent = len(outbox.entries())
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        # A validated address: the identifier goes to it, and the page says where.
        await open_from_welcome(app, pilot, "forgot-identifier")
        assert isinstance(app.screen, ForgotIdentifierScreen)
        assert shows(app, "IDENTIFIANT OUBLIÉ")
        assert shows(app, "Veuillez saisir les informations suivantes :")
        assert app.focused.id == "email"
        stops = await tour(app, pilot)
        assert [w.id for w in stops] == ["email", "validate", "cancel"]
        await submit(app, pilot)
        assert field_error(app, "email") == "Saisissez votre adresse mail."
        await type_text(pilot, "Julie@Example.org")
        await submit(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        assert shows(app, "Un mail rappelant votre identifiant vous a été envoyé à l'adresse suivante : "
                          "julie@example.org.")
        assert len(outbox.entries()) == sent + 1
        reminder = outbox.entries()[-1]
        assert reminder.to == "julie@example.org" and letter.identifier in reminder.body
        await tour(app, pilot)
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)

        # An address typed wrong: beside the field, and the text stays for correcting.
        await open_from_welcome(app, pilot, "forgot-identifier")
        await type_text(pilot, "julie@")
        await submit(app, pilot)
        assert field_error(app, "email") == "Cette adresse mail n'est pas valide."
        assert value(app, "email") == "julie@"

        # ANNULER (Échap) goes back to the accueil.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)

        # An unknown address: the guide's refusal, and no mail.
        await open_from_welcome(app, pilot, "forgot-identifier")
        await type_text(pilot, "personne@example.org")
        await submit(app, pilot)
        assert isinstance(app.screen, ForgotIdentifierScreen)
        assert shows(app, UNKNOWN_RECOVERY)
        assert value(app, "email") == "personne@example.org"
        assert len(outbox.entries()) == sent + 1
        await tour(app, pilot)


async def test_forgotten_identifier_with_an_unvalidated_address(
        settings: Settings, service: AccountService, letter: IssuedLetter, outbox: OutboxTransport,
        tmp_path: Path) -> None:
    service.logout(activate(service, letter, email="julie@example.org"))  # address pending, not validated
    sent = len(outbox.entries())
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await open_from_welcome(app, pilot, "forgot-identifier")
        await type_text(pilot, "julie@example.org")
        await submit(app, pilot)
        assert isinstance(app.screen, ForgotIdentifierScreen)
        assert shows(app, UNKNOWN_RECOVERY)
        assert len(outbox.entries()) == sent


# ------------------------------------------------------------------ MOT DE PASSE OUBLIÉ


async def test_forgotten_password_reference_code_and_new_password(
        settings: Settings, service: AccountService, letter: IssuedLetter, outbox: OutboxTransport,
        tmp_path: Path) -> None:
    validated(service, letter, outbox, "julie@example.org")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await open_from_welcome(app, pilot, "forgot-password")
        assert isinstance(app.screen, ForgotPasswordScreen)
        assert shows(app, "MOT DE PASSE OUBLIÉ")
        assert app.focused.id == "identifier"
        assert [w.id for w in await tour(app, pilot)] == ["identifier", "validate", "cancel", "no-email", "to-guardian"]
        await type_text(pilot, letter.identifier)
        await submit(app, pilot)

        # The reference page: 13 digits, also in the subject of the mail.
        assert isinstance(app.screen, MessageScreen)
        assert shows(app, "Votre demande de réinitialisation de mot de passe a été prise en compte.")
        assert shows(app, "Veuillez noter ce numéro.")
        page = " ".join(str(w.render()) for w in app.screen.query(".paragraph"))
        reference = re.search(r"La référence de cette demande est le n° (\d+)\.", page).group(1)
        assert len(reference) == 13
        assert shows(app, reference)
        mail = outbox.entries()[-1]
        assert mail.to == "julie@example.org"
        assert mail.subject == f"Demande de changement de mot de passe n° {reference}"
        await tour(app, pilot)
        await submit(app, pilot)  # VALIDER

        # MODIFIEZ VOTRE MOT DE PASSE, the identifier already there, the focus on the code.
        assert isinstance(app.screen, ResetPasswordScreen)
        assert shows(app, "MODIFIEZ VOTRE MOT DE PASSE")
        assert shows(app, "Veuillez saisir votre identifiant ainsi que votre nouveau mot de passe.")
        assert shows(app, "(8 caractères minimum, 14 caractères maximum, chiffres ET lettres obligatoires)")
        assert value(app, "identifier") == letter.identifier
        assert app.focused.id == "code"
        stops = await tour(app, pilot)
        assert [w.id for w in stops] == ["code", "new_password", "new_password_confirm", "validate", "cancel",
                                         "identifier"]

        # A wrong code: refused, the code kept, the passwords emptied.
        await type_text(pilot, "ZZZZ-ZZZZ")
        await fill(app, pilot, "new_password", OTHER_PASSWORD)
        await fill(app, pilot, "new_password_confirm", OTHER_PASSWORD)
        await submit(app, pilot)
        assert isinstance(app.screen, ResetPasswordScreen)
        assert field_error(app, "code").startswith("Ce code est incorrect ou n'est plus valable.")
        assert app.focused.id == "code"
        assert value(app, "code") == "ZZZZ-ZZZZ" and value(app, "new_password") == ""

        # The code of the mail and a new password.
        await tab_to(app, pilot, "code")
        await pilot.press("ctrl+u")
        await type_text(pilot, last_code(outbox).lower())
        await fill(app, pilot, "new_password", OTHER_PASSWORD)
        await fill(app, pilot, "new_password_confirm", OTHER_PASSWORD)
        await submit(app, pilot)
        assert isinstance(app.screen, MessageScreen)
        assert shows(app, "Confirmation de modification de mot de passe")
        assert shows(app, "Votre mot de passe a été modifié avec succès.")
        assert shows(app, "Vous pouvez à présent vous connecter avec votre nouveau mot de passe.")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)

        # The old password no longer opens the account; the new one does.
        await submit(app, pilot)  # Se connecter
        await tab_to(app, pilot, "validate")  # the portal: Lycées et collèges / Élève
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        await type_text(pilot, letter.identifier)
        await fill(app, pilot, "password", GOOD_PASSWORD)
        await submit(app, pilot)
        assert shows(app, "Identifiant ou mot de passe incorrect.")
        await fill(app, pilot, "password", OTHER_PASSWORD)
        await submit(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert shows(app, "Bienvenue Julie")


async def test_forgotten_password_same_answer_without_a_validated_address(
        settings: Settings, service: AccountService, letter: IssuedLetter, outbox: OutboxTransport,
        tmp_path: Path) -> None:
    """An unknown identifier (or one with no validated address) gets a reference too, and no mail."""
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        for identifier in ("personne.inconnue", letter.identifier):
            await open_from_welcome(app, pilot, "forgot-password")
            await type_text(pilot, identifier)
            await submit(app, pilot)
            assert isinstance(app.screen, MessageScreen)
            assert shows(app, "La référence de cette demande est le n°")
            await submit(app, pilot)
            assert isinstance(app.screen, ResetPasswordScreen)
            assert value(app, "identifier") == identifier
            await pilot.press("escape")
            await settle(app, pilot)
            assert isinstance(app.screen, WelcomeScreen)
        assert outbox.entries() == []

        # « J'ai reçu un code de réinitialisation »: the same form, the identifier to type.
        await open_from_welcome(app, pilot, "reset-password")
        assert isinstance(app.screen, ResetPasswordScreen)
        assert app.focused.id == "identifier" and value(app, "identifier") == ""
        await tour(app, pilot)
