"""Resident memory of the kiosk after a full student path, against a minimal Textual app.

Each side runs in a fresh subprocess (``python -m bench.memory kiosk|minimal``) driving
its app with ``run_test`` at 80×24 (headless, as the pilot tests do):

* kiosk: the real app from ``make_app`` on an SQLite file, through the whole student
  path (:func:`bench.ui.full_path`), then its VmRSS while it still runs;
* minimal: an App with one Label « Bonjour » (and the two Inputs of the start-up
  reference), its VmRSS once the label is shown.

Both read /proc/self/status after ``gc.collect()``. The start-up figure also records
the VmRSS of both, run for real in a terminal, at their first paint (details).
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from pathlib import Path

from .report import Figure
from .support import rss_kib


async def _kiosk() -> dict:
    from entkiosk.ui.app import make_app

    from .support import scratch
    from .ui import SIZE, full_path, open_kiosk, settle

    with scratch("memory") as folder:
        settings, service, letters = open_kiosk(folder)
        letter = letters[0]
        before = rss_kib()
        app = make_app(settings, service, state_path=folder / "state.json")
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            at_accueil = rss_kib()
            await full_path(app, pilot, letter, settings.outbox_path(), email=f"{letter.identifier}@example.org")
            await settle(app, pilot)
            gc.collect()
            after = rss_kib()
        service.engine.dispose()
    return {"rss_kib": after, "before_app_kib": before, "at_accueil_kib": at_accueil}


async def _minimal() -> dict:
    from textual.app import App, ComposeResult
    from textual.widgets import Input, Label

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("Bonjour", id="hello")
            yield Input(placeholder="un")
            yield Input(placeholder="deux")

    app = Minimal()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = "Bonjour" in " ".join(strip.text for strip in app.screen._compositor.render_strips())
        gc.collect()
        rss = rss_kib()
    if not shown:
        raise RuntimeError("the minimal app did not show « Bonjour »")
    return {"rss_kib": rss}


def run_child(which: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.memory", which], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"bench.memory {which} failed: {done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    fig = figures["memory"]
    per_run = details.setdefault("memory", [])
    for i in range(runs):
        order = ["kiosk", "minimal"] if i % 2 == 0 else ["minimal", "kiosk"]
        got = {which: run_child(which) for which in order}
        fig.add(got["kiosk"]["rss_kib"] / 1024, got["minimal"]["rss_kib"] / 1024)
        per_run.append(got)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "kiosk"
    print(json.dumps(asyncio.run(_kiosk() if which == "kiosk" else _minimal())))
