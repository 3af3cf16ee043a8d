"""How long the PDF letters of a whole school take: ``python bench/letters_pdf.py [N]``.

Renders N letters (2,000 by default) with the default settings and varied names,
without a database, and prints the time, the time per page and the file size.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from entkiosk.config import Settings
from entkiosk.letters import write_letters
from entkiosk.letters.pdf import render_pdf
from entkiosk.service import IssuedLetter

FIRST = ["Julie", "Lucas", "Zoé", "Noah", "Léa", "Inès", "Gaëtan", "Chloé", "Łukasz", "Marie-Charlotte"]
LAST = ["Baillet", "Martin", "N'Diaye", "Żółć", "Lefèvre", "de La Tour d'Auvergne", "Œuvray", "Nguyễn"]


def letters(n: int) -> list[IssuedLetter]:
    issued = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    return [IssuedLetter(f"eleve.{i:04d}", FIRST[i % len(FIRST)], LAST[i % len(LAST)], f"2nde {i // 35 + 1}",
                         date(2026, 12, 1), issued, date(2010, 1, 1), f"Kx{i:04d}pq7") for i in range(n)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    batch, settings = letters(n), Settings()
    started = time.perf_counter()
    data = render_pdf(batch, settings)
    rendered = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_letters(Path(folder) / "lettres.pdf", batch, settings)
        written = time.perf_counter() - started
    print(f"{n} letters: render_pdf {rendered:.2f} s ({rendered / n * 1000:.2f} ms/page), "
          f"write_letters {written:.2f} s, {len(data) / 1e6:.2f} MB ({len(data) / n / 1024:.1f} KiB/page)")


if __name__ == "__main__":
    main()
