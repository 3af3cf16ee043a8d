"""PDF letters of a whole school: wall time, and whether memory stays flat.

Each size runs in a subprocess of its own (``python -m bench.letters N``), which
builds N letters with varied names in classes of 35 (no database), then writes them
through ``entkiosk.letters.write_letters`` as a temporary ``lettres.pdf`` (one PDF per
class beside it) and reports its time, the files' size, its resident memory before
rendering and its peak. The peak of the imports
is forgotten first (``5 > /proc/self/clear_refs``, Linux ≥ 4.0) and the peak read is
VmHWM; without that reset it falls back to ``ru_maxrss``, which after exec also counts
the parent's peak.

*Memory flat* means the growth of the peak over the baseline (interpreter, fonts and
fpdf2 loaded, letters built) does not depend on the number of pages:
growth(2,000) ÷ growth(500) ≈ 1. Holding every page until the end makes it ≈ 4.

Also runnable alone: ``python -m bench.letters [N]`` prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from .report import Figure
from .support import FIRST, LAST, rss_kib


def letters(n: int) -> list:
    from entkiosk.service import IssuedLetter

    issued = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    return [IssuedLetter(f"eleve.{i:04d}", FIRST[i % len(FIRST)], LAST[i % len(LAST)], f"2nde {i // 35 + 1}",
                         date(2026, 12, 1), issued, date(2010, 1, 1), f"Kx{i:04d}pq7") for i in range(n)]


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _hwm_kib() -> int:
    """VmHWM: this process's own peak RSS. ``ru_maxrss`` is not: after exec it keeps the
    peak of the process that forked it (the harness, 160 MB after the bulk issue)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return _maxrss_kib()


def child(n: int) -> dict:
    """In the subprocess: render and write ``n`` letters; time and peak memory."""
    import importlib

    from entkiosk.config import Settings
    from entkiosk.letters import write_letters

    for module in ("fpdf", "entkiosk.letters.pdf"):  # loaded before the baseline
        importlib.import_module(module)

    settings = Settings()
    batch = letters(n)
    gc.collect()
    reset = _reset_peak()
    baseline = rss_kib() if reset else _maxrss_kib()
    with tempfile.TemporaryDirectory(prefix="entkiosk-bench-letters-") as folder:
        path = Path(folder) / "lettres.pdf"
        started = time.perf_counter()
        written = write_letters(path, batch, settings)  # one PDF per class
        wall = time.perf_counter() - started
        size = sum(file.stat().st_size for file in written)
    peak = _hwm_kib() if reset else _maxrss_kib()
    return {"letters": n, "files": len(written), "wall_s": wall, "ms_per_page": wall / n * 1000, "bytes": size,
            "baseline_kib": baseline, "peak_kib": peak, "growth_kib": peak - baseline, "peak_reset": reset}


def _reset_peak() -> bool:
    """Forget the peak of the imports (Linux ≥ 4.0: ``5 > /proc/self/clear_refs``), so that
    ``ru_maxrss`` afterwards is the peak of the rendering alone."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def run_child(n: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.letters", str(n)], check=False, capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"bench.letters {n} failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    small, large = (100, 400) if quick else (500, 2000)
    time_fig, memory_fig = figures["letters time"], figures["letters memory"]
    time_fig.name = f"PDF letters {large:,}: time"
    memory_fig.name = f"PDF letters: growth {large:,} ÷ {small:,}"
    memory_fig.reference_label = f"growth at {small:,}"
    per_run = details.setdefault("letters", [])
    for i in range(runs):
        order = [small, large] if i % 2 == 0 else [large, small]
        got = {n: run_child(n) for n in order}
        time_fig.add(got[large]["wall_s"], got[small]["wall_s"] * large / small)
        memory_fig.add(got[large]["growth_kib"] / 1024, got[small]["growth_kib"] / 1024)
        per_run.append({str(n): got[n] for n in (small, large)})


if __name__ == "__main__":
    print(json.dumps(child(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
