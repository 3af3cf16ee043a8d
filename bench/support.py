"""What every benchmark shares: throw-away settings, a school of students (as rows, or as
the SIECLE export of two school years), statistics, RSS.

Nothing here is timed; it builds the scene the benchmarks time, and the small helpers
they time it with (``timed``, ``hash_time``, ``TimedHashMany``).
"""

from __future__ import annotations

import io
import math
import os
import statistics
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

FIRST = ["Julie", "Lucas", "Zoé", "Noah", "Léa", "Inès", "Gaëtan", "Chloé", "Łukasz", "Marie-Charlotte",
         "Hugo", "Emma", "Louis", "Jade", "Gabriel", "Louise", "Arthur", "Alice", "Jules", "Lina",
         "Adam", "Rose", "Raphaël", "Anna", "Maël", "Mila", "Paul", "Ambre", "Nathan", "Camille",
         "Sacha", "Manon", "Théo", "Sarah", "Tom", "Juliette", "Ethan", "Lou", "Malo", "Romane"]
LAST = ["Baillet", "Martin", "N'Diaye", "Żółć", "Lefèvre", "de La Tour d'Auvergne", "Œuvray", "Nguyễn",
        "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
        "Laurent", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard",
        "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
        "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin",
        "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
        "Sanchez", "Gérard", "Nguyen", "Boyer"]

#: Passwords of the student path; each obeys the guide's rule and differs from the others.
ACTIVATION_PASSWORD = "Velo2roues"
PROFILE_PASSWORD = "Train4wagons"
RESET_PASSWORD = "Bateau7voiles"


def school(n: int, *, offset: int = 0) -> list:
    """``n`` distinct students in classes of 35, as a class list would give them.

    Names come from 40 first names × 60 last names (2,400 pairs), so identifiers are
    mostly ``prenom.nom`` with a few numbered ones, as in a real school.
    """
    from entkiosk.domain.classlist import StudentRow

    rows = []
    for i in range(offset, offset + n):
        first = FIRST[i % len(FIRST)]
        last = LAST[(i // len(FIRST) + i) % len(LAST)]
        born = date(2009 + i % 3, 1 + i % 12, 1 + i % 28)
        rows.append(StudentRow(i + 2, last, first, born, f"2nde {i // 35 + 1}"))
    return rows


# ---------------------------------------------------------------- SIECLE exports
# Invented exports, written the way SIECLE writes them (never a real pupil): the same
# writer as tests/siecle_support.py, copied so that bench/ does not import the tests.

#: No such school.
SIECLE_UAJ = "0599999Z"


@dataclass
class Pupil:
    """One ``ELEVE`` of ``ElevesSansAdresses.xml`` and its division."""

    eleve_id: str
    last: str
    first: str
    born: str  # JJ/MM/AAAA
    division: str | None
    ine: str | None = None
    usage: str | None = None
    left: str | None = None  # DATE_SORTIE
    groups: list[str] = field(default_factory=list)
    sex: str = "2"


def _ref(text: str, encoding: str) -> str:
    """Characters the encoding lacks as character references (``&#287;``), as SIECLE writes them."""
    out = []
    for c in escape(text):
        try:
            c.encode(encoding)
            out.append(c)
        except UnicodeEncodeError:
            out.append(f"&#{ord(c)};")
    return "".join(out)


def pupils_xml(pupils: Sequence[Pupil], *, uaj: str = SIECLE_UAJ, year: str = "2026",
               exported: str = "01/09/2026", encoding: str = "ISO-8859-15") -> bytes:
    """``ElevesSansAdresses.xml`` (root ``BEE_ELEVES``): ISO-8859-15, CRLF, the tags SIECLE
    puts beside the ones entkiosk reads, groups listed before the division."""
    def e(text: str) -> str:
        return _ref(text, encoding)

    parts = [(f'<?xml version="1.0" encoding="{encoding}"?>\r\n<BEE_ELEVES VERSION="3.1">\r\n  <PARAMETRES>\r\n'
              f"    <UAJ>{uaj}</UAJ>\r\n    <ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE>\r\n"
              f"    <DATE_EXPORT>{exported}</DATE_EXPORT>\r\n    <HORODATAGE>{exported} 08:12:44</HORODATAGE>\r\n"
              "  </PARAMETRES>\r\n  <DONNEES>\r\n    <ELEVES>\r\n")]
    for n, p in enumerate(pupils):
        parts.append(f'      <ELEVE ELEVE_ID="{p.eleve_id}" ELENOET="{2000 + n}">\r\n')
        if p.ine:
            parts.append(f"        <ID_NATIONAL>{p.ine}</ID_NATIONAL>\r\n")
        parts.append(f"        <ELENOET>{2000 + n}</ELENOET>\r\n"
                     f"        <NOM_DE_FAMILLE>{e(p.last)}</NOM_DE_FAMILLE>\r\n")
        if p.usage:
            parts.append(f"        <NOM_USAGE>{e(p.usage)}</NOM_USAGE>\r\n")
        parts.append(f"        <PRENOM>{e(p.first)}</PRENOM>\r\n        <PRENOM2>Marie</PRENOM2>\r\n"
                     f"        <DATE_NAISS>{p.born}</DATE_NAISS>\r\n        <CODE_SEXE>{p.sex}</CODE_SEXE>\r\n"
                     "        <CODE_PAYS>100</CODE_PAYS>\r\n        <DATE_ENTREE>01/09/2025</DATE_ENTREE>\r\n")
        if p.left:
            parts.append(f"        <DATE_SORTIE>{p.left}</DATE_SORTIE>\r\n"
                         "        <CODE_MOTIF_SORTIE>1</CODE_MOTIF_SORTIE>\r\n")
        parts.append("        <CODE_MEF>10310019110</CODE_MEF>\r\n      </ELEVE>\r\n")
    parts.append("    </ELEVES>\r\n    <OPTIONS>\r\n"
                 '      <OPTION ELEVE_ID="0"><OPTIONS_ELEVE><NUM_OPTION>1</NUM_OPTION></OPTIONS_ELEVE></OPTION>\r\n'
                 "    </OPTIONS>\r\n    <STRUCTURES>\r\n")
    for p in pupils:
        if p.division is None and not p.groups:
            continue
        parts.append(f'      <STRUCTURES_ELEVE ELEVE_ID="{p.eleve_id}">\r\n')
        for group in p.groups:  # a group first: the division is the one of type D, not the first
            parts.append(f"        <STRUCTURE>\r\n          <CODE_STRUCTURE>{e(group)}</CODE_STRUCTURE>\r\n"
                         "          <TYPE_STRUCTURE>G</TYPE_STRUCTURE>\r\n        </STRUCTURE>\r\n")
        if p.division is not None:
            parts.append(f"        <STRUCTURE>\r\n          <CODE_STRUCTURE>{e(p.division)}</CODE_STRUCTURE>\r\n"
                         "          <TYPE_STRUCTURE>D</TYPE_STRUCTURE>\r\n        </STRUCTURE>\r\n")
        parts.append("      </STRUCTURES_ELEVE>\r\n")
    parts.append("    </STRUCTURES>\r\n  </DONNEES>\r\n</BEE_ELEVES>\r\n")
    return "".join(parts).encode(encoding)


def pupils_zip(xml: bytes, name: str = "ElevesSansAdresses.xml") -> bytes:
    """The XML as SIECLE hands it out: ``ExportXML_ElevesSansAdresses.zip``, one member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, xml)
    return buffer.getvalue()


def divisions(n: int) -> list[str]:
    """The divisions of an ``n``-pupil lycée, ≈ 33 pupils each, a third per level:
    60 for 2,000 pupils (``2NDE1``…``2NDE20``, ``1G1``…, ``TG1``…)."""
    per_level = max(1, round(n / 33 / 3))
    return [f"{level}{k}" for level in ("2NDE", "1G", "TG") for k in range(1, per_level + 1)]


def _pupil(i: int, division: str) -> Pupil:
    """Pupil number ``i``: the names of :func:`school` (family name in capitals, as SIECLE
    writes it), 1 in 97 named Ağça instead (Łukasz, ŻÓŁĆ, NGUYỄN and Ağça come out as
    character references: ``&#287;``…); an INE (10 digits and a capital letter) for all
    but 1 in 40, who has none yet; a usage name for 1 in 31; two groups for 2 in 3."""
    ine = None if i % 40 == 17 else f"{(1234567891 + 7919 * i) % 10**10:010d}{chr(65 + i % 26)}"
    usage = LAST[(7 * i + 3) % len(LAST)].upper() if i % 31 == 5 else None
    groups = [f"{division}_LV2", f"EPS_G{i % 4 + 1}"] if i % 3 else []
    first = "Ağça" if i % 97 == 41 else FIRST[i % len(FIRST)]  # ğ: &#287; in the file
    return Pupil(str(300000 + i), LAST[(i // len(FIRST) + i) % len(LAST)].upper(), first,
                 f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2009 + i % 3}", division, ine=ine, usage=usage,
                 groups=groups, sex="12"[i % 2])


def siecle_school(n: int) -> list[Pupil]:
    """The first year's export of an ``n``-pupil school, every pupil in a division (so
    every one is imported): 2,000 pupils in 60 divisions."""
    names = divisions(n)
    return [_pupil(i, names[i * len(names) // n]) for i in range(n)]


def siecle_next_year(pupils: Sequence[Pupil]) -> list[Pupil]:
    """The next year's export of the school of :func:`siecle_school`, once imported:

    - 1 pupil in 20 has left: half still listed with a DATE_SORTIE, half absent;
    - of the others, all but 1 in 20 change division;
    - a few names are corrected in SIECLE (1 in 211 gets a usage name, 1 in 211 another
      birth date), and half the pupils without an INE have one now (matched by ELEVE_ID);
    - 1 new pupil for 20 (new ELEVE_IDs, names of :func:`school` further on).
    """
    names = divisions(len(pupils))
    shift = max(1, len(names) // 3)
    nxt: list[Pupil] = []
    for i, p in enumerate(pupils):
        if i % 20 == 3:
            if i % 40 == 3:
                nxt.append(replace(p, left="04/07/2026", groups=[]))
            continue
        q = replace(p, groups=list(p.groups))
        if i % 20 != 11 and p.division in names:
            q.division = names[(names.index(p.division) + shift + i % 2) % len(names)]
            q.groups = [f"{q.division}_LV2", *p.groups[1:]] if p.groups else []
        if i % 211 == 7:
            q.usage = f"{p.last}-{LAST[i % len(LAST)].upper()}"
        if i % 211 == 107:
            q.born = f"{1 + (i + 1) % 28:02d}{p.born[2:]}"
        if q.ine is None and i % 80 == 17:
            q.ine = f"{(1234567891 + 7919 * i) % 10**10:010d}Z"
        nxt.append(q)
    start = 100000 + len(pupils)  # names beyond the first year's, as :func:`school` would go on
    for k in range(max(1, round(len(pupils) / 20))):
        nxt.append(_pupil(start + k, names[k % len(names)]))
    return nxt


def make_settings(folder: Path, url: str | None = None, *, kiosk_id: str = "bench", **sections: dict):
    """Settings on an SQLite file in ``folder`` (or ``url``), outbox in ``folder/outbox``."""
    from entkiosk.config import settings_from_dict

    raw: dict = {
        "database": {"url": url or f"sqlite:///{folder / 'entkiosk.db'}"},
        "mail": {"outbox": str(folder / "outbox")},
        "kiosk": {"id": kiosk_id},
        "letters": {"folder": str(folder / "courriers")},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return settings_from_dict(raw, source="bench")


def write_config(folder: Path, url: str | None = None) -> Path:
    """A kiosk.conf for the real ``entkiosk`` command (ENTKIOSK_CONFIG)."""
    conf = folder / "kiosk.conf"
    conf.write_text(
        f"[database]\nurl = \"{url or 'sqlite:///' + (folder / 'entkiosk.db').as_posix()}\"\n\n"
        f"[mail]\noutbox = \"{(folder / 'outbox').as_posix()}\"\n\n"
        f"[kiosk]\nid = \"bench\"\n",
        encoding="utf-8",
    )
    return conf


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"entkiosk-bench-{prefix}-") as folder:
        yield Path(folder)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100), nearest rank: p99 of 40 samples is the largest."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def hash_time(hasher, samples: int = 20) -> float:
    """Median seconds of one ``hasher.hash`` (the configured argon2id parameters)."""
    return median([timed(hasher.hash, f"Velo{i}roues")[0] for i in range(samples)])


def pool_hash_time(hasher, count: int) -> tuple[int, float]:
    """``count`` hashes through a bare ThreadPoolExecutor(os.cpu_count()): what the cores really give.

    The ratio ``count × one hash ÷ this`` is the parallel speed-up argon2 gets on this
    machine (2 on two real cores; less on hyperthreads sharing a core and its memory).
    """
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as executor:
        list(executor.map(hasher.hash, [f"Velo{i}roues" for i in range(count)]))
    return count, time.perf_counter() - started


class TimedHashMany:
    """Stands in for ``core.hash_many`` (an instance attribute shadows the method) and
    times each call; :meth:`restore` removes it."""

    def __init__(self, core) -> None:
        self.core = core
        self.original = core.hash_many
        self.calls: list[float] = []
        core.hash_many = self

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.original(*args, **kwargs)
        finally:
            self.calls.append(time.perf_counter() - started)

    def restore(self) -> None:
        vars(self.core).pop("hash_many", None)


def verify_time(hasher, stored: str, password: str, samples: int = 10) -> float:
    return median([timed(hasher.verify, stored, password)[0] for _ in range(samples)])


def rss_kib(pid: int | str = "self") -> int:
    """Resident memory now (VmRSS of /proc/<pid>/status), in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cores() -> int:
    """CPUs this process may run on (what a thread pool of os.cpu_count() really gets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
