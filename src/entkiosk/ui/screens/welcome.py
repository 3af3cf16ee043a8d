"""1. Accueil: the establishment, a welcome, and the ways in."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Static

from ..text import plain
from ..widgets.controls import KioskButton
from .base import NAVIGATION, KioskScreen


class WelcomeScreen(KioskScreen):
    """The accueil: « Se connecter », « Identifiant oublié ? », « Mot de passe oublié ? », « Guide mobile »."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *NAVIGATION,
        Binding("enter", "submit", "Choisir", key_display="Entrée", id="submit"),
        Binding("f2", "demo", "Courriers de démo", key_display="F2", id="demo"),
    ]
    BAND = "ACCUEIL"

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self._notice = notice

    def compose_body(self) -> ComposeResult:
        est = self.app.settings.establishment
        yield Static(plain(f"Bienvenue sur les services en ligne de l'établissement {est.name}"), classes="heading")
        yield Static(
            "Activez votre compte avec le courrier de notification remis par votre établissement, "
            "gérez votre mot de passe et votre adresse mail, ou retrouvez un identifiant perdu.",
            classes="paragraph",
        )
        with Vertical(id="menu"):
            yield KioskButton("Se connecter", id="login", variant="primary")
            yield KioskButton("Identifiant oublié ?", id="forgot-identifier")
            yield KioskButton("Mot de passe oublié ?", id="forgot-password")
            yield KioskButton("J'ai reçu un code de réinitialisation", id="reset-password")
            yield KioskButton("Guide mobile", id="guide")
            if self.app.demo_letters:
                yield KioskButton("Courriers de démonstration (F2)", id="demo")

    #: Seconds a notice for the student who just left (« Session terminée… », « Vous avez
    #: refusé la charte… ») stays on the accueil: the next student does not read it.
    NOTICE_SECONDS = 30

    def on_mount(self) -> None:
        if self._notice:
            self.show_info(self._notice)
            self.set_timer(self.NOTICE_SECONDS, self.clear_errors, name="notice")
        self.query_one("#login", Button).focus()

    def on_screen_suspend(self) -> None:
        # Whoever leaves the accueil was told already; coming back, it is gone. (KioskScreen's
        # handler runs after this one.)
        self.clear_errors()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return bool(self.app.demo_letters)
        if action == "back":
            return False  # the accueil is the first screen: nothing behind it
        return True

    def action_back(self) -> None:
        """The accueil is the first screen: nothing behind it."""

    def action_submit(self) -> None:
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()

    def action_demo(self) -> None:
        from .demo import DemoLettersScreen

        self.app.push_screen(DemoLettersScreen())

    @on(Button.Pressed)
    def _choose(self, event: Button.Pressed) -> None:
        from .forgot import ForgotIdentifierScreen, ForgotPasswordScreen, ResetPasswordScreen
        from .guide import GuideScreen
        from .portal import PortalScreen, open_portal

        match event.button.id:
            case "login":
                remembered = self.app.memory.load()
                if remembered is None or not open_portal(self.app, *remembered):
                    self.app.show(self.app.way_in(PortalScreen))
            case "forgot-identifier":
                self.app.push_screen(ForgotIdentifierScreen())
            case "forgot-password":
                self.app.push_screen(ForgotPasswordScreen())
            case "reset-password":
                self.app.push_screen(ResetPasswordScreen())
            case "guide":
                self.app.push_screen(GuideScreen())
            case "demo":
                self.action_demo()
