"""User text is never markup: names, addresses and files are shown exactly as they are.

``plain()`` turns any text from the database, a CSV or a config into a Textual
``Content`` with no markup parsed, and control characters (terminal escape sequences
included) shown as visible ``\\x1b`` notation instead of being sent to the terminal, and
wrapped as French is set (:class:`Prose`): a guillemet or a « : » never alone at a line
break, a long path broken after a « / ».
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RulesMap

from ..domain.i18n import _


def visible(text: str) -> str:
    """``text`` with every control character written out (``\\x1b``, ``\\n`` kept as newline)."""
    out = []
    for char in text:
        if char == "\n" or unicodedata.category(char)[0] != "C":
            out.append(char)
        else:
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
    return "".join(out)


#: Spaces a line never breaks at: the non-breaking ones of French typography.
_GLUE = "\u00a0\u202f"


def french_lines(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` cells, the way French is set.

    Textual breaks a line at any whitespace, the non-breaking space included, so « : »
    or a guillemet would end up alone at the start or the end of a line. Here a line
    breaks only at an ordinary space; a word too long for a whole line (a path, a link)
    breaks after one of its « / »; what still does not fit is left to Textual to fold.
    """
    if width < 1:
        return text.split("\n")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, used = "", 0
        for index, word in enumerate(paragraph.split(" ")):
            parts = [word]
            if cell_len(word) > width and "/" in word.strip("/"):
                parts = [part for part in re.split(r"(?<=/)", word) if part]
            for n, part in enumerate(parts):
                glue = " " if (n == 0 and index > 0) else ""
                size = cell_len(part)
                if used and used + cell_len(glue) + size > width:
                    lines.append(current)
                    current, used = part, size
                else:
                    current, used = current + glue + part, used + cell_len(glue) + size
        lines.append(current)
    return lines


class Prose(Content):
    """Plain text that wraps as French is set (see :func:`french_lines`): never at a
    non-breaking space, and a long path at a « / » rather than inside a file name."""

    def _set(self, width: int, rules: RulesMap) -> Content:
        pad = rules.get("line_pad", 0) * 2
        if rules.get("text_wrap", "wrap") == "nowrap":
            return Content(self.plain)
        return Content("\n".join(french_lines(self.plain, width - pad)))

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._set(width, rules).get_height(rules, width)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self._set(width, options.rules).render_strips(width, height, style, options)


class Clamped(Prose):
    """Prose on at most ``lines`` lines, the last one ending in « … » when the text is
    longer: a sentence of unknown length (a server's answer) cannot push the rest of a
    screen out of an 80×24 terminal."""

    def __init__(self, text: str, lines: int) -> None:
        super().__init__(text)
        self.lines = lines

    def _set(self, width: int, rules: RulesMap) -> Content:
        content = super()._set(width, rules)
        kept = content.plain.split("\n")
        if len(kept) <= self.lines:
            return content
        room = max(width - rules.get("line_pad", 0) * 2, 1)
        last = kept[self.lines - 1].rstrip()
        if cell_len(last) + 1 > room:
            last = set_cell_size(last, room - 1).rstrip()
        return Content("\n".join([*kept[:self.lines - 1], last + "…"]))


def plain(text: str, *, lines: int | None = None) -> Content:
    """``text`` as it is, never markup; ``lines``: cut after that many lines (« … »)."""
    return Prose(visible(text)) if lines is None else Clamped(visible(text), lines)


def cell(text: str) -> Text:
    """A DataTable cell shown as written: a Rich ``Text`` (a ``str`` would be read as
    markup, and DataTable cannot measure a ``Content``, which it then cuts short)."""
    return Text(visible(text), no_wrap=True)


def local_date(moment: datetime | None, tz: ZoneInfo, fmt: str | None = None) -> str:
    """« 14/03/2026 à 08:05 » (``fmt`` a strftime format; by default the language's date and time)."""
    if fmt is None:
        fmt = _("%d/%m/%Y à %H:%M")
    return moment.astimezone(tz).strftime(fmt) if moment else ""


_LIST_ITEM = re.compile(r"^\s*(?:[-•*–]|\d+[.)]|[a-z][.)])\s")


def reflow(text: str) -> str:
    """A text file's paragraphs as flowing lines, so the screen (not the file) wraps them.

    Lines of one paragraph are joined; blank lines, list items and indented lines keep
    their break, so a charter written with lists or a title still reads as written.
    """
    out: list[str] = []
    for line in text.replace("\r\n", "\n").expandtabs(4).split("\n"):
        stripped = line.strip()
        joinable = (out and out[-1].strip() and stripped and not _LIST_ITEM.match(line)
                    and not line.startswith(" "))
        if joinable:
            out[-1] = f"{out[-1].rstrip()} {stripped}"
        else:
            out.append(line.rstrip())
    return "\n".join(out).strip("\n")


def decimal(x: float) -> str:
    """« 1,5 »: a French decimal comma."""
    return f"{x:g}".replace(".", ",")
