"""The kiosk in a browser (issue #17): ``entkiosk serve`` against the terminal, side by side.

- **page → usable accueil**: headless Chromium (Debian's, through Selenium and
  chromedriver) navigates to the served page; from just before the navigation until the
  page has received the accueil's « Se connecter » (its websocket frames, read from the
  browser's performance log, polled every 5 ms). Reference in the same run: the terminal
  start-up of :mod:`bench.startup` (the real ``entkiosk`` in an 80×24 pty until « Se
  connecter » is painted). Target ≤ 2×.
- **keystroke echo p50 / p99 in the browser**: letters typed into the login's identifier
  field, one at a time, through the DevTools protocol; for each, from the browser sending
  the key on its websocket to the browser receiving the next frame, both timestamps the
  browser's own (so the test driver's overhead is not counted). Loopback. Target ≤ 16 / 50 ms.
- **memory per open tab**: the resident memory of each tab's kiosk process (its shell
  wrapper included) once its accueil is shown, and what 30 tabs open at once cost together
  (median per tab, and the total; information).
"""

from __future__ import annotations

import asyncio
import base64
import json

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from .report import Figure
from .startup import prepare, run_in_pty
from .support import percentile, scratch

TABS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "entkiosk"), "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=folder)
    server.stdout.readline()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("entkiosk serve never listened") from None
            time.sleep(0.05)


def _kiosk_pids(server_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [server_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _Page:
    """One headless Chromium window and the frames its websocket received and sent."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1024,768",
                         "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                                       options=options)
        self.events: list[dict] = []

    def read(self) -> list[dict]:
        fresh = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method", "").startswith("Network.webSocketFrame"):
                fresh.append(message)
        self.events += fresh
        return fresh

    def text(self, skip: frozenset = frozenset()) -> str:
        """What the page received, but on the websockets of ``skip`` (an earlier page's)."""
        out = []
        for message in self.events:
            if message["method"] != "Network.webSocketFrameReceived" or message["params"]["requestId"] in skip:
                continue
            response = message["params"]["response"]
            data = response["payloadData"]
            out.append(base64.b64decode(data).decode("utf-8", "replace") if response.get("opcode") == 2 else data)
        return "".join(out)

    def open_until(self, url: str, word: str, timeout: float = 60.0) -> float:
        """Seconds from just before navigating to the first read that shows ``word``."""
        self.read()
        earlier = frozenset(m["params"]["requestId"] for m in self.events)
        self.events = []
        began = time.perf_counter()
        self.driver.get(url)
        while word not in self.text(earlier):
            self.read()
            if time.perf_counter() - began > timeout:
                raise RuntimeError(f"« {word} » never reached the page")
            time.sleep(0.005)
        return time.perf_counter() - began

    def wait_for(self, word: str, timeout: float = 60.0) -> None:
        began = time.monotonic()
        while word not in self.text():
            self.read()
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"« {word} » never reached the page")
            time.sleep(0.01)

    def focus(self) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.ID, "terminal").click()

    def key(self, text: str) -> None:
        """One key as the keyboard sends it (Enter and Tab by their codes, a letter as text)."""
        named = {"\r": ("Enter", 13), "\t": ("Tab", 9)}
        if text in named:
            key, code = named[text]
            down = {"type": "rawKeyDown", "key": key, "code": key, "windowsVirtualKeyCode": code}
            up = {"type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code}
            self.driver.execute_cdp_cmd("Input.dispatchKeyEvent", down)
            if text == "\r":
                self.driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "char", "text": "\r"})
            self.driver.execute_cdp_cmd("Input.dispatchKeyEvent", up)
            return
        self.driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "keyDown", "text": text, "key": text})
        self.driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "keyUp", "key": text})

    def echoes(self, letters: str) -> list[float]:
        """For each letter typed: ms from the page sending it to the page receiving a frame."""
        found = []
        for letter in letters:
            self.events = []
            self.read()
            self.key(letter)
            deadline = time.monotonic() + 10
            sent = received = None
            while received is None and time.monotonic() < deadline:
                for message in self.read():
                    stamp = message["params"]["timestamp"]
                    if message["method"] == "Network.webSocketFrameSent" and sent is None and \
                            "stdin" in message["params"]["response"]["payloadData"]:
                        sent = stamp
                    elif message["method"] == "Network.webSocketFrameReceived" and sent is not None:
                        received = stamp
                        break
                time.sleep(0.002)
            if sent is not None and received is not None:
                found.append((received - sent) * 1000)
            time.sleep(0.15)  # a pupil's pace: each key is answered before the next
        return found

    def close(self) -> None:
        self.driver.quit()


async def _open_tabs(port: int, count: int) -> list:
    import aiohttp

    session = aiohttp.ClientSession()
    sockets = [await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") for _ in range(count)]

    async def accueil(ws) -> None:
        seen = b""
        while b"Se connecter" not in seen:
            message = await ws.receive()
            data = message.data
            seen += data if isinstance(data, bytes) else str(data).encode()

    await asyncio.wait_for(asyncio.gather(*(accueil(ws) for ws in sockets)), timeout=300)
    return [session, *sockets]


def measure(runs: int, figures: dict[str, Figure], details: dict, *, quick: bool = False) -> None:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        for key in ("serve page", "serve keys p50", "serve keys p99", "serve tab memory", "serve 30 tabs"):
            figures[key].skipped = "no Chromium: bash .ci/install-chromium"
        return
    per_run = details.setdefault("serve", [])
    tabs = 5 if quick else TABS
    with scratch("serve") as folder:
        env, kiosk, _minimal = prepare(folder)
        env = {k: v for k, v in env.items() if k != "COLUMNS" and k != "LINES"}
        server, port = _serve(folder, env)
        page = _Page()
        try:
            url = f"http://127.0.0.1:{port}/"
            page.open_until(url, "Se connecter")  # warm-up: page cache, browser, bytecode
            run_in_pty(kiosk, prepare_env(env), "Se connecter")
            for i in range(runs):
                order = ["browser", "terminal"] if i % 2 == 0 else ["terminal", "browser"]
                got: dict[str, float] = {}
                for which in order:
                    if which == "browser":
                        got[which] = page.open_until(url, "Se connecter") * 1000
                    else:
                        result = run_in_pty(kiosk, prepare_env(env), "Se connecter")
                        got[which] = result.startup * 1000
                figures["serve page"].add(got["browser"], got["terminal"])
                # The login's identifier field: Entrée, Tab, Entrée from the accueil.
                page.focus()
                for key in ("\r", "\t", "\r"):
                    page.key(key)
                    time.sleep(0.4)
                page.wait_for("authentification")
                echoes = page.echoes("abcdefghijklmnopqrstuvwxyz"[: 10 if quick else 26])
                figures["serve keys p50"].add(percentile(echoes, 50))
                figures["serve keys p99"].add(percentile(echoes, 99))
                per_run.append({"page_ms": got["browser"], "terminal_ms": got["terminal"], "echo_ms": echoes})
            page.close()
            before = set(_kiosk_pids(server.pid))
            loop = asyncio.new_event_loop()
            opened = loop.run_until_complete(_open_tabs(port, tabs))
            time.sleep(1.0)
            pids = [p for p in _kiosk_pids(server.pid) if p not in before]
            total = sum(_rss_kib(p) for p in pids) / 1024
            figures["serve tab memory"].add(total / tabs)
            figures["serve 30 tabs"].add(total * TABS / tabs)
            figures["serve 30 tabs"].note = f"{tabs} tabs measured" if tabs != TABS else ""
            details["serve_tabs"] = {"tabs": tabs, "processes": len(pids), "total_mib": total}

            async def close_all() -> None:
                for ws in opened[1:]:
                    await ws.close()
                await opened[0].close()

            loop.run_until_complete(close_all())
            loop.close()
        finally:
            try:
                page.close()
            except Exception:  # noqa: BLE001 - already closed
                pass
            server.terminate()
            server.wait(timeout=60)


def prepare_env(env: dict[str, str]) -> dict[str, str]:
    """The pty run's environment: the terminal's size, as :mod:`bench.startup` sets it."""
    return dict(env, COLUMNS="80", LINES="24")



