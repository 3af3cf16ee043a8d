"""Figures, their verdicts, the table and the JSON file.

A figure collects one sample per run: the measured value and, when it has one, the
reference measured in the same run. Its verdict uses the median over runs of the
per-run comparison (ratio or difference), so that a noisy run is compared with its own
reference, never with another run's.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .support import median

#: ratio: measured ÷ reference ≤ target; diff: measured − reference ≤ target;
#: limit: measured ≤ target (the reference, if any, is shown for information);
#: zero: measured must be 0 in every run (errors, lost writes);
#: info: shown with its ratio to the reference, no target (throughput).
Kind = Literal["ratio", "diff", "limit", "zero", "info"]


@dataclass
class Sample:
    measured: float
    reference: float | None = None

    def compared(self, kind: Kind) -> float:
        if kind in ("ratio", "info"):
            return self.measured / self.reference if self.reference else math.nan
        if kind == "diff":
            return self.measured - (self.reference or 0.0)
        return self.measured


@dataclass
class Figure:
    """One row of the table."""

    name: str
    kind: Kind
    target: float
    unit: str = "ms"
    #: What the reference is, in a few words ("minimal Textual app").
    reference_label: str = ""
    samples: list[Sample] = field(default_factory=list)
    #: A figure not measured in this run says why (no --pg, error…).
    skipped: str | None = None
    note: str = ""

    def add(self, measured: float, reference: float | None = None) -> None:
        self.samples.append(Sample(measured, reference))

    # ------------------------------------------------------------ summary

    @property
    def measured(self) -> list[float]:
        return [s.measured for s in self.samples]

    @property
    def references(self) -> list[float]:
        return [s.reference for s in self.samples if s.reference is not None]

    @property
    def compared(self) -> list[float]:
        return [s.compared(self.kind) for s in self.samples]

    @property
    def value(self) -> float:
        """What is held against the target: the worst run for ``zero``, else the median."""
        if not self.samples:
            return math.nan
        if self.kind == "info" and not self.references:
            return median(self.measured)
        if self.kind == "zero":
            return max(self.measured)
        return median(self.compared)

    @property
    def passed(self) -> bool | None:
        if self.kind == "info" or self.skipped or not self.samples or math.isnan(self.value):
            return None
        if self.kind == "zero":
            return self.value == 0
        return self.value <= self.target

    def target_text(self) -> str:
        if self.kind == "info":
            return "—"
        if self.kind == "ratio":
            return f"≤ {self.target:g}×"
        if self.kind == "diff":
            return f"≤ ref + {self.target:g} {self.unit}"
        if self.kind == "zero":
            return "0"
        return f"≤ {self.target:g} {self.unit}"

    def as_json(self) -> dict:
        return {
            "name": self.name, "kind": self.kind, "unit": self.unit, "target": self.target,
            "reference": self.reference_label, "skipped": self.skipped, "note": self.note,
            "samples": [{"measured": s.measured, "reference": s.reference} for s in self.samples],
            "median_measured": median(self.measured) if self.samples else None,
            "median_reference": median(self.references) if self.references else None,
            "value": None if math.isnan(self.value) else self.value,
            "passed": self.passed,
        }


def _num(value: float, unit: str) -> str:
    if math.isnan(value):
        return "—"
    if unit in ("", "×", "paths/s"):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.1f} ms" if abs(value) < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:.3g} {unit}"


def _spread(values: list[float], unit: str) -> str:
    if len(values) < 2:
        return ""
    return f" [{_num(min(values), unit)}–{_num(max(values), unit)}]".replace(f" {unit}–", "–")


def render_table(figures: list[Figure], runs: int) -> str:
    """One row per figure: measured median [min–max], reference median, ratio or difference, target, verdict."""
    header = ("figure", f"measured (median of {runs})", "reference (median)", "ratio / diff", "target", "")
    rows: list[tuple[str, ...]] = []
    for fig in figures:
        if fig.skipped:
            rows.append((fig.name, f"skipped: {fig.skipped}", "", "", fig.target_text(), "SKIP"))
            continue
        if not fig.samples:
            rows.append((fig.name, "no sample", "", "", fig.target_text(), "SKIP"))
            continue
        measured = _num(median(fig.measured), fig.unit) + _spread(fig.measured, fig.unit)
        if fig.kind == "zero":
            measured = f"{max(fig.measured):g} (worst run)"
        reference = ""
        if fig.references:
            reference = _num(median(fig.references), fig.unit)
            if fig.reference_label:
                reference += f" ({fig.reference_label})"
        elif fig.reference_label:
            reference = fig.reference_label
        if fig.kind == "info" and not fig.references:
            compared = ""
        elif fig.kind in ("ratio", "info"):
            compared = f"{fig.value:.2f}×" + (_spread(fig.compared, "×") if len(fig.compared) > 1 else "")
        elif fig.kind == "diff":
            sign = "+" if fig.value >= 0 else ""
            compared = f"{sign}{_num(fig.value, fig.unit)}" + _spread(fig.compared, fig.unit)
        else:
            compared = ""
        verdict = "info" if fig.kind == "info" else {True: "PASS", False: "FAIL", None: "?"}[fig.passed]
        rows.append((fig.name, measured, reference, compared, fig.target_text(), verdict))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    notes = [f"  {fig.name}: {fig.note}" for fig in figures if fig.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def machine() -> dict:
    import os

    from .support import cores

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True,
                                cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except OSError:
        commit = ""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "usable_cores": cores(), "commit": commit,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def write_json(path: Path, figures: list[Figure], details: dict, options: dict) -> None:
    data = {"machine": machine(), "options": options, "figures": [f.as_json() for f in figures],
            "details": details}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
