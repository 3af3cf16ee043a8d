"""4. Charte d'utilisation de l'ENT: read, tick « J'accepte la charte », VALIDER; refusing logs out."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from ...domain.errors import DomainError
from ...domain.i18n import N_, _
from ...service import Charter
from ..text import plain, reflow
from ..widgets.controls import KioskButton, KioskCheckbox, ScrollText
from .base import KioskScreen, screen_keys


class CharterScreen(KioskScreen):
    """The establishment's charter, read from its file by the service (in a worker)."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Refuser"))

    BAND = N_("ACCUEIL > ACTUALITÉS")
    HEADING = N_("Charte d'utilisation de l'ENT")

    def __init__(self) -> None:
        super().__init__()
        self._version: str | None = None

    def compose_body(self) -> ComposeResult:
        with ScrollText(id="charter-text", can_focus=True):
            yield Static(_("Chargement de la charte…"), id="charter-body", markup=False)
        yield KioskCheckbox(_("J'accepte la charte"), id="accept")
        with Horizontal(classes="buttons"):
            yield KioskButton(_("VALIDER"), id="validate", classes="submit", variant="primary")
            yield KioskButton(_("Refuser et se déconnecter"), id="decline")

    def on_mount(self) -> None:
        self.query_one("#charter-text").focus()
        self.call(self.app.service.charter, then=self._loaded, failed=self._unreadable)

    def _loaded(self, charter: Charter) -> None:
        self._version = charter.version
        self.query_one("#charter-body", Static).update(plain(reflow(charter.text)))

    def _unreadable(self, error: DomainError) -> None:
        self.query_one("#charter-body", Static).update(plain(str(error)))

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        if self.busy:
            return  # still loading
        if self._version is None:
            self.show_error(DomainError(_("La charte n'est pas disponible : adressez-vous à votre établissement.")))
            return
        if not self.query_one("#accept", Checkbox).value:
            self.show_error(DomainError(_("Cochez « J'accepte la charte » pour accéder aux services.")))
            self.query_one("#accept").focus()
            return
        self.call(self.app.service.accept_charter, self.app.token, self._version, then=self._accepted)

    def _accepted(self, step: str) -> None:
        from .profile import ProfileScreen

        if step == "change_password":
            self.app.switch_screen(ProfileScreen(forced=True))
        else:
            self.app.go_home(instead_of_current=True)

    @on(Checkbox.Changed, "#accept")
    def _ticked(self) -> None:
        self.clear_errors()

    @on(Button.Pressed, "#decline")
    def _decline(self) -> None:
        self.call(self.app.service.decline_charter, self.app.token,
                  then=lambda _result: self.app.end_session(
                      _("Vous avez refusé la charte : vous êtes déconnecté(e). Votre nouveau mot de passe reste "
                        "valable ; la charte vous sera proposée à la prochaine connexion.")))

    def action_back(self) -> None:
        """Échap: refusing the charter logs out, as « Refuser et se déconnecter »."""
        self._decline()
