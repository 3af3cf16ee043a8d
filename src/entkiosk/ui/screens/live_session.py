"""12. Séance en direct: a class's progress during a supervised activation session.

The students activate on the other terminals of the lab, which share the database;
this screen reads it again every few seconds (``[kiosk] live_refresh``) and shows
how many have activated and who is still missing, and why.

It is meant to stay on screen for a whole session, so the idle timeout does not
end it. The teacher acts from it without leaving it: unlock a pupil (D), print a new
letter for one (C), approve a pupil's request « Je n'ai pas d'adresse mail » (A), shown
in its own list. Each action asks for the staff member's password again when the last
one typed here is older than five minutes (the service checks it), so a student who
reaches the keyboard can do no more than watch; Échap ends the staff session and brings
the accueil back.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from ...domain.i18n import N_, _, ngettext
from ...service import HelpRequestView, StudentStatus
from ..text import decimal, plain
from ..widgets.fields import ErrorLine
from ..widgets.table import NAME_FIRST, ReadOnlyTable
from .base import KioskScreen, worker_failure
from .staff_common import staff_act, staff_read, student_names
from .staff_help import confirmed_then


def missing_reason(student: StudentStatus) -> str:
    if student.locked:
        return _("Bloqué (trop d'essais)")
    if student.state == "expired":
        return _("Délai dépassé")
    if student.state == "activated":
        return _("Charte à accepter")
    return _("Pas encore activé")


class LiveSessionScreen(KioskScreen, inherit_bindings=False):
    """SÉANCE D'ACTIVATION: a progress bar and the students still missing, refreshed on its own."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "unlock", N_("Débloquer"), key_display="D", id="live-unlock"),
        Binding("c", "letter", N_("Courrier"), key_display="C", id="live-letter"),
        Binding("a", "approve", N_("Approuver"), key_display="A", id="live-approve"),
        Binding("escape", "back", N_("Terminer la séance"), key_display=N_("Échap"), id="back"),
        # Tab goes from the pupils' list to the requests' list and back, and nowhere else.
        Binding("tab,shift+tab", "other_list", show=False, priority=True, id="no-focus-change"),
    ]

    BAND = N_("SÉANCE D'ACTIVATION")
    #: The kiosk's idle timeout does not apply: this screen is watched, not typed on.
    KEEPS_AWAKE = True

    def __init__(self, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name
        self._worker: Worker[tuple[list[StudentStatus], list[HelpRequestView]]] | None = None
        self.students: dict[str, StudentStatus] = {}
        self.requests: dict[str, HelpRequestView] = {}

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return _("Classe {name}").format(name=self.class_name)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="live-count", classes="subheading")
        yield ProgressBar(id="live-bar", show_eta=False)
        yield Static("", id="live-missing-title", classes="subheading")
        yield ReadOnlyTable(_("Élève"), _("Identifiant"), _("État du compte"), id="live-missing", **NAME_FIRST)
        yield Static("", id="live-requests-title", classes="subheading")
        yield ReadOnlyTable(_("Code"), _("Élève"), _("Demande"), id="live-requests")
        yield Static("", id="live-done", classes="note")
        yield Static("", id="live-updated", classes="note")
        yield ErrorLine(id="live-error")

    def on_mount(self) -> None:
        for hidden in ("#live-requests-title", "#live-requests", "#live-done"):  # until there is something to say
            self.query_one(hidden).display = False
        self.query_one("#live-missing", ReadOnlyTable).focus()
        self.refresh_now()
        self.set_interval(self.app.settings.kiosk.live_refresh, self.refresh_now, name="live-refresh")

    def refresh_now(self) -> None:
        """Read the class again, unless the previous reading is still on its way."""
        if self._worker is not None and self._worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        service, token = self.app.service, self.app.token

        def read() -> tuple[list[StudentStatus], list[HelpRequestView]]:
            return (staff_read(service, token, service.class_students, self.class_name),
                    staff_read(service, token, service.help_requests, self.class_name))

        self._worker = self.run_worker(read, thread=True, exit_on_error=False, name="live-refresh")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        error_line = self.query_one("#live-error", ErrorLine)
        if event.state == WorkerState.ERROR:
            if worker_failure(self.app, event.worker) is not None:
                error_line.show(_("Lecture impossible pour l'instant : nouvel essai dans quelques secondes."))
            return
        error_line.show(None)
        students, requests = event.worker.result or ([], [])
        self.show_students(students)
        self.show_requests(requests)

    def show_students(self, students: list[StudentStatus]) -> None:
        students = [s for s in students if s.state != "left"]  # not in the room any more
        self.students = {s.identifier: s for s in students}
        total = len(students)
        activated = sum(s.state in ("activated", "ready") for s in students)
        ready = sum(s.state == "ready" for s in students)
        # TRANSLATORS: « 21 / 40 élèves ont activé leur compte — 19 ont aussi accepté la charte »
        self.query_one("#live-count", Static).update(plain(_("{activated} — {charter}").format(
            activated=ngettext("{done} / {n} élève a activé son compte", "{done} / {n} élèves ont activé leur compte",
                               total).format(done=activated, n=total),
            charter=ngettext("{n} a aussi accepté la charte", "{n} ont aussi accepté la charte", ready).format(n=ready))))
        self.query_one("#live-bar", ProgressBar).update(total=max(total, 1), progress=activated)
        missing = [s for s in students if s.state != "ready"]
        title = self.query_one("#live-missing-title", Static)
        table = self.query_one("#live-missing", ReadOnlyTable)
        if missing:
            title.update(plain(ngettext("Il manque encore {n} élève :", "Il manque encore {n} élèves :",
                                        len(missing)).format(n=len(missing))))
        else:
            title.update(_("Tous les élèves de la classe ont activé leur compte et accepté la charte."))
        table.display = bool(missing)
        names = dict(zip((s.identifier for s in students), student_names(students), strict=True))
        table.fill([(s.identifier, (names[s.identifier], s.identifier, missing_reason(s))) for s in missing])
        now = self.app.service.clock.now().astimezone(self.app.settings.timezone)
        self.query_one("#live-updated", Static).update(plain(
            _("Mis à jour à {time} ; actualisation automatique toutes les {seconds} s. D et C pour l'élève choisi, A "
              "pour une demande ; Échap termine la séance.").format(
                time=f"{now:%H:%M:%S}", seconds=decimal(self.app.settings.kiosk.live_refresh))))

    def show_requests(self, requests: list[HelpRequestView]) -> None:
        """The pupils of the class who asked « Je n'ai pas d'adresse mail » and wait for an adult."""
        self.requests = {r.code: r for r in requests}
        tz = self.app.settings.timezone
        title = self.query_one("#live-requests-title", Static)
        table = self.query_one("#live-requests", ReadOnlyTable)
        title.display = table.display = bool(requests)
        title.update(plain(ngettext("{n} demande sans adresse mail (A pour approuver) :",
                                    "{n} demandes sans adresse mail (A pour approuver) :",
                                    len(requests)).format(n=len(requests))))
        table.fill([(r.code, (r.code, f"{r.last_name.upper()} {r.first_name}",
                              _("approuvée par {staff}").format(staff=r.approved_by) if r.state == "approved"
                              else _("en attente, expire à {time}").format(
                                  time=f"{r.expires_at.astimezone(tz):%H:%M}")))
                    for r in requests])
        if not requests and self.focused is table:
            self.query_one("#live-missing", ReadOnlyTable).focus()

    # ------------------------------------------------------------ acting from the session

    def _said(self, text: str) -> None:
        done = self.query_one("#live-done", Static)
        done.update(plain(text))
        done.display = bool(text)

    def _chosen(self) -> StudentStatus | None:
        key = self.query_one("#live-missing", ReadOnlyTable).current_key()
        return self.students.get(key) if key else None

    def action_unlock(self) -> None:
        student = self._chosen()
        if student is None:
            return
        if not student.locked:
            self._said(_("Le compte {identifier} n'est pas bloqué : rien à débloquer.").format(
                identifier=student.identifier))
            return
        service, token = self.app.service, self.app.token

        def unlock() -> None:
            self.call(staff_act, service, token, service.unlock, student.identifier, confirmed=True,
                      then=lambda _done: self._done(_("Compte {identifier} débloqué : la connexion est de nouveau "
                                                      "possible.").format(identifier=student.identifier)))

        confirmed_then(self, unlock)

    def action_letter(self) -> None:
        from .staff_actions import print_letters

        student = self._chosen()
        if student is None:
            return
        if student.state != "waiting":
            self._said(_("{identifier} a déjà activé son compte : pas de courrier à imprimer.").format(
                identifier=student.identifier))
            return
        confirmed_then(self, lambda: print_letters(self, identifier=student.identifier, confirmed=True,
                                                   then=lambda _done: self.refresh_now()))

    def action_approve(self) -> None:
        from .staff_help import ApproveScreen

        if not self.requests:
            self._said(_("Aucune demande sans adresse mail pour cette classe."))
            return
        key = self.query_one("#live-requests", ReadOnlyTable).current_key()
        request = self.requests.get(key or "") or next(iter(self.requests.values()))

        def approved(view: HelpRequestView | None) -> None:
            if view is not None:
                self._done(_("Demande {code} approuvée : {pupil} choisit maintenant son mot de passe sur son "
                             "poste.").format(code=view.code, pupil=f"{view.last_name.upper()} {view.first_name}"))

        confirmed_then(self, lambda: self.app.push_screen(ApproveScreen(request, confirmed=True), approved))

    def _done(self, text: str) -> None:
        self._said(text)
        self.refresh_now()

    def action_other_list(self) -> None:
        requests = self.query_one("#live-requests", ReadOnlyTable)
        missing = self.query_one("#live-missing", ReadOnlyTable)
        (missing if self.focused is requests or not requests.display else requests).focus()

    def action_back(self) -> None:
        self.app.end_session()

