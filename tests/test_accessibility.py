"""Accessibility (issue 18): what a pupil with a screen magnifier or a braille display
needs from the kiosk, checked on the real installed command in a pseudo-terminal."""

from __future__ import annotations

import time
from pathlib import Path


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
