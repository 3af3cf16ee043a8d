"""The notification letter as plain text, one letter per page (form feed between).

No line passes :data:`WIDTH` columns, whatever the names (up to 120 characters each, with
no space in them) or the school's settings: a name is never cut short on a letter but goes
on over the next lines, at its spaces, then its hyphens, then between letters. Columns are
counted as a fixed-width font shows them: an accent typed apart takes none, an East-Asian
wide letter two. Identifiers, passwords and addresses, on their own key lines, break at
spaces only, so that they are copied whole.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..domain import i18n
from .content import LetterContent, Wording, letter_content
from ..domain.i18n import _
from ..domain.letter_template import LetterTemplate

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.letter import IssuedLetter

WIDTH = 80
RIGHT = 46  # column of the place, the student and the signature
KEY_INDENT = "    "


def render_letter(letter: IssuedLetter, settings: Settings, wording: Wording | None = None) -> str:
    """One letter, in its language (:class:`~.content.Wording`)."""
    wording = wording or Wording(settings)
    language = wording.language(letter)
    with i18n.speaking(language):
        return _render(letter_content(letter, settings), wording.template(letter, language))


def render_letters(letters: Iterable[IssuedLetter], settings: Settings) -> str:
    wording = Wording(settings)
    return "\f".join(render_letter(letter, settings, wording) for letter in letters)


def _render(content: LetterContent, template: LetterTemplate) -> str:
    out: list[str] = []
    for line in (content.academy, content.establishment, *content.address_lines):
        out += _wrap(line) if line else []
    if content.phone:
        out += _wrap(_("Tél : {phone}").format(phone=content.phone))
    if content.email:
        out += _wrap(_("Mail : {email}").format(email=content.email), whole_words=True)  # an address, whole
    out += _right(content.place_and_date)
    out.append("")
    if content.postal:  # a guardian's letter: the address as the envelope's window shows it
        for line in content.postal:
            out += _right(line)
    else:
        out += _right(content.student)
    if content.class_name:
        out += _right(_("Classe : {class_name}").format(class_name=content.class_name))
    if content.born:
        out += _right(content.born)
    for paragraph in template.paragraphs:
        out.append("")
        for line in paragraph.lines:
            text = line.fill(content.values)
            if line.kind == "key":
                out += _wrap(text, initial_indent=KEY_INDENT, subsequent_indent=KEY_INDENT, whole_words=True)
            elif paragraph.footnote:
                out += _wrap(text, subsequent_indent="  ")
            else:
                out += _wrap(text)
    out.append("")
    for line in content.head_lines:
        out += _right(line)
    return "\n".join(out) + "\n"


def columns(text: str) -> int:
    """The columns ``text`` takes in a fixed-width font: an accent typed apart (a combining
    mark) takes none, an East-Asian wide or full-width character two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int = WIDTH, *, whole_words: bool = False, **kwargs) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken at spaces. A word longer than
    a line (a long hyphenated name) goes on over the next lines, at its hyphens first;
    ``whole_words`` (a key line: an identifier, a password, an address) keeps every word
    whole, even one longer than the line. Wide characters count twice: the lines are made
    shorter until they fit (a word kept whole past the edge aside: no shorter line helps it)."""
    limit = width
    while True:
        lines = textwrap.wrap(text, limit, break_long_words=False, break_on_hyphens=False, **kwargs) or [""]
        if not whole_words and any(len(line) > limit for line in lines):
            lines = textwrap.wrap(text, limit, break_long_words=True, break_on_hyphens=True, **kwargs) or [""]
        excess = max((columns(line) - width for line in lines if len(line) <= limit), default=0)
        if excess <= 0 or limit <= 2:
            return lines
        limit = max(2, limit - max(1, excess // 2))


def _right(text: str) -> list[str]:
    """``text`` in the right-hand column (wrapped there when long)."""
    return [" " * RIGHT + line for line in _wrap(text, WIDTH - RIGHT)]
