"""The staff side of the kiosk (the console comes with its own issue): closing the kiosk."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from ..text import plain
from .base import KioskScreen


class StaffScreen(KioskScreen):
    """After a staff login: close the kiosk or go back to the accueil."""

    BAND = "PERSONNEL DE L'ÉDUCATION NATIONALE"
    HEADING = "Console du personnel"

    def compose_body(self) -> ComposeResult:
        who = self.app.session.identifier if self.app.session else ""
        yield Static(plain(f"Connecté(e) : {who}"), classes="paragraph")
        yield Static("La gestion des classes et des courriers se fait pour l'instant en ligne de commande "
                     "(entkiosk import, entkiosk letters, entkiosk reset, entkiosk unlock).", classes="paragraph")
        yield Button("Fermer le kiosque", compact=True, id="close", variant="error")
        yield Button("SE DÉCONNECTER", compact=True, id="logout", classes="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#logout", Button).focus()

    def action_back(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#logout")
    def submit(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        token = self.app.token
        if token:
            self.app.service.logout(token)
        self.app.exit()
