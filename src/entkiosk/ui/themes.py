"""The kiosk's colour themes: the standard one, a high-contrast one (text on its background
at 7:1 or more, WCAG AAA), and one made of the terminal's own 16 colours (so that the lab's
accessibility settings, a colour-blind palette or a high-contrast terminal, apply).

``[kiosk] theme`` chooses at start-up; F4 on the accueil switches for one session. Colour is
never the only sign: errors are sentences, the focus carries the terminal's cursor and a
bold or reversed label, states are words.
"""

from __future__ import annotations

from textual.theme import Theme

from ..domain.i18n import N_

#: Black, white, yellow and cyan only: every text is white, yellow or black on black or yellow.
HIGH_CONTRAST = Theme(
    name="entkiosk-contraste",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    warning="#FFFF00",
    error="#FF8080",
    success="#80FF80",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#000000",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        # « auto »: black on yellow, white on black, at full strength (no muted grey).
        "text": "auto 100%",
        "text-muted": "auto 100%",
        "text-disabled": "#C0C0C0",
        "text-primary": "#FFFF00",
        "text-secondary": "#00FFFF",
        "text-accent": "#FFFF00",
        "text-warning": "#FFFF00",
        "text-error": "#FF8080",
        "text-success": "#80FF80",
        "foreground-muted": "#FFFFFF",
        "block-cursor-foreground": "#000000",
        "block-cursor-background": "#FFFF00",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-foreground": "#FFFFFF",
        "block-cursor-blurred-background": "#000000",
        "block-hover-background": "#000000",
        "input-cursor-background": "#FFFFFF",
        "input-cursor-foreground": "#000000",
        "input-selection-background": "#FFFF00",
        "footer-foreground": "#FFFFFF",
        "footer-background": "#000000",
        "footer-key-foreground": "#FFFF00",
        "footer-key-background": "#000000",
        "footer-description-foreground": "#FFFFFF",
        "footer-description-background": "#000000",
        "footer-item-background": "#000000",
        "border": "#FFFF00",
        "border-blurred": "#FFFFFF",
        "scrollbar": "#FFFFFF",
        "scrollbar-background": "#000000",
        "button-foreground": "#FFFFFF",
        "button-color-foreground": "#000000",
        "button-focus-text-style": "bold reverse",
    },
)

#: The names ``[kiosk] theme`` accepts, with the Textual theme each stands for and its label.
THEMES: dict[str, tuple[str, str]] = {
    "standard": ("textual-dark", N_("couleurs standard")),
    "contraste": (HIGH_CONTRAST.name, N_("contraste élevé")),
    "ansi": ("ansi-dark", N_("couleurs du terminal")),
}


def textual_theme(name: str) -> str:
    """The Textual theme for a ``[kiosk] theme`` name (the standard one for an unknown name)."""
    return THEMES.get(name, THEMES["standard"])[0]


def next_theme(name: str) -> str:
    """The theme F4 switches to after ``name``."""
    names = list(THEMES)
    return names[(names.index(name) + 1) % len(names)] if name in THEMES else names[0]


def register(app) -> None:
    """Make the kiosk's own themes known to ``app`` (the built-in ones already are)."""
    app.register_theme(HIGH_CONTRAST)
