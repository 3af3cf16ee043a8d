"""« Agrandissez la fenêtre »: what a screen shows while the terminal is below 80×24.

Every screen of the kiosk is laid out for 80×24 at least (SPEC §4). In a smaller
terminal a form would be cut and typed blind, so the screen is covered by this
notice instead, and the keys typed meanwhile go nowhere (:class:`KioskApp` drops
them). The screen underneath is left as it was: what was typed and the focus are
there again as soon as the terminal is large enough.

The notice shows while its screen has the ``-too-small`` class (``styles/kiosk.tcss``),
set by :func:`fit` on every screen of the stack at each change of size (the app's
Resize handler), and on a screen each time it is shown (:class:`FitsTheTerminal`).
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

from ...domain.i18n import N_, _
from ..text import plain

#: The smallest terminal every screen is laid out for (SPEC §4).
MIN_WIDTH, MIN_HEIGHT = 80, 24

ENLARGE = N_("Agrandissez la fenêtre\u00a0: 80\u00a0colonnes et 24\u00a0lignes au minimum")


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def notice_text(size: Size) -> str:
    """The notice, with the size the terminal has now (what the IT person adjusts)."""
    return (_(ENLARGE) + ".\n\n"
            + _("La fenêtre mesure actuellement {width}\u00a0colonnes et {height}\u00a0lignes.").format(
                width=size.width, height=size.height))


class TooSmallNotice(Static):
    """Covers the whole screen, above its band and body, while the terminal is too small."""

    def __init__(self) -> None:
        super().__init__("", id="too-small", markup=False)

    def show_size(self, size: Size) -> None:
        self.update(plain(notice_text(size)))  # wrapped as French is set: never at a non-breaking space


def fit(screen: Screen[Any], size: Size) -> None:
    """``screen`` as a terminal of ``size`` needs it: covered by its notice, or not."""
    small = too_small(size)
    grown = screen.has_class("-too-small") and not small
    screen.set_class(small, "-too-small")
    if small:
        for notice in screen.query(TooSmallNotice):
            notice.show_size(size)
    elif grown and screen.focused is not None:
        # Laid out small meanwhile: the field being typed in, back into view.
        screen.call_after_refresh(screen.focused.scroll_visible, animate=False)


class FitsTheTerminal:
    """For every screen of the kiosk, dialogs included: fitted to the terminal each time
    it is shown (the size may have changed while it was away, or before it was built)."""

    def on_screen_resume(self) -> None:
        # (A screen's own on_screen_resume runs as well: Textual calls each class's own.)
        fit(self, self.app.size)  # type: ignore[arg-type, attr-defined]
        # Back on this screen: the terminal's cursor goes back to what has the focus here.
        place = getattr(self.app, "place_cursor", None)  # type: ignore[attr-defined]
        if place is not None:
            self.app.call_after_refresh(place)  # type: ignore[attr-defined]
