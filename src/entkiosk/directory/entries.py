"""A pupil's entry in the directory, as entkiosk writes it: pure values, no I/O.

An entry is an ``inetOrgPerson`` named by its ``uid`` (the pupil's identifier, the login the
school's other services ask for), under ``[directory] base`` — or under its class's branch
(``ou=3A,<base>``) with ``per_class``. It carries what a service needs to let the pupil in
and to place them: names, class (``ou``), and the argon2id hash entkiosk stores, as
``{ARGON2}…`` (OpenLDAP's ``argon2`` module checks it). Nothing else leaves the school's
database: no birth date, no e-mail address, no INE. An entry without ``userPassword`` cannot
be bound to: before activation, after a leaver's departure, after a staff reset.

``description: entkiosk`` marks the entries and branches entkiosk made: it changes and
deletes those only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ldap3.utils.dn import escape_rdn, parse_dn

#: The marker of what entkiosk created (``description``, an attribute every person and
#: organizational unit may carry, so no schema has to be loaded for it).
MARKER_ATTRIBUTE = "description"
MARKER = "entkiosk"
PERSON_CLASSES = ("top", "person", "organizationalPerson", "inetOrgPerson")
BRANCH_CLASSES = ("top", "organizationalUnit")
#: The attributes entkiosk owns on its entries (what a comparison looks at).
OWNED = ("cn", "sn", "givenName", "displayName", "ou", "userPassword")


@dataclass(frozen=True)
class Pupil:
    """What the directory must hold for one pupil: ``password_hash`` None means no usable
    password (not activated, left the school, a new provisional password)."""

    uid: str
    first_name: str
    last_name: str
    class_name: str | None
    password_hash: str | None = field(default=None, repr=False)

    def attributes(self) -> dict[str, list[str]]:
        """The owned attributes, each with its values (an empty list: not there)."""
        full = f"{self.first_name} {self.last_name}".strip()
        return {
            "cn": [full or self.uid],
            "sn": [self.last_name or self.uid],
            "givenName": [self.first_name] if self.first_name else [],
            "displayName": [full or self.uid],
            "ou": [self.class_name] if self.class_name else [],
            "userPassword": [f"{{ARGON2}}{self.password_hash}"] if self.password_hash else [],
        }


@dataclass(frozen=True)
class Layout:
    """Where entries go: ``base``, and one branch per class there with ``per_class``."""

    base: str
    per_class: bool = False

    def branch(self, class_name: str | None) -> str:
        if self.per_class and class_name:
            return f"ou={escape_rdn(class_name)},{self.base}"
        return self.base

    def dn(self, pupil: Pupil) -> str:
        return f"uid={escape_rdn(pupil.uid)},{self.branch(pupil.class_name)}"


@dataclass(frozen=True)
class Found:
    """An entry read from the directory; ``attributes`` by lower-case name."""

    dn: str
    attributes: dict[str, list[str]]

    @property
    def ours(self) -> bool:
        return MARKER in self.attributes.get(MARKER_ATTRIBUTE.lower(), [])

    @property
    def uid(self) -> str:
        values = self.attributes.get("uid", [])
        return values[0] if values else ""

    def differences(self, pupil: Pupil, layout: Layout, *, password_same: bool) -> list[str]:
        """The owned attributes (and ``dn``) that differ from what ``pupil`` needs.
        ``password_same``: what a comparison by the server said of ``userPassword``, which
        entkiosk may write and compare but not read (the README's ACL)."""
        found = []
        if not same_dn(self.dn, layout.dn(pupil)):
            found.append("dn")
        for name, values in pupil.attributes().items():
            if name == "userPassword":
                if not password_same:
                    found.append(name)
            elif sorted(self.attributes.get(name.lower(), [])) != sorted(values):
                found.append(name)
        return found


def same_dn(a: str, b: str) -> bool:
    """Two DNs naming the same entry: compared by their values unescaped (slapd answers
    ``ou=1ERE G\\2B`` for the ``ou=1ERE G\\+`` entkiosk wrote), case aside (``uid`` and ``ou``
    match without case)."""
    try:
        return _rdns(a) == _rdns(b)
    except Exception:  # noqa: BLE001 - a DN the server sent that ldap3 cannot parse differs
        return a.lower() == b.lower()


def _rdns(dn: str) -> list[tuple[str, str]]:
    return [(name.strip().lower(), _unescaped(value.lstrip(" ")).lower()) for name, value, _sep in parse_dn(dn)]


def _unescaped(value: str) -> str:
    """An attribute value of a DN as it reads (RFC 4514: ``\\2B`` and ``\\+`` are both « + »)."""
    out = bytearray()
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            pair = value[i + 1:i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out.extend(value[i + 1].encode())
            i += 2
            continue
        out.extend(value[i].encode())
        i += 1
    return out.decode("utf-8", "replace")
