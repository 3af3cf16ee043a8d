"""Bulk issue: ``import_class_list`` of a whole school on a fresh SQLite file.

Measured: the whole call (check of the rows already on file, provisional passwords,
hashes on every core, the transaction that creates the accounts, the commit).
Reference: N × one ``hasher.hash`` (median of 20, same run) ÷ ``os.cpu_count()`` —
the time the hashes alone would take on every core. The time spent in
``service.core.hash_many`` (where ``import_class_list`` hashes) is recorded too, so the
details tell the hashes from the rest, and so is the speed-up a bare thread pool gets
from the cores (``bare_pool_speedup``): what the machine allows, apart from anything
the service does.
"""

from __future__ import annotations

import os
import time

from .report import Figure
from .support import (
    TimedHashMany,
    hash_time,
    make_settings,
    pool_hash_time,
    school,
    scratch,
)


def issue(n: int) -> dict:
    from entkiosk.runtime import open_service

    with scratch("bulk") as folder:
        service = open_service(make_settings(folder))
        one_hash = hash_time(service.hasher, samples=20)
        pool = pool_hash_time(service.hasher, 50 * (os.cpu_count() or 1))
        rows = school(n)
        hashing = TimedHashMany(service.core)  # import_class_list hashes through core.hash_many
        try:
            started = time.perf_counter()
            letters = service.import_class_list(rows, actor="cli:bench")
            total = time.perf_counter() - started
        finally:
            hashing.restore()
            service.engine.dispose()
    if len(letters) != n:
        raise RuntimeError(f"{len(letters)} letters for {n} students")
    if len(hashing.calls) != 1:  # never again a silent 0 if the service's hashing door moves
        raise RuntimeError(f"core.hash_many called {len(hashing.calls)} times for one import")
    cpus = os.cpu_count() or 1
    count, pool_s = pool
    speedup = count * one_hash / pool_s
    return {"students": n, "total_s": total, "one_hash_ms": one_hash * 1000, "cpu_count": cpus,
            "reference_s": one_hash * n / cpus, "hash_many_s": sum(hashing.calls),
            "rest_s": total - sum(hashing.calls),
            "bare_pool_speedup": speedup, "bare_pool_estimate_s": one_hash * n / speedup}


def measure(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    n = 100 if quick else 2000
    fig = figures["bulk"]
    fig.name = f"bulk issue {n:,} accounts"
    per_run = details.setdefault("bulk", [])
    for _ in range(runs):
        got = issue(n)
        fig.add(got["total_s"], got["reference_s"])
        figures["bulk pool"].add(got["total_s"], got["bare_pool_estimate_s"])
        per_run.append(got)
