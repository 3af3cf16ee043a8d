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

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static
from textual.worker import Worker, WorkerState

from ...domain.errors import DomainError, InvalidInput, SessionExpired
from ..text import plain
from ..widgets.fields import BirthDateField, ErrorLine, Field, SecretInput, Working

if TYPE_CHECKING:
    from ..app import KioskApp

log = logging.getLogger(__name__)

UNEXPECTED = ("Une erreur inattendue est survenue : vos informations n'ont pas été enregistrées. "
              "Réessayez, ou adressez-vous à votre établissement.")

NAVIGATION: list[BindingType] = [
    Binding("tab", "app.focus_next", "Champ suivant", show=False, id="focus-next"),
    Binding("shift+tab", "app.focus_previous", "Champ précédent", show=False, id="focus-previous"),
    Binding("down", "app.focus_next", "Suivant", show=False, id="down"),
    Binding("up", "app.focus_previous", "Précédent", show=False, id="up"),
]


class KioskScreen(Screen[Any], inherit_bindings=False):
    """A screen of the guide: a title band, a body, the footer with its keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *NAVIGATION,
        Binding("enter", "submit", "Valider", key_display="Entrée", id="submit"),
        Binding("escape", "back", "Retour", key_display="Échap", id="back"),
    ]

    #: The band at the top, as in the guide ("SCOLARITÉ SERVICES", "PREMIÈRE CONNEXION"…).
    BAND: ClassVar[str] = "SCOLARITÉ SERVICES"
    #: The screen's own heading under the band.
    HEADING: ClassVar[str] = ""

    busy: reactive[bool] = reactive(False)

    app: KioskApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._then: dict[Worker[Any], tuple[Callable[[Any], None], Callable[[DomainError], None] | None]] = {}

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(id="band"):
            yield Static(plain(self.BAND), id="band-title")
            yield Static(plain(self.app.settings.establishment.name), id="band-establishment")
        with VerticalScroll(id="body"):
            if self.HEADING:
                yield Static(plain(self.HEADING), classes="heading")
            yield from self.compose_body()
            yield ErrorLine(id="screen-error")
            yield Working(id="working")
        yield Footer(show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    # ------------------------------------------------------------ actions

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
        error = event.worker.error
        if isinstance(error, SessionExpired):
            self.app.end_session(str(error))
        elif isinstance(error, DomainError):
            (failed or self.show_error)(error)
            self.clear_secrets()
        else:
            log.error("unexpected error in %s", event.worker.name, exc_info=error)
            self.show_error(DomainError(UNEXPECTED))
            self.clear_secrets()

    def watch_busy(self, busy: bool) -> None:
        for working in self.query(Working):
            working.set_class(busy, "-shown")
        for button in self.query(Button):
            if "submit" in button.classes:
                button.disabled = busy

    # ------------------------------------------------------------ errors and fields

    def fields(self) -> dict[str, Field | BirthDateField]:
        return {f.field_name: f for f in self.query(Field)} | {f.field_name: f for f in self.query(BirthDateField)}

    def show_error(self, error: DomainError) -> None:
        """Each message beside its field; anything else on the screen's error line."""
        if isinstance(error, InvalidInput):
            fields = self.fields()
            stray = []
            first = None
            for name, message in error.errors.items():
                target = fields.get(name)
                if target is None:
                    stray.append(message)
                    continue
                target.set_error(message)
                first = first or target
            if stray:
                self.query_one("#screen-error", ErrorLine).show(" ".join(stray))
            if first is not None:
                first.query(Input).first().focus()
                first.scroll_visible()
            return
        line = self.query_one("#screen-error", ErrorLine)
        line.show(str(error))
        line.scroll_visible()

    def show_info(self, message: str) -> None:
        self.query_one("#screen-error", ErrorLine).show(message, info=True)

    def clear_errors(self) -> None:
        for target in self.fields().values():
            target.set_error(None)
        for line in self.query(ErrorLine):
            line.show(None)

    def clear_secrets(self) -> None:
        """Passwords are never kept after a refusal (the other fields are)."""
        for secret in self.query(SecretInput):
            secret.value = ""

    def value(self, name: str) -> str:
        return self.fields()[name].value
