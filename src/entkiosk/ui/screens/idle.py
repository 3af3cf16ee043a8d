"""The countdown shown before an idle session ends."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static

from ...domain.i18n import _, ngettext
from ..widgets.too_small import FitsTheTerminal


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
            yield Static(_("Appuyez sur une touche pour continuer."), classes="paragraph")

    def on_mount(self) -> None:
        self.watch_remaining(self.remaining)

    def watch_remaining(self, remaining: int) -> None:
        self.query_one("#idle-count", Static).update(ngettext(
            "Sans action de votre part, la session se termine dans {n} seconde "
            "et les informations saisies seront effacées.",
            "Sans action de votre part, la session se termine dans {n} secondes "
            "et les informations saisies seront effacées.",
            remaining).format(n=remaining))
