"""``python -m bench``: every benchmark of issues #6 and #14, one table of figures against their limits.

    .venv/bin/python -m bench                       # everything, 5 runs, full sizes
    .venv/bin/python -m bench --quick               # a smoke run of each (< 60 s)
    .venv/bin/python -m bench --only startup,login --runs 3
    .venv/bin/python -m bench --pg postgresql+psycopg://postgres@127.0.0.1:55432/postgres --json out.json

Run it from the repository root with the project's environment. It prints one row per
figure: the median over runs of what is measured, of its reference measured in the
same runs, of their per-run ratio or difference, the target, and PASS/FAIL. The exit
status is 0 even when a figure fails (these are measurements, not tests); 2 when a
benchmark could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .report import Figure, render_table, write_json

BENCHMARKS = ("startup", "login", "keys", "bulk", "siecle", "sync", "letters", "kiosks", "memory", "serve")


KIOSK_KEYS = [f"kiosks {backend} {key}" for backend in ("sqlite", "postgresql")
              for key in ("p95", "errors", "other p95", "saturated p95", "saturated other p95",
                          "saturated throughput")]


def figures() -> dict[str, Figure]:
    """Every row of the table, in order, with its target from issue #6 (SIECLE: issue #14)."""
    rows = [
        Figure("start-up (exec → accueil painted, Tab answered)", "ratio", 1.25, "ms",
               "minimal Textual app"),
        Figure("login (Entrée → home painted)", "diff", 40.0, "ms", "one argon2 verify"),
        Figure("keystroke p50 (hash in background)", "limit", 16.0, "ms", "no background hash"),
        Figure("keystroke p99 (hash in background)", "limit", 50.0, "ms", "no background hash"),
        Figure("screen change p50 (hash in background)", "limit", 16.0, "ms", "no background hash"),
        Figure("screen change p99 (hash in background)", "limit", 50.0, "ms", "no background hash"),
        Figure("screen change to a new screen, p50 (hash in background)", "info", 0, "ms", "no background hash"),
        Figure("screen built on the spot (first visit), median", "info", 0, "ms", ""),
        Figure("longest gen-2 GC pause (keys run)", "info", 0, "ms", ""),
        Figure("bulk issue", "ratio", 1.15, "s", "N × hash ÷ cores"),
        Figure("bulk issue vs a bare thread pool", "info", 0, "s", "bare pool, same run"),
        Figure("SIECLE import (zip → preview → import)", "ratio", 1.15, "s", "N × hash ÷ cores"),
        Figure("SIECLE import vs a bare thread pool", "info", 0, "s", "bare pool, same run"),
        Figure("SIECLE import: reading the export (read_pupils)", "info", 0, "ms", ""),
        Figure("SIECLE import: preview_class_list", "info", 0, "ms", ""),
        Figure("sync preview (already imported)", "limit", 2000.0, "ms", "read_pupils, same run"),
        Figure("sync preview ÷ reading its export", "info", 0, "ms", "read_pupils, same run"),
        Figure("sync preview: calls to hash or verify", "zero", 0, ""),
        Figure("PDF letters: time", "limit", 10.0, "s", "small run, scaled"),
        Figure("PDF letters: memory growth", "ratio", 1.25, "MiB", "growth at the small size"),
        *(figure for backend in ("sqlite", "postgresql") for figure in (
            Figure(f"kiosks {backend}, lab-paced: p95", "ratio", 2.0, "ms", "1 process, paced"),
            Figure(f"kiosks {backend}: errors+lost (both modes)", "zero", 0, ""),
            Figure(f"kiosks {backend}, lab-paced: p95 outside argon2", "info", 0, "ms", "1 process, paced"),
            Figure(f"kiosks {backend}, saturated: p95", "info", 0, "ms", "1 process"),
            Figure(f"kiosks {backend}, saturated: p95 outside argon2", "info", 0, "ms", "1 process"),
            Figure(f"kiosks {backend}, saturated: paths/s", "info", 0, "paths/s", "1 process"),
        )),
        Figure("resident memory after a student path", "ratio", 2.0, "MiB", "minimal Textual app"),
        Figure("browser: page opened → accueil received", "ratio", 2.0, "ms", "terminal start-up"),
        Figure("browser: keystroke echo p50 (loopback)", "limit", 16.0, "ms", ""),
        Figure("browser: keystroke echo p99 (loopback)", "limit", 50.0, "ms", ""),
        Figure("browser: memory per open tab", "info", 0, "MiB", ""),
        Figure("browser: 30 tabs open at once, in all", "info", 0, "MiB", ""),
    ]
    keys = ["startup", "login", "keys p50", "keys p99", "screens p50", "screens p99", "screens push",
            "screens built", "gc pause", "bulk",
            "bulk pool", "siecle", "siecle pool", "siecle read", "siecle preview", "sync", "sync ratio", "sync hashes",
            "letters time", "letters memory",
            *KIOSK_KEYS, "memory", "serve page", "serve keys p50", "serve keys p99", "serve tab memory", "serve 30 tabs"]
    return dict(zip(keys, rows, strict=True))


OWNED = {
    "startup": ["startup"],
    "login": ["login"],
    "keys": ["keys p50", "keys p99", "screens p50", "screens p99", "screens push", "screens built", "gc pause"],
    "bulk": ["bulk", "bulk pool"],
    "siecle": ["siecle", "siecle pool", "siecle read", "siecle preview"],
    "sync": ["sync", "sync ratio", "sync hashes"],
    "letters": ["letters time", "letters memory"],
    "kiosks": KIOSK_KEYS,
    "memory": ["memory"],
    "serve": ["serve page", "serve keys p50", "serve keys p99", "serve tab memory", "serve 30 tabs"],
}


def runner(name: str) -> Callable[..., None]:
    if name == "startup":
        from .startup import measure
    elif name == "login":
        from .ui import measure_login as measure
    elif name == "keys":
        from .ui import measure_keys as measure
    elif name == "bulk":
        from .bulk import measure
    elif name == "siecle":
        from .siecle import measure_import as measure
    elif name == "sync":
        from .siecle import measure_sync as measure
    elif name == "letters":
        from .letters import measure
    elif name == "kiosks":
        from .kiosks import measure
    elif name == "serve":
        from .serve import measure
    else:
        from .memory import measure
    return measure


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Every benchmark of issues #6 and #14 against its limit, each with its reference measured in the "
                    "same run; one table of medians (see bench/README.md).")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these benchmarks (comma-separated or repeated): {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, metavar="N",
                        help="runs of each benchmark; the table shows medians and [min–max] (default 5, --quick 1)")
    parser.add_argument("--quick", action="store_true", help="a tiny size of each benchmark: a smoke run, < 60 s")
    parser.add_argument("--pg", metavar="URL", default=os.environ.get("ENTKIOSK_BENCH_PG_URL"),
                        help="PostgreSQL server for the many-kiosks figure (a database bench_* is created "
                             "and dropped); default $ENTKIOSK_BENCH_PG_URL; without it that half is skipped")
    parser.add_argument("--kiosks", type=int, metavar="N",
                        help="kiosk processes of the many-kiosks figure (default 20, --quick 3)")
    parser.add_argument("--kiosks-mode", choices=("both", "paced", "saturated"), default="both",
                        help="many kiosks: the lab-paced figure (judged), the saturated one (information), or both")
    parser.add_argument("--kiosks-students", type=int, metavar="S",
                        help="students per kiosk of the lab-paced figure, in turn (default 1)")
    parser.add_argument("--kiosks-pace", metavar="KEYS/S,READING,WINDOW",
                        help="the lab-paced figure's pace: keys per second, seconds to read a screen, seconds "
                             "over which the class starts (default 5,1,10; --quick 100,0.05,0.5)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also save every raw number to FILE")
    args = parser.parse_args(argv)
    chosen = [n.strip() for item in (args.only or []) for n in item.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: choose among {', '.join(BENCHMARKS)}")
    args.only = [n for n in BENCHMARKS if n in chosen]  # the start-up forks: it goes first, before any thread
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.kiosks_pace:
        from .kiosks import parse_pace

        try:
            args.kiosks_pace = parse_pace(args.kiosks_pace)
        except ValueError as exc:
            parser.error(f"--kiosks-pace: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    table = figures()
    details: dict = {}
    failed: list[str] = []
    began = time.perf_counter()
    print(f"entkiosk benchmarks: {', '.join(args.only)} — {args.runs} run(s)"
          f"{' (quick sizes)' if args.quick else ''}"
          f"{'' if args.pg or 'kiosks' not in args.only else ' — no --pg: PostgreSQL half skipped'}",
          flush=True)
    for name in args.only:
        started = time.perf_counter()
        print(f"  {name} …", end="", flush=True)
        try:
            measure = runner(name)
            if name == "kiosks":
                modes = ("paced", "saturated") if args.kiosks_mode == "both" else (args.kiosks_mode,)
                measure(args.runs, table, details, quick=args.quick, pg=args.pg, processes=args.kiosks,
                        pace=args.kiosks_pace, paced_students=args.kiosks_students, modes=modes)
            else:
                measure(args.runs, table, details, quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed.append(name)
            details.setdefault("failures", {})[name] = traceback.format_exc()
            for key in OWNED[name]:
                table[key].skipped = table[key].skipped or f"{type(exc).__name__}: {exc}"[:120]
            print(f" failed ({type(exc).__name__}: {str(exc)[:200]})", flush=True)
            continue
        print(f" {time.perf_counter() - started:.0f} s", flush=True)
    shown = [table[key] for name in args.only for key in OWNED[name]]
    print()
    print(render_table(shown, args.runs))
    print(f"\n{time.perf_counter() - began:.0f} s in all")
    if args.json:
        write_json(args.json, shown, details,
                   {"only": args.only, "runs": args.runs, "quick": args.quick, "pg": bool(args.pg)})
        print(f"raw numbers: {args.json}")
    for name in failed:
        print(f"\n{name} failed:\n{details['failures'][name]}", file=sys.stderr)
    return 2 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
