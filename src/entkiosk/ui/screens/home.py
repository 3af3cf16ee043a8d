"""5. Accueil de l'élève: « Bienvenue <Prénom> », last login, the establishment's message and services."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ..text import local_date, plain
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys


class HomeScreen(KioskScreen):
    """MON COMPTE, CONTACT, SE DÉCONNECTER."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit="Choisir", back="Se déconnecter")
    BAND = "SCOLARITÉ SERVICES"

    def compose_body(self) -> ComposeResult:
        session = self.app.session
        settings = self.app.settings
        name = session.first_name if session else ""
        yield Static(plain(f"Bienvenue {name}"), classes="heading", id="welcome")
        previous = session.previous_login_at if session else None
        yield Static(plain(f"Dernière connexion le {local_date(previous, settings.timezone)}" if previous
                           else "Première connexion à vos services"), classes="paragraph", id="last-login")
        with Horizontal(id="home-menu"):
            yield KioskButton("MON COMPTE", id="account", variant="primary")
            yield KioskButton("CONTACT", id="contact")
            yield KioskButton("SE DÉCONNECTER", id="logout")
        if settings.establishment.message:
            yield Static("Message de l'établissement", classes="subheading")
            yield Static(plain(settings.establishment.message), classes="paragraph", id="message")
        yield Static("Vos services", classes="subheading")
        with Vertical(id="services"):
            for service in settings.services.list:
                yield Static(plain(f"• {service}"), classes="service")
        yield Static("", id="contact-box", classes="paragraph")

    def on_mount(self) -> None:
        self.query_one("#account", Button).focus()

    def action_submit(self) -> None:
        if isinstance(self.focused, Button):
            self.focused.press()

    def action_back(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#account")
    def _account(self) -> None:
        from .profile import ProfileScreen

        self.app.push_screen(ProfileScreen())

    @on(Button.Pressed, "#contact")
    def _contact(self) -> None:
        est = self.app.settings.establishment
        box = self.query_one("#contact-box", Static)
        box.update(plain(f"{est.name}\n{est.address}\nTél : {est.phone}\nCourriel : {est.email}"))
        box.add_class("-shown")
        box.scroll_visible()

    @on(Button.Pressed, "#logout")
    def _logout(self) -> None:
        self.app.end_session()
