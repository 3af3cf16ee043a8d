"""The kiosk App, built by :func:`make_app` from settings and a service.

Kiosk safety is the default: no command palette, no quit, suspend, copy or
screenshot key; text selection off; after ``idle_timeout`` seconds without a key the
session ends behind a short visible countdown, every screen is dropped and a fresh
accueil returns. Only a staff login can close the kiosk. A terminal below 80×24
shows « Agrandissez la fenêtre » and takes no key until it is large enough again.
"""

from __future__ import annotations

import gc
import importlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.console import Console
from textual import events
from textual.binding import BindingType
from textual.screen import Screen

from ..config import Settings
from ..domain import i18n
from ..domain.i18n import _
from . import themes
from .crash import TracebackToLog
from .kiosk import Kiosk, PortalMemory, S
from .widgets.too_small import fit, too_small

if TYPE_CHECKING:
    from ..service import AccountService, IssuedLetter, LoginResult, StudentStatus

log = logging.getLogger(__name__)

#: Seconds of countdown shown before an idle session ends.
IDLE_WARNING = 10

#: Loaded in the background once the accueil is painted (see ``_load_service``); not the
#: guide, whose QR code library costs 4 MiB for the few who open it.
_STUDENT_SCREENS = (".screens.portal", ".screens.login", ".screens.forgot",
                    ".screens.first_connection", ".screens.charter", ".screens.home", ".screens.profile",
                    ".screens.validate_email", ".screens.idle", ".screens.message")


def styles_dir() -> Path:
    """``styles/`` of the project (editable install) or of the installed package."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "styles", here.parents[3] / "styles"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("styles/ introuvable : installation incomplète d'entkiosk")


class KioskApp(Kiosk, inherit_bindings=False):
    """The student kiosk. Build it with :func:`make_app`."""

    TITLE = "Scolarité Services"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = []
    CSS_PATH = [styles_dir() / "kiosk.tcss", styles_dir() / "forms.tcss", styles_dir() / "pages.tcss"]

    def __init__(
        self,
        settings: Settings,
        service: AccountService | Callable[[], AccountService],
        *,
        memory: PortalMemory,
        blink: bool = True,
        idle_clock: Callable[[], float] = time.monotonic,
        demo_letters: Sequence[IssuedLetter] = (),
        demo_staff: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._service: AccountService | None = None
        self._loading: Future[AccountService] = Future()
        if callable(service) and not hasattr(service, "authenticate"):
            self._service_factory: Callable[[], AccountService] | None = service
        else:
            self._service_factory = None
            self._loading.set_result(service)  # type: ignore[arg-type]
        self.memory = memory
        #: Why the database side could not start, if it could not.
        self.startup_error: Exception | None = None
        #: The real kiosk (one app per process) freezes what it loaded at start; tests,
        #: which run many apps in one process, do not.
        self.freeze_after_start = False
        self.blink = blink
        self.idle_clock = idle_clock
        self.demo_letters = list(demo_letters)
        #: ``entkiosk demo``: the demo's staff account (identifier, password), shown by F2.
        self.demo_staff = demo_staff
        self.session: LoginResult | None = None
        #: The pupils a staff member ticked in their classes (« Groupe »), by identifier;
        #: forgotten with the staff session.
        self.staff_group: dict[str, StudentStatus] = {}
        #: Set when a staff confirmation is accepted: the screen behind waits for the job.
        self.job_follows = False
        self._last_activity = idle_clock()
        #: A browser tab's kiosk (``entkiosk serve``): seconds on the accueil without a key or
        #: a click before it closes (0: never, as a terminal kiosk).
        self.close_when_idle = 0
        #: The language the kiosk comes back to after each session (French if the school's
        #: has no catalog); read once, since the idle check compares with it every second.
        self.school_language = i18n.language_of(settings.kiosk.language)
        self._last_touch = idle_clock()
        #: The mouse button that dismissed the countdown is still down: its release is no click.
        self.swallow_release = False
        # Textual prints what stopped the app on this console as it exits: the log gets it
        # instead, without the values of variables (they may hold what a student typed).
        self.error_console = Console(file=TracebackToLog(), width=200, color_system=None, markup=False,
                                     highlight=False)
        if not blink:
            self.animation_level = "none"

    # ------------------------------------------------------------ start

    def on_mount(self) -> None:
        from .screens.welcome import WelcomeScreen

        themes.register(self)
        self.theme = themes.textual_theme(self.settings.kiosk.theme)

        self.push_screen(WelcomeScreen())
        self.set_interval(1, self.check_inactivity, name="idle")

    def on_unmount(self) -> None:
        """The kiosk stops (a browser tab closed or reloaded, the process ended): whoever was
        logged in is logged out, so that no session stays open behind it."""
        token = self.session.token if self.session else None
        self.session = None
        if token and self._loading.done() and self._loading.exception() is None:
            try:
                self._loading.result().logout(token)
            except Exception:  # noqa: BLE001 - the session ends at its timeout anyway
                log.exception("logout at exit failed")

    def on_ready(self) -> None:
        """The accueil is on screen: now the database side loads, off the event loop.

        SQLAlchemy, the schema check and the service cost more than Textual itself; a
        student reading the accueil does not wait for them, and a student quicker than
        they are waits only in the worker of their first request.
        """
        self.run_worker(self._load_service, thread=True, exit_on_error=False, name="service")

    def _load_service(self) -> None:
        try:
            service = self._service_factory() if self._service_factory else self._loading.result()
        except Exception as error:  # noqa: BLE001 - handed to whoever needs the service
            self._loading.set_exception(error)
            self.call_from_thread(self._service_failed, error)
            return
        if self._service_factory:
            self._loading.set_result(service)
        try:
            service.purge_expired(actor=f"kiosk:{self.settings.kiosk.id}")
        except Exception:  # noqa: BLE001 - the kiosk works without it; the log says why
            log.exception("start-up purge failed")
        # The screens a student meets first, imported now rather than at the first key
        # that opens them (up to 240 ms each on a loaded machine). A failure here is the
        # screen's own and shows when it is opened.
        for module in _STUDENT_SCREENS:
            try:
                importlib.import_module(module, __package__)
            except Exception:  # noqa: BLE001 - the kiosk works without the head start
                log.exception("preloading %s failed", module)
        if self.freeze_after_start:
            # Everything loaded so far lives as long as the kiosk: the garbage collector
            # need not walk it again at each full collection (pauses a student would feel).
            gc.freeze()

    def _service_failed(self, error: Exception) -> None:
        """No database at start (a configuration or server problem): the kiosk stops and
        ``entkiosk`` prints the French reason (:attr:`startup_error`)."""
        log.error("the service could not start: %s", type(error).__name__)
        self.startup_error = error
        self.exit(return_code=2)

    @property
    def service(self) -> AccountService:
        """The service; in the first instants after start it may still be loading (then this waits)."""
        if self._service is None:
            self._service = self._loading.result()
        return self._service

    # ------------------------------------------------------------ safety

    def copy_to_clipboard(self, text: str) -> None:
        """Nothing typed at a shared kiosk is copied anywhere (not even the terminal's clipboard)."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)) and self.touch():
            # That key only kept the session: it must not also type, submit or go back; and
            # the release of that press must not click what was under the countdown.
            self.swallow_release = isinstance(event, events.MouseDown)
            return
        if isinstance(event, events.MouseUp) and self.swallow_release:
            self.swallow_release = False
            return
        if isinstance(event, (events.Key, events.Paste, events.MouseEvent)) and self.too_small:
            return  # the form is hidden (« Agrandissez la fenêtre »): nothing is typed into it blind
        await super().on_event(event)

    # ------------------------------------------------------------ the terminal's size

    @property
    def too_small(self) -> bool:
        """The terminal is below 80×24: every screen shows « Agrandissez la fenêtre »."""
        return too_small(self.size)

    def on_resize(self, event: events.Resize) -> None:
        # After Textual's own handler, which records the new size (it runs after this one).
        self.call_next(self.fit_screens)

    def fit_screens(self) -> None:
        """Each screen of the stack shows the notice, or its own widgets again, as the
        terminal's size asks (a screen out of the stack is fitted when shown again)."""
        for screen in self.screen_stack:
            fit(screen, self.size)
        self.call_after_refresh(self.place_cursor)

    # ------------------------------------------------------------ the terminal's cursor

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.call_after_refresh(self.place_cursor)

    def place_cursor(self) -> None:
        """The terminal's own cursor on what has the focus — the start of a button's label,
        the row under a list's cursor, a box's text — so that a screen magnifier or a braille
        display, which follow it, show the pupil where they are. A text field places it
        itself at the caret as it is typed in (Textual's ``Input``)."""
        from rich.cells import cell_len
        from textual.geometry import Offset
        from textual.widgets import Button, Checkbox, DataTable, Input, RadioSet

        if not self.screen_stack:  # (the kiosk is stopping)
            return
        widget = self.focused
        if widget is None or not widget.is_attached:
            return
        region = widget.content_region
        if region.width <= 0 or region.height <= 0:
            return
        x, y = region.x, region.y
        if isinstance(widget, Input):  # (it places it as it is typed in; here, once it is laid out)
            x, y = widget.cursor_screen_offset
        elif isinstance(widget, Button):
            label = widget.label.plain if hasattr(widget.label, "plain") else str(widget.label)
            x += max(0, (region.width - cell_len(label)) // 2)
            y += region.height // 2
        elif isinstance(widget, RadioSet) and widget.pressed_button is not None:
            chosen = widget.pressed_button
            x, y = chosen.content_region.x + toggle_width(chosen), chosen.content_region.y
        elif isinstance(widget, Checkbox):
            x += toggle_width(widget)
        elif isinstance(widget, DataTable) and widget.row_count:
            row = widget.cursor_row - int(widget.scroll_y) + (widget.header_height if widget.show_header else 0)
            y += max(0, min(row, region.height - 1))
        if self.cursor_position != Offset(x, y):
            self.cursor_position = Offset(x, y)
            widget.refresh()  # the cursor goes where it is told with the next frame

    def touch(self) -> bool:
        """A sign of life: the idle clock restarts. True if it dismissed the countdown."""
        from .screens.idle import IdleWarning

        self._last_activity = self._last_touch = self.idle_clock()
        if isinstance(self.screen, IdleWarning):
            self.pop_screen()
            return True
        return False

    def has_student_state(self) -> bool:
        """Something of a student is on screen or in memory: worth clearing when idle."""
        from .screens.welcome import WelcomeScreen

        stack = self.screen_stack
        return (self.session is not None or len(stack) > 2 or bool(stack) and not isinstance(stack[-1], WelcomeScreen)
                or self.chose_for_a_session())

    def chose_for_a_session(self) -> bool:
        """A language or colours chosen on the accueil (F3, F4) and not yet forgotten: worth
        clearing when idle, even if the pupil never logged in."""
        return (i18n.language() != self.school_language
                or self.theme != themes.textual_theme(self.settings.kiosk.theme))

    def check_inactivity(self) -> None:
        """Every second: the countdown, then the end of the session.

        The app's timers outlive its screens: when the kiosk exits, Textual closes and
        clears every screen stack before it stops the app's own timers, and a tick that
        fell in between found no screen at all (an ``IndexError`` at the end of a test or
        a benchmark run). A kiosk that is stopping, or whose stack is being rebuilt, has
        nothing to time.
        """
        from .screens.idle import IdleWarning

        stack = self.screen_stack
        if not self.is_running or not stack:
            return
        if not self.has_student_state() or getattr(stack[-1], "KEEPS_AWAKE", False):
            self._last_activity = self.idle_clock()
            if (self.close_when_idle and not self.has_student_state()
                    and self.idle_clock() - self._last_touch >= self.close_when_idle):
                log.info("browser tab left idle on the accueil: its kiosk closes")
                self.exit(return_code=0)
            return
        timeout = self.settings.kiosk.idle_timeout
        remaining = timeout - (self.idle_clock() - self._last_activity)
        if remaining <= 0:
            # In the language of the student who just left (end_session then goes back to the school's).
            self.end_session(_("Session terminée après une période d'inactivité : "
                               "les informations saisies ont été effacées."))
        elif remaining <= min(IDLE_WARNING, timeout // 3):
            if isinstance(stack[-1], IdleWarning):
                stack[-1].remaining = int(remaining + 0.999)
            else:
                self.push_screen(IdleWarning(int(remaining + 0.999)))

    def end_session(self, notice: str | None = None) -> None:
        """Log out, forget everything typed (the language chosen too), and show a fresh accueil."""
        i18n.use(self.settings.kiosk.language)
        self.theme = themes.textual_theme(self.settings.kiosk.theme)
        token = self.session.token if self.session else None
        self.session = None
        self.staff_group.clear()
        self.job_follows = False
        self._last_activity = self._last_touch = self.idle_clock()
        if token:
            self.run_worker(partial(self.service.logout, token), thread=True, exit_on_error=False, name="logout")
        self.call_later(self._back_to_welcome, notice)

    def switch_theme(self) -> str:
        """F4 on the accueil: the next colour theme, for this session (the school's comes back
        at its end); the ``[kiosk] theme`` name now in use."""
        current = next((name for name, (theme, _label) in themes.THEMES.items() if theme == self.theme), "standard")
        chosen = themes.next_theme(current)
        self.theme = themes.textual_theme(chosen)
        log.info("colours chosen for this session: %s", chosen)
        return chosen

    def choose_language(self, language: str) -> None:
        """The language a pupil chose on the accueil, for their session (forgotten at its end):
        the accueil again, in that language."""
        i18n.use(language)
        log.info("language chosen for this session: %s", i18n.language())
        self.call_later(self._back_to_welcome, None)

    async def _back_to_welcome(self, notice: str | None) -> None:
        from .screens.welcome import WelcomeScreen

        while len(self.screen_stack) > 1:
            await self.pop_screen()
        await self.push_screen(WelcomeScreen(notice=notice))

    # ------------------------------------------------------------ failures

    def on_worker_state_changed(self, event) -> None:
        """The app's own workers (start-up purge, logout) fail loudly in the log."""
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR:
            log.error("kiosk task %s failed", event.worker.name, exc_info=event.worker.error)

    # ------------------------------------------------------------ navigation after login

    def open_session(self, login: LoginResult) -> None:
        """Where a successful login leads, as in the guide."""
        from .screens.charter import CharterScreen
        from .screens.first_connection import FirstConnectionScreen
        from .screens.home import HomeScreen
        from .screens.profile import ProfileScreen
        from .screens.staff import StaffScreen

        self.session = login
        self.staff_group.clear()
        if login.kind == "staff":
            self.push_screen(StaffScreen())
        elif login.next_step == "first_connection":
            self.push_screen(FirstConnectionScreen())
        elif login.next_step == "charter":
            self.push_screen(CharterScreen())
        elif login.next_step == "change_password":
            self.push_screen(ProfileScreen(forced=True))
        else:
            self.show(self.way_in(HomeScreen))

    def go_home(self, *, instead_of_current: bool = False) -> None:
        """The student's home screen (ACCÉDER AUX SERVICES, or the end of a step that
        leads there): back to it if it is in the stack; else in place of the current
        screen (``instead_of_current``), or on the accueil once the steps that led here
        are closed."""
        from .screens.home import HomeScreen

        home = self.way_in(HomeScreen)
        if home in self.screen_stack or instead_of_current:
            self.show(home, instead_of_current=instead_of_current)
        else:
            self.call_later(self._go_home, home)

    async def _go_home(self, home: Screen) -> None:
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.push_screen(home)

    # ------------------------------------------------------------ the ways in, built once

    def way_in(self, screen_type: type[S], **options: object) -> S:
        """The one instance of a screen every student passes through (the portal, the
        login, the home screen), built at its first use and kept.

        A fresh one for each student would be composed, styled and laid out again, which
        is three quarters of what a screen change costs here. A kept screen forgets what
        its student typed as soon as it leaves the stack (:meth:`KioskScreen.forget`).
        """
        name = screen_type.__name__ + "".join(f":{key}={value}" for key, value in sorted(options.items()))
        # One per language: a kept screen's words are those of the language it was built in.
        name += f"@{i18n.language()}"
        if not self.is_screen_installed(name):
            self.install_screen(screen_type(**options), name)
        return self.get_screen(name)  # type: ignore[return-value]

    def change_portal(self) -> None:
        """« Changer de portail »: the remembered choice is forgotten, and the portal shown
        as new in place of the current screen."""
        from .screens.portal import PortalScreen

        self.memory.forget()
        portal = self.way_in(PortalScreen)
        if portal in self.screen_stack:  # the choice was made there a moment ago
            portal.forget()  # the choice is forgotten: the portal as new
        self.show(portal, instead_of_current=True)

    def show(self, screen: Screen, *, instead_of_current: bool = False) -> None:
        """Show a kept screen: back to it if it is in the stack already, else on top of
        the current screen or in its place (``instead_of_current``)."""
        if screen in self.screen_stack:
            screen.pop_until_active()
        elif instead_of_current:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)


def toggle_width(button) -> int:
    """Cells before a check box's or a radio button's label: its box and a space."""
    from rich.cells import cell_len

    return cell_len(button.BUTTON_LEFT + button.BUTTON_INNER + button.BUTTON_RIGHT) + 1


def make_app(
    settings: Settings,
    service: AccountService | Callable[[], AccountService],
    *,
    state_path: Path | None = None,
    blink: bool = True,
    idle_clock: Callable[[], float] = time.monotonic,
    demo_letters: Sequence[IssuedLetter] = (),
    demo_staff: tuple[str, str] | None = None,
) -> KioskApp:
    """The kiosk on ``service`` (or on what ``service()`` returns, built once the accueil is
    painted); tests pass a fresh database, a fixed clock and ``blink=False``."""
    return KioskApp(settings, service, memory=PortalMemory(state_path), blink=blink, idle_clock=idle_clock,
                    demo_letters=demo_letters, demo_staff=demo_staff)
