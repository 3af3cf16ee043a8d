"""What every benchmark shares: throw-away settings, a school of students, statistics, RSS.

Nothing here is timed; it builds the scene the benchmarks time.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

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
