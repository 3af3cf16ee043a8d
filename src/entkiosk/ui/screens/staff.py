"""12. Console du personnel: the classes and their counts, and what staff do from there.

Every call checks the staff session first (:mod:`.staff_common`). With a ``[directory]``,
the roles that run the yearly update (Right.SYNC) also see the LDAP directory's backlog,
read from the database every ``[kiosk] live_refresh`` seconds: staff learn that pupils'
passwords do not reach the school's other services yet, and why, without a command line.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, DataTable, Static
from textual.worker import Worker, WorkerState

from ...domain.errors import DomainError, InvalidInput, NotAllowed
from ...domain.i18n import N_, _, ngettext
from ...domain.roles import Right
from ...service import ClassSummary, HelpRequestView, ResetRequestView
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import KioskTable
from .base import KioskScreen, screen_keys, worker_failure
from .staff_common import offers, staff_read

if TYPE_CHECKING:
    from ...service.directory import DirectoryStatus

#: A class name longer than this is shortened in the list (the class screen shows it whole).
CLASS_CELL = 16
#: Lines the directory's last problem may take on the console (a DN can make it long).
PROBLEM_LINES = 2


def class_counts(summary: ClassSummary) -> list[str]:
    name = summary.name if len(summary.name) <= CLASS_CELL else summary.name[:CLASS_CELL - 1] + "…"
    return [name, str(summary.students), str(summary.activated), str(summary.charter),
            str(summary.email_validated), str(summary.locked), str(summary.expired),
            f"{summary.guardians_activated}/{summary.guardians}" if summary.guardians else ""]


def waited(delta: timedelta) -> str:
    """How long the oldest directory update has waited, as staff say it (« 12 min »)."""
    minutes = max(int(delta.total_seconds()) // 60, 0)
    if minutes < 1:
        return _("moins d'une minute")
    if minutes < 60:
        return _("{minutes}\u00a0min").format(minutes=minutes)
    if minutes < 48 * 60:
        hours, minutes = divmod(minutes, 60)
        # TRANSLATORS: « 2 h 05 »: hours and minutes of a wait.
        return _("{hours}\u00a0h\u00a0{minutes}").format(hours=hours, minutes=f"{minutes:02d}")
    days = minutes // (24 * 60)
    return ngettext("{n}\u00a0jour", "{n}\u00a0jours", days).format(n=days)


def directory_backlog(status: DirectoryStatus, now: datetime) -> str:
    """The console's line on the directory: up to date, or how many updates wait and since when."""
    if not status.waiting:
        return _("Annuaire : à jour.")
    since = waited(now - status.oldest) if status.oldest is not None else waited(timedelta(0))
    if status.waiting == 1:
        return _("Annuaire : 1 mise à jour en attente (depuis {since}).").format(since=since)
    return ngettext("Annuaire : {n} mise à jour en attente (la plus ancienne depuis {since}).",
                    "Annuaire : {n} mises à jour en attente (la plus ancienne depuis {since}).",
                    status.waiting).format(n=status.waiting, since=since)


class StaffScreen(KioskScreen):
    """Console du personnel: the classes with their counts; open one, import, add, force, close."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Ouvrir"), back=N_("Se déconnecter"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Console du personnel")

    def compose_body(self) -> ComposeResult:
        who = self.app.session.identifier if self.app.session else ""
        yield Static(plain(_("Connecté(e) : {who}. Choisissez une classe et appuyez sur Entrée.").format(who=who)),
                     id="console-who", classes="paragraph")
        yield KioskTable(_("Classe"), _("Élèves"), _("Activés"), _("Charte"), _("Mail"), _("Bloqués"), _("Expirés"),
                         _("Parents"), id="classes")
        yield Static("", id="console-total", classes="note")
        if self.shows_directory:
            yield Static("", id="console-directory", classes="note")
            yield Static("", id="console-directory-problem")
        yield Field(_("Retrouver une demande (n°\u00a0de référence)"), "reference", max_length=40,
                    placeholder=_("les 13 chiffres lus par l'élève"))
        # What the role allows, and only that (a teacher: their classes, the search of a request).
        school = [(Right.IMPORT, _("Importer une liste"), "import"), (Right.SYNC, _("Mise à jour SIECLE"), "sync"),
                  (Right.ADD_STUDENT, _("Ajouter un élève"), "add")]
        oversight = [(Right.FORCE_CHANGE, _("Changement de mot de passe imposé"), "force-all"),
                     (Right.AUDIT, _("Journal d'audit"), "audit"), (Right.STAFF, _("Personnel"), "team")]
        for row in (school, oversight):
            offered = [(label, ident) for right, label, ident in row if offers(self.app, right)]
            if offered:
                with HorizontalGroup(classes="buttons"):
                    for label, ident in offered:
                        yield KioskButton(label, id=ident)
        yield Static("", id="console-requests", classes="note")
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("Approuver une demande"), id="approve")
            yield KioskButton(_("Fermer le kiosque"), id="close", variant="error")
            yield KioskButton(_("SE DÉCONNECTER"), id="logout", classes="submit", variant="primary")

    @property
    def shows_directory(self) -> bool:
        """The directory's backlog is shown: a directory is configured and the role runs the
        accounts of the whole school (a teacher's classes say nothing of the directory)."""
        return self.app.settings.directory.enabled and offers(self.app, Right.SYNC)

    def on_mount(self) -> None:
        self.query_one("#classes", KioskTable).focus()
        self.reload()
        if self.shows_directory:
            self.query_one("#console-directory-problem", Static).display = False
            self.set_interval(self.app.settings.kiosk.live_refresh, self.read_directory, name="directory-refresh")

    def reload(self) -> None:
        service, token = self.app.service, self.app.token

        def read() -> tuple[list[ClassSummary], list[HelpRequestView]]:
            return (staff_read(service, token, service.class_summaries),
                    staff_read(service, token, service.help_requests))

        self.call(read, then=lambda found: (self._show(found[0]), self._show_requests(found[1])))
        self.read_directory()

    # ------------------------------------------------------------ the directory's backlog

    def read_directory(self) -> None:
        """Read the backlog again (the database only, never the LDAP server), unless the
        console is covered or the previous reading is still on its way."""
        if not self.shows_directory or not self.is_current:
            return
        running = self._directory_reading
        if running is not None and running.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        self._directory_reading = self._directory_status(self.app.service, self.app.token)

    _directory_reading: Worker[DirectoryStatus] | None = None

    @work(thread=True, exclusive=True, group="directory-status", exit_on_error=False, name="directory-status")
    def _directory_status(self, service, token: str) -> DirectoryStatus:
        return staff_read(service, token, service.directory_status)

    @on(Worker.StateChanged)
    def _directory_read(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._directory_reading or event.state not in (WorkerState.SUCCESS,
                                                                               WorkerState.ERROR):
            return
        backlog = self.query_one("#console-directory", Static)
        problem = self.query_one("#console-directory-problem", Static)
        if event.state == WorkerState.ERROR:
            # A role changed meanwhile: the line goes; else the last reading stays until the next one.
            if worker_failure(self.app, event.worker) is not None and isinstance(event.worker.error, NotAllowed):
                backlog.display = problem.display = False
            return
        status: DirectoryStatus = event.worker.result
        backlog.update(plain(directory_backlog(status, self.app.service.clock.now())))
        # The last problem matters while updates wait; the sentence is the product's, in French.
        problem.display = bool(status.waiting and status.problem)
        problem.update(plain(status.problem or "", lines=PROBLEM_LINES))

    def on_screen_resume(self) -> None:
        """Back from a class or an approval: the counts and the requests read again."""
        if self.is_mounted:
            self.reload()

    def _show_requests(self, requests: list[HelpRequestView]) -> None:
        """The pupils who asked « Je n'ai pas d'adresse mail » in the member's classes."""
        waiting = [r for r in requests if r.state == "pending"]
        said = self.query_one("#console-requests", Static)
        said.display = bool(waiting)
        listed = ", ".join(f"{r.code} {r.last_name.upper()} {r.first_name}" + (f" ({r.class_name})" if r.class_name else "")
                           for r in waiting[:4]) + (" …" if len(waiting) > 4 else "")
        said.update(plain(ngettext("{n} demande sans adresse mail en attente : {requests}.",
                                   "{n} demandes sans adresse mail en attente : {requests}.",
                                   len(waiting)).format(n=len(waiting), requests=listed)))

    def _show(self, summaries: list[ClassSummary]) -> None:
        table = self.query_one("#classes", KioskTable)
        table.fill([(s.name, class_counts(s)) for s in summaries])
        students = sum(s.students for s in summaries)
        activated = sum(s.activated for s in summaries)
        total = self.query_one("#console-total", Static)
        if summaries:
            classes = ngettext("{n} classe", "{n} classes", len(summaries)).format(n=len(summaries))
            pupils = ngettext("{n} élève", "{n} élèves", students).format(n=students)
            done = ngettext("{n} a activé son compte", "{n} ont activé leur compte", activated).format(n=activated)
            # TRANSLATORS: « 3 classes, 50 élèves ; 27 ont activé leur compte. »
            total.update(plain(_("{classes}, {pupils} ; {activated}.").format(classes=classes, pupils=pupils,
                                                                              activated=done)))
        elif offers(self.app, Right.IMPORT):
            total.update(plain(_("Aucune classe : importez l'export SIECLE des élèves ou une liste de classe "
                                 "(CSV nom;prénom;date de naissance;classe).")))
            self.query_one("#import", Button).focus()
        else:
            total.update(plain(_("Aucune classe pour vous : le secrétariat ou la direction vous délègue vos classes.")))

    def submit(self) -> None:
        """Entrée in the reference field: find that request; elsewhere outside the table:
        open the class under the cursor."""
        if self.focused is not None and self.focused.id == "reference":
            self._find_request()
            return
        self._open(self.query_one("#classes", KioskTable).current_key())

    def _find_request(self) -> None:
        from ...domain.tokens import normalize_request_code
        from .staff_help import ApproveScreen

        if code := normalize_request_code(self.value("reference")):
            # The six characters of a request « sans adresse mail », typed here: its approval.
            self.app.push_screen(ApproveScreen(code=code))
            return
        service = self.app.service
        self.call(staff_read, service, self.app.token, service.find_reset_request, self.value("reference"),
                  then=self._request_found, failed=self._request_refused)

    def _request_found(self, request: ResetRequestView) -> None:
        from .staff_request import RequestScreen

        self.app.push_screen(RequestScreen(request))

    def _request_refused(self, error: DomainError) -> None:
        """Not found or not 13 digits: said beside the field, which keeps what was typed."""
        self.show_error(error if isinstance(error, InvalidInput) else InvalidInput({"reference": str(error)}))

    @on(DataTable.RowSelected, "#classes")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.row_key.value)

    def _open(self, name: str | None) -> None:
        from .staff_class import ClassScreen

        if name is not None and not self.busy:
            self.app.push_screen(ClassScreen(name))

    def action_back(self) -> None:
        if not self.busy:
            self.app.end_session()

    @on(Button.Pressed, "#logout")
    def _logout(self) -> None:
        self.app.end_session()

    @on(Button.Pressed, "#audit")
    def _audit(self) -> None:
        from .staff_audit import AuditScreen

        self.app.push_screen(AuditScreen())

    @on(Button.Pressed, "#approve")
    def _approve(self) -> None:
        from .staff_help import ApproveScreen

        self.app.push_screen(ApproveScreen())

    @on(Button.Pressed, "#team")
    def _team(self) -> None:
        from .staff_team import TeamScreen

        self.app.push_screen(TeamScreen())

    @on(Button.Pressed, "#sync")
    def _sync(self) -> None:
        from .staff_sync import SyncScreen

        self.app.push_screen(SyncScreen())

    @on(Button.Pressed, "#import")
    def _import(self) -> None:
        from .staff_import import ImportScreen

        self.app.push_screen(ImportScreen())

    @on(Button.Pressed, "#add")
    def _add(self) -> None:
        from .staff_add import AddStudentScreen

        self.app.push_screen(AddStudentScreen())

    @on(Button.Pressed, "#force-all")
    def _force_all(self) -> None:
        from .staff_actions import force_password_change

        force_password_change(self, everyone=True)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        """Fermer le kiosque, once confirmed: recorded with the staff member, whose session
        ends, then the app."""
        from .staff_actions import ConfirmScreen

        def confirmed(ok: bool | None) -> None:
            self.app.job_follows = False  # nothing follows but the end
            if ok:
                self.call(self.app.service.close_kiosk, self.app.token, then=lambda _done: self.app.exit())

        self.app.push_screen(ConfirmScreen(
            _("Fermer le kiosque"),
            _("Le programme du kiosque s'arrête sur ce poste : aucun élève ne pourra s'y connecter avant qu'il soit "
              "relancé."), _("FERMER")), confirmed)
