"""What a staff member does for a pupil in the room: confirm their own password before an
action from the supervised session (at most every few minutes), and approve a pupil's
request « Je n'ai pas d'adresse mail » after checking who the pupil is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Static

from ...domain.errors import DomainError, PasswordNeeded
from ...domain.i18n import N_, _
from ...service import HelpRequestView
from ...service.team import CONFIRMATION_MINUTES
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field, PasswordField
from .base import KioskScreen, screen_keys
from .staff_common import staff_act

BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")


class PasswordCheckScreen(KioskScreen):
    """« Confirmez votre identité »: the staff member's password, before an action of the
    supervised session; dismissed with True once the service accepted it."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Annuler"))

    BAND = BAND
    HEADING = N_("Confirmez votre identité")

    def compose_body(self) -> ComposeResult:
        who = self.app.session.identifier if self.app.session else ""
        yield Static(plain(_("Cette action se fait au nom de {who}. Saisissez votre mot de passe : il ne sera plus "
                             "demandé pendant {minutes} minutes sur ce poste.").format(
                                 who=who, minutes=CONFIRMATION_MINUTES)), classes="paragraph")
        yield PasswordField(_("votre mot de passe*"), "password")
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("VALIDER"), id="validate", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#password").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.confirm_staff, self.app.token, self.value("password"),
                  then=lambda _confirmed: self.dismiss(True))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(False)


def confirmed_then(screen: KioskScreen, action: Callable[[], None]) -> None:
    """``action`` (which calls the service with ``confirmed=True``) once the staff member's
    password is fresh: asked first when the last one typed is older than the limit."""
    service, token = screen.app.service, screen.app.token

    def refused(error: DomainError) -> None:
        if isinstance(error, PasswordNeeded):
            screen.app.push_screen(PasswordCheckScreen(), lambda ok: action() if ok else None)
        else:
            screen.show_error(error)

    screen.call(service.staff_member, token, confirmed=True, then=lambda _member: action(), failed=refused)


class ApproveScreen(KioskScreen):
    """APPROUVER UNE DEMANDE: the request's code (filled from the supervised session) and
    the name of the pupil in front of the staff member, which must be the request's."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Approuver"), back=N_("Annuler"))

    BAND = BAND
    HEADING = N_("Approuver une demande sans adresse mail")

    def __init__(self, request: HelpRequestView | None = None, *, code: str = "", confirmed: bool = False) -> None:
        super().__init__()
        self.request = request
        self.code = request.code if request else code
        #: From the supervised session: the service wants the password typed recently.
        self.confirmed = confirmed

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Vérifiez qui est l'élève devant vous (carnet de correspondance, carte, liste de la "
                             "classe), puis saisissez son nom et son prénom : ils doivent être ceux de la demande. "
                             "Son poste lui demandera alors un nouveau mot de passe.")), classes="paragraph")
        yield Field(_("code de la demande*"), "code", max_length=20, placeholder="K7Q-2M9",
                    value=self.code,
                    hint=_("le code affiché sur l'écran de l'élève"))
        yield Field(_("nom et prénom de l'élève*"), "pupil", max_length=240)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("APPROUVER"), id="approve", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pupil" if self.code else "#code").focus()

    @on(Button.Pressed, "#approve")
    def submit(self) -> None:
        service = self.app.service
        kwargs: dict[str, Any] = {"confirmed": True} if self.confirmed else {}
        self.call(staff_act, service, self.app.token, service.approve_help, self.value("code"), self.value("pupil"),
                  then=self.dismiss, failed=self._refused, **kwargs)

    def _refused(self, error: DomainError) -> None:
        if isinstance(error, PasswordNeeded):  # the five minutes ran out while the name was typed
            self.app.push_screen(PasswordCheckScreen(), lambda ok: self.submit() if ok else None)
        else:
            self.show_error(error)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(None)
