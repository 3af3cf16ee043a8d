"""« Je n'ai pas d'adresse mail »: a new password approved in person by an adult.

The pupil gives an identifier and a birth date; the kiosk shows a short request code and
the pupil's name, and waits — the idle timeout does not end this wait — until a staff
member approves the request from the supervised session or the console (after checking who
the pupil is), then asks for the new password. The kiosk keeps the request's token in
memory only; leaving the waiting screen cancels the request.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from ...domain.i18n import N_, _
from ...domain.passwords import reset_rule
from ...service import HelpTicket
from ..text import plain
from ..widgets.fields import BirthDateField, Field, PasswordField
from .base import KioskScreen, worker_failure
from .recovery_base import RecoveryScreen
from .message import MessageScreen

BAND = N_("MOT DE PASSE OUBLIÉ")


class HelpAskScreen(RecoveryScreen):
    """Identifier and birth date: the request an adult will approve."""

    BAND = BAND
    HEADING = N_("Je n'ai pas d'adresse mail")

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Un adulte de l'établissement (votre professeur ou le secrétariat) va vérifier qui vous "
                             "êtes ; vous choisirez ensuite un nouveau mot de passe sur ce poste.")), classes="paragraph")
        yield Field(_("votre identifiant*"), "identifier", max_length=80)
        yield BirthDateField(_("votre date de naissance*"))
        yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#identifier").focus()

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.ask_for_help, self.value("identifier"), self.query_one(BirthDateField).value,
                  then=lambda ticket: self.app.switch_screen(HelpWaitScreen(ticket)))


class HelpWaitScreen(KioskScreen, inherit_bindings=False):
    """The request code, large, and the pupil's name, until an adult approves."""

    # Nothing to type or choose while waiting: a stray Entrée must not cancel the request.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Annuler la demande"), key_display=N_("Échap"), id="back"),
    ]

    BAND = BAND
    HEADING = N_("Demande en attente")
    #: The pupil waits for an adult: not idleness. The request ends on its own after 15 minutes.
    KEEPS_AWAKE = True

    def __init__(self, ticket: HelpTicket) -> None:
        super().__init__()
        self.ticket = ticket
        self._worker: Worker[str] | None = None

    def compose_body(self) -> ComposeResult:
        t = self.ticket
        until = t.expires_at.astimezone(self.app.settings.timezone)
        yield Static(plain(_("Demande n° {code}").format(code=t.code)), id="help-code", classes="subheading")
        if t.class_name:
            name = _("{last_name} {first_name} — classe {class_name}").format(
                last_name=t.last_name.upper(), first_name=t.first_name, class_name=t.class_name)
        else:
            name = f"{t.last_name.upper()} {t.first_name}"
        yield Static(plain(name), id="help-name", classes="paragraph")
        yield Static(plain(_("Montrez cet écran à votre professeur ou au secrétariat. Après avoir vérifié qui vous "
                             "êtes, il approuve la demande n° {code} : ce poste vous demandera alors votre "
                             "nouveau mot de passe.").format(code=t.code)), classes="paragraph")
        yield Static(plain(_("Cette demande expire à {time}. Restez devant ce poste ; Échap annule la "
                             "demande.").format(time=f"{until:%H:%M}")), id="help-until", classes="note")

    def on_mount(self) -> None:
        self.set_interval(self.app.settings.kiosk.live_refresh, self.check, name="help-check")

    def check(self) -> None:
        """Ask the service where the request stands, unless the previous answer is on its way."""
        if self._worker is not None and self._worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        service, token = self.app.service, self.ticket.token
        self._worker = self.run_worker(lambda: service.help_state(token), thread=True, exit_on_error=False,
                                       name="help-check")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if event.state == WorkerState.ERROR:
            worker_failure(self.app, event.worker)  # logged; the next check tries again
            return
        state = event.worker.result
        if state == "approved":
            self.app.switch_screen(HelpPasswordScreen(self.ticket))
        elif state in ("expired", "cancelled", "used"):
            self.app.switch_screen(MessageScreen(
                BAND, N_("Demande terminée"),
                _("Cette demande a expiré sans être approuvée.") if state == "expired" else
                _("Cette demande n'est plus valable (une autre demande a été faite pour ce compte)."),
                _("Vous pouvez en faire une nouvelle depuis « Mot de passe oublié ? »."),
                then=self.app.end_session, error=True))

    def action_back(self) -> None:
        self.call(self.app.service.cancel_help, self.ticket.token, then=lambda _result: self.app.end_session())


class HelpPasswordScreen(RecoveryScreen):
    """The request was approved: the new password, twice."""

    BAND = N_("MODIFIEZ VOTRE MOT DE PASSE")
    HEADING = N_("Votre nouveau mot de passe")

    def __init__(self, ticket: HelpTicket) -> None:
        super().__init__()
        self.ticket = ticket

    def compose_body(self) -> ComposeResult:
        accounts = self.app.settings.accounts
        approved = _("Demande n° {code} approuvée. Choisissez votre nouveau mot de passe.").format(code=self.ticket.code)
        yield Static(plain(approved), classes="paragraph")
        yield PasswordField(_("votre nouveau mot de passe*"), "new_password",
                            hint=reset_rule(accounts.password_min_length, accounts.password_max_length))
        yield PasswordField(_("confirmation du nouveau mot de passe*"), "new_password_confirm")
        yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#new_password").focus()

    def action_back(self) -> None:
        """ANNULER (or Échap): the approval is given up; another request needs another one."""
        self.call(self.app.service.cancel_help, self.ticket.token, then=lambda _result: self.app.end_session())

    @on(Button.Pressed, "#validate")
    def submit(self) -> None:
        self.call(self.app.service.finish_help, self.ticket.token, self.value("new_password"),
                  self.value("new_password_confirm"), then=self.password_changed)
