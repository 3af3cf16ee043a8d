"""2. Scolarité Services — authentification (students) and the staff login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Static

from ...domain.errors import AccountExpired, DomainError
from ...domain.i18n import N_, _
from ..widgets.controls import KioskButton
from ..widgets.fields import Field, PasswordField
from .base import KioskScreen

if TYPE_CHECKING:
    # Not at run time: a student quicker than the service's start-up would otherwise wait
    # for SQLAlchemy on the event loop when opening this screen.
    from ...service import LoginResult


class LoginScreen(KioskScreen):
    """« votre identifiant », « votre mot de passe », VALIDER, and the two ways to recover."""

    BAND = N_("SCOLARITÉ SERVICES")

    def __init__(self, *, staff: bool = False, guardians: bool = False) -> None:
        super().__init__()
        self.staff = staff
        #: « Parent » on the portal: a legal guardian's own account.
        self.for_guardians = guardians and not staff

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        # French, marked for the catalogs: the band and heading are translated where shown.
        if self.staff:
            return N_("Personnel de l'Éducation Nationale — authentification")
        if self.for_guardians:
            return N_("Scolarité Services — responsables légaux")
        return N_("Scolarité Services — authentification")

    def compose_body(self) -> ComposeResult:
        if self.for_guardians:
            yield Static(_("Bienvenu(e) sur Scolarité Services qui vous propose différents services en ligne "
                           "concernant la scolarité de vos enfants. Connectez-vous avec le courrier reçu par la poste, "
                           "à votre nom."), classes="paragraph")
        elif not self.staff:
            yield Static(_("Bienvenu(e) sur Scolarité Services qui vous propose différents services en ligne "
                           "concernant votre scolarité."), classes="paragraph")
        yield Field(_("votre identifiant"), "identifier", placeholder=_("Saisissez un identifiant"), max_length=80)
        yield PasswordField(_("votre mot de passe"), "password", placeholder=_("Saisissez un mot de passe"))
        yield KioskButton(_("VALIDER"), id="validate", classes="submit", variant="primary")
        if not self.staff:
            with Horizontal(classes="links"):
                yield KioskButton(_("identifiant oublié ? →"), id="forgot-identifier", classes="link")
                yield KioskButton(_("mot de passe oublié ? →"), id="forgot-password", classes="link")
        change = KioskButton(_("Changer de portail"), id="change-portal", classes="link")
        change.display = self._portal_remembered()
        yield change

    def _portal_remembered(self) -> bool:
        return self.app.memory.load() is not None

    def on_mount(self) -> None:
        self.focus_first()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # This screen is kept (App.way_in): the portal choice may have been remembered or
        # forgotten since it was built. (KioskScreen's handler runs after this one.)
        self.query_one("#change-portal").display = self._portal_remembered()

    def first_focus(self) -> Widget:
        return self.query_one("#identifier")

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.authenticate, self.value("identifier"), self.value("password"),
                  kind="staff" if self.staff else "parent" if self.for_guardians else "student", then=self._logged_in,
                  failed=self._refused)

    def _logged_in(self, login: LoginResult) -> None:
        for field in self.fields().values():
            field.clear()
        self.app.open_session(login)

    def _refused(self, error: DomainError) -> None:
        if isinstance(error, AccountExpired):
            from .message import MessageScreen

            self.app.push_screen(MessageScreen(N_("SCOLARITÉ SERVICES"), N_("Compte expiré"), str(error), error=True))
            return
        self.show_error(error)

    @on(Button.Pressed, "#forgot-identifier")
    def _forgot_identifier(self) -> None:
        from .forgot import ForgotIdentifierScreen

        self.app.push_screen(ForgotIdentifierScreen())

    @on(Button.Pressed, "#forgot-password")
    def _forgot_password(self) -> None:
        from .forgot import ForgotPasswordScreen

        self.app.push_screen(ForgotPasswordScreen())

    @on(Button.Pressed, "#change-portal")
    def _change_portal(self) -> None:
        self.app.change_portal()
