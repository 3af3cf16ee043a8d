"""8–10. IDENTIFIANT OUBLIÉ, MOT DE PASSE OUBLIÉ (with its reference, or its code sent to a legal guardian)
and MODIFIEZ VOTRE MOT DE PASSE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ...domain.passwords import reset_rule
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import BirthDateField, Field, PasswordField
from .message import MessageScreen
from .recovery_base import RecoveryScreen

if TYPE_CHECKING:
    from ...service import ResetReference


class ForgotIdentifierScreen(RecoveryScreen):
    BAND = N_("IDENTIFIANT OUBLIÉ")
    HEADING = N_("Identifiant oublié")

    def compose_body(self) -> ComposeResult:
        yield Static(_("Veuillez saisir les informations suivantes :"), classes="paragraph")
        yield Field(_("votre adresse mail*"), "email", max_length=254)
        yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#email").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.forgot_identifier, self.value("email"), then=self._sent)

    def _sent(self, address: str) -> None:
        self.app.switch_screen(MessageScreen(
            N_("IDENTIFIANT OUBLIÉ"), N_("Identifiant oublié"),
            _("Un mail rappelant votre identifiant vous a été envoyé à l'adresse suivante : {address}.").format(
                address=address),
            then=self.app.end_session))


class ForgotPasswordScreen(RecoveryScreen):
    BAND = N_("MOT DE PASSE OUBLIÉ")
    HEADING = N_("Mot de passe oublié")

    def compose_body(self) -> ComposeResult:
        yield Static(_("Veuillez saisir les informations suivantes :"), classes="paragraph")
        yield Field(_("votre identifiant*"), "identifier", max_length=80)
        yield from self.buttons()
        if self.app.settings.accounts.guardian_recovery:
            note = _("Pas d'adresse mail validée sur votre compte ? Un adulte de l'établissement peut approuver votre "
                     "demande, ou le code peut être envoyé à l'un de vos responsables légaux.")
        else:
            note = _("Pas d'adresse mail validée sur votre compte ? Un adulte de l'établissement peut approuver votre "
                     "demande.")
        yield Static(plain(note), classes="note")
        with Horizontal(classes="buttons"):
            yield KioskButton(_("Je n'ai pas d'adresse mail"), id="no-email")
            if self.app.settings.accounts.guardian_recovery:
                yield KioskButton(_("Envoyer le code à un responsable"), id="to-guardian")

    def on_mount(self) -> None:
        self.query_one("#identifier").focus()

    @on(Button.Pressed, "#no-email")
    def _no_email(self) -> None:
        from .help import HelpAskScreen

        self.app.switch_screen(HelpAskScreen())

    @on(Button.Pressed, "#to-guardian")
    def _to_guardian(self) -> None:
        self.app.switch_screen(GuardianAskScreen())

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        identifier = self.value("identifier")
        self.call(self.app.service.forgot_password, identifier, then=lambda ref: self._recorded(identifier, ref))

    def _recorded(self, identifier: str, reference: ResetReference) -> None:
        def to_reset() -> None:
            self.app.switch_screen(ResetPasswordScreen(identifier=identifier))

        recorded = (_("Votre demande de réinitialisation de mot de passe a été prise en compte."),
                    _("La référence de cette demande est le n° {reference}. Veuillez noter ce numéro.").format(
                        reference=reference))
        if reference.mail_problem:
            # The same words for every identifier: they tell about the mail, not the account.
            self.app.switch_screen(MessageScreen(
                N_("MOT DE PASSE OUBLIÉ"), N_("Mot de passe oublié"), *recorded,
                _("Aucun mail ne peut partir pour le moment : refaites votre demande plus tard, ou donnez ce "
                  "numéro à votre établissement."),
                then=self.finish, error=True))
            return
        self.app.switch_screen(MessageScreen(
            N_("MOT DE PASSE OUBLIÉ"), N_("Mot de passe oublié"), *recorded,
            _("Un mail détaillant la marche à suivre pour finaliser cette modification va vous être envoyé. "
              "Quand vous l'aurez reçu, saisissez son code sur la page suivante."),
            then=to_reset))


class ResetPasswordScreen(RecoveryScreen):
    """Reached with the code of the reset mail: identifier, code, new password twice."""

    BAND = N_("MODIFIEZ VOTRE MOT DE PASSE")
    HEADING = N_("Votre mot de passe")

    def __init__(self, *, identifier: str = "") -> None:
        super().__init__()
        self._identifier = identifier

    def compose_body(self) -> ComposeResult:
        yield Static(_("Veuillez saisir votre identifiant ainsi que votre nouveau mot de passe."), classes="paragraph")
        yield Field(_("votre identifiant*"), "identifier", value=self._identifier, max_length=80)
        yield Field(_("code reçu par mail*"), "code", placeholder="XXXX-XXXX", max_length=200,
                    hint=_("Le code du mail « Demande de changement de mot de passe n° … »"))
        yield PasswordField(_("votre nouveau mot de passe*"), "new_password",
                            hint=reset_rule(self.app.settings.accounts.password_min_length,
                                              self.app.settings.accounts.password_max_length))
        yield PasswordField(_("confirmation du nouveau mot de passe*"), "new_password_confirm")
        yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#code" if self._identifier else "#identifier").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.reset_password, self.value("identifier"), self.value("code"),
                  self.value("new_password"), self.value("new_password_confirm"), then=self.password_changed)

# « Envoyer le code à un responsable »: a pupil without a validated address has the reset
# code mailed to one of their legal guardians, who gives it to them. The screen names each
# guardian who can receive it as « Mme N. » or « M. N. » only (never an address); the mail
# names the child and this kiosk. Then « MODIFIEZ VOTRE MOT DE PASSE », with the code.


class GuardianAskScreen(RecoveryScreen):
    """Identifier and birth date, then one button per guardian who can receive the code."""

    BAND = N_("MOT DE PASSE OUBLIÉ")
    HEADING = N_("Envoyer le code à un responsable légal")

    def __init__(self) -> None:
        super().__init__()
        self._asked: tuple[str, str] | None = None
        self._names: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Le code pour choisir un nouveau mot de passe peut être envoyé à l'adresse mail validée "
                             "de l'un de vos responsables légaux, qui vous le donnera.")), classes="paragraph")
        yield Field(_("votre identifiant*"), "identifier", max_length=80)
        yield BirthDateField(_("votre date de naissance*"))
        yield from self.buttons()
        yield Vertical(id="guardians")

    def on_mount(self) -> None:
        self.query_one("#identifier").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        asked = (self.value("identifier"), self.query_one(BirthDateField).value)
        self.call(self.app.service.guardians_to_ask, *asked, then=lambda names: self._choose(asked, names))

    def _choose(self, asked: tuple[str, str], names: list[str]) -> None:
        self._asked, self._names = asked, names
        box = self.query_one("#guardians", Vertical)
        box.remove_children()
        box.mount(Static(plain(_("À qui envoyer le code ?")), classes="subheading"))
        buttons = [KioskButton(_("Envoyer le code à {name}").format(name=name), id=f"guardian-{n}",
                               classes="guardian")
                   for n, name in enumerate(names)]
        box.mount_all(buttons)
        self.call_after_refresh(buttons[0].focus)

    @on(Button.Pressed, ".guardian")
    def _send(self, event: Button.Pressed) -> None:
        if self._asked is None or event.button.id is None:
            return
        choice = int(event.button.id.rsplit("-", 1)[1])
        name = self._names[choice]
        identifier, birth_date = self._asked
        self.call(self.app.service.mail_code_to_guardian, identifier, birth_date, choice,
                  then=lambda reference: self._sent(identifier, name, reference))

    def _sent(self, identifier: str, name: str, reference: ResetReference) -> None:
        self.app.switch_screen(MessageScreen(
            N_("MOT DE PASSE OUBLIÉ"), N_("Code envoyé à votre responsable"),
            # « Mme N. »: the sentence's own full stop ends the name's abbreviation.
            _("Le code a été envoyé à {name}. La référence de cette demande est le n° {reference}.").format(
                name=name.removesuffix("."), reference=reference),
            _("Demandez-lui le code, puis saisissez-le sur la page suivante avec votre nouveau mot de passe."),
            then=lambda: self.app.switch_screen(ResetPasswordScreen(identifier=identifier))))
