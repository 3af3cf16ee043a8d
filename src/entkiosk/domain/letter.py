"""The notification letter as data: what the service issues and the renderers print.

It lives in the domain so that both the service (which makes letters) and the letters
package (which prints them) import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class IssuedLetter:
    """What a notification letter prints. The provisional password lives only here."""

    identifier: str
    first_name: str
    last_name: str
    class_name: str | None
    deadline: date
    issued_at: datetime
    birth_date: date | None
    provisional_password: str = field(repr=False)
    #: A legal guardian's letter (sent by post): « M. », « Mme » or "", the postal lines
    #: under the name, and the children's names (« Zoé NDIAYE (4A) »).
    guardian: bool = False
    civility: str = ""
    postal_address: tuple[str, ...] = ()
    children: tuple[str, ...] = ()

    @property
    def addressee(self) -> str:
        """The name on the envelope: « Mme Awa NDIAYE »."""
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)
