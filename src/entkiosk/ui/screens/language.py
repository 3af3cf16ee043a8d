"""The accueil's language choice (F3): each language named in itself, for one pupil's session."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Button, Static

from ...domain import i18n
from ...domain.i18n import N_
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys

#: The words of this screen are the same in every language: a pupil who reads none of the
#: kiosk's languages yet recognises theirs.
IN_EVERY_LANGUAGE = N_("Langue · Language · Мова")


def offered() -> dict[str, str]:
    """The languages whose catalog this installation can use, each named in itself."""
    return {code: name for code, name in i18n.LANGUAGES.items() if i18n.problem(code) is None}


#: The request of the screen, shown in every language offered.
CHOOSE = N_("Choisissez la langue de votre session :")


class LanguageScreen(KioskScreen):
    """« Français », « English », « Українська »: the kiosk speaks the one chosen until the
    session ends (logout, idle), then the school's language again."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Choisir"), back=N_("Retour"))
    BAND = IN_EVERY_LANGUAGE

    def compose_body(self) -> ComposeResult:
        # The request in each language offered, each in its own words: whoever reads one of
        # them knows what the list below is.
        for code in offered():
            yield Static(i18n.translations(code).gettext(CHOOSE), classes="paragraph")
        with Vertical(id="menu"):
            for code, name in offered().items():
                yield KioskButton(name, id=f"language-{code}", variant="primary" if code == i18n.language() else "default")

    def on_mount(self) -> None:
        buttons = self.query(Button)
        current = [button for button in buttons if button.id == f"language-{i18n.language()}"]
        (current or list(buttons))[0].focus()

    def action_submit(self) -> None:
        if isinstance(self.focused, Button):
            self.focused.press()

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed)
    def _choose(self, event: Button.Pressed) -> None:
        self.app.choose_language((event.button.id or "").removeprefix("language-"))
