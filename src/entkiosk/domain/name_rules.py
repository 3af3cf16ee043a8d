"""What a person's name and a class code may hold: one rule for every door they come in by.

A pupil's name in SIECLE holds letters (of any script, with their accents), spaces,
hyphens and apostrophes, nothing else. Anything more (digits, brackets, « @ », « = »,
« < », control characters) is a typing slip or text meant for something other than a
name — markup for a screen (``[@click=app.quit]``), a formula for a spreadsheet — so it
is refused where it comes in: a SIECLE export, the school's CSV list, a staff form. The
readers name the line and the field; nothing is written.

Decisions:

- letters are Unicode letters (``L*``) of any script, each followed by any combining
  marks (``M*``): « é » typed decomposed (``e`` + U+0301) is as good as « é »;
- a hyphen is ``-``, U+2010 (hyphen) or U+2011 (non-breaking hyphen, which a word
  processor puts in « Jean‑Pierre »); dashes (en dash, em dash) are punctuation, refused;
- an apostrophe is ``'`` or ``’`` (a typographic one, from a word processor);
- no period: SIECLE writes « SAINT-… », never « St. », and a period in a name is a slip;
- a space is U+0020 only: the readers have already turned every run of spaces (tabs,
  non-breaking spaces) into one;
- a name part holds at least one letter.

A class code holds letters (with their marks), digits 0-9, spaces, ``-``, ``_`` and
``.`` (« 3A », « 2NDE 4 », « 1G-3 », « T_STMG.2 », « 6ème B »).
"""

from __future__ import annotations

import unicodedata

from .i18n import _

#: Hyphen-minus, hyphen, non-breaking hyphen.
HYPHENS = "-\u2010\u2011"
#: Typewriter and typographic apostrophes.
APOSTROPHES = "'\u2019"
#: What a class code holds besides letters, digits and spaces.
CLASS_MARKS = "-_."
_DIGITS = "0123456789"


def _first_refused(text: str, allowed: str) -> str | None:
    """The first character of ``text`` that is neither a letter (with its combining marks),
    a space nor one of ``allowed``; None when every one is allowed."""
    after_letter = False
    for c in text:
        kind = unicodedata.category(c)[0]
        if kind == "L":
            after_letter = True
            continue
        if kind == "M" and after_letter:
            continue  # an accent typed decomposed, or a second one (Vietnamese « ễ »)
        if c == " " or c in allowed:
            after_letter = False
            continue
        return c
    return None


def refused_in_name(text: str) -> str | None:
    """The first character a name part may not hold (None: every one is allowed)."""
    return _first_refused(text, HYPHENS + APOSTROPHES)


def refused_in_class(text: str) -> str | None:
    """The first character a class code may not hold (None: every one is allowed)."""
    return _first_refused(text, CLASS_MARKS + _DIGITS)


def shown(char: str) -> str:
    """A refused character as a message names it: itself when it can be seen, else its
    code point (a tab, a non-breaking space, a lone accent: « U+0009 »)."""
    if unicodedata.category(char)[0] in "CZM":
        return f"U+{ord(char):04X}"
    return char


def name_problem(text: str, *, first: bool) -> str | None:
    """Why ``text`` (spaces tidied) cannot be a last name (or, ``first``, a first name):
    a French reason naming the field and saying what is allowed; None when it can."""
    refused = refused_in_name(text)
    if refused is not None:
        sentence = (_("prénom : caractère « {char} » non permis (lettres, espaces, traits d'union et apostrophes "
                      "seulement)") if first else
                    _("nom : caractère « {char} » non permis (lettres, espaces, traits d'union et apostrophes "
                      "seulement)"))
        return sentence.format(char=shown(refused))
    if not any(unicodedata.category(c)[0] == "L" for c in text):
        return _("prénom : au moins une lettre attendue") if first else _("nom : au moins une lettre attendue")
    return None


def class_problem(text: str) -> str | None:
    """Why ``text`` (spaces tidied) cannot be a class code: a French reason saying what is
    allowed; None when it can."""
    refused = refused_in_class(text)
    if refused is not None:
        return (_("classe : caractère « {char} » non permis (lettres, chiffres, espaces, « - », « _ » et « . » "
                  "seulement)").format(char=shown(refused)))
    return None
