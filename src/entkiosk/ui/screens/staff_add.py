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
from textual.widgets import Button, Static

from ..widgets.controls import KioskButton
from ..widgets.fields import BirthDateField, Field
from .base import KioskScreen, screen_keys
from .staff import staff_read
from .staff_actions import JobScreen, letters_job


class AddStudentScreen(KioskScreen):
    """nom, prénom, date de naissance, classe; CRÉER LE COMPTE writes the letter."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit="Créer", back="Annuler")

    BAND = "PERSONNEL DE L'ÉDUCATION NATIONALE"
    HEADING = "Ajouter un élève"

    def __init__(self, class_name: str = "") -> None:
        super().__init__()
        self._class_name = class_name

    def compose_body(self) -> ComposeResult:
        yield Static("Pour un nouvel élève, ou pour recréer un compte supprimé après son délai d'activation.",
                     classes="paragraph")
        yield Field("nom*", "last_name", max_length=120)
        yield Field("prénom*", "first_name", max_length=120)
        yield BirthDateField("date de naissance*")
        yield Field("classe*", "class_name", max_length=60, value=self._class_name)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton("CRÉER LE COMPTE", id="create", classes="submit", variant="primary")
            yield KioskButton("ANNULER", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#last_name").focus()

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
        self.app.push_screen(JobScreen("Création du compte", job), self._created)

    def _created(self, ok: bool | None) -> None:
        if ok:
            self.app.pop_screen()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()
