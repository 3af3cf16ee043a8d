"""Start-up: from exec until the accueil is painted and answers a key, in a real terminal.

The real ``entkiosk`` console script runs in a pseudo-terminal of 80×24
(TERM=xterm-256color) on a throw-away SQLite configuration. The clock starts just
before ``fork``; the accueil counts as painted once « Se connecter » has appeared in
the output and the output has then stayed quiet for :data:`QUIET` (the paint is over:
Textual repaints the first screen several times and the footer after it); the time
of the last byte of that paint is kept, not the quiet wait. Then Tab is sent and the
first byte of output that follows is the answer. The figure is

    start-up = (last byte of the first paint) + (answer to Tab − Tab sent)

The reference is a minimal Textual app (a Label « Bonjour » and two Inputs, so that
Tab moves the focus and repaints) started the same way, with the same interpreter.
The two are measured alternately, run by run, so that they share the noise.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

from .report import Figure
from .support import rss_kib, scratch, write_config

#: Silence that ends a paint. Longer than any gap between the chunks of Textual's
#: first frames (15–25 ms here), short enough to keep a run quick.
QUIET = 0.25
TIMEOUT = 30.0
SIZE = (24, 80)

MINIMAL_APP = '''\
"""The reference: the smallest Textual app that paints a word and answers Tab."""
from textual.app import App, ComposeResult
from textual.widgets import Input, Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("Bonjour")
        yield Input(placeholder="un", id="one")
        yield Input(placeholder="deux", id="two")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False  # no repaint that a key did not cause


if __name__ == "__main__":
    Minimal().run()
'''

_CONTROL = re.compile(rb"\x1b\[[0-9;?>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def plain_text(data: bytes) -> str:
    """Terminal output without its control sequences (for finding words)."""
    return _CONTROL.sub(b"", data).decode("utf-8", "replace")


@dataclass
class PtyRun:
    """One start in a pseudo-terminal; seconds from just before fork."""

    marker_seen: float | None = None
    painted: float = float("nan")
    key_sent: float = float("nan")
    answered: float = float("nan")
    rss_kib: int = 0
    chunks: int = 0
    painted_bytes: int = 0
    error: str = ""
    output: bytes = field(default=b"", repr=False)

    @property
    def startup(self) -> float:
        return self.painted + (self.answered - self.key_sent)


def run_in_pty(argv: list[str], env: dict[str, str], marker: str, *, key: bytes = b"\t") -> PtyRun:
    """Start ``argv`` in an 80×24 pty; time the first paint showing ``marker`` and the answer to ``key``."""
    result = PtyRun()
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[0], SIZE[1], 0, 0))
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: a session of its own whose controlling terminal is the pty
        try:
            os.setsid()
            os.close(master)
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            if slave > 2:
                os.close(slave)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(slave)
    wanted = marker.encode("utf-8")
    buffer = bytearray()
    last_byte = 0.0
    try:
        deadline = started + TIMEOUT
        # 1. The first paint: the marker, then quiet.
        while True:
            now = time.perf_counter()
            if now > deadline:
                result.error = f"« {marker} » never painted within {TIMEOUT:.0f} s"
                return result
            waiting = 0.5 if result.marker_seen is None else QUIET
            ready, _, _ = select.select([master], [], [], waiting)
            if not ready:
                if result.marker_seen is not None:
                    result.painted = last_byte - started
                    break
                continue
            data = _read(master)
            if not data:
                result.error = "the program ended before painting"
                return result
            last_byte = time.perf_counter()
            result.chunks += 1
            buffer += data
            if result.marker_seen is None and (wanted in buffer or marker in plain_text(bytes(buffer))):
                result.marker_seen = last_byte - started
        try:
            result.rss_kib = rss_kib(pid)
        except (OSError, RuntimeError):
            pass
        # 2. A key: the first output after it is the answer.
        result.painted_bytes = len(buffer)
        sent = time.perf_counter()
        os.write(master, key)
        result.key_sent = sent - started
        ready, _, _ = select.select([master], [], [], 5.0)
        if not ready:
            result.error = "no repaint within 5 s after Tab"
            return result
        result.answered = time.perf_counter() - started
        buffer += _read(master)
        return result
    finally:
        result.output = bytes(buffer)
        _stop(pid)
        os.close(master)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except OSError:  # EIO: the child closed the terminal
        return b""


def _stop(pid: int) -> None:
    """SIGTERM, then SIGKILL if it lingers; always reaped."""
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        end = time.monotonic() + wait
        while time.monotonic() < end:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
            time.sleep(0.01)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "ENTKIOSK"))}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", LANG=env.get("LANG", "C.UTF-8"),
               ENTKIOSK_CONFIG=str(folder / "kiosk.conf"), XDG_DATA_HOME=str(folder / "data"),
               # Bytecode cached as in an installed package (the warm-up run writes it), in
               # the scratch folder: an editable checkout with PYTHONDONTWRITEBYTECODE=1
               # would otherwise compile entkiosk's modules at every start (≈ 40 ms here).
               PYTHONPYCACHEPREFIX=str(folder / "pycache"))
    for name in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def entkiosk_command() -> list[str]:
    """The console script installed next to this interpreter (.venv/bin/entkiosk)."""
    script = Path(sys.executable).parent / "entkiosk"
    if not script.exists():
        raise FileNotFoundError(f"{script} is missing: pip install -e . in this environment")
    return [str(script)]


def prepare(folder: Path) -> tuple[dict[str, str], list[str], list[str]]:
    """Config, schema and the minimal app's script in ``folder``: (env, kiosk argv, minimal argv)."""
    import subprocess

    write_config(folder)
    env = _environment(folder)
    kiosk = entkiosk_command()
    # The schema exists before the measured starts: a kiosk starts every morning on its database.
    subprocess.run([*kiosk, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    script = folder / "minimal_app.py"
    script.write_text(MINIMAL_APP, encoding="utf-8")
    return env, kiosk, [sys.executable, str(script)]


def measure(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    fig = figures["startup"]
    per_run = details.setdefault("startup", [])
    with scratch("startup") as folder:
        env, kiosk, minimal = prepare(folder)
        # Warm the page cache once for both (not measured): every measured run then starts warm.
        run_in_pty(kiosk, env, "Se connecter")
        run_in_pty(minimal, env, "Bonjour")
        for i in range(runs):
            order = [("kiosk", kiosk, "Se connecter"), ("minimal", minimal, "Bonjour")]
            if i % 2:
                order.reverse()
            got: dict[str, PtyRun] = {}
            for name, argv, marker in order:
                got[name] = run_in_pty(argv, env, marker)
            problems = [f"{name}: {r.error}" for name, r in got.items() if r.error]
            if problems:
                fig.note = "; ".join(problems)
                per_run.append({name: vars(r) | {"output": r.output[-400:].decode("utf-8", "replace")}
                                for name, r in got.items()})
                continue
            k, m = got["kiosk"], got["minimal"]
            fig.add(k.startup * 1000, m.startup * 1000)
            per_run.append({name: {"marker_ms": r.marker_seen * 1000, "painted_ms": r.painted * 1000,
                                   "key_answer_ms": (r.answered - r.key_sent) * 1000,
                                   "startup_ms": r.startup * 1000, "rss_kib": r.rss_kib, "chunks": r.chunks}
                            for name, r in got.items()})
    rss = [(r["kiosk"]["rss_kib"], r["minimal"]["rss_kib"]) for r in per_run if "kiosk" in r and "rss_kib" in r["kiosk"]]
    if rss:
        details["startup_rss_at_first_paint_kib"] = rss
