"""4. Charte d'utilisation de l'ENT: read, tick « J'accepte la charte », VALIDER; refusing logs out."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from ...domain.errors import DomainError
from ..text import plain
from .base import KioskScreen


class CharterScreen(KioskScreen):
    BAND = "ACCUEIL > ACTUALITÉS"
    HEADING = "Charte d'utilisation de l'ENT"

    def compose_body(self) -> ComposeResult:
        try:
            charter = self.app.service.charter()
            text, self._version = charter.text, charter.version
        except DomainError as exc:
            text, self._version = str(exc), ""
        with VerticalScroll(id="charter-text", can_focus=True):
            yield Static(plain(text), markup=False)
        yield Checkbox("J'accepte la charte", id="accept")
        with Horizontal(classes="buttons"):
            yield Button("VALIDER", compact=True, id="validate", classes="submit", variant="primary")
            yield Button("Refuser et se déconnecter", compact=True, id="decline")

    def on_mount(self) -> None:
        self.query_one("#charter-text").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        if not self.query_one("#accept", Checkbox).value:
            self.show_error(DomainError("Cochez « J'accepte la charte » pour accéder aux services."))
            self.query_one("#accept").focus()
            return
        self.call(self.app.service.accept_charter, self.app.token, self._version, then=self._accepted)

    def _accepted(self, step: str) -> None:
        from .home import HomeScreen
        from .profile import ProfileScreen

        self.app.switch_screen(ProfileScreen(forced=True) if step == "change_password" else HomeScreen())

    @on(Button.Pressed, "#decline")
    def _decline(self) -> None:
        self.call(self.app.service.decline_charter, self.app.token,
                  then=lambda _: self.app.end_session("Vous avez refusé la charte : vous êtes déconnecté(e)."))

    def action_back(self) -> None:
        self._decline()
