"""Helpers shared by the property-based tests (Hypothesis).

The number of examples comes from the Hypothesis profile loaded by ``conftest.py``
("ci" by default, "long" with ``HYPOTHESIS_PROFILE=long``); a test asks for a share of it
so that every property grows with the profile, and a parser entry point asks for
:func:`parser_examples` (at least 10,000).
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st


def examples(share: float = 1.0, **extra) -> settings:
    """``@examples(0.3)``: 30 % of the profile's examples (at least 5), other settings kept."""
    return settings(max_examples=max(5, round(settings.default.max_examples * share)), **extra)


#: Generated inputs each parser entry point gets at the least (issue 19): 10,000 under "ci".
PARSER_EXAMPLES = 10_000
#: Under a larger profile ("long": 2,000 examples), a parser gets this many times its examples.
PARSER_SCALE = 25


#: Inputs one example of :func:`parser_inputs` feeds the test, one after the other: Hypothesis'
#: own work per example (about half a millisecond) is ten times what most parsers take.
PARSER_BATCH = 10


def parser_inputs(*strategies, **extra):
    """``@parser_inputs(strategy, …)`` instead of ``@parser_examples()`` + ``@given(strategy, …)``:
    the same volume of generated inputs (:data:`PARSER_EXAMPLES`), drawn ``PARSER_BATCH`` to an
    example, the test run on each in turn. A failure shows the example's batch, the failing
    input last."""
    def decorate(test):
        def run(batch: list[tuple]) -> None:
            for args in batch:
                test(*args)
        run.__name__, run.__qualname__, run.__doc__, run.__module__ = (test.__name__, test.__qualname__, test.__doc__,
                                                                        test.__module__)
        volume = max(PARSER_EXAMPLES, settings.default.max_examples * PARSER_SCALE)
        batches = st.lists(st.tuples(*strategies), min_size=PARSER_BATCH, max_size=PARSER_BATCH)
        return settings(max_examples=-(-volume // PARSER_BATCH), **extra)(given(batches)(run))
    return decorate


def parser_examples(**extra) -> settings:
    """``@parser_examples()``: the volume a parser entry point gets, 10,000 examples under
    "ci" (50,000 under "long"). Parsers are cheap (well under a millisecond an input), and
    the rare shapes that break one (a quote that closes no cell, a byte order mark in the
    middle, a date past 9999) only turn up in volume; the service's properties, which go
    through the database, keep :func:`examples`."""
    return settings(max_examples=max(PARSER_EXAMPLES, settings.default.max_examples * PARSER_SCALE), **extra)


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
