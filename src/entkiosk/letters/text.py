"""The notification letter as plain text, one letter per page (form feed between)."""

from __future__ import annotations

import textwrap
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
    out += [line for line in (content.academy, content.establishment, *content.address_lines) if line]
    if content.phone:
        out.append(_("Tél : {phone}").format(phone=content.phone))
    if content.email:
        out.append(_("Mail : {email}").format(email=content.email))
    out += _right(content.place_and_date)
    out.append("")
    if content.postal:  # a guardian's letter: the address as the envelope's window shows it
        out += [" " * RIGHT + line for line in content.postal]
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
                out.append(KEY_INDENT + text)
            elif paragraph.footnote:
                out += _wrap(text, subsequent_indent="  ")
            else:
                out += _wrap(text)
    out.append("")
    for line in content.head_lines:
        out += _right(line)
    return "\n".join(out) + "\n"


def _wrap(text: str, **kwargs) -> list[str]:
    # Identifiers, passwords and addresses are never cut in two.
    return textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False, **kwargs) or [""]


def _right(text: str) -> list[str]:
    """``text`` in the right-hand column (wrapped there when long)."""
    lines = textwrap.wrap(text, WIDTH - RIGHT, break_long_words=False, break_on_hyphens=False) or [""]
    return [" " * RIGHT + line for line in lines]
