"""The countdown shown before an idle session ends."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static

from ..widgets.too_small import FitsTheTerminal


class IdleWarning(FitsTheTerminal, ModalScreen[None], inherit_bindings=False):
    """« Êtes-vous toujours là ? » with the seconds left; any key keeps the session."""

    remaining: reactive[int] = reactive(10)

    def __init__(self, remaining: int) -> None:
        super().__init__()
        self.set_reactive(IdleWarning.remaining, remaining)

    def compose(self) -> ComposeResult:
        with Vertical(id="idle-box"):
            yield Static("Êtes-vous toujours là ?", classes="heading")
            yield Static("", id="idle-count")
            yield Static("Appuyez sur une touche pour continuer.", classes="paragraph")

    def on_mount(self) -> None:
        self.watch_remaining(self.remaining)

    def watch_remaining(self, remaining: int) -> None:
        unit = "seconde" if remaining <= 1 else "secondes"
        self.query_one("#idle-count", Static).update(
            f"Sans action de votre part, la session se termine dans {remaining} {unit} "
            "et les informations saisies seront effacées.")
