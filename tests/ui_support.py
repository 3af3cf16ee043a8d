"""Helpers for the kiosk's pilot tests: build the real app, type like a student, read the screen.

The app is built with :func:`entkiosk.ui.app.make_app` exactly as ``entkiosk`` does,
on the test's database and fixed clock, with the cursor blink off and an idle clock
the test moves by hand (:class:`IdleClock`). Text is typed as key events through the
terminal driver (:func:`type_text`), fields are reached with Tab and forms sent with
Entrée, as a keyboard-only student would.
"""

from __future__ import annotations

import re

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from entkiosk.config import Settings
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.app import KioskApp, make_app

SIZE = (80, 24)


class IdleClock:
    """The kiosk's idle clock, moved only by the test (``clock.advance(seconds)``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def kiosk(settings: Settings, service: AccountService, tmp_path: Path, *, idle: IdleClock | None = None,
                size: tuple[int, int] = SIZE, demo_letters: Sequence[IssuedLetter] = (),
                ) -> AsyncIterator[tuple[KioskApp, Pilot]]:
    """The real kiosk at 80×24 on ``service``, its start-up work (purge) finished."""
    app = make_app(settings, service, blink=False, state_path=tmp_path / "state.json", idle_clock=idle or IdleClock(),
                   demo_letters=demo_letters)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        yield app, pilot


async def settle(app: App, pilot: Pilot) -> None:
    """Let every worker (service calls) finish and the UI take in their results.

    However loaded the machine: it waits until no worker runs, no screen waits for the
    service (« working » in its band), every widget of every screen in the stack has
    handled its messages (a table behind a dialog sizes its columns when idle), twice in
    a row.
    """
    from textual.worker import WorkerFailed

    calm = 0
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # a refused service call is the screen's to show, not the wait's to raise
        await pilot.pause()
        await quiet(app)
        busy = any(getattr(screen, "busy", False) for screen in app.screen_stack)
        calm = 0 if busy or any(worker.is_running for worker in app.workers) else calm + 1
        if calm >= 3:
            return
    raise AssertionError("the kiosk did not come to rest")


async def quiet(app: App, timeout: float = 30.0) -> None:
    """Every widget of every screen in the stack has handled the messages queued so far
    (the pilot's own pause waits for the screen on top only)."""
    import asyncio

    pending = 0
    done = asyncio.Event()

    def one_done() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            done.set()

    for screen in list(app.screen_stack):
        for node in screen.walk_children(with_self=True):
            if node.call_later(one_done):
                pending += 1
    if pending:
        await asyncio.wait_for(done.wait(), timeout)


async def type_text(pilot: Pilot, text: str) -> None:
    """Type ``text`` into the field that has the focus, one key event per character.

    The keys go through the terminal driver like ``pilot.press``, but without a pause
    between them, as from a quick typist or a script: the kiosk must take them in
    order, the birth date included (it moves on by itself after two digits).
    """
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for char in text:
        key = events.Key(char if char.isalnum() else _character_to_key(char), char)
        key.set_sender(app)
        app._driver.send_message(key)
    await pilot.pause()


async def fill(app: App, pilot: Pilot, field_id: str, text: str) -> None:
    """Tab until ``#field_id`` has focus (as a student would), then type ``text`` into it."""
    await tab_to(app, pilot, field_id)
    await type_text(pilot, text)


async def tab_to(app: App, pilot: Pilot, widget_id: str, *, limit: int = 40) -> Widget:
    """Press Tab until the widget ``#widget_id`` has focus; it must be on screen then."""
    for _ in range(limit):
        focused = app.focused
        if focused is not None and focused.id == widget_id:
            await pilot.pause()
            assert_on_screen(app, focused)
            return focused
        await pilot.press("tab")
    raise AssertionError(f"#{widget_id} never got the focus with Tab (focus on {app.focused!r})")


async def submit(app: App, pilot: Pilot, key: str = "enter") -> None:
    """Press Entrée (or ``key``) and wait for the service call it starts."""
    await pilot.press(key)
    await settle(app, pilot)


def rendered(app: App) -> list[Strip]:
    return app.screen._compositor.render_strips()


def screen_text(app: App) -> str:
    """What the terminal shows now, line by line."""
    return "\n".join(strip.text for strip in rendered(app))


def flat(text: str) -> str:
    """Whitespace (line wraps included) squeezed to single spaces, to find sentences; a
    non-breaking space is typography, not layout: it stays (and must be in what is sought)."""
    return re.sub(r"[^\S\u00a0\u202f]+", " ", text).strip()


def shows(app: App, words: str) -> bool:
    """``words`` appear on the terminal (possibly wrapped over several lines)."""
    return flat(words) in flat(screen_text(app))


def screen_content(app: App) -> str:
    """Every visible-or-scrolled text of the screen's widgets (not only what fits in 24 lines)."""
    from textual.widgets import Label, Static

    parts = []
    for widget in app.screen.query(Static):
        if widget.display and isinstance(widget, (Static, Label)):
            parts.append(str(widget.render()))
    return flat("\n".join(parts))


def assert_on_screen(app: App, widget: Widget) -> None:
    """``widget`` is wholly visible: not scrolled away, not cut by the edge of its container."""
    visible = app.screen._compositor.visible_widgets
    assert widget in visible, f"{widget!r} is not visible at {app.size}"
    region, clip = visible[widget]
    assert clip.contains_region(region), f"{widget!r} is cut: {region} outside {clip}"


def assert_nothing_cut(app: App) -> None:
    """No widget sticks out of a container that does not scroll (and would silently cut it)."""
    for parent in app.screen.walk_children(with_self=False):
        if not parent.display or parent.styles.overflow_y in ("auto", "scroll"):
            continue
        box = parent.content_region
        for child in parent.displayed_children:
            if child.styles.dock != "none" or child.styles.overlay == "screen" or not child.region:
                continue
            assert child.region.bottom <= box.bottom and child.region.right <= box.right, (
                f"{child!r} is cut by {parent!r}: {child.region} outside {box}")


def field_error(app: App, name: str) -> str:
    """The error line beside field ``name`` ('' when hidden)."""
    error = app.screen.query_one(f"#{name}-error")
    return str(error.render()) if error.display and error.parent.has_class("-invalid") else ""


def value(app: App, field_id: str) -> str:
    return app.screen.query_one(f"#{field_id}", Input).value


# ------------------------------------------------------------------ the keys and the layout of a screen

#: Every word the footer may show: the kiosk's keys, in French.
FRENCH_KEYS = {"Suivant", "Précédent", "Valider", "Choisir", "Retour", "Enregistrer", "Se déconnecter",
               "Faire défiler", "Cocher / décocher", "Démo", "Continuer", "Annuler", "Refuser",
               "Ouvrir", "Aperçu", "Créer", "Fermer", "Terminer la séance", "Débloquer", "Courrier",
               "Approuver", "Annuler la demande", "Modifier",
               "Langue · Language · Мова",  # (the language key: its words in each language)
               "Couleurs"}


def footer_keys(app: App) -> list[tuple[str, str]]:
    """(key, description) of each key the footer shows now."""
    from entkiosk.ui.widgets.footer import KeyHint

    return [(key.key_display, key.description) for key in app.screen.query(KeyHint)]


def assert_footer_french(app: App) -> None:
    keys = footer_keys(app)
    assert keys, f"no key in the footer of {app.screen!r}"
    for key, description in keys:
        assert description in FRENCH_KEYS, f"footer key {key!r}: {description!r} is not one of the kiosk's words"
    displays = {key for key, _ in keys}
    assert not displays & {"enter", "escape", "tab", "space"}, f"keys not written in French: {displays}"


async def tour(app: App, pilot: Pilot, *, limit: int = 40) -> list[Widget]:
    """Tab once around the screen: each stop is wholly on screen, nothing is cut, the footer is French.

    A body too long for the screen is itself a stop (its arrows scroll it), so that its
    text, not only its fields, can be read. Returns the widgets in Tab order; the focus
    ends where it started.
    """
    from entkiosk.ui.widgets.controls import Body

    start = app.focused
    assert start is not None, f"nothing has the focus on {app.screen!r}"
    stops: list[Widget] = []
    for _ in range(limit):
        focused = app.focused
        assert focused is not None
        assert_on_screen(app, focused)
        assert_nothing_cut(app)
        assert_footer_french(app)
        stops.append(focused)
        await pilot.press("tab")
        await pilot.pause()
        if app.focused is start:
            for body in app.screen.query(Body):
                assert body.max_scroll_y == 0 or body in stops, f"{app.screen!r} cannot be scrolled with the keys"
            return stops
    raise AssertionError(f"Tab never came back to {start!r}: {stops}")
