"""User text is never markup: names, addresses and files are shown exactly as they are.

``plain()`` turns any text from the database, a CSV or a config into a Textual
``Content`` with no markup parsed, and control characters (terminal escape sequences
included) shown as visible ``\\x1b`` notation instead of being sent to the terminal.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.content import Content


def visible(text: str) -> str:
    """``text`` with every control character written out (``\\x1b``, ``\\n`` kept as newline)."""
    out = []
    for char in text:
        if char == "\n" or unicodedata.category(char)[0] != "C":
            out.append(char)
        else:
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
    return "".join(out)


def plain(text: str) -> Content:
    return Content(visible(text))


def cell(text: str) -> Text:
    """A DataTable cell shown as written: a Rich ``Text`` (a ``str`` would be read as
    markup, and DataTable cannot measure a ``Content``, which it then cuts short)."""
    return Text(visible(text), no_wrap=True)


def local_date(moment: datetime | None, tz: ZoneInfo, fmt: str = "%d/%m/%Y à %H:%M") -> str:
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


def count(n: int, one: str, many: str) -> str:
    """« 1 élève », « 2 élèves », « 0 élève »: French counts 0 and 1 in the singular."""
    return f"{n} {one if n <= 1 else many}"


def decimal(x: float) -> str:
    """« 1,5 »: a French decimal comma."""
    return f"{x:g}".replace(".", ",")
