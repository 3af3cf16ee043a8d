"""The guide's password rule plus the blocklist, provisional passwords and hashing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .i18n import N_, _

if TYPE_CHECKING:
    import random

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


@cache
def common_passwords() -> frozenset[str]:
    from importlib import resources

    text = resources.files("entkiosk.domain").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def policy_problem(password: str, *, identifier: str = "", min_length: int = MIN_LENGTH,
                   max_length: int = MAX_LENGTH) -> str | None:
    """The first rule of the guide that ``password`` breaks, in French, or None.

    Checking against the provisional password needs its hash; the service does that.
    Staff accounts use longer bounds (:data:`STAFF_MIN_LENGTH`, :data:`STAFF_MAX_LENGTH`).
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
    if password.casefold() in common_passwords():
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


