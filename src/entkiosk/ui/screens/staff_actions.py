"""What the console's screens share: a confirmation, a job with its progress, letters to a file.

A job that issues letters writes them as one PDF in the letters folder
(``[letters] folder``) and says where: printing that file is how the letters reach
the students. The file is checked writable *before* any provisional password
changes, so a full disk never leaves a class with letters nobody can print.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker, WorkerState

from ...domain.i18n import N_, _, ngettext
from ...service import IssuedLetter
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.footer import KioskFooter
from ..widgets.fields import ErrorLine
from ..widgets.too_small import FitsTheTerminal, TooSmallNotice
from .base import NAVIGATION, worker_failure
from .staff_common import staff_act

if TYPE_CHECKING:
    from ..kiosk import Kiosk
    from .base import KioskScreen

#: ``progress(step, done, total)``: what a job reports while it works.
Progress = Callable[[str, int, int], None]
#: A job runs in a thread with a progress callback and returns the sentence to show.
Job = Callable[[Progress], str]


class ConfirmScreen(FitsTheTerminal, ModalScreen[bool], inherit_bindings=False):
    """« Êtes-vous sûr(e) ? » before an action that cannot be undone: True to go on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *NAVIGATION[:2],
        Binding("escape", "cancel", N_("Annuler"), key_display=N_("Échap"), id="back"),
    ]

    def __init__(self, title: str, text: str, confirm: str) -> None:
        super().__init__()
        self._title, self._text, self._confirm = title, text, confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(plain(self._title), classes="subheading")
            yield Static(plain(self._text), classes="paragraph")
            with HorizontalGroup(classes="buttons"):
                yield KioskButton(self._confirm, id="confirm", variant="error")
                yield KioskButton(_("ANNULER"), id="cancel", variant="primary")
            yield Static("", id="confirm-hint", classes="note")
        yield KioskFooter()
        yield TooSmallNotice()

    def on_mount(self) -> None:
        # The safe choice has the focus: a stray Entrée changes nothing, and the hint
        # under the buttons says so (Entrée is not silently ANNULER).
        self.query_one("#cancel", Button).focus()
        self._hint()

    def on_descendant_focus(self) -> None:
        self._hint()

    def _hint(self) -> None:
        """What Entrée does now, and how to reach the other button."""
        if self.focused is not None and self.focused.id == "confirm":
            text = _("Entrée\u00a0: {confirm}. Échap\u00a0: ANNULER.").format(confirm=self._confirm)
        else:
            text = _("Entrée\u00a0: ANNULER, rien ne change. Pour {confirm}\u00a0: Tab, puis Entrée.").format(
                confirm=self._confirm)
        self.query_one("#confirm-hint", Static).update(plain(text))

    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        self.app.job_follows = True
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class JobScreen(FitsTheTerminal, ModalScreen[bool], inherit_bindings=False):
    """A staff job (import, letters, reset…) with its progress bar, then what became of it.

    It cannot be left while it works; afterwards Entrée or Échap closes it and the
    screen behind reloads. Dismissed with True when the job succeeded.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Fermer"), key_display=N_("Échap"), id="back"),
    ]

    app: Kiosk  # type: ignore[assignment]

    def __init__(self, title: str, job: Job) -> None:
        super().__init__()
        self._title, self._job = title, job
        self._worker: Worker[str] | None = None
        self._ok = False

    def compose(self) -> ComposeResult:
        with Vertical(id="job-box", classes="dialog"):
            yield Static(plain(self._title), classes="subheading")
            yield Static(_("Préparation…"), id="job-step")
            yield ProgressBar(id="job-bar", show_eta=False)
            yield Static("", id="job-result", classes="paragraph")
            yield ErrorLine(id="job-error")
            yield KioskButton(_("OK"), id="job-done", variant="primary")
        yield KioskFooter()
        yield TooSmallNotice()

    def on_mount(self) -> None:
        self.query_one("#job-done").display = False
        self._worker = self.run_worker(lambda: self._job(self._progress), thread=True, exit_on_error=False,
                                       name="staff-job")

    def _progress(self, step: str, done: int, total: int) -> None:
        self.app.call_from_thread(self._show_progress, step, done, total)

    @property
    def KEEPS_AWAKE(self) -> bool:  # noqa: N802 - read by the app's idle check, like a class flag
        """A job at work is not idleness: the idle timeout waits for it to finish."""
        return not self.finished

    def _show_progress(self, step: str, done: int, total: int) -> None:
        if not self.is_attached:
            return
        self.query_one("#job-step", Static).update(plain(_("{step} : {done} / {total}").format(
            step=step, done=done, total=total)))
        self.query_one("#job-bar", ProgressBar).update(total=max(total, 1), progress=done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if not self.is_attached:
            return
        self.query_one("#job-bar").display = False
        self.query_one("#job-step").display = False
        if event.state == WorkerState.SUCCESS:
            self._ok = True
            self.query_one("#job-result", Static).update(plain(event.worker.result or _("Terminé.")))
        else:
            error = worker_failure(self.app, event.worker)
            if error is None:
                return
            self.query_one("#job-error", ErrorLine).show(str(error))
        done = self.query_one("#job-done", Button)
        done.display = True
        done.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # « Échap Fermer » shows only once there is something to close.
        return self.finished if action == "close" else True

    @property
    def finished(self) -> bool:
        return self._worker is not None and self._worker.state in (WorkerState.SUCCESS, WorkerState.ERROR)

    @on(Button.Pressed, "#job-done")
    def action_close(self) -> None:
        if self.finished:
            self.dismiss(self._ok)


# ---------------------------------------------------------------- letters


def letters_job(screen: KioskScreen, label: str, issue: Callable[..., Sequence[IssuedLetter]], *,
                new_accounts: bool = False, group: bool = False, by_post: bool = False, **kwargs) -> Job:
    """A job that issues letters with ``issue(progress=…, deliver=…, actor=…, **kwargs)``.

    The PDF is written inside the transaction that issues the letters (``deliver``):
    if it cannot be written, no provisional password changes. ``group``: pupils chosen
    one by one, in one PDF, with the CSV of their identifiers (no password) beside it.
    ``by_post``: legal guardians' letters, sent by post rather than handed out.
    """
    from ...letters import check_output, console_letters_path, write_letters
    from ...letters.output import write_identifiers

    app = screen.app
    service, token, settings = app.service, app.token, app.settings

    def run(progress: Progress) -> str:
        path = console_letters_path(settings, label, service.clock.now().astimezone(settings.timezone))
        check_output(path)

        written: list[Path] = []
        listed: list[Path] = []

        def deliver(letters: list[IssuedLetter]) -> None:
            if group:
                listed.append(write_identifiers(path.with_suffix(".csv"), letters))
            try:
                written.extend(write_letters(path, letters, settings, one_file=group,
                                             progress=lambda d, t: progress(_("Mise en page des courriers"), d, t)))
            except BaseException:
                for file in listed:  # no list of identifiers for letters that were never issued
                    file.unlink(missing_ok=True)
                raise

        letters = staff_act(service, token, issue, progress=lambda d, t: progress(_("Mots de passe provisoires"), d, t),
                            deliver=deliver, **kwargs)
        if not letters:
            return _("Aucun compte en attente d'activation : aucun courrier à imprimer.")
        if app.demo_letters:  # entkiosk demo: F2 shows the letters that work now
            fresh = {letter.identifier: letter for letter in letters}
            app.demo_letters = [fresh.pop(letter.identifier, letter) for letter in app.demo_letters] + list(fresh.values())
        n = len(letters)
        if len(written) == 1:
            done = ngettext("{n} courrier enregistré dans le fichier :\n{path}",
                            "{n} courriers enregistrés dans le fichier :\n{path}", n).format(n=n, path=written[0])
        else:
            done = ngettext("{n} courrier enregistré dans {files} fichiers, un par classe, du dossier :\n{folder}\n"
                            "{names}",
                            "{n} courriers enregistrés dans {files} fichiers, un par classe, du dossier :\n{folder}\n"
                            "{names}", n).format(n=n, files=len(written), folder=written[0].parent,
                                                 names=", ".join(file.name for file in written))
        done += "\n\n"
        if listed:
            done += _("Identifiants (sans mot de passe) pour l'administrateur de l'ENT :\n{path}").format(
                path=listed[0]) + "\n\n"
        # What to do with the letters: print the file (or files), then hand or post them.
        if by_post and len(written) == 1:
            what = ngettext("Imprimez ce fichier et envoyez-le par la poste (enveloppe DL ou C5 à fenêtre à droite)",
                            "Imprimez ce fichier et envoyez chaque courrier par la poste (enveloppes DL ou C5 à "
                            "fenêtre à droite)", n)
        elif by_post:
            what = ngettext("Imprimez ces fichiers et envoyez-le par la poste (enveloppe DL ou C5 à fenêtre à "
                            "droite)",
                            "Imprimez ces fichiers et envoyez chaque courrier par la poste (enveloppes DL ou C5 à "
                            "fenêtre à droite)", n)
        elif len(written) == 1:
            what = ngettext("Imprimez ce fichier et remettez son courrier à l'élève",
                            "Imprimez ce fichier et remettez à chaque élève son courrier", n)
        else:
            what = ngettext("Imprimez ces fichiers et remettez son courrier à l'élève",
                            "Imprimez ces fichiers et remettez à chaque élève son courrier", n)
        if new_accounts:
            return done + _("{instructions}.").format(instructions=what)
        return done + _("{instructions} : il porte un nouveau mot de passe provisoire, les courriers précédents ne "
                        "sont plus valables.").format(instructions=what)

    return run


def print_letters(screen: KioskScreen, *, class_name: str | None = None, identifier: str | None = None,
                  waiting: int = 1, then: Callable[[bool | None], None] | None = None,
                  confirmed: bool = False) -> None:
    """IMPRIMER LES COURRIERS of a class or of one student, after a confirmation that says
    how many letters (``waiting``: the accounts not yet activated) it will print.
    ``confirmed``: from the supervised session (the staff password typed recently)."""
    service = screen.app.service
    if class_name is not None:
        title = _("Courriers de la classe « {class_name} »").format(class_name=class_name)
        question = _("Imprimer les courriers de la classe « {class_name} »").format(class_name=class_name)
    else:
        title = _("Courriers de l'élève « {identifier} »").format(identifier=identifier)
        question = _("Imprimer les courriers de l'élève « {identifier} »").format(identifier=identifier)
    job = letters_job(screen, class_name or identifier or "courriers", service.issue_letters,
                      class_name=class_name, identifier=identifier, **({"confirmed": True} if confirmed else {}))

    def confirmed(ok: bool | None) -> None:
        if ok:
            screen.app.push_screen(JobScreen(title, job), then)

    screen.app.push_screen(ConfirmScreen(
        question,
        ngettext("{n} courrier à imprimer, un par compte pas encore activé. "
                 "Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà remis ne seront plus "
                 "valables. Les comptes déjà activés ne reçoivent pas de courrier.",
                 "{n} courriers à imprimer, un par compte pas encore activé. "
                 "Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà remis ne seront plus "
                 "valables. Les comptes déjà activés ne reçoivent pas de courrier.", waiting).format(n=waiting),
        _("IMPRIMER")), confirmed)


def force_password_change(screen: KioskScreen, *, identifier: str | None = None, class_name: str | None = None,
                          everyone: bool = False, then: Callable[[bool | None], None] | None = None) -> None:
    """Changement de mot de passe imposé (after a leak), after a confirmation."""
    service, token = screen.app.service, screen.app.token

    def job(_progress: Progress) -> str:
        forced = staff_act(service, token, service.force_password_change, identifier=identifier,
                           class_name=class_name, everyone=everyone)
        if identifier is not None:
            return _("L'élève « {identifier} » devra choisir un nouveau mot de passe à sa prochaine connexion. "
                     "Ses sessions ouvertes ont été fermées.").format(identifier=identifier)
        return _("{count} compte(s) activé(s) devront choisir un nouveau mot de passe à leur prochaine connexion. "
                 "Leurs sessions ouvertes ont été fermées.").format(count=forced)

    def confirmed(ok: bool | None) -> None:
        if ok:
            screen.app.push_screen(JobScreen(_("Changement de mot de passe imposé"), job), then)

    if identifier is not None:
        text = _("L'élève « {identifier} » devra choisir un nouveau mot de passe à sa prochaine connexion, et ses "
                 "sessions ouvertes seront fermées.").format(identifier=identifier)
    elif everyone:
        text = _("Les comptes activés de tous les élèves de l'établissement devront choisir un nouveau mot de passe "
                 "à leur prochaine connexion, et leurs sessions ouvertes seront fermées.")
    else:
        text = _("Les comptes activés des élèves de la classe « {class_name} » devront choisir un nouveau mot de "
                 "passe à leur prochaine connexion, et leurs sessions ouvertes seront fermées.").format(
                     class_name=class_name)
    screen.app.push_screen(ConfirmScreen(
        _("Changement de mot de passe imposé"),
        text + " " + _("À utiliser par exemple après la divulgation de mots de passe."), _("IMPOSER")), confirmed)
