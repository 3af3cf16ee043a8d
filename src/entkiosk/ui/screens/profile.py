"""6. VOTRE COMPTE — PROFIL: the account's information, then « Modification de vos informations »."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ...domain.errors import DomainError
from ...domain.i18n import N_, _
from ...domain.lifecycle import EmailState
from ...service import AccountView, Outcome
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field, PasswordField
from .base import KioskScreen, screen_keys
from .message import MAIL_RETRY, MessageScreen

EMAIL_REQUESTED = N_("Vous souhaitez modifier votre adresse mail. Un mail vient de vous être envoyé à votre "
                     "nouvelle adresse afin de confirmer cette mise à jour.")


class ProfileScreen(KioskScreen):
    """Change password and/or address with the current password; resend or type the validation code."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Enregistrer"))
    BAND = N_("VOTRE COMPTE")

    def __init__(self, *, forced: bool = False) -> None:
        super().__init__()
        self.forced = forced

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        identifier = self.app.session.identifier if self.app.session else ""
        # The identifier as the student types it: « julie.baillet », never upper-cased.
        # Translated here, with its identifier: KioskScreen's own _() then finds no message id in it.
        return _("COMPTE DE {identifier}").format(identifier=identifier)

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="buttons", id="profile-nav"):
            yield KioskButton(_("← RETOUR"), id="return")
            yield KioskButton(_("SE DÉCONNECTER"), id="logout")
        if self.forced:
            yield Static(_("Votre établissement vous demande de choisir un nouveau mot de passe avant de continuer."),
                         classes="paragraph-error")
        yield Static(_("PROFIL — Informations du compte"), classes="subheading")
        with Vertical(id="account-info"):
            with Horizontal(classes="info-row"):
                yield Static(_("votre identifiant"), classes="info-label")
                yield Static(plain(self.app.session.identifier if self.app.session else ""), id="info-identifier",
                             classes="info-value")
            with Horizontal(classes="info-row"):
                yield Static(_("votre adresse mail actuelle"), classes="info-label")
                yield Static("", id="info-email", classes="info-value")
            yield Static("", id="info-email-hint", classes="field-hint")
        with Vertical(id="pending-box"):
            yield Static(_("Votre adresse mail n'a pas été validée"), classes="paragraph-error", id="pending-text")
            with Horizontal(classes="buttons"):
                yield KioskButton(_("RENVOYER UN MAIL DE VALIDATION"), id="resend")
                yield KioskButton(_("SAISIR LE CODE REÇU"), id="enter-code")
            yield Static("", id="resend-status")
        yield Static(_("Modification de vos informations"), classes="subheading")
        yield Static(_("La saisie de votre mot de passe actuel est obligatoire pour toute modification "
                       "d'information"), classes="paragraph")
        yield PasswordField(_("votre mot de passe actuel"), "current_password")
        yield Field(_("votre nouvelle adresse mail"), "email", max_length=254)
        yield Field(_("confirmation de votre adresse mail"), "email_confirm", max_length=254)
        yield PasswordField(_("votre nouveau mot de passe"), "new_password", rule=True)
        yield PasswordField(_("confirmation du nouveau mot de passe"), "new_password_confirm")
        yield KioskButton(_("ENREGISTRER"), id="save", classes="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#pending-box").display = False
        self.query_one("#resend-status").display = False
        self.query_one("#return", Button).display = not self.forced
        # The first field, scrolled into view once laid out: typing never goes into a hidden field.
        self.set_focus(self.query_one("#current_password"), scroll_visible=False)
        self.call_after_refresh(self.show_focused)
        self.refresh_account()

    def refresh_account(self) -> None:
        self.call(self.app.service.account, self.app.token, then=self._show_account)

    def _show_account(self, view: AccountView) -> None:
        self.query_one("#info-email", Static).update(plain(view.email or ""))
        hint = self.query_one("#info-email-hint", Static)
        hint.update(_("Si cette zone est vierge, vous n'avez pas d'adresse mail rattachée à votre compte."))
        hint.display = not view.email
        pending = view.email_state == EmailState.PENDING
        self.query_one("#pending-box").display = pending
        if pending:
            self.query_one("#pending-text", Static).update(
                plain(_("Votre adresse mail n'a pas été validée : {address}").format(address=view.pending_email)))
        self.call_after_refresh(self.show_focused)  # the box may have pushed the focused field away

    @on(Button.Pressed, "#save")
    def submit(self) -> None:
        self.call(self.app.service.update_profile, self.app.token,
                  current_password=self.value("current_password"),
                  new_email=self.value("email"), confirm_email=self.value("email_confirm"),
                  new_password=self.value("new_password"), confirm_password=self.value("new_password_confirm"),
                  then=self._saved)

    def _saved(self, outcome: Outcome) -> None:
        for field in self.fields().values():
            field.clear()
        if self.forced and outcome.password_changed:
            self.app.go_home(instead_of_current=True)
            return
        self.refresh_account()  # first: a new call clears the messages of the last one
        if outcome.password_changed:
            self.show_info(_("Votre nouveau mot de passe est pris en compte dès maintenant."))
        if outcome.email_pending:
            if outcome.mail_problem:
                paragraphs = [outcome.mail_problem, _(MAIL_RETRY)]
            else:
                paragraphs = [_(EMAIL_REQUESTED)]
            if outcome.password_changed:
                paragraphs.append(_("Votre nouveau mot de passe est pris en compte dès maintenant."))
            self.app.push_screen(MessageScreen(N_("MODIFIER VOS INFORMATIONS PERSONNELLES"), N_("VOTRE ADRESSE MAIL"),
                                               *paragraphs, error=bool(outcome.mail_problem)))

    @on(Button.Pressed, "#resend")
    def _resend(self) -> None:
        self.query_one("#resend-status").display = False
        self.call(self.app.service.resend_validation, self.app.token, then=self._resent, failed=self._not_resent)

    def _resent(self, _address: str) -> None:
        self._resend_status(_("Le mail a été envoyé"))

    def _not_resent(self, error: DomainError) -> None:
        self._resend_status(str(error), error=True)

    def _resend_status(self, message: str, *, error: bool = False) -> None:
        """Under the two buttons of the box, where the student's eyes (and focus) are."""
        status = self.query_one("#resend-status", Static)
        status.update(plain(message))
        status.set_class(error, "-error")
        status.display = True
        self.call_after_refresh(status.scroll_visible, animate=False)

    @on(Button.Pressed, "#enter-code")
    def _enter_code(self) -> None:
        from .validate_email import ValidateEmailScreen

        self.app.push_screen(ValidateEmailScreen())

    @on(Button.Pressed, "#return")
    def _return(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#logout")
    def _logout(self) -> None:
        self.app.end_session()

    def action_back(self) -> None:
        if self.busy:
            return
        if self.forced:
            self.app.end_session()
        else:
            self.app.pop_screen()
