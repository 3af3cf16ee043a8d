"""« VERSIONS DU GUIDE UTILISATEUR »: the mobile guide's QR code and how to open it.

The code sits on the left and takes the height left under the heading (its row is
``1fr`` of the body); the guide's words and RETOUR are on the right and scroll on
their own when the window is short, so the code itself never has to be scrolled to
be read by a phone.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from ...domain.i18n import N_, _
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.qr import QrCode
from .base import KioskScreen

CONTENT = N_("Contenu consultable sur smartphones ou tablettes")
IOS = N_("Pour les terminaux iOS : télécharger l'application Scenari Reader dans l'App Store. "
         "Cliquer sur « Ajouter une nouvelle source » et capturer le QR code ci-contre.")
ANDROID = N_("Pour les terminaux Android : télécharger l'application Scenari Reader dans le Play Store. "
             "Cliquer sur « Ajouter un nouveau dépôt » et capturer le QR code ci-contre.")


class GuideScreen(KioskScreen):
    """The QR code of ``settings.guide.url``, the guide's instructions and RETOUR."""

    BAND: ClassVar[str] = N_("VERSIONS DU GUIDE UTILISATEUR")
    HEADING: ClassVar[str] = N_("Version mobile du guide utilisateur")

    # Kept here rather than in styles/ for now, to stay out of the shared stylesheets.
    DEFAULT_CSS = """
    GuideScreen #guide-row {
        height: 1fr;
        min-height: 10;
    }
    GuideScreen #guide-qr {
        margin: 0 2 0 0;
    }
    GuideScreen #guide-text {
        width: 1fr;
        height: 100%;
        scrollbar-size-vertical: 1;
    }
    GuideScreen #guide-ios, GuideScreen #guide-android {
        margin: 0 0 1 0;
    }
    GuideScreen #guide-content {
        text-style: bold;
    }
    GuideScreen #guide-url {
        color: $text-accent;
        margin: 0 0 1 0;
    }
    """

    def compose_body(self) -> ComposeResult:
        url = self.app.settings.guide.url
        with Horizontal(id="guide-row"):
            yield QrCode(url, id="guide-qr")
            with VerticalScroll(id="guide-text", can_focus=False):
                yield Static(plain(_(CONTENT)), id="guide-content")
                yield Static(plain(_(IOS)), id="guide-ios")
                yield Static(plain(_(ANDROID)), id="guide-android")
                yield Static(plain(url), id="guide-url")
                yield KioskButton(_("RETOUR"), id="back", variant="primary")

    def on_mount(self) -> None:
        # Focused without scrolling: a short window shows the start of the words first.
        self.set_focus(self.query_one("#back", Button), scroll_visible=False)

    def submit(self) -> None:
        """Entrée: RETOUR is the only thing to do here."""
        self.action_back()

    @on(Button.Pressed, "#back")
    def back_pressed(self) -> None:
        self.action_back()
