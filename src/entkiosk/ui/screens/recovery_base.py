"""What the recovery screens share: a short form with VALIDER / ANNULER under it, as on
the guide's recovery pages, and the way back to a fresh accueil."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys
from .message import MessageScreen


class RecoveryScreen(KioskScreen):
    """VALIDER / ANNULER under a short form, as on the guide's recovery pages."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Annuler"))

    def buttons(self) -> ComposeResult:
        yield Static(_("*Champ obligatoire"), classes="note")
        with Horizontal(classes="buttons"):
            yield KioskButton(_("VALIDER"), id="validate", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()

    def password_changed(self, _result: object = None) -> None:
        """The guide's confirmation after a new password, then a fresh accueil."""
        self.app.switch_screen(MessageScreen(
            N_("CONFIRMATION"), N_("Confirmation de modification de mot de passe"),
            _("Votre mot de passe a été modifié avec succès."),
            _("Vous pouvez à présent vous connecter avec votre nouveau mot de passe."),
            then=self.finish))

    def finish(self) -> None:
        """After the confirmation page: back to a fresh accueil."""
        self.app.end_session()
