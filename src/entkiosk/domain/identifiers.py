"""Identifiers ``prenom.nom``: lower-case ASCII, accents folded, homonyms numbered."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from .i18n import _

# Letters that Unicode decomposition does not fold to ASCII on its own (passwords fold names with it too).
SPECIAL_LETTERS = str.maketrans({
    "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o",
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "ı": "i",
})
_SEPARATORS = re.compile(r"[\s'’‘`´\-\u2010\u2011_.]+")  # U+2010, U+2011: the hyphens a name may hold
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]")
_MAX_PART = 30


def fold(text: str) -> str:
    """Lower-case ASCII with accents removed, spaces and apostrophes turned into ``-``."""
    text = unicodedata.normalize("NFKD", text.translate(SPECIAL_LETTERS))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _SEPARATORS.sub("-", text)
    text = _NOT_ALLOWED.sub("", text)
    return re.sub(r"-{2,}", "-", text).strip("-")[:_MAX_PART].strip("-")


def base_identifier(first_name: str, last_name: str) -> str:
    """``prenom.nom``; raises ValueError (French) when a part has no usable letter."""
    first, last = fold(first_name), fold(last_name)
    if not any(c.isalpha() for c in first):
        raise ValueError(_("le prénom ne contient aucune lettre utilisable pour l'identifiant"))
    if not any(c.isalpha() for c in last):
        raise ValueError(_("le nom ne contient aucune lettre utilisable pour l'identifiant"))
    return f"{first}.{last}"


def next_free(base: str, taken: Callable[[str], bool] | Iterable[str]) -> str:
    """``base`` if free, else ``base1``, ``base2``… (the guide's ``julie.baillet1``)."""
    is_taken = taken if callable(taken) else set(taken).__contains__
    if not is_taken(base):
        return base
    n = 1
    while is_taken(f"{base}{n}"):
        n += 1
    return f"{base}{n}"


def normalize_login(identifier: str) -> str:
    """What a student typed as identifier, as stored: trimmed and lower-case.

    Control characters and lone surrogates (which no identifier holds, and which some
    databases refuse) become U+FFFD: the text then simply matches no account.
    """
    cleaned = "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Cs", "Cf") else c for c in identifier.strip())
    return cleaned.lower()[:200]
