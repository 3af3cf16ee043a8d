"""A confirmation page of the guide: a band, a heading, a few sentences and one button."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ..text import plain
from ..widgets.controls import KioskButton
from .base import KioskScreen, screen_keys


#: After a validation mail that could not leave (first connection, VOTRE COMPTE).
MAIL_RETRY = N_("Votre adresse mail reste en attente de validation : vous pourrez demander un nouveau mail "
                "depuis MON COMPTE, avec le bouton « RENVOYER UN MAIL DE VALIDATION ».")


class MessageScreen(KioskScreen):
    """« CONFIRMATION — Votre mot de passe a été modifié avec succès… » and VALIDER.

    ``band`` and ``heading`` are French, marked with ``N_`` (translated where shown, as every
    screen's); the paragraphs and ``button`` come translated already (``_()``)."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Continuer"))

    def __init__(self, band: str, heading: str, *paragraphs: str, button: str | None = None,
                 then: Callable[[], None] | None = None, error: bool = False) -> None:
        super().__init__()
        self._band, self._heading, self._paragraphs = band, heading, paragraphs
        self._button, self._then, self._error = button or _("VALIDER"), then, error

    @property
    def BAND(self) -> str:  # type: ignore[override]
        return self._band

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return self._heading

    def compose_body(self) -> ComposeResult:
        for paragraph in self._paragraphs:
            yield Static(plain(paragraph), classes="paragraph-error" if self._error else "paragraph")
        yield KioskButton(self._button, id="ok", classes="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        if self._then is not None:
            self._then()
        else:
            self.app.pop_screen()

    def action_back(self) -> None:
        """Échap: a page with one way on goes that way (the screen behind it is done with)."""
        self.submit()
