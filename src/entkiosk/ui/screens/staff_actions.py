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

from ...service import IssuedLetter
from ..text import count, plain
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
        Binding("escape", "cancel", "Annuler", key_display="Échap", id="back"),
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
                yield KioskButton("ANNULER", id="cancel", variant="primary")
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
            text = f"Entrée\u00a0: {self._confirm}. Échap\u00a0: ANNULER."
        else:
            text = f"Entrée\u00a0: ANNULER, rien ne change. Pour {self._confirm}\u00a0: Tab, puis Entrée."
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
        Binding("escape", "close", "Fermer", key_display="Échap", id="back"),
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
            yield Static("Préparation…", id="job-step")
            yield ProgressBar(id="job-bar", show_eta=False)
            yield Static("", id="job-result", classes="paragraph")
            yield ErrorLine(id="job-error")
            yield KioskButton("OK", id="job-done", variant="primary")
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
        self.query_one("#job-step", Static).update(plain(f"{step} : {done} / {total}"))
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
            self.query_one("#job-result", Static).update(plain(event.worker.result or "Terminé."))
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
                                             progress=lambda d, t: progress("Mise en page des courriers", d, t)))
            except BaseException:
                for file in listed:  # no list of identifiers for letters that were never issued
                    file.unlink(missing_ok=True)
                raise

        letters = staff_act(service, token, issue, progress=lambda d, t: progress("Mots de passe provisoires", d, t),
                            deliver=deliver, **kwargs)
        if not letters:
            return "Aucun compte en attente d'activation : aucun courrier à imprimer."
        if app.demo_letters:  # entkiosk demo: F2 shows the letters that work now
            fresh = {letter.identifier: letter for letter in letters}
            app.demo_letters = [fresh.pop(letter.identifier, letter) for letter in app.demo_letters] + list(fresh.values())
        if len(written) == 1:
            where = f"dans le fichier :\n{written[0]}"
        else:
            where = (f"dans {len(written)} fichiers, un par classe, du dossier :\n{written[0].parent}\n"
                     + ", ".join(file.name for file in written))
        done = f"{count(len(letters), 'courrier enregistré', 'courriers enregistrés')} {where}\n\n"
        if listed:
            done += f"Identifiants (sans mot de passe) pour l'administrateur de l'ENT :\n{listed[0]}\n\n"
        print_them = "Imprimez ce fichier" if len(written) == 1 else "Imprimez ces fichiers"
        hand = "remettez son courrier à l'élève" if len(letters) == 1 else "remettez à chaque élève son courrier"
        if by_post:
            hand = ("envoyez-le par la poste (enveloppe DL ou C5 à fenêtre à droite)" if len(letters) == 1 else
                    "envoyez chaque courrier par la poste (enveloppes DL ou C5 à fenêtre à droite)")
        if new_accounts:
            return done + f"{print_them} et {hand}."
        return done + (f"{print_them} et {hand} : il porte un nouveau mot de passe provisoire, les courriers "
                       "précédents ne sont plus valables.")

    return run


def print_letters(screen: KioskScreen, *, class_name: str | None = None, identifier: str | None = None,
                  waiting: int = 1, then: Callable[[bool | None], None] | None = None,
                  confirmed: bool = False) -> None:
    """IMPRIMER LES COURRIERS of a class or of one student, after a confirmation that says
    how many letters (``waiting``: the accounts not yet activated) it will print.
    ``confirmed``: from the supervised session (the staff password typed recently)."""
    service = screen.app.service
    who = f"de la classe « {class_name} »" if class_name is not None else f"de l'élève « {identifier} »"
    job = letters_job(screen, class_name or identifier or "courriers", service.issue_letters,
                      class_name=class_name, identifier=identifier, **({"confirmed": True} if confirmed else {}))

    def confirmed(ok: bool | None) -> None:
        if ok:
            screen.app.push_screen(JobScreen(f"Courriers {who}", job), then)

    screen.app.push_screen(ConfirmScreen(
        f"Imprimer les courriers {who}",
        f"{count(waiting, 'courrier', 'courriers')} à imprimer, un par compte pas encore activé. "
        "Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà remis ne seront plus "
        "valables. Les comptes déjà activés ne reçoivent pas de courrier.",
        "IMPRIMER"), confirmed)


def force_password_change(screen: KioskScreen, *, identifier: str | None = None, class_name: str | None = None,
                          everyone: bool = False, then: Callable[[bool | None], None] | None = None) -> None:
    """Changement de mot de passe imposé (after a leak), after a confirmation."""
    service, token = screen.app.service, screen.app.token
    if everyone:
        who = "de tous les élèves de l'établissement"
    elif class_name is not None:
        who = f"des élèves de la classe « {class_name} »"
    else:
        who = f"de l'élève « {identifier} »"

    def job(_progress: Progress) -> str:
        count = staff_act(service, token, service.force_password_change, identifier=identifier,
                          class_name=class_name, everyone=everyone)
        if identifier is not None:
            return (f"L'élève « {identifier} » devra choisir un nouveau mot de passe à sa prochaine connexion. "
                    "Ses sessions ouvertes ont été fermées.")
        return (f"{count} compte(s) activé(s) devront choisir un nouveau mot de passe à leur prochaine connexion. "
                "Leurs sessions ouvertes ont été fermées.")

    def confirmed(ok: bool | None) -> None:
        if ok:
            screen.app.push_screen(JobScreen("Changement de mot de passe imposé", job), then)

    if identifier is not None:
        text = (f"L'élève « {identifier} » devra choisir un nouveau mot de passe à sa prochaine connexion, et ses "
                "sessions ouvertes seront fermées.")
    else:
        text = (f"Les comptes activés {who} devront choisir un nouveau mot de passe à leur prochaine connexion, "
                "et leurs sessions ouvertes seront fermées.")
    screen.app.push_screen(ConfirmScreen(
        "Changement de mot de passe imposé",
        f"{text} À utiliser par exemple après la divulgation de mots de passe.", "IMPOSER"), confirmed)
