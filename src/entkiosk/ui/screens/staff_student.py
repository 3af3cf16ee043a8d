"""12. One student in the staff console: their account, and what staff can do for it.

Only the actions that make sense for the account's state are offered: a new letter
while it waits for activation, a reset once activated, re-creation once expired,
unlock when locked out, a forced password change when activated.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button

from ...domain.i18n import N_, _
from ...domain.roles import Right
from ...service import StudentStatus
from ..text import local_date
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys
from .staff_common import address_state, info_rows, offers, unlock_job
from .staff_actions import ConfirmScreen, JobScreen, force_password_change, letters_job, print_letters


class StudentScreen(KioskScreen):
    """Fiche élève: state, deadline, address, lockout, and the actions that apply."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Choisir"), back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")

    def __init__(self, student: StudentStatus) -> None:
        super().__init__()
        self.student = student

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return f"{self.student.first_name} {self.student.last_name}"

    def _rows(self) -> list[tuple[str, str]]:
        st = self.student
        tz = self.app.settings.timezone
        rows = [
            (_("Identifiant"), st.identifier),
            (_("Classe"), st.class_name or ""),
            (_("Né(e) le"), st.birth_date.strftime("%d/%m/%Y") if st.birth_date else ""),
            (_("État du compte"), st.state_label),
            (_("Charte"), _("acceptée") if st.charter else _("non acceptée")),
            (_("Adresse mail"), address_state(st.email_state)),
        ]
        if st.state in ("waiting", "expired") and st.deadline:
            rows.append((_("Activation avant le"), st.deadline.strftime("%d/%m/%Y")))
        if st.activated_at:
            rows.append((_("Activé le"), local_date(st.activated_at, tz)))
        if st.left_at:
            rows.append((_("Départ le"), local_date(st.left_at, tz)))
            if st.deleted_on:
                rows.append((_("Compte supprimé le"), _("{day} (sauf retour avant)").format(
                    day=f"{st.deleted_on:%d/%m/%Y}")))
        if st.locked:
            rows.append((_("Blocage"), _("trop d'essais infructueux : compte bloqué")))
        if st.must_change_password:
            rows.append((_("Mot de passe"), _("à changer à la prochaine connexion")))
        return rows

    def compose_body(self) -> ComposeResult:
        yield from info_rows(self._rows())
        st = self.student
        with HorizontalGroup(classes="buttons"):
            if st.state == "left":
                pass  # a closed account: nothing to print, reset or force (the next update reopens it)
            elif st.state == "waiting":
                yield KioskButton(_("Imprimer un nouveau courrier"), id="letter", variant="primary")
            elif st.state == "expired":
                if offers(self.app, Right.RESET):
                    yield KioskButton(_("Recréer le compte"), id="recreate", variant="primary")
            else:
                if offers(self.app, Right.RESET):
                    yield KioskButton(_("Réinitialiser le compte"), id="reset", variant="primary")
                if offers(self.app, Right.FORCE_CHANGE):
                    yield KioskButton(_("Changement de mot de passe imposé"), id="force")
        with HorizontalGroup(classes="buttons"):
            if st.locked:
                yield KioskButton(_("Débloquer"), id="unlock")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.query(".buttons Button").first().focus()

    def submit(self) -> None:
        if self.focused is not None and isinstance(self.focused, Button):
            self.focused.press()

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()

    def _then_back(self, done: bool | None) -> None:
        """After a job: back to the class, which reloads and shows the new state."""
        if done:
            self.app.pop_screen()

    @on(Button.Pressed, "#letter")
    def _letter(self) -> None:
        print_letters(self, identifier=self.student.identifier, then=self._then_back)

    @on(Button.Pressed, "#reset")
    def _reset(self) -> None:
        ident = self.student.identifier
        self._reissue(
            _("Réinitialiser le compte « {identifier} »").format(identifier=ident),
            _("L'élève reçoit un nouveau courrier avec un mot de passe provisoire et un nouveau délai d'activation. "
              "Son mot de passe actuel ne fonctionnera plus, ses sessions ouvertes et ses codes en cours sont annulés. "
              "Son adresse mail validée est conservée."),
            _("RÉINITIALISER"), self.app.service.staff_reset)

    @on(Button.Pressed, "#recreate")
    def _recreate(self) -> None:
        ident = self.student.identifier
        self._reissue(
            _("Recréer le compte « {identifier} »").format(identifier=ident),
            _("Le délai d'activation de ce compte est dépassé. Il est recréé avec un nouveau courrier "
              "(nouveau mot de passe provisoire, nouveau délai)."),
            _("RECRÉER"), self.app.service.recreate)

    def _reissue(self, title: str, text: str, confirm: str, use_case) -> None:
        ident = self.student.identifier
        job = letters_job(self, ident, lambda *, progress, actor, deliver: [use_case(ident, actor=actor, deliver=deliver)])

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.push_screen(JobScreen(title, job), self._then_back)

        self.app.push_screen(ConfirmScreen(title, text, confirm), confirmed)

    @on(Button.Pressed, "#force")
    def _force(self) -> None:
        force_password_change(self, identifier=self.student.identifier, then=self._then_back)

    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        ident = self.student.identifier
        self.app.push_screen(JobScreen(_("Débloquer « {identifier} »").format(identifier=ident),
                                       unlock_job(self.app, ident)), self._then_back)
