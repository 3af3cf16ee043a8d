"""The footer of the keys: what Entrée, Échap, Tab… do on this screen, in the pupil's language
(the bindings' descriptions and key names are French, marked with ``N_``, translated here).

The kiosk's own, on Textual's public API (the screen's ``active_bindings`` and its
``bindings_updated_signal``), laid out like Textual's footer. Two differences a student
feels: its keys come with the first frame of every screen (Textual's footer waits for the
screen to report its bindings, one frame later), and it is laid out again only when
what it shows has changed (a focus change, a push or a pop report the bindings several
times per screen, mostly with the same keys).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widget import Widget

from ...domain.i18n import _

#: (key, what the footer shows for it, what it does, enabled)
Shown = tuple[str, str, str, bool]


class KeyHint(Widget):
    """One key of the footer: « Entrée Valider ». A click on it presses the key."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-hint--key", "key-hint--description"}
    DEFAULT_CSS = """
    KeyHint {
        width: auto;
        height: 1;
        text-wrap: nowrap;
        background: $footer-item-background;
        .key-hint--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
            padding: 0 1;
        }
        .key-hint--description {
            padding: 0 1 0 0;
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        &:hover {
            pointer: pointer;
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        &.-disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, key: str, key_display: str, description: str, *, enabled: bool = True) -> None:
        super().__init__(classes="" if enabled else "-disabled")
        self.key = key
        self.key_display = key_display
        self.description = description
        self.enabled = enabled
        self.set_reactive(Widget.shrink, False)

    def render(self) -> Text:
        key_padding = self.get_component_styles("key-hint--key").padding
        description_padding = self.get_component_styles("key-hint--description").padding
        text = Text.assemble(
            (" " * key_padding.left + self.key_display + " " * key_padding.right,
             self.get_component_rich_style("key-hint--key")),
            (" " * description_padding.left + self.description + " " * description_padding.right,
             self.get_component_rich_style("key-hint--description")),
        )
        text.stylize_before(self.rich_style)
        return text

    def on_mouse_down(self) -> None:
        if self.enabled:
            self.app.simulate_key(self.key)
        else:
            self.app.bell()


class KioskFooter(ScrollableContainer, can_focus=False, can_focus_children=False):
    """The keys of the current screen, one :class:`KeyHint` each, docked at the bottom."""

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    KioskFooter {
        layout: horizontal;
        color: $footer-foreground;
        background: $footer-background;
        dock: bottom;
        height: 1;
        scrollbar-size: 0 0;
    }
    """

    _shown: tuple[Shown, ...] | None = None

    def compose(self) -> ComposeResult:
        self._shown = self._keys_shown()
        for key, key_display, description, enabled in self._shown:
            yield KeyHint(key, key_display, description, enabled=enabled)

    def _keys_shown(self) -> tuple[Shown, ...]:
        """One key per action, as the screen's bindings order them (``down,right`` shows
        as its first key, with its ``key_display``)."""
        first: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show:
                first.setdefault(binding.action, (binding, enabled))
        return tuple((binding.key, _(self.app.get_key_display(binding)), _(binding.description), enabled)
                     for binding, enabled in first.values())

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        # A screen just dismissed is out of the stack while its widgets are being removed:
        # its keys no longer matter, and asking them would query half-removed widgets.
        if not self.is_attached or self.screen not in self.app.screen_stack:
            return
        shown = self._keys_shown()
        if shown != self._shown:
            await self.recompose()
