"""Buttons, boxes and choices with French keys in the footer and states readable without colour.

Textual's own controls hide their keys from the footer (``show=False``) and tell an
on box from an off box by colour alone. At the kiosk a student reads the footer to
know what Entrée or Espace will do, and some lab screens are nearly monochrome, so
these subclasses declare every key they answer (``inherit_bindings=False``), in
French, and draw an empty box when off.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Button, Checkbox, RadioButton, RadioSet

from ...domain.i18n import N_

#: Shared by every scrolling area that can take the focus.
SCROLL_KEYS: list[BindingType] = [
    Binding("down", "scroll_down", N_("Faire défiler"), key_display="↑↓", id="scroll-down"),
    Binding("up", "scroll_up", N_("Faire défiler"), key_display="↑↓", show=False, id="scroll-up"),
    Binding("pagedown", "page_down", N_("Page suivante"), show=False, id="page-down"),
    Binding("pageup", "page_up", N_("Page précédente"), show=False, id="page-up"),
    Binding("home", "scroll_home", N_("Début"), show=False, id="scroll-home"),
    Binding("end", "scroll_end", N_("Fin"), show=False, id="scroll-end"),
]

SCROLL_ACTIONS = frozenset({"scroll_down", "scroll_up", "page_down", "page_up", "scroll_home", "scroll_end"})


class KioskButton(Button, inherit_bindings=False):
    """A compact button; Entrée presses it and the footer says so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "press", N_("Choisir"), key_display=N_("Entrée"), id="button-press"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        # The pressed look lasts 0.2 s: with blinking off (snapshots) it is off too, so
        # that a picture never depends on when it was taken.
        if not getattr(self.app, "blink", True):
            self.active_effect_duration = 0


class KioskCheckbox(Checkbox, inherit_bindings=False):
    """« Mémoriser ce choix », « J'accepte la charte »: an X when ticked, an empty box otherwise.

    Espace ticks; Entrée is left to the screen (VALIDER), as in every field of a form.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_button", N_("Cocher / décocher"), key_display=N_("Espace"), id="checkbox-toggle"),
    ]

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "X" if self.value else " "


class KioskRadioButton(RadioButton):
    """One choice of a :class:`KioskRadioSet`: a dot when chosen, an empty box otherwise."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "●" if self.value else " "


class KioskRadioSet(RadioSet, inherit_bindings=False):
    """A list of choices where the arrows choose (as in a browser); Entrée is left to VALIDER."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,right", "next_button", N_("Choisir"), key_display="↑↓", id="radio-next"),
        Binding("up,left", "previous_button", N_("Choisir"), key_display="↑↓", show=False, id="radio-previous"),
        Binding("space", "toggle_button", N_("Choisir"), show=False, id="radio-toggle"),
    ]

    #: False while the set mounts: RadioSet then moves its highlight to its first choice
    #: through :meth:`action_next_button`, which must not choose anything.
    arrows_choose = False

    def on_mount(self) -> None:
        self.call_after_refresh(self._let_arrows_choose)

    def _let_arrows_choose(self) -> None:
        self.arrows_choose = True

    def choose_first(self) -> None:
        """Back to the first choice, as when the set was built."""
        buttons = list(self.query_children(RadioButton))
        if buttons:
            buttons[0].value = True

    def action_next_button(self) -> None:
        self._choose(1) if self.arrows_choose else super().action_next_button()

    def action_previous_button(self) -> None:
        self._choose(-1) if self.arrows_choose else super().action_previous_button()

    def _choose(self, step: int) -> None:
        """The next (or previous) choice is chosen, wrapping around; RadioSet moves its
        highlight to a choice as soon as it is chosen."""
        buttons = [button for button in self.query_children(RadioButton) if not button.disabled]
        if not buttons:
            return
        pressed = self.pressed_button
        index = buttons.index(pressed) if pressed in buttons else -step
        buttons[(index + step) % len(buttons)].value = True


class Body(VerticalScroll, inherit_bindings=False):
    """The scrolling body of a screen: focusable only when it has something to scroll.

    A body that fits needs no stop in the Tab order; one that does not fit takes the
    focus once, so that its text (not only its fields) can be read with the arrows.
    """

    BINDINGS: ClassVar[list[BindingType]] = SCROLL_KEYS

    def allow_focus(self) -> bool:
        return self.max_scroll_y > 0

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Its arrows are for itself only: with a field focused they move between fields.
        if action in SCROLL_ACTIONS:
            return self.has_focus
        return True


class ScrollText(VerticalScroll, inherit_bindings=False):
    """A text to read (the charter): takes the focus, scrolled with the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = SCROLL_KEYS
