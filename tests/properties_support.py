"""Helpers shared by the property-based tests (Hypothesis).

The number of examples comes from the Hypothesis profile loaded by ``conftest.py``
("ci" by default, "long" with ``HYPOTHESIS_PROFILE=long``); a test asks for a share of it
so that every property grows with the profile.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import settings


def examples(share: float = 1.0, **extra) -> settings:
    """``@examples(0.3)``: 30 % of the profile's examples (at least 5), other settings kept."""
    return settings(max_examples=max(5, round(settings.default.max_examples * share)), **extra)


_ENGLISH = re.compile(
    r"\b(the|is|are|not|invalid|error|errors|exception|expected|got|object|field|value|none|null|"
    r"found|failed|cannot|can't|must|should|unknown|missing|line|column)\b", re.IGNORECASE)
_FRENCH = re.compile(r"[àâçéèêëîïôùûüÿœ«»]|\b(le|la|les|de|des|du|un|une|est|n'|d'|l'|votre|vos|ce|cette|"
                     r"aucun|aucune|pas|ou|et|à|au|en|nom|classe|date|ligne|colonnes?|fichier|manquante?|"
                     r"invalide|trop|long|double|attendu|syntaxe|texte|valeur|nombre)\b", re.IGNORECASE)


def french_problem(message: str, *, max_length: int = 1000, allow_newlines: bool = False,
                   fragment: bool = False) -> str | None:
    """Why ``message`` is not a safe French sentence to show, or None when it is one.

    Safe: not empty, no traceback or Python repr, no control character (an escape
    sequence would reach the terminal), no lone surrogate (it cannot be printed),
    bounded length, and it reads as French (French words, no English ones).
    ``fragment``: a reason that goes after « ligne N : » (no capital, no final stop).
    """
    text = message.strip()
    if not text:
        return "empty message"
    if len(message) > max_length:
        return f"message of {len(message)} characters"
    # Judge the wording, not the quoted input: what is between « » is what was typed.
    # (From the first « to the last »: the input itself may hold « or ».) An escaped repr
    # of a value (« '\\xa0' ») is a safe echo; a Python traceback or object repr is not.
    words = re.sub(r"«.*»", "", text, flags=re.DOTALL)
    for marker in ("Traceback", 'File "', "Error(", "Exception", "<built-in", "object at 0x"):
        if marker in words:
            return f"contains {marker!r}"
    bad = [c for c in message if (unicodedata.category(c) in ("Cc", "Cs") and not (allow_newlines and c == "\n"))]
    if bad:
        return f"contains control characters or surrogates {bad[:3]!r}"
    if fragment:
        pass
    elif not (text[0].isupper() or text[0].isdigit() or text[0] in "«/"):
        return "does not start like a sentence"
    if not allow_newlines and not fragment and text[-1] not in ".!?»)":
        return "does not end like a sentence"
    if english := _ENGLISH.findall(words):
        return f"English words {english[:3]!r}"
    if not _FRENCH.search(words):
        return "no French word"
    return None
