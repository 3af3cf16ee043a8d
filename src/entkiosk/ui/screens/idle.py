"""The countdown shown before an idle session ends."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static

from ...domain.i18n import _, ngettext
from ..widgets.too_small import FitsTheTerminal


def more_time(timeout: int) -> str:
    """How to get more time, and how much: any key gives the whole ``[kiosk] idle_timeout``
    again (a school sets it longer for a class that needs it)."""
    if timeout >= 60:
        minutes = round(timeout / 60)
        return ngettext("Appuyez sur une touche pour avoir de nouveau {n} minute.",
                        "Appuyez sur une touche pour avoir de nouveau {n} minutes.", minutes).format(n=minutes)
    return ngettext("Appuyez sur une touche pour avoir de nouveau {n} seconde.",
                    "Appuyez sur une touche pour avoir de nouveau {n} secondes.", timeout).format(n=timeout)


class IdleWarning(FitsTheTerminal, ModalScreen[None], inherit_bindings=False):
    """« Êtes-vous toujours là ? » with the seconds left; any key keeps the session."""

    remaining: reactive[int] = reactive(10)

    def __init__(self, remaining: int) -> None:
        super().__init__()
        self.set_reactive(IdleWarning.remaining, remaining)

    def compose(self) -> ComposeResult:
        with Vertical(id="idle-box"):
            yield Static(_("Êtes-vous toujours là ?"), classes="heading")
            yield Static("", id="idle-count")
            yield Static(more_time(self.app.settings.kiosk.idle_timeout), classes="paragraph")

    def on_mount(self) -> None:
        self.watch_remaining(self.remaining)

    def watch_remaining(self, remaining: int) -> None:
        self.query_one("#idle-count", Static).update(ngettext(
            "Sans action de votre part, la session se termine dans {n} seconde "
            "et les informations saisies seront effacées.",
            "Sans action de votre part, la session se termine dans {n} secondes "
            "et les informations saisies seront effacées.",
            remaining).format(n=remaining))
