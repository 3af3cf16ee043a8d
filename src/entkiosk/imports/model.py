"""What a file of pupils holds, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ..domain.classlist import StudentRow, Where
from ..domain.i18n import N_

Format = Literal["csv", "siecle-csv", "siecle-xml"]

#: Marked for the catalogs, kept French here (a screen compares them): translated where shown.
FORMAT_LABELS: dict[str, str] = {
    "csv": N_("liste de classe CSV"),
    "siecle-csv": N_("export CSV de SIECLE"),
    "siecle-xml": N_("export XML de SIECLE (ElevesSansAdresses)"),
}


@dataclass(frozen=True)
class SiecleRecord:
    """A pupil of a SIECLE export as the yearly update sees them: keys, name, left or not."""

    eleve_id: str
    ine: str | None
    label: str
    left: bool
    class_name: str  # "" when the export gives no division


@dataclass(frozen=True)
class PupilFile:
    """A file read: ``rows`` are the pupils to have an account (checked); ``problems`` name
    each bad record; a SIECLE XML export also has the school's code, every record (leavers
    included, for the yearly update) and the pupils who have no division yet."""

    format: Format
    rows: list[StudentRow]
    problems: list[tuple[Where, str]]
    uaj: str | None = None
    school_year: str | None = None
    exported_on: date | None = None  # DATE_EXPORT
    records: list[SiecleRecord] = field(default_factory=list)
    without_class: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The format's name, French (marked with ``N_``): ``_(label)`` where it is shown."""
        return FORMAT_LABELS[self.format]

    @property
    def whole_school(self) -> bool:
        """It names every pupil of the school (so that one missing has left): SIECLE's XML."""
        return self.format == "siecle-xml"

    @property
    def leavers(self) -> list[SiecleRecord]:
        return [r for r in self.records if r.left]
