"""People's names in French order, and homonyms told apart.

A school list reads « Éloïse » between « Eliott » and « Emma », « Œuvray » with the
O's, « Le Goff » next to « Legoff »: accents, ligatures, case, hyphens, apostrophes and
spaces do not count at first. Code points would put every É and Œ after Z. The key
below is the one place that says how names sort; every list of students uses it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

# Letters NFKD does not decompose into base letters.
_LIGATURES = str.maketrans({
    "Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "ẞ": "SS",
    "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th",
})
# Marks a name may carry that do not count when sorting.
_IGNORED = frozenset("-‐‑‒–—'’ʼ`´. \u00a0\u202f")


def _fold(text: str) -> str:
    """Letters and digits only, without accents or case: « N'Diaye-Lœw » → « ndiayeloew »."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in _IGNORED).casefold()


def same_person(typed: str, first_name: str, last_name: str) -> bool:
    """Does ``typed`` name this person: last and first names whole, in either order, with
    accents, case, hyphens, apostrophes and spaces aside (« ndiaye zoe » is Zoé N'Diaye)?"""
    said = _fold(typed)
    return bool(said) and said in (_fold(last_name + first_name), _fold(first_name + last_name))


def collation_key(text: str) -> tuple[str, str]:
    """Sort key of one name in French order.

    First the folded letters (« Élodie » = « elodie »); among names equal once folded,
    a fixed order (the NFC text itself) so that a sort never depends on where the rows
    came from.
    """
    return (_fold(text), unicodedata.normalize("NFC", text))


def person_order(last_name: str, first_name: str, tiebreak: str = "") -> tuple[tuple[str, str], ...]:
    """Sort key of a person: last name, then first name, then ``tiebreak`` (the identifier)."""
    return (collation_key(last_name), collation_key(first_name), (tiebreak, tiebreak))


def homonyms(people: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (last, first) names worn by more than one person of ``people`` (folded: « Zoé
    Martin » and « ZOE MARTIN » are homonyms on a class list)."""
    people = list(people)
    counts = Counter((_fold(last), _fold(first)) for last, first in people)
    return {(last, first) for last, first in people if counts[(_fold(last), _fold(first))] > 1}


def display_names(people: Sequence[tuple[str, str, date | None]]) -> list[str]:
    """« Nom Prénom » for each person; a homonym also shows the birth date, so staff can
    tell the two Julie Baillet of a class apart (« Baillet Julie, 14/03/2010 »)."""
    twins = homonyms((last, first) for last, first, _born in people)
    labels = []
    for last, first, birth in people:
        label = f"{last} {first}"
        if (last, first) in twins and birth is not None:
            label += f", {birth:%d/%m/%Y}"
        labels.append(label)
    return labels
