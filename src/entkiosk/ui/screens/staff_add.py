"""12. Ajouter un élève: one student typed by staff, with a letter at once.

For a pupil who arrives during the year, and to create again, on request, an
account deleted after its activation deadline (SPEC §2): the same rules as a line
of a class list, and the letter is written to a PDF like any other.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Input, Static

from ...domain.errors import AlreadyEnrolled, DomainError, InvalidInput
from ...domain.i18n import N_, _
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import BirthDateField, Field
from .base import KioskScreen, screen_keys
from .staff_common import staff_read
from .staff_actions import JobScreen, letters_job


PREVIEW_EMPTY = N_("Identifiant qui sera créé\u00a0: saisissez le nom et le prénom.")


class AddStudentScreen(KioskScreen):
    """nom, prénom, date de naissance, classe; CRÉER LE COMPTE writes the letter."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Créer"), back=N_("Annuler"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Ajouter un élève")

    def __init__(self, class_name: str = "") -> None:
        super().__init__()
        self._class_name = class_name
        self._asked = 0  # previews asked for; only the latest answer is shown

    def compose_body(self) -> ComposeResult:
        yield Static(_("Pour un nouvel élève, ou pour recréer un compte supprimé après son délai d'activation."),
                     classes="paragraph")
        yield Field(_("nom*"), "last_name", max_length=120)
        yield Field(_("prénom*"), "first_name", max_length=120)
        yield BirthDateField(_("date de naissance*"))
        yield Field(_("classe*"), "class_name", max_length=60, value=self._class_name)
        yield Static(plain(_(PREVIEW_EMPTY)), id="identifier-preview", classes="note")
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("CRÉER LE COMPTE"), id="create", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#last_name").focus()

    @on(Input.Changed, "#last_name, #first_name")
    def _names_changed(self) -> None:
        """The identifier to be created, read again as the names are typed (nothing written)."""
        self._asked += 1
        asked, service, token = self._asked, self.app.service, self.app.token
        first, last = self.value("first_name"), self.value("last_name")

        def preview() -> None:
            try:
                identifier = service.preview_identifier(token, first_name=first, last_name=last)
                text = _("Identifiant qui sera créé\u00a0: {identifier}").format(identifier=identifier)
            except InvalidInput as exc:
                text = _(PREVIEW_EMPTY) if not (first.strip() and last.strip()) else " ".join(exc.errors.values())
            except DomainError as exc:
                text = str(exc)
            self.app.call_from_thread(self._show_preview, asked, text)

        self.run_worker(preview, thread=True, exclusive=True, group="identifier-preview", exit_on_error=False,
                        name="preview_identifier")

    def show_error(self, error: DomainError) -> None:
        super().show_error(error)
        if isinstance(error, AlreadyEnrolled):
            # The identifier shown would never be created: say what the refusal means.
            self._asked += 1  # a preview still on its way is older than this
            self.query_one("#identifier-preview", Static).update(
                plain(_("Aucun compte ne sera créé : le compte {identifier} existe déjà.").format(
                    identifier=error.identifier)))

    def _show_preview(self, asked: int, text: str) -> None:
        if asked == self._asked and self.is_attached:  # an older answer, overtaken by typing, is dropped
            self.query_one("#identifier-preview", Static).update(plain(text))

    @on(Button.Pressed, "#create")
    def submit(self) -> None:
        """The form is checked first (errors beside the fields), then the job writes the letter."""
        service = self.app.service
        values = dict(last_name=self.value("last_name"), first_name=self.value("first_name"),
                      birth_date=self.query_one(BirthDateField).value, class_name=self.value("class_name"))
        self.call(staff_read, service, self.app.token, service.check_new_student, **values, then=self._checked)

    def _checked(self, _row: object) -> None:
        service = self.app.service
        values = dict(last_name=self.value("last_name"), first_name=self.value("first_name"),
                      birth_date=self.query_one(BirthDateField).value, class_name=self.value("class_name"))
        def issue(*, progress, actor, deliver):
            return [service.add_student(**values, actor=actor, deliver=deliver)]

        # One student's letter is named after them, not after the class.
        job = letters_job(self, f"{values['last_name']} {values['first_name']}", issue, new_accounts=True)
        self.app.push_screen(JobScreen(_("Création du compte"), job), self._created)

    def _created(self, ok: bool | None) -> None:
        if ok:
            self.app.pop_screen()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()
