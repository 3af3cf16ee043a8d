"""One-time secrets: link tokens, short codes typed at the kiosk, reset references.

Only hashes are stored. A link token carries 256 random bits and is found by its
SHA-256; a short code carries 40 bits (8 Crockford base-32 characters), only ever
compared for one account (never looked up by its digest), with an attempt limit. 40 bits
under a fast hash fall to one GPU in minutes, so a code is stored as argon2id (the
installation's password parameters, a salt per row) of its HMAC under the installation's
key (ASVS 6.5.2): a copy of some tables without that key cannot even start guessing, and
a copy of the whole database pays one argon2 computation per guess.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .passwords import Hasher

CODE_LENGTH = 8
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Crockford's decoding: what people confuse reads as what was meant.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
REFERENCE_DIGITS = 13


#: The source of every secret: the OS's. Snapshot tests pass a seeded ``random.Random``
#: (through the service) so that the pictures do not change from run to run.
SYSTEM_RANDOM: random.Random = secrets.SystemRandom()


def new_link_token(rng: random.Random = SYSTEM_RANDOM) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for _unused in range(43))


def new_code(rng: random.Random = SYSTEM_RANDOM) -> str:
    """``K7QF-2M9X``: 40 bits, read from a mail and typed at the kiosk."""
    raw = "".join(rng.choice(_CROCKFORD) for _unused in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def new_request_code(rng: random.Random = SYSTEM_RANDOM) -> str:
    """``K7Q-2M9``: the short code of a recovery an adult approves, read from the pupil's
    screen by the teacher. Not a secret (the kiosk that asked holds the secret)."""
    raw = "".join(rng.choice(_CROCKFORD) for _unused in range(6))
    return f"{raw[:3]}-{raw[3:]}"


def normalize_request_code(typed: str) -> str | None:
    """A request code as generated (``K7Q-2M9``), from what a teacher typed; None if it cannot be one."""
    cleaned = re.sub(r"[\s\-]", "", typed).upper().translate(_CONFUSABLE)
    if len(cleaned) != 6 or any(c not in _CROCKFORD for c in cleaned):
        return None
    return f"{cleaned[:3]}-{cleaned[3:]}"


def normalize_code(typed: str) -> str | None:
    """The code as generated, from what a student typed; None if it cannot be one."""
    cleaned = re.sub(r"[\s\-]", "", typed).upper().translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(c not in _CROCKFORD for c in cleaned):
        return None
    return cleaned


def looks_like_link_token(typed: str) -> bool:
    """A student may paste the ``code=`` value of the mail's link instead of the short code."""
    return bool(_LINK_TOKEN.match(typed.strip()))


def link_token_from(typed: str) -> str | None:
    """The token from a pasted link (``…?code=TOKEN``) or a bare token."""
    typed = typed.strip()
    if "code=" in typed:
        typed = typed.split("code=", 1)[1].split("&", 1)[0]
    return typed if looks_like_link_token(typed) else None


def hash_link_token(token: str) -> str:
    """SHA-256 of a token; any text hashes (the same as before for the ASCII tokens we issue),
    so that whatever a kiosk passes as a token just matches nothing."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def code_key(installation_key: bytes) -> bytes:
    """The key of the codes' HMAC, derived from the installation's key for that use alone."""
    return hmac.new(installation_key, b"entkiosk short codes", hashlib.sha256).digest()


def keyed_code(code: str, key: bytes) -> str:
    """HMAC-SHA-256 (hex) of a normalized code under the installation's key: what argon2
    hashes, so that the stored hash cannot be checked without that key."""
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()


#: The format of the codes stored before hardening: ``salt$sha256(salt:code)``.
_LEGACY_CODE = re.compile(r"^[0-9a-f]{32}\$[0-9a-f]{64}$")


def legacy_code_matches(stored: str, code: str) -> bool:
    """A code stored before hardening (salted SHA-256); never written any more, read until
    such rows expire (72 hours at most by default)."""
    salt, _sep, digest = stored.partition("$")
    return hmac.compare_digest(digest, hashlib.sha256(f"{salt}:{code}".encode("ascii")).hexdigest())


class CodeHasher:
    """Short codes at rest: argon2id of the code's HMAC under the installation's key.

    Every check costs exactly one argon2 verification, whatever the row (a legacy one, none
    at all): how long a code check takes tells nothing about the account.
    """

    def __init__(self, key: bytes, hasher: Hasher) -> None:
        # A key of its own, derived from the installation's: the throttle keys are HMACs of
        # typed text under the installation's key, and a code typed in an identifier field
        # must not leave there the very input of a stored code's argon2.
        self._key = code_key(key)
        self._hasher = hasher

    def hash(self, code: str) -> str:
        """The stored form of a normalized code (``$argon2id$…``, a fresh salt each time)."""
        return self._hasher.hash(keyed_code(code, self._key))

    def matches(self, stored: str | None, code: str) -> bool:
        """``code`` (normalized) is the one ``stored`` holds; None stands for no row and
        costs the same verification."""
        if stored is not None and _LEGACY_CODE.match(stored):
            self._hasher.verify(None, code)  # the same work as any other check
            return legacy_code_matches(stored, code)
        return self._hasher.verify(stored, keyed_code(code, self._key))


def new_reference(rng: random.Random = SYSTEM_RANDOM) -> str:
    """A 13-digit request number, as on the guide's screen (``n° 1425047142092``)."""
    return str(10 ** (REFERENCE_DIGITS - 1) + rng.randrange(9 * 10 ** (REFERENCE_DIGITS - 1)))


_REFERENCE_NOISE = re.compile(r"^\s*n\s*[°º o]?\s*", re.IGNORECASE)


def normalize_reference(typed: str) -> str | None:
    """A reference as a student reads it out or staff type it: ``n° 1425 047 142 092``,
    with spaces, dots or dashes between groups; the 13 digits, or None if it is not one."""
    text = _REFERENCE_NOISE.sub("", typed, count=1) if typed.lstrip()[:1] in ("n", "N") else typed
    digits = re.sub(r"[\s.\-\u00a0\u202f]", "", text)
    return digits if re.fullmatch(rf"[0-9]{{{REFERENCE_DIGITS}}}", digits) else None
