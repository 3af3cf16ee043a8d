"""Bulk issue: ``import_class_list`` of a whole school on a fresh SQLite file.

Measured: the whole call (check of the rows already on file, provisional passwords,
hashes on every core, the transaction that creates the accounts, the commit).
Reference: N × one ``hasher.hash`` (median of 20, same run) ÷ ``os.cpu_count()`` —
the time the hashes alone would take on every core. The time spent in
``_hash_many`` is recorded too, so the details tell the hashes from the rest, and so is
the speed-up a bare thread pool gets from the cores (``bare_pool_speedup``): what the
machine allows, apart from anything the service does.
"""

from __future__ import annotations

import os
import time

from .report import Figure
from .support import hash_time, make_settings, school, scratch


def issue(n: int) -> dict:
    from entkiosk.runtime import open_service

    with scratch("bulk") as folder:
        service = open_service(make_settings(folder))
        one_hash = hash_time(service.hasher, samples=20)
        pool = pool_hash_time(service.hasher, 50 * (os.cpu_count() or 1))
        rows = school(n)
        hashing: list[float] = []
        hash_many = service._hash_many

        def timed_hash_many(*args, **kwargs):
            started = time.perf_counter()
            try:
                return hash_many(*args, **kwargs)
            finally:
                hashing.append(time.perf_counter() - started)

        service._hash_many = timed_hash_many
        started = time.perf_counter()
        letters = service.import_class_list(rows, actor="bench")
        total = time.perf_counter() - started
        service.engine.dispose()
    if len(letters) != n:
        raise RuntimeError(f"{len(letters)} letters for {n} students")
    cpus = os.cpu_count() or 1
    count, pool_s = pool
    speedup = count * one_hash / pool_s
    return {"students": n, "total_s": total, "one_hash_ms": one_hash * 1000, "cpu_count": cpus,
            "reference_s": one_hash * n / cpus, "hash_many_s": sum(hashing), "rest_s": total - sum(hashing),
            "bare_pool_speedup": speedup, "bare_pool_estimate_s": one_hash * n / speedup}


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
