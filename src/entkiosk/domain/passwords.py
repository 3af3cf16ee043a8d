"""The guide's password rule plus the blocklist, provisional passwords and hashing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .i18n import N_, _
from .identifiers import SPECIAL_LETTERS  # one folding of names for both

if TYPE_CHECKING:
    import random
    from collections.abc import Iterable, Iterator
    from datetime import date

# secrets, importlib.resources and argon2 load where they are used: the settings read
# this module's rule before the kiosk's first paint, and those cost ~7 ms and ~20 ms.


MIN_LENGTH = 8
MAX_LENGTH = 14
# An establishment may ask for longer passwords (``[accounts] password_min_length`` and
# ``password_max_length``), never shorter than the guide's; ASVS asks that at least 64
# characters be allowed.
LONGEST_ALLOWED = 128


_RULE = N_("Votre nouveau mot de passe doit comporter entre {min_length} et {max_length} caractères (au moins un "
           "chiffre et une lettre)")


def rule(min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH) -> str:
    """The rule as the PREMIÈRE CONNEXION and profile screens state it."""
    return _(_RULE).format(min_length=min_length, max_length=max_length)


def reset_rule(min_length: int = MIN_LENGTH, max_length: int = MAX_LENGTH) -> str:
    """The rule as the MODIFIEZ VOTRE MOT DE PASSE screen states it."""
    return _("({min_length} caractères minimum, {max_length} caractères maximum, chiffres ET lettres "
             "obligatoires)").format(min_length=min_length, max_length=max_length)


#: The default rule in French (the reference language), without translating at import time.
RULE = _RULE.format(min_length=MIN_LENGTH, max_length=MAX_LENGTH)

# Staff passwords guard every student's account: longer, passphrases welcome.
STAFF_MIN_LENGTH = 12
STAFF_MAX_LENGTH = 64

def staff_rule(min_length: int = STAFF_MIN_LENGTH, max_length: int = STAFF_MAX_LENGTH) -> str:
    """The staff rule, as ``entkiosk staff add`` states it before asking."""
    return _("Le mot de passe du personnel doit comporter entre {min_length} et {max_length} caractères, dont au "
             "moins un chiffre et une lettre ; il doit être différent de l'identifiant et ne pas être un mot de "
             "passe courant.").format(min_length=min_length, max_length=max_length)


# OWASP password storage cheat sheet, argon2id minimum: m=19 MiB, t=2, p=1.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2

# No 0/O/o, 1/l/I: a letter is read aloud and typed from paper.
PROVISIONAL_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
PROVISIONAL_DIGITS = "23456789"
PROVISIONAL_LENGTH = 8


#: The bundled blocklist (built by ``tools/build_blocklist.py``, which its header names
#: with its sources and their licences): sorted folded entries, one a line, gzip-compressed.
BLOCKLIST = "data/common-passwords.txt.gz"


class Blocklist:
    """The sorted entries kept as the one block of bytes they are read as, and found by
    bisection: ~3 MB for 180,000 entries, where a frozenset of them takes ~20 MB in a
    kiosk that should stay small."""

    def __init__(self, data: bytes) -> None:
        from array import array

        find = data.find
        start = 0
        while data.startswith(b"#", start) and find(b"\n", start) != -1:  # the header: sources, licences
            start = find(b"\n", start) + 1
        starts = array("I", [start])
        end = find(b"\n", start)
        while end != -1:
            starts.append(end + 1)
            end = find(b"\n", end + 1)
        self._data, self._starts = data, starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _entry(self, index: int) -> bytes:
        return self._data[self._starts[index]:self._starts[index + 1] - 1]

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        key = word.encode("utf-8", "surrogatepass")  # UTF-8 sorts as the code points do
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self._entry(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low < len(self) and self._entry(low) == key

    def __iter__(self) -> Iterator[str]:
        return (self._entry(i).decode("utf-8") for i in range(len(self)))


@cache
def common_passwords() -> Blocklist:
    """The blocklist, read at the first password check, never at start-up (~0.05 s)."""
    import gzip
    from importlib import resources

    return Blocklist(gzip.decompress(resources.files("entkiosk.domain").joinpath(BLOCKLIST).read_bytes()))


def fold(text: str) -> str:
    """Casefolded and without accents, so that « Mathéo », « MATHEO » and « matheo » are one
    word (« Œ », « ß », « Ł »… as identifiers fold them)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(SPECIAL_LETTERS).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: What people put between the parts of a name, a date or a password (« jean-pierre »,
#: « 14/02/2011 », « zoe.ndiaye »): ignored when a password is compared with words.
_SEPARATORS = re.compile(r"[\s'’‘`´\-\u2010\u2011_.,;:/]+")
_LETTERS = re.compile(r"[^\W\d_]+")


def _unseparated(text: str) -> str:
    return _SEPARATORS.sub("", fold(text))


def is_common(password: str) -> bool:
    """In the blocklist, whatever its case, its accents and the symbols around its letters
    and digits (« Azerty-123! » is « azerty123 »)."""
    folded = fold(password)
    words = common_passwords()
    return folded in words or "".join(c for c in folded if c.isalnum()) in words


@dataclass(frozen=True)
class Person:
    """Who chooses the password: a password made of their names, identifier or birth date
    is the first one a classmate tries."""

    names: tuple[str, ...] = ()
    identifier: str = ""
    birth_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class School:
    """The establishment's name and city, and the day: words anyone in the school knows."""

    words: tuple[str, ...] = ()
    today: date | None = None


#: Refused for every pupil whatever the school: the words of the school itself.
SCHOOL_WORDS = ("ent", "scolarite", "college", "lycee")

#: A word counts from three letters (« Zoé », « Léo »); a shorter one is not a guess.
SHORTEST_WORD = 3
#: What may remain, with no letter, once the person's and the school's words are taken
#: out (« 2010 », « 123! »): a password that is nothing more is refused.
LONGEST_REST = 4

_MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
           "novembre", "decembre")

PERSONAL = N_("Ce mot de passe reprend votre nom, votre identifiant ou votre date de naissance : "
              "choisissez-en un autre.")
CONTEXTUAL = N_("Ce mot de passe reprend le nom de l'établissement, de sa ville ou l'année scolaire : "
                "choisissez-en un autre.")


def _words(text: str) -> set[str]:
    """A name's words and the whole name without its separators (« N'Diaye »: « diaye », « ndiaye »)."""
    found = {w for w in _LETTERS.findall(fold(text)) if len(w) >= SHORTEST_WORD}
    whole = _unseparated(text)
    if len(whole) >= SHORTEST_WORD and _LETTERS.search(whole):
        found.add(whole)
    return found


def _date_forms(born: date) -> set[str]:
    """A date as people type it, separators aside: 14, 02, 2011, 11, 1402, 140211,
    14022011, 20110214, 0214, 1422011… and its month's name."""
    days, months = {f"{born.day:02}", str(born.day)}, {f"{born.month:02}", str(born.month)}
    years = {f"{born.year:04}", f"{born.year % 100:02}"}
    forms = {f"{born.day:02}", f"{born.month:02}", *years, _MONTHS[born.month - 1]}
    for day in days:
        for month in months:
            forms |= {day + month, month + day}
            for year in years:
                forms |= {day + month + year, month + day + year, year + month + day}
    return forms


def _person_tokens(person: Person | None, identifier: str) -> set[str]:
    tokens: set[str] = set()
    person = person or Person()
    for text in (*person.names, person.identifier, identifier):
        tokens |= _words(text)
    names = [_unseparated(n) for n in person.names if _unseparated(n)]
    if len(names) >= 2:  # « jbaillet », « bailletj », « julieb »
        first, last = names[0], names[-1]
        tokens |= {first[0] + last, last + first[0], first + last[0]}
    for born in person.birth_dates:
        tokens |= _date_forms(born)
    return tokens


def school_years(today: date) -> tuple[int, int, int]:
    """The years the current and next school years span (one starts on 1 September):
    on 15 October 2026, 2026-2027 and 2027-2028."""
    start = today.year if today.month >= 9 else today.year - 1
    return start, start + 1, start + 2


def _school_tokens(school: School | None) -> set[str]:
    tokens = set(SCHOOL_WORDS)
    if school is None:
        return tokens
    for text in school.words:
        tokens |= _words(text)
    if school.today is not None:
        years = school_years(school.today)
        tokens |= {str(y) for y in years} | {f"{y % 100:02}" for y in years}
        for first, second in zip(years, years[1:]):
            tokens |= {f"{first}{second}", f"{first % 100:02}{second % 100:02}"}
    return tokens


def _covered(text: str, tokens: Iterable[str]) -> list[bool]:
    """Which characters of ``text`` some token covers (every occurrence, overlaps allowed)."""
    mask = [False] * len(text)
    for token in tokens:
        start = text.find(token)
        while start != -1:
            mask[start:start + len(token)] = [True] * len(token)
            start = text.find(token, start + 1)
    return mask


def context_problem(password: str, *, identifier: str = "", person: Person | None = None,
                    school: School | None = None) -> str | None:
    """Why ``password`` is only the person's or the school's words, or None.

    Every name, identifier and school word (three letters or more), every form of the
    birth dates and every school year is taken out of the password (casefolded, without
    accents nor separators); what remains, if it has no letter and at most
    :data:`LONGEST_REST` characters (« 2010 », « 123! »), adds nothing a guesser would not
    try first. The sentence names the person's data when those cover a letter.
    """
    text = _unseparated(password)
    mine = _covered(text, _person_tokens(person, identifier))
    theirs = _covered(text, _school_tokens(school))
    rest = [c for c, a, b in zip(text, mine, theirs, strict=True) if not (a or b)]
    if any(c.isalpha() for c in rest) or len(rest) > LONGEST_REST or not any(c.isalpha() for c in text):
        return None  # without a letter, it is the rule's to refuse
    if any(a and c.isalpha() for c, a in zip(text, mine, strict=True)):
        return _(PERSONAL)
    return _(CONTEXTUAL)


def policy_problem(password: str, *, identifier: str = "", min_length: int = MIN_LENGTH,
                   max_length: int = MAX_LENGTH, person: Person | None = None,
                   school: School | None = None) -> str | None:
    """The first rule of the guide that ``password`` breaks, in French, or None.

    ``person`` and ``school`` give the words a password must not be made of
    (:func:`context_problem`); the school's own words (:data:`SCHOOL_WORDS`) are refused
    even without them. Checking against the provisional password needs its hash; the
    service does that. Staff accounts use longer bounds (:data:`STAFF_MIN_LENGTH`,
    :data:`STAFF_MAX_LENGTH`).
    """
    if len(password) < min_length:
        return _("Le mot de passe est trop court : {min_length} caractères minimum.").format(min_length=min_length)
    if len(password) > max_length:
        return _("Le mot de passe est trop long : {max_length} caractères maximum.").format(max_length=max_length)
    if not all(c.isprintable() for c in password):
        return _("Le mot de passe contient un caractère non imprimable.")
    if not any(c.isdecimal() for c in password):  # "²" is a digit to Python, not to a person
        return _("Le mot de passe doit contenir au moins un chiffre.")
    if not any(c.isalpha() for c in password):
        return _("Le mot de passe doit contenir au moins une lettre.")
    if identifier and password.casefold() == identifier.casefold():
        return _("Le mot de passe ne doit pas être votre identifiant.")
    if problem := context_problem(password, identifier=identifier, person=person, school=school):
        return problem
    if is_common(password):
        return _("Ce mot de passe est trop courant : choisissez-en un autre.")
    return None


def provisional_password(rng: random.Random | None = None) -> str:
    """8 unambiguous characters with at least one letter and one digit."""
    import secrets

    rng = rng or secrets.SystemRandom()
    alphabet = PROVISIONAL_LETTERS + PROVISIONAL_DIGITS
    while True:
        candidate = "".join(rng.choice(alphabet) for _unused in range(PROVISIONAL_LENGTH))
        if any(c in PROVISIONAL_DIGITS for c in candidate) and any(c in PROVISIONAL_LETTERS for c in candidate):
            return candidate


def generated_staff_password(rng: random.Random | None = None, min_length: int = STAFF_MIN_LENGTH) -> str:
    """A random staff password in groups of four unambiguous characters (``Kp7w-…``),
    long enough for ``min_length`` and keeping the staff rule: the demo's staff account."""
    import secrets

    rng = rng or secrets.SystemRandom()
    groups = max(3, -(-(min_length + 1) // 5))
    while True:
        candidate = "-".join(provisional_password(rng)[:4] for _unused in range(groups))
        if policy_problem(candidate, min_length=min_length, max_length=max(STAFF_MAX_LENGTH, len(candidate))) is None:
            return candidate


@dataclass(frozen=True)
class HashParameters:
    time_cost: int = 2
    memory_cost: int = OWASP_MIN_MEMORY_KIB  # KiB
    parallelism: int = 1


class Hasher:
    """argon2id with the configured parameters; never logs what it hashes."""

    def __init__(self, params: HashParameters) -> None:
        from argon2 import PasswordHasher, Type

        self.params = params
        self._ph = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            type=Type.ID,
        )
        # Verified against when an identifier is unknown, so that it costs the same work.
        import secrets

        self.dummy_hash = self._ph.hash(secrets.token_urlsafe(12))

    @staticmethod
    def _bytes(password: str) -> bytes:
        """NFC, so that « é » typed composed or decomposed is the same password."""
        return unicodedata.normalize("NFC", password).encode("utf-8", "surrogatepass")

    def hash(self, password: str) -> str:
        return self._ph.hash(self._bytes(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash still costs one verification."""
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        try:
            return self._ph.verify(stored or self.dummy_hash, self._bytes(password)) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        from argon2.exceptions import InvalidHashError

        try:
            return self._ph.check_needs_rehash(stored)
        except InvalidHashError:
            return True


