"""7. Valider mon adresse mail: the code of the mail, typed at the kiosk."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ...service import AccountView
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from .base import KioskScreen, screen_keys
from .message import MessageScreen

CONFIRMED = N_("Votre adresse mail a été validée. Vous pouvez maintenant utiliser les fonctionnalités "
               "d'auto-dépannage mises à votre disposition sur la page d'accueil.")


class ValidateEmailScreen(KioskScreen):
    """The code of the validation mail; Échap (ANNULER) goes back to the profile."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Annuler"))
    BAND = N_("VALIDER MON ADRESSE MAIL")
    HEADING = N_("Validation de votre adresse mail")

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Saisissez le code reçu dans le mail « Message des services en ligne - Mise à jour de votre "
                       "adresse mail » (8 caractères, par exemple K7QF-2M9X).")), classes="paragraph")
        yield Field(_("code reçu par mail*"), "code", placeholder="XXXX-XXXX", max_length=200)
        yield Static(_("*Champ obligatoire"), classes="note")
        with Horizontal(classes="buttons"):
            yield KioskButton(_("VALIDER"), id="validate", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#code").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.validate_email, self.value("code"), token=self.app.token, then=self._validated)

    def _validated(self, _view: AccountView) -> None:
        self.app.switch_screen(MessageScreen(N_("CONFIRMATION"), N_("Confirmation de votre adresse mail"), _(CONFIRMED),
                                             button=_("ACCÉDER AUX SERVICES"), then=self.app.go_home))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()
