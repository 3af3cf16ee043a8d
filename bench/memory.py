"""Resident memory of the kiosk after a full student path, against a minimal Textual app.

Each side runs in a fresh subprocess (``python -m bench.memory kiosk|minimal``) driving
its app with ``run_test`` at 80×24 (headless, as the pilot tests do):

* kiosk: the real app from ``make_app`` on an SQLite file whose schema and letter another
  process prepared (a kiosk starts every morning on its database), its service built
  after the first paint and ``gc.freeze`` after start as ``run_kiosk`` does, through the
  whole student path (:func:`bench.ui.full_path`), then its VmRSS while it still runs;
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


def _prepare(folder: str) -> dict:
    """The database a kiosk starts on: schema created and one student's letter issued, by
    another process (as ``entkiosk db upgrade`` and ``entkiosk import`` are), so that
    the measured kiosk loads neither Alembic nor the bulk import's hashing pool."""
    import pickle

    from .ui import open_kiosk

    _settings, service, letters = open_kiosk(Path(folder))
    service.engine.dispose()
    (Path(folder) / "letter.pickle").write_bytes(pickle.dumps(letters[0]))
    return {}


async def _kiosk() -> dict:
    import pickle

    from entkiosk.runtime import open_service
    from entkiosk.ui.app import make_app

    from .support import make_settings, scratch
    from .ui import SIZE, full_path, settle

    with scratch("memory") as folder:
        run_child("prepare", str(folder))
        letter = pickle.loads((folder / "letter.pickle").read_bytes())
        settings = make_settings(folder)
        before = rss_kib()
        services = []

        def service():  # what run_kiosk passes: built in a worker once the accueil is painted
            services.append(open_service(settings, mail_after_answer=True))
            return services[0]

        app = make_app(settings, service, state_path=folder / "state.json")
        app.freeze_after_start = True  # as run_kiosk sets it
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            at_accueil = rss_kib()
            await full_path(app, pilot, letter, settings.outbox_path(), email=f"{letter.identifier}@example.org")
            await settle(app, pilot)
            gc.collect()
            after = rss_kib()
            modules = len(sys.modules)
        services[0].engine.dispose()
    return {"rss_kib": after, "before_app_kib": before, "at_accueil_kib": at_accueil, "modules": modules}


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


def run_child(which: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.memory", which, *args], check=False, capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent, timeout=600)
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
    if which == "prepare":
        print(json.dumps(_prepare(sys.argv[2])))
    else:
        print(json.dumps(asyncio.run(_kiosk() if which == "kiosk" else _minimal())))
