"""User text is never markup: names, addresses and files are shown exactly as they are.

``plain()`` turns any text from the database, a CSV or a config into a Textual
``Content`` with no markup parsed, and control characters (terminal escape sequences
included) shown as visible ``\\x1b`` notation instead of being sent to the terminal.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

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


def template(markup: str, **values: str) -> Content:
    """Our own markup with user values substituted as plain text (``$name`` placeholders)."""
    return Content.from_markup(markup, **{k: visible(v) for k, v in values.items()})


def local_date(moment: datetime | None, tz: ZoneInfo, fmt: str = "%d/%m/%Y à %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else ""
