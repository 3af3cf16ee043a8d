"""3. PREMIÈRE CONNEXION — Vos informations (and « Compte en attente de validation »)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ...service import Outcome
from ..widgets.controls import KioskButton
from ..widgets.fields import BirthDateField, Field, PasswordField
from .base import KioskScreen, screen_keys
from .message import MAIL_RETRY, MessageScreen


#: After a validation mail that could not leave (first connection and profile alike).
class FirstConnectionScreen(KioskScreen):
    """Birth date, new password twice, optional address twice; VALIDER / ANNULER."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Annuler"))

    BAND = N_("PREMIÈRE CONNEXION")
    HEADING = N_("Vos informations")

    def compose_body(self) -> ComposeResult:
        session = self.app.session
        identifier = session.identifier if session else ""
        guardian = session is not None and session.kind == "parent"
        yield Field(_("votre identifiant"), "identifier", value=identifier, disabled=True,
                    hint=_("Votre identifiant est déjà renseigné"))
        if guardian:
            yield Static(_("La date demandée est celle de l'un de vos enfants."), classes="paragraph")
            yield BirthDateField(_("date de naissance d'un enfant*"))
        else:
            yield BirthDateField()
        yield PasswordField(_("nouveau mot de passe*"), "new_password", rule=True)
        yield PasswordField(_("confirmation du mot de passe*"), "new_password_confirm")
        offered = (session.offered_email or "") if session else ""
        yield Field(_("votre adresse mail"), "email", max_length=254, value=offered)
        yield Field(_("confirmation de votre adresse mail"), "email_confirm", max_length=254, value=offered,
                    hint=(_("L'adresse connue de l'établissement : elle sera validée par le code que vous recevrez.")
                          if offered else _("L'adresse mail n'est pas obligatoire mais fortement recommandée.")))
        yield Static(_("*Champ obligatoire"), classes="note")
        with Horizontal(classes="buttons"):
            yield KioskButton(_("VALIDER"), id="validate", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#birth_day").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.first_connection, self.app.token,
                  birth_date=self.query_one(BirthDateField).value,
                  new_password=self.value("new_password"), confirm_password=self.value("new_password_confirm"),
                  email=self.value("email"), confirm_email=self.value("email_confirm"), then=self._activated)

    def _activated(self, outcome: Outcome) -> None:
        from .charter import CharterScreen

        def to_charter() -> None:
            self.app.switch_screen(CharterScreen())

        if outcome.email_pending and outcome.mail_problem:
            # Nothing was received: no word of a mail to open. The address waits, and the
            # profile's resend button works at once.
            self.app.switch_screen(MessageScreen(
                N_("PREMIÈRE CONNEXION"), N_("Compte activé, adresse mail en attente"),
                _("Votre compte est activé et votre nouveau mot de passe est enregistré."),
                outcome.mail_problem,
                _(MAIL_RETRY),
                _("Lisez maintenant la charte d'utilisation de l'ENT."),
                then=to_charter, error=True))
        elif outcome.email_pending:
            self.app.switch_screen(MessageScreen(
                N_("PREMIÈRE CONNEXION"), N_("Compte en attente de validation"),
                _("Pour utiliser votre compte, ouvrez maintenant le mail que vous venez de recevoir et "
                  "suivez les instructions."),
                _("Votre nouveau mot de passe est enregistré. Lisez d'abord la charte d'utilisation de l'ENT ; "
                  "le code du mail se saisit ensuite dans MON COMPTE, avec le bouton « SAISIR LE CODE REÇU »."),
                then=to_charter))
        else:
            to_charter()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        """ANNULER: nothing is activated; the session ends."""
        if not self.busy:
            self.app.end_session()


