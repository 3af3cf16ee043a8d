"""The staff side of the kiosk (the console comes with its own issue): closing the kiosk."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Button, Static

from ..text import plain
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys


class StaffScreen(KioskScreen):
    """After a staff login: close the kiosk or go back to the accueil."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back="Se déconnecter")

    BAND = "PERSONNEL DE L'ÉDUCATION NATIONALE"
    HEADING = "Console du personnel"

    def compose_body(self) -> ComposeResult:
        who = self.app.session.identifier if self.app.session else ""
        yield Static(plain(f"Connecté(e) : {who}"), classes="paragraph")
        yield Static("La gestion des classes et des courriers se fait pour l'instant en ligne de commande "
                     "(entkiosk import, entkiosk letters, entkiosk reset, entkiosk unlock).", classes="paragraph")
        yield KioskButton("Fermer le kiosque", id="close", variant="error")
        yield KioskButton("SE DÉCONNECTER", id="logout", classes="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#logout", Button).focus()

    def action_back(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#logout")
    def submit(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        """Fermer le kiosque: the staff session ends (recorded), then the app."""
        self.call(self.app.service.logout, self.app.token, then=lambda _: self.app.exit())
