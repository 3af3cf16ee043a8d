"""12. A forgotten-password request found by its reference, in the staff console.

A student who is stuck reads out the 13-digit number MOT DE PASSE OUBLIÉ showed
them; staff type it on the console (« Retrouver une demande (n° de référence) ») and
see when the request was made, where it stands — en cours, utilisée, expirée,
annulée —, whether its mail left, and open the student's card from there.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ...service import ResetRequestView
from ..text import plain
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys


class RequestScreen(KioskScreen):
    """Demande n° …: date and kiosk, state, mail, account; « Fiche de l'élève »."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Choisir"), back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")

    def __init__(self, request: ResetRequestView) -> None:
        super().__init__()
        self.request = request

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return _("Demande de changement de mot de passe n°\u00a0{reference}").format(reference=self.request.reference)

    def compose_body(self) -> ComposeResult:
        request = self.request
        rows = request.rows(self.app.settings.timezone)[1:]  # the heading has the number
        if request.student is not None:
            st = request.student
            pupil = f"{st.first_name} {st.last_name}" + (f", {st.class_name}" if st.class_name else "")
            rows.append((_("Élève"), _("{pupil} (compte {state})").format(pupil=pupil, state=st.state_label.lower())))
        with VerticalGroup(id="account-info"):
            for label, value in rows:
                with HorizontalGroup(classes="info-row"):
                    yield Static(plain(label), classes="info-label staff-label")
                    yield Static(plain(value), classes="info-value")
        with HorizontalGroup(classes="buttons"):
            if request.student is not None:
                yield KioskButton(_("Fiche de l'élève"), id="student", variant="primary")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.query(".buttons Button").first().focus()

    def reload(self) -> None:
        """Back from the student's card, where a reset may have voided this request."""
        from .staff_common import staff_read

        service = self.app.service
        self.call(staff_read, service, self.app.token, service.find_reset_request, self.request.reference,
                  then=self._reloaded)

    def _reloaded(self, request: ResetRequestView) -> None:
        self.request = request
        self.call_later(self._show_again)

    async def _show_again(self) -> None:
        focused = self.focused.id if self.focused is not None else None
        await self.recompose()
        buttons = self.query(".buttons Button")
        target = next((b for b in buttons if b.id == focused), None) or buttons.first()
        target.focus()

    def submit(self) -> None:
        if isinstance(self.focused, Button):
            self.focused.press()

    @on(Button.Pressed, "#student")
    def _student(self) -> None:
        from .staff_student import StudentScreen

        if self.request.student is not None:
            self.app.push_screen(StudentScreen(self.request.student))

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()
