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
from ...domain.i18n import N_, _
from .base import NAVIGATION, KioskScreen
from .language import IN_EVERY_LANGUAGE, offered


class WelcomeScreen(KioskScreen):
    """The accueil: « Se connecter », « Identifiant oublié ? », « Mot de passe oublié ? », « Guide mobile »."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *NAVIGATION,
        Binding("enter", "submit", N_("Choisir"), key_display=N_("Entrée"), id="submit"),
        Binding("f3", "language", IN_EVERY_LANGUAGE, key_display="F3", id="language"),
        Binding("f4", "colours", N_("Couleurs"), key_display="F4", id="colours"),
        Binding("f2", "demo", N_("Démo"), key_display="F2", id="demo"),
    ]
    BAND = N_("ACCUEIL")

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self._notice = notice

    def compose_body(self) -> ComposeResult:
        est = self.app.settings.establishment
        yield Static(plain(_("Bienvenue sur les services en ligne de l'établissement {name}").format(name=est.name)),
                     classes="heading")
        yield Static(
            _("Activez votre compte avec le courrier de notification remis par votre établissement, "
              "gérez votre mot de passe et votre adresse mail, ou retrouvez un identifiant perdu."),
            classes="paragraph",
        )
        with Vertical(id="menu"):
            yield KioskButton(_("Se connecter"), id="login", variant="primary")
            yield KioskButton(_("Identifiant oublié ?"), id="forgot-identifier")
            yield KioskButton(_("Mot de passe oublié ?"), id="forgot-password")
            yield KioskButton(_("J'ai reçu un code de réinitialisation"), id="reset-password")
            yield KioskButton(_("Guide mobile"), id="guide")
            if self.app.demo_letters:
                yield KioskButton(_("Courriers de démonstration (F2)"), id="demo")

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
        if action == "language":
            return len(offered()) > 1  # no choice to offer without a second catalog
        if action == "back":
            return False  # the accueil is the first screen: nothing behind it
        return True

    def action_back(self) -> None:
        """The accueil is the first screen: nothing behind it."""

    def action_submit(self) -> None:
        focused = self.focused
        if isinstance(focused, Button):
            focused.press()

    def action_language(self) -> None:
        from .language import LanguageScreen

        self.app.push_screen(LanguageScreen())

    def action_colours(self) -> None:
        from ..themes import THEMES

        chosen = self.app.switch_theme()
        self.show_info(_("Affichage : {theme} (F4 pour changer).").format(theme=_(THEMES[chosen][1])))

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
