"""What every kiosk screen shares: declared keys, the header, service calls in workers.

A screen never touches the database: it calls the service in a thread worker with
:meth:`KioskScreen.call`, and gets back either the result or a domain error, which is
shown beside the field it concerns (``InvalidInput``) or on the screen's error line.
Anything else is logged and shown as one French sentence; no traceback reaches a
student.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from ...domain.i18n import N_, _
from ...domain.errors import DomainError, InvalidCode, InvalidInput, SessionExpired, StorageUnavailable
from ..text import plain
from ..widgets.controls import Body
from ..widgets.footer import KioskFooter
from ..widgets.fields import BirthDateField, ErrorLine, Field, SecretInput, Working
from ..widgets.too_small import FitsTheTerminal, TooSmallNotice

if TYPE_CHECKING:
    from ..kiosk import Kiosk

log = logging.getLogger(__name__)

UNEXPECTED = N_("Une erreur inattendue est survenue : vos informations n'ont pas été enregistrées. "
                "Réessayez, ou adressez-vous à votre établissement.")

#: Tab and Shift+Tab take priority: the focus moves as soon as the key arrives, so the
#: keys typed right after it (quick typing, a scanner) land in the next field.
NAVIGATION: list[BindingType] = [
    Binding("tab", "app.focus_next", N_("Suivant"), key_display="Tab", priority=True, id="focus-next"),
    Binding("shift+tab", "app.focus_previous", N_("Précédent"), show=False, priority=True, id="focus-previous"),
    Binding("down", "app.focus_next", N_("Suivant"), show=False, id="down"),
    Binding("up", "app.focus_previous", N_("Précédent"), show=False, id="up"),
    Binding("pagedown", "scroll_body(1)", N_("Page suivante"), show=False, id="page-down"),
    Binding("pageup", "scroll_body(-1)", N_("Page précédente"), show=False, id="page-up"),
]


def worker_failure(app: Kiosk, worker: Worker[Any]) -> DomainError | None:
    """What a failed service call means for the screen that made it.

    None when the session had ended (the app is already back at the accueil); the
    domain error to show otherwise. Anything else is a bug: logged with its traceback,
    shown as one French sentence.
    """
    error = worker.error
    if isinstance(error, SessionExpired):
        if app.session is not None:  # not a reading still on its way after « Terminer » or a logout
            app.end_session(str(error))
        return None
    if isinstance(error, DomainError):
        return error
    log.error("unexpected error in %s", worker.name, exc_info=error)
    return DomainError(_(UNEXPECTED))


def screen_keys(*, submit: str = N_("Valider"), back: str = N_("Retour")) -> list[BindingType]:
    """A screen's keys, with the footer's words for what Entrée and Échap do there (French,
    marked with ``N_``: the footer translates them)."""
    return [
        *NAVIGATION,
        Binding("enter", "submit", submit, key_display=N_("Entrée"), id="submit"),
        Binding("escape", "back", back, key_display=N_("Échap"), id="back"),
    ]


class KioskScreen(FitsTheTerminal, Screen[Any], inherit_bindings=False):
    """A screen of the guide: a title band, a body, the footer with its keys (covered by
    « Agrandissez la fenêtre » below 80×24)."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys()

    #: The band at the top, as in the guide ("SCOLARITÉ SERVICES", "PREMIÈRE CONNEXION"…).
    BAND: ClassVar[str] = N_("SCOLARITÉ SERVICES")
    #: The screen's own heading under the band.
    HEADING: ClassVar[str] = ""

    busy: reactive[bool] = reactive(False)

    app: Kiosk  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._then: dict[Worker[Any], tuple[Callable[[Any], None], Callable[[DomainError], None] | None]] = {}
        self._shown = False
        #: The password fields the last refusal emptied (they must be typed again).
        self.emptied: list[Input] = []

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with HorizontalGroup(id="band"):
            with VerticalGroup(id="band-text"):
                yield Static(plain(_(self.BAND)), id="band-title")
                yield Static(plain(self.app.settings.establishment.name), id="band-establishment")
            # In the band, so that it shows whatever part of the body is scrolled into view.
            yield Working(id="working")
        with Body(id="body"):
            if self.HEADING:
                yield Static(plain(_(self.HEADING)), classes="heading")
            yield from self.compose_body()
            yield ErrorLine(id="screen-error")
        yield KioskFooter()
        yield TooSmallNotice()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual styles every widget of a screen again when it is pushed. Here nothing
        # restyles a whole screen while it is away (no theme or app class changes): its
        # widgets were styled as they mounted and at each change of class since. That
        # would be a third of the cost of the screen change.
        event.refresh_styles = False
        if not self._shown:
            # The first display: the screen's own on_mount has started its first load.
            self._shown = True
            return
        # Back from a page pushed on top: what changed meanwhile may have moved the focused field.
        self.call_after_refresh(self.show_focused)
        if getattr(self.app, "job_follows", False):
            # A confirmation was accepted: its job comes next, and this screen reads the
            # data again when that job is closed, not while it works.
            self.app.job_follows = False
            return
        self.reload()

    def on_screen_suspend(self) -> None:
        # Covered by another screen, or gone from the stack? The stack tells once the move
        # that suspended this screen is over, whatever the order Textual does it in.
        self.app.call_later(self._forget_if_gone)

    def _forget_if_gone(self) -> None:
        if self.app.is_screen_installed(self) and self not in self.app.screen_stack:
            # A kept screen (App.way_in) that left the stack: the next student finds it new.
            self.forget()

    def forget(self) -> None:
        """Everything a student typed or was told here is gone: fields, errors, a service
        call still under way (its answer is dropped), the scroll; the focus as at the start.
        Screens with more state (choices) extend it."""
        self.workers.cancel_node(self)
        self._then.clear()
        self.busy = False
        for field in self.fields().values():
            field.clear()
        for line in self.query(ErrorLine):
            line.show(None)
        self.query_one("#body", Body).scroll_home(animate=False)
        self.focus_first()

    def first_focus(self) -> Widget | None:
        """The widget that has the focus when the screen opens (kept screens override it:
        :meth:`forget` gives it the focus back)."""
        return None

    def focus_first(self) -> None:
        widget = self.first_focus()
        if widget is not None:
            self.set_focus(widget, scroll_visible=False)

    def reload(self) -> None:
        """Read again what the screen shows from the service (screens that show data override it)."""

    def show_focused(self) -> None:
        """Scroll the focused widget into view (after a change of layout)."""
        if self.focused is not None:
            self.focused.scroll_visible(animate=False)

    # ------------------------------------------------------------ actions

    def action_scroll_body(self, direction: int) -> None:
        """Page Up / Page Down: the body scrolls whatever has the focus."""
        body = self.query_one("#body", Body)
        body.scroll_page_down() if direction > 0 else body.scroll_page_up()

    def action_back(self) -> None:
        """Échap: ANNULER / RETOUR, one screen back."""
        if not self.busy:
            self.app.pop_screen()

    def action_submit(self) -> None:
        """Entrée outside a field: the screen's main button."""
        self.submit()

    def submit(self) -> None:
        """What VALIDER does; screens with a form override it."""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    # ------------------------------------------------------------ service calls

    def call(self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None],
             failed: Callable[[DomainError], None] | None = None, **kwargs: Any) -> None:
        """Run ``fn`` in a thread worker; ``then(result)`` or the error shown, back on the UI."""
        if self.busy:
            return
        self.clear_errors()
        self.busy = True
        worker = self.run_worker(partial(fn, *args, **kwargs), thread=True, exclusive=True,
                                 exit_on_error=False, group="service", name=getattr(fn, "__name__", "service"))
        self._then[worker] = (then, failed)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        handlers = self._then.get(event.worker)
        if handlers is None or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        del self._then[event.worker]
        self.busy = False
        then, failed = handlers
        if event.state == WorkerState.SUCCESS:
            then(event.worker.result)
            return
        if event.state == WorkerState.CANCELLED:
            return
        error = worker_failure(self.app, event.worker)
        if error is None:
            return
        if not isinstance(event.worker.error, StorageUnavailable):
            # The database away refuses nothing the student typed: Entrée again is enough.
            # Emptied before the errors are shown: emptying a password is no correction
            # of it, which would take its error away (Field.on_input_changed).
            self.clear_secrets()
        # A screen's own handler is for the refusals of its use case, not for bugs.
        handler = failed if isinstance(event.worker.error, DomainError) else None
        (handler or self.show_error)(error)

    def watch_busy(self, busy: bool) -> None:
        """Show that the service is working; the buttons only look inactive meanwhile.

        They are not disabled: a disabled button loses the focus, which would land on
        the next one (ANNULER) for the student's next Entrée. :meth:`call` ignores a
        second submit while the first one runs.
        """
        for working in self.query(Working):
            working.set_class(busy, "-shown")
        for button in self.query(Button):
            if "submit" in button.classes:
                button.set_class(busy, "-busy")

    # ------------------------------------------------------------ errors and fields

    def fields(self) -> dict[str, Field | BirthDateField]:
        return {f.field_name: f for f in self.query(Field)} | {f.field_name: f for f in self.query(BirthDateField)}

    def show_error(self, error: DomainError) -> None:
        """Each message beside its field; anything else on the screen's error line.

        The focus goes to the first field in error (in Tab order), scrolled into view
        with its message once the message has taken its place; when that field is a
        password emptied by the refusal, to the first password emptied (two passwords
        that differ are both typed again, the first one first). A wrong code goes beside
        the screen's code field.
        """
        line = self.query_one("#screen-error", ErrorLine)
        if isinstance(error, InvalidCode) and "code" in self.fields():
            error = InvalidInput({"code": str(error)})
        if not isinstance(error, InvalidInput):
            line.show(str(error))
            self.call_after_refresh(line.scroll_visible, animate=False)
            # « Identifiant ou mot de passe incorrect. » emptied the password: the cursor
            # goes there, whatever had the focus (VALIDER, after a letter chosen with F2).
            if (emptied := self._first_emptied()) is not None:
                emptied.focus()
            return
        fields = self.fields()
        stray = []
        for name, message in error.errors.items():
            if name in fields:
                fields[name].set_error(message)
            else:
                stray.append(message)
        if stray:
            line.show(" ".join(stray))
            self.call_after_refresh(line.scroll_visible, animate=False)
        invalid = [field for field in fields.values() if field.has_class("-invalid")]
        widget = next((w for w in self.focus_chain if any(w in field.query(Input) for field in invalid)), None)
        if widget in self.emptied:
            widget = self._first_emptied()
        owner = next((field for field in fields.values() if widget in field.query(Input)), None)
        if widget is not None and owner is not None:
            widget.focus(scroll_visible=False)
            self.call_after_refresh(owner.scroll_visible, animate=False)

    def _first_emptied(self) -> Widget | None:
        """The first password field, in Tab order, that the last refusal emptied."""
        return next((widget for widget in self.focus_chain if widget in self.emptied), None)

    def show_info(self, message: str) -> None:
        line = self.query_one("#screen-error", ErrorLine)
        line.show(message, info=True)
        self.call_after_refresh(line.scroll_visible, animate=False)

    def clear_errors(self) -> None:
        self.emptied = []
        for target in self.fields().values():
            target.set_error(None)
        for line in self.query(ErrorLine):
            line.show(None)

    def clear_secrets(self) -> None:
        """Passwords are never kept after a refusal (the other fields are). The database
        being away is no refusal: they stay, for the same Entrée once it is back (the idle
        timeout still clears everything)."""
        self.emptied = [secret for secret in self.query(SecretInput) if secret.value]
        for secret in self.emptied:
            secret.value = ""

    def value(self, name: str) -> str:
        return self.fields()[name].value
