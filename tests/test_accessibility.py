"""Accessibility (issue 18): what a pupil with a screen magnifier or a braille display
needs from the kiosk, checked on the real installed command in a pseudo-terminal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


def test_the_terminals_cursor_follows_the_focus(tmp_path: Path) -> None:
    """The installed kiosk in an 80×24 pty: the cursor it leaves in the terminal (what a
    screen magnifier or a braille display follows) sits on the focused button's label, moves
    with Tab, sits on the chosen line of a list, and in a text field at the caret."""
    from pty_support import Terminal, installed_command, newcomer_env

    home = tmp_path / "home"
    home.mkdir()
    env, work = newcomer_env(home), tmp_path

    def cursor_on(term: Terminal, words: str) -> None:
        """The cursor is on the line showing ``words``, within them."""
        deadline = time.monotonic() + 30
        while True:
            with term._lock:  # noqa: SLF001 - the emulator's state, read under the pump's lock
                lines = list(term.screen.display)
                x, y = term.screen.cursor.x, term.screen.cursor.y
            start = lines[y].find(words)
            if start >= 0 and start <= x < start + len(words):
                return
            assert time.monotonic() < deadline, f"the cursor is at line {y}, column {x}: {lines[y]!r}, not on {words!r}"
            time.sleep(0.1)

    with Terminal([str(installed_command()), "demo"], env=env, cwd=work) as term:
        term.wait_for("ACCUEIL", "Se connecter", timeout=120)
        cursor_on(term, "Se connecter")
        term.press("tab")
        cursor_on(term, "Identifiant oublié")
        term.press("shift+tab")
        cursor_on(term, "Se connecter")
        term.press("enter")
        term.wait_for("Lycées et collèges", "Élève")
        cursor_on(term, "Lycées et collèges")
        term.press("enter")
        term.wait_for("authentification")
        cursor_on(term, "Saisissez")  # the empty field (its hint), on the label's line
        with term._lock:  # noqa: SLF001
            before = term.screen.cursor.x, term.screen.cursor.y
        term.type("abc")
        term.wait_for("abc")
        time.sleep(0.3)
        with term._lock:  # noqa: SLF001
            after = term.screen.cursor.x, term.screen.cursor.y
            line = term.screen.display[after[1]]
        assert after == (before[0] + 3, before[1])
        # The caret after what was typed (Textual's own field puts the terminal's cursor one cell
        # further at the end of the text, where its caret block is drawn past the last letter).
        assert line.find("abc") + 3 <= after[0] <= line.find("abc") + 4
        # Back (Échap twice): the accueil's « Se connecter » has the focus, and the cursor, again.
        term.press("escape")
        term.wait_for("Lycées et collèges")
        term.press("escape")
        term.wait_for("ACCUEIL", "Se connecter")
        cursor_on(term, "Se connecter")


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


#: Block elements (▐ ▌ ▀ ▄ █ …) draw a box's rounded ends and frames, not text.
BLOCKS = " " + "".join(chr(c) for c in range(0x2580, 0x25A0))


def drawn_pairs(app) -> dict[tuple[tuple[int, int, int], tuple[int, int, int]], str]:
    """Each (text colour, background colour) pair drawn on the screen now, with a sample of its text."""
    from ui_support import rendered

    pairs: dict[tuple[tuple[int, int, int], tuple[int, int, int]], str] = {}
    for strip in rendered(app):
        for segment in strip:
            if not segment.text.strip(BLOCKS) or segment.style is None:
                continue
            style = segment.style
            fg, bg = style.color, style.bgcolor
            assert fg is not None and bg is not None, f"text without its own colours: {segment.text!r}"
            fg_rgb, bg_rgb = tuple(fg.get_truecolor()), tuple(bg.get_truecolor())
            if style.reverse:
                fg_rgb, bg_rgb = bg_rgb, fg_rgb
            pairs.setdefault((fg_rgb, bg_rgb), segment.text.strip()[:30])
    return pairs


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_high_contrast_theme_draws_every_text_at_7_to_1_or_more(db_url, tmp_path) -> None:
    """``[kiosk] theme = "contraste"``: on the accueil (and after F4 three times, back to it),
    the login with a refusal, the first connection with refusals, the charter and the home,
    every piece of text and its background have a contrast ratio of 7:1 or more (WCAG 2, AAA)."""
    from conftest import make_settings, student
    from test_ui_activation import accept_charter, clear_form, fill_first_connection, log_in, to_login
    from ui_support import kiosk, settle

    from entkiosk.runtime import open_service
    from entkiosk.ui.screens.welcome import WelcomeScreen

    settings = make_settings(db_url, tmp_path, kiosk={"theme": "contraste"})
    service = open_service(settings)
    [letter] = service.import_class_list([student()], actor="cli:test")
    low: dict[str, list[tuple[float, str]]] = {}

    def check(app, name: str) -> None:
        for (fg, bg), text in drawn_pairs(app).items():
            ratio = contrast(fg, bg)
            if ratio < 7:
                low.setdefault(name, []).append((round(ratio, 2), f"{fg} on {bg}: {text}"))

    try:
        async with kiosk(settings, service, tmp_path) as (app, pilot):
            assert app.theme == "entkiosk-contraste"
            check(app, "accueil")
            await to_login(app, pilot)
            check(app, "connexion")
            await log_in(app, pilot, letter.identifier, "mauvais1")
            check(app, "connexion refusée")
            while not isinstance(app.screen, WelcomeScreen):
                await pilot.press("escape")
                await settle(app, pilot)
            await pilot.press("f4")  # contraste → ansi → standard → contraste: the school's again
            await pilot.press("f4")
            await pilot.press("f4")
            await settle(app, pilot)
            assert app.theme == "entkiosk-contraste"
            check(app, "accueil et son avis")
            await to_login(app, pilot)
            await log_in(app, pilot, letter.identifier, letter.provisional_password)
            check(app, "première connexion")
            await fill_first_connection(app, pilot, born="01012009", password="abc1")
            check(app, "première connexion refusée")
            clear_form(app)
            await fill_first_connection(app, pilot)
            check(app, "charte")
            await accept_charter(app, pilot)
            check(app, "accueil de l'élève")
    finally:
        service.engine.dispose()
    assert low == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_ansi_theme_draws_only_with_the_terminals_own_colours(db_url, tmp_path) -> None:
    """``[kiosk] theme = "ansi"``: every colour drawn on the accueil, the login and its refusal
    is one of the terminal's 16 colours or its default ones, so that the lab's own palette (a
    colour-blind one, a high-contrast terminal) decides what the pupil sees."""
    from conftest import make_settings, student
    from rich.color import ColorType
    from test_ui_activation import log_in, to_login
    from ui_support import kiosk, rendered, settle

    from entkiosk.runtime import open_service
    from entkiosk.ui.screens.welcome import WelcomeScreen

    settings = make_settings(db_url, tmp_path, kiosk={"theme": "ansi"})
    service = open_service(settings)
    [letter] = service.import_class_list([student()], actor="cli:test")
    others: set[str] = set()

    def check(app) -> None:
        for strip in rendered(app):
            for segment in strip:
                for colour in (segment.style.color, segment.style.bgcolor) if segment.style else ():
                    if colour is not None and colour.type not in (ColorType.DEFAULT, ColorType.STANDARD):
                        others.add(f"{colour.name} in {segment.text.strip()[:20]!r}")

    try:
        async with kiosk(settings, service, tmp_path) as (app, pilot):
            assert app.theme == "ansi-dark"
            check(app)
            await to_login(app, pilot)
            await log_in(app, pilot, letter.identifier, "mauvais1")
            check(app)
            assert others == set()
            # F4 on the accueil (→ standard colours): the login a pupil opens next is in them too,
            # not in the colours it was first built with.
            while not isinstance(app.screen, WelcomeScreen):
                await pilot.press("escape")
                await settle(app, pilot)
            await pilot.press("f4")
            await settle(app, pilot)
            assert app.theme == "textual-dark"
            await to_login(app, pilot)
            check(app)
            assert others, "the login kept the terminal's colours after F4"
    finally:
        service.engine.dispose()


def test_an_unknown_theme_or_language_is_said_at_start_up_and_the_kiosk_goes_on(tmp_path: Path) -> None:
    """``theme = "arc-en-ciel"`` and ``language = "ar"`` in kiosk.conf: the installed kiosk says
    both on its terminal as it starts, naming each key, then shows its accueil in French in the
    standard colours."""
    from pty_support import Terminal, installed_command, newcomer_env
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", f"sqlite:///{tmp_path / 'kiosk.db'}", tmp_path / "outbox")
    conf.write_text(conf.read_text() + 'theme = "arc-en-ciel"\nlanguage = "ar"\n')
    home = tmp_path / "home"
    home.mkdir()
    env = newcomer_env(home) | {"ENTKIOSK_CONFIG": str(conf)}
    with Terminal([str(installed_command())], env=env, cwd=tmp_path) as term:
        term.wait_for("ACCUEIL", "Se connecter", timeout=120)
        said = term.raw.decode("utf-8", "replace")
    assert "[kiosk] theme = «\u00a0arc-en-ciel\u00a0»\u00a0: ce thème n'existe pas" in said
    assert "[kiosk] language = «\u00a0ar\u00a0»\u00a0: aucune traduction" in said
    assert "Traceback" not in said
