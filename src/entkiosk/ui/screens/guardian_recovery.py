"""« Envoyer le code à un responsable légal »: a pupil without a validated address has the
reset code mailed to one of their legal guardians, who gives it to them.

The pupil gives an identifier and a birth date; the screen names each guardian who can
receive it as « Mme N. » or « M. N. » only (never an address); the mail names the child and
this kiosk. Then the usual « MODIFIEZ VOTRE MOT DE PASSE » page, with the code.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static

from ...service import ResetReference
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import BirthDateField, Field
from .message import MessageScreen
from .recovery_base import RecoveryScreen


class GuardianAskScreen(RecoveryScreen):
    """Identifier and birth date, then one button per guardian who can receive the code."""

    BAND = "MOT DE PASSE OUBLIÉ"
    HEADING = "Envoyer le code à un responsable légal"

    def __init__(self) -> None:
        super().__init__()
        self._asked: tuple[str, str] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(plain("Le code pour choisir un nouveau mot de passe peut être envoyé à l'adresse mail validée "
                           "de l'un de vos responsables légaux, qui vous le donnera."), classes="paragraph")
        yield Field("votre identifiant*", "identifier", max_length=80)
        yield BirthDateField("votre date de naissance*")
        yield from self.buttons()
        yield Vertical(id="guardians")

    def on_mount(self) -> None:
        self.query_one("#identifier").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        asked = (self.value("identifier"), self.query_one(BirthDateField).value)
        self.call(self.app.service.guardians_to_ask, *asked, then=lambda names: self._choose(asked, names))

    def _choose(self, asked: tuple[str, str], names: list[str]) -> None:
        self._asked = asked
        box = self.query_one("#guardians", Vertical)
        box.remove_children()
        box.mount(Static(plain("À qui envoyer le code ?"), classes="subheading"))
        buttons = [KioskButton(f"Envoyer le code à {name}", id=f"guardian-{n}", classes="guardian")
                   for n, name in enumerate(names)]
        box.mount_all(buttons)
        self.call_after_refresh(buttons[0].focus)

    @on(Button.Pressed, ".guardian")
    def _send(self, event: Button.Pressed) -> None:
        if self._asked is None or event.button.id is None:
            return
        choice = int(event.button.id.rsplit("-", 1)[1])
        name = str(event.button.label).removeprefix("Envoyer le code à ")
        identifier, birth_date = self._asked
        self.call(self.app.service.mail_code_to_guardian, identifier, birth_date, choice,
                  then=lambda reference: self._sent(identifier, name, reference))

    def _sent(self, identifier: str, name: str, reference: ResetReference) -> None:
        from .forgot import ResetPasswordScreen

        self.app.switch_screen(MessageScreen(
            "MOT DE PASSE OUBLIÉ", "Code envoyé à votre responsable",
            f"Le code a été envoyé à {name}{'' if name.endswith('.') else '.'} La référence de cette demande est le n° {reference}.",
            "Demandez-lui le code, puis saisissez-le sur la page suivante avec votre nouveau mot de passe.",
            then=lambda: self.app.switch_screen(ResetPasswordScreen(identifier=identifier))))
