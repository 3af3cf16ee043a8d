"""12. A class in the staff console: its students, their state and deadline, searchable by name."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, DataTable, Input, Static

from ...domain.i18n import N_, _, ngettext
from ...domain.roles import Right
from ...service import StudentStatus, student_matches
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import NAME_FIRST, KioskTable
from .base import KioskScreen, screen_keys
from .staff_common import email_label, offers, staff_read, student_names

def state_cell(student: StudentStatus) -> str:
    """The state as staff act on it: a lockout first, then a forced change, then the lifecycle."""
    if student.locked:
        return _("Bloqué")
    if student.must_change_password:
        return _("À changer")
    return student.state_label


def student_cells(student: StudentStatus, name: str) -> list[str]:
    """One row of the class table; ``name`` as :func:`display_names` tells homonyms apart."""
    deadline = student.deadline.strftime("%d/%m/%Y") if student.deadline and student.state in ("waiting", "expired") else ""
    return [name, student.identifier, state_cell(student),
            _("oui") if student.charter else "", email_label(student.email_state), deadline]


class ClassScreen(KioskScreen):
    """A class's students; Entrée on one opens what can be done for them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *screen_keys(submit=N_("Ouvrir"), back=N_("Retour")),
        Binding("space", "tick", N_("Cocher / décocher"), key_display=N_("Espace"), id="class-tick"),
    ]

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")

    def __init__(self, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name
        self.students: list[StudentStatus] = []

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return _("Classe {name}").format(name=self.class_name)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="class-counts", classes="note")
        yield Field(_("rechercher un élève"), "search", placeholder=_("nom, prénom ou identifiant"), max_length=80)
        yield KioskTable(_("Élève"), _("Identifiant"), _("État"), _("Charte"), _("Mail"), _("Échéance"), id="students",
                         **NAME_FIRST)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("Séance en direct"), id="live", variant="primary")
            yield KioskButton(_("Imprimer les courriers"), id="letters")
            yield KioskButton(self._group_label(), id="group")
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("Responsables"), id="guardians")
            if offers(self.app, Right.FORCE_CHANGE):
                yield KioskButton(_("Changement de mot de passe imposé"), id="force-class")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.query_one("#students", KioskTable).focus()
        self.reload()

    def reload(self) -> None:
        service = self.app.service
        self.call(staff_read, service, self.app.token, service.class_students, self.class_name, then=self._loaded)

    def _loaded(self, students: list[StudentStatus]) -> None:
        if not students:
            self.app.pop_screen()  # the class is gone (its last accounts purged)
            return
        self.students = students
        activated = sum(s.state in ("activated", "ready") for s in students)
        charter = sum(s.charter for s in students)
        waiting = sum(s.state == "waiting" for s in students)
        expired = sum(s.state == "expired" for s in students)
        left = sum(s.state == "left" for s in students)
        present = len(students) - left
        # TRANSLATORS: « 40 élèves : 0 activé (0 avec la charte), 40 en attente, 0 expiré. »
        counts = _("{pupils} : {activated} ({charter} avec la charte), {waiting} en attente, {expired}.").format(
            pupils=ngettext("{n} élève", "{n} élèves", present).format(n=present),
            activated=ngettext("{n} activé", "{n} activés", activated).format(n=activated),
            charter=charter, waiting=waiting,
            expired=ngettext("{n} expiré", "{n} expirés", expired).format(n=expired))
        if left:
            counts += " " + ngettext("Et {n} élève sorti de l'établissement (compte fermé).",
                                     "Et {n} élèves sortis de l'établissement (compte fermé).", left).format(n=left)
        self.query_one("#class-counts", Static).update(plain(counts))
        self._filter()

    @on(Input.Changed, "#search")
    def _filter(self) -> None:
        search = self.value("search")
        names = dict(zip((s.identifier for s in self.students), student_names(self.students), strict=True))
        shown = [s for s in self.students if student_matches(s, search)]
        ticked = self.app.staff_group
        self.query_one("#students", KioskTable).fill([(s.identifier, student_cells(
            s, ("✓ " if s.identifier in ticked else "") + names[s.identifier])) for s in shown])

    def _group_label(self) -> str:
        return _("Groupe ({n})").format(n=len(self.app.staff_group))

    def action_tick(self) -> None:
        """Espace: the pupil under the cursor joins the group, or leaves it."""
        if self.focused is not self.query_one("#students", KioskTable):
            return
        key = self.query_one("#students", KioskTable).current_key()
        student = next((s for s in self.students if s.identifier == key), None)
        if student is None:
            return
        group = self.app.staff_group
        if group.pop(student.identifier, None) is None:
            group[student.identifier] = student
        self.query_one("#group", Button).label = self._group_label()
        self._filter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Espace is offered on the list only (in the search field it types a space)."""
        if action == "tick":
            # Read from the focus, not a query: the footer asks while the screen is being
            # taken down too (Échap), when the list may already be gone.
            return isinstance(self.focused, KioskTable) and self.focused.id == "students"
        return super().check_action(action, parameters)

    def on_screen_resume(self) -> None:
        """Back from the group (emptied, printed): the ticks as they are now."""
        if self.students:
            self.query_one("#group", Button).label = self._group_label()
            self._filter()

    @on(Button.Pressed, "#group")
    def _group(self) -> None:
        from .staff_group import GroupScreen

        self.app.push_screen(GroupScreen())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Entrée in the search field: to the list, on the first student found (not opened:
        several may match)."""
        event.stop()
        event.prevent_default()
        table = self.query_one("#students", KioskTable)
        if table.row_count:
            table.move_cursor(row=0)
            table.focus()

    def submit(self) -> None:
        self._open(self.query_one("#students", KioskTable).current_key())

    @on(DataTable.RowSelected, "#students")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.row_key.value)

    def _open(self, identifier: str | None) -> None:
        from .staff_student import StudentScreen

        student = next((s for s in self.students if s.identifier == identifier), None)
        if student is not None and not self.busy:
            self.app.push_screen(StudentScreen(student))

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#live")
    def _live(self) -> None:
        from .live_session import LiveSessionScreen

        self.app.push_screen(LiveSessionScreen(self.class_name))

    @on(Button.Pressed, "#letters")
    def _letters(self) -> None:
        from .staff_actions import print_letters

        print_letters(self, class_name=self.class_name,
                      waiting=sum(student.state in ("waiting", "expired") for student in self.students))

    @on(Button.Pressed, "#guardians")
    def _guardians(self) -> None:
        from .staff_guardians import GuardiansScreen

        self.app.push_screen(GuardiansScreen(self.class_name))

    @on(Button.Pressed, "#force-class")
    def _force(self) -> None:
        from .staff_actions import force_password_change

        force_password_change(self, class_name=self.class_name)
