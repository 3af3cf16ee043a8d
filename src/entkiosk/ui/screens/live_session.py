"""12. Séance en direct: a class's progress during a supervised activation session.

The students activate on the other terminals of the lab, which share the database;
this screen reads it again every few seconds (``[kiosk] live_refresh``) and shows
how many have activated and who is still missing, and why.

It is meant to stay on screen for a whole session, so the idle timeout does not
end it. It shows no secret and offers no action: Échap ends the staff session and
brings the accueil back, so a student who reaches the keyboard cannot get to the
console from here.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from ...service import StudentStatus
from ..text import count, decimal, plain
from ..widgets.fields import ErrorLine
from ..widgets.table import NAME_FIRST, ReadOnlyTable
from .base import KioskScreen, worker_failure
from .staff_common import staff_read, student_names


def missing_reason(student: StudentStatus) -> str:
    if student.locked:
        return "Bloqué (trop d'essais)"
    if student.state == "expired":
        return "Délai dépassé"
    if student.state == "activated":
        return "Charte à accepter"
    return "Pas encore activé"


class LiveSessionScreen(KioskScreen, inherit_bindings=False):
    """SÉANCE D'ACTIVATION: a progress bar and the students still missing, refreshed on its own."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Terminer la séance (déconnexion)", key_display="Échap", id="back"),
        # The only list takes the arrows; Tab has nowhere else to go.
        Binding("tab,shift+tab", "noop", show=False, priority=True, id="no-focus-change"),
    ]

    BAND = "SÉANCE D'ACTIVATION"
    #: The kiosk's idle timeout does not apply: this screen is watched, not typed on.
    KEEPS_AWAKE = True

    def __init__(self, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name
        self._worker: Worker[list[StudentStatus]] | None = None

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return f"Classe {self.class_name}"

    def compose_body(self) -> ComposeResult:
        yield Static("", id="live-count", classes="subheading")
        yield ProgressBar(id="live-bar", show_eta=False)
        yield Static("", id="live-missing-title", classes="subheading")
        yield ReadOnlyTable("Élève", "Identifiant", "État du compte", id="live-missing", **NAME_FIRST)
        yield Static("", id="live-updated", classes="note")
        yield ErrorLine(id="live-error")

    def on_mount(self) -> None:
        self.query_one("#live-missing", ReadOnlyTable).focus()
        self.refresh_now()
        self.set_interval(self.app.settings.kiosk.live_refresh, self.refresh_now, name="live-refresh")

    def refresh_now(self) -> None:
        """Read the class again, unless the previous reading is still on its way."""
        if self._worker is not None and self._worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        service = self.app.service
        self._worker = self.run_worker(lambda: staff_read(service, self.app.token, service.class_students,
                                                          self.class_name),
                                       thread=True, exit_on_error=False, name="live-refresh")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        error_line = self.query_one("#live-error", ErrorLine)
        if event.state == WorkerState.ERROR:
            if worker_failure(self.app, event.worker) is not None:
                error_line.show("Lecture impossible pour l'instant : nouvel essai dans quelques secondes.")
            return
        error_line.show(None)
        self.show_students(event.worker.result or [])

    def show_students(self, students: list[StudentStatus]) -> None:
        students = [s for s in students if s.state != "left"]  # not in the room any more
        total = len(students)
        activated = sum(s.state in ("activated", "ready") for s in students)
        ready = sum(s.state == "ready" for s in students)
        self.query_one("#live-count", Static).update(plain(
            f"{activated} / {count(total, 'élève a activé son compte', 'élèves ont activé leur compte')} — "
            f"{count(ready, 'a aussi accepté la charte', 'ont aussi accepté la charte')}"))
        self.query_one("#live-bar", ProgressBar).update(total=max(total, 1), progress=activated)
        missing = [s for s in students if s.state != "ready"]
        title = self.query_one("#live-missing-title", Static)
        table = self.query_one("#live-missing", ReadOnlyTable)
        if missing:
            title.update(plain(f"Il manque encore {count(len(missing), 'élève', 'élèves')} :"))
        else:
            title.update("Tous les élèves de la classe ont activé leur compte et accepté la charte.")
        table.display = bool(missing)
        names = dict(zip((s.identifier for s in students), student_names(students), strict=True))
        table.fill([(s.identifier, (names[s.identifier], s.identifier, missing_reason(s))) for s in missing])
        now = self.app.service.clock.now().astimezone(self.app.settings.timezone)
        self.query_one("#live-updated", Static).update(plain(
            f"Mis à jour à {now:%H:%M:%S} ; actualisation automatique toutes les "
            f"{decimal(self.app.settings.kiosk.live_refresh)} s. Échap termine la séance et déconnecte."))

    def action_back(self) -> None:
        self.app.end_session()

    def action_noop(self) -> None:
        """Nothing on this screen is meant to be chosen or filled."""
