"""The real installed ``entkiosk`` in a pseudo-terminal, read through a terminal emulator.

A test types keys into the pty as a person at the keyboard would and reads the 80×24
screen that pyte (a VT100/xterm emulator) rebuilds from what the kiosk wrote: the words a
student sees, where the student sees them, not the widgets behind them.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyte

KEYS = {
    "enter": "\r",
    "tab": "\t",
    "shift+tab": "\x1b[Z",
    "escape": "\x1b",
    "space": " ",
    "backspace": "\x7f",
    "down": "\x1b[B",
    "up": "\x1b[A",
    "f2": "\x1bOQ",
}


def installed_command() -> Path:
    """The console script pip installed beside this interpreter (``.venv/bin/entkiosk``)."""
    script = Path(sys.executable).parent / "entkiosk"
    assert script.exists(), f"{script} is missing: pip install -e . in this environment"
    return script


def newcomer_env(home: Path) -> dict[str, str]:
    """A newcomer's environment: an empty home folder, the XDG folders under it, no
    ``ENTKIOSK_CONFIG``, nothing of the test run's own settings."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".local" / "state"),
               XDG_CACHE_HOME=str(home / ".cache"), TMPDIR=str(home / "tmp"), TERM="xterm-256color",
               LANG=env.get("LANG") or "C.UTF-8", PYTHONUTF8="1")
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return env


class Terminal:
    """``argv`` running in an 80×24 pty, its output fed to a pyte screen."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cwd: Path, size: tuple[int, int] = (80, 24)) -> None:
        columns, lines = size
        self.screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        self.raw = bytearray()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.master = master
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: the program closed the terminal
                return
            if not data:
                return
            with self._lock:
                self.raw += data
                self._stream.feed(data)

    # ------------------------------------------------------------ reading

    def text(self) -> str:
        """The screen as a person reads it: 24 lines of 80 columns, trailing blanks cut."""
        with self._lock:
            return "\n".join(line.rstrip() for line in self.screen.display)

    def flat(self) -> str:
        """The screen's words on one line (a sentence wrapped over two lines reads whole)."""
        return re.sub(r"\s+", " ", self.text())

    def wait_for(self, *words: str, timeout: float = 30.0, absent: tuple[str, ...] = ()) -> str:
        """Wait until every one of ``words`` is on screen (and none of ``absent``); the screen."""
        return self.wait_until(lambda flat: all(w in flat for w in words) and not any(a in flat for a in absent),
                               f"{words} (without {absent})", timeout=timeout)

    def wait_until(self, test: Callable[[str], bool], what: str, *, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        ended_at: float | None = None
        while True:
            flat = self.flat()
            if test(flat):
                # A screen is painted in more than one write: let this one finish.
                time.sleep(0.15)
                return self.text()
            if ended_at is None and self.process.poll() is not None:
                ended_at = time.monotonic()  # what it wrote last may still be in the pty
            if ended_at is not None and time.monotonic() > ended_at + 1:
                raise AssertionError(f"the program ended (code {self.process.returncode}) while waiting for "
                                     f"{what}; last screen:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"never on screen within {timeout:.0f} s: {what}; last screen:\n{self.text()}")
            time.sleep(0.05)

    # ------------------------------------------------------------ typing

    def type(self, text: str) -> None:
        """Characters as typed on the keyboard, one write each."""
        for char in text:
            os.write(self.master, char.encode("utf-8"))
            time.sleep(0.005)

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS[key].encode("ascii"))
            # Escape alone is told from the start of a sequence by a pause after it.
            time.sleep(0.25 if key == "escape" else 0.05)

    def resize(self, columns: int, lines: int) -> None:
        with self._lock:
            self.screen.resize(lines, columns)
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        os.killpg(self.process.pid, signal.SIGWINCH)

    # ------------------------------------------------------------ ending

    def close(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; the exit code."""
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        os.close(self.master)
        self._reader.join(timeout=5)
        return self.process.returncode

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_installed(conf: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``entkiosk ARGS`` through the installed console script, as staff run it: on ``conf``,
    its data folder under ``cwd``; never a traceback, whatever the outcome."""
    env = dict(os.environ, ENTKIOSK_CONFIG=str(conf), XDG_DATA_HOME=str(cwd / "xdg-data"), PYTHONUTF8="1")
    env.pop("ENTKIOSK_DEBUG", None)
    proc = subprocess.run([str(installed_command()), *args], capture_output=True, text=True, encoding="utf-8",
                          env=env, cwd=cwd, timeout=180, check=False)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc
