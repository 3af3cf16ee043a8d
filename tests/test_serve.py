"""« entkiosk serve » (issue 17, first part): the installed command serves the kiosk with
textual-serve; each browser tab (here a websocket client speaking textual-serve's protocol)
gets its own kiosk process on the configured database, recorded in the audit as the serving
instance plus the tab; a tab that closes logs its session out and its process ends; the
server refuses a port in use or an address the machine does not have, in French."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from conftest import make_settings, student
from sqlalchemy import select
from test_cli import write_conf

from entkiosk.domain.errors import AuthenticationFailed
from entkiosk.runtime import open_service
from entkiosk.store.models import AuditEvent, Session

ENTKIOSK = Path(sys.executable).parent / "entkiosk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kiosk_processes(server_pid: int) -> list[int]:
    """The kiosk processes started by the server (its descendants running ``entkiosk.cli``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [server_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            # The kiosk itself, not the shell textual-serve starts it with.
            if b"entkiosk.cli" in cmdline and b"serve" not in cmdline and not cmdline.startswith(b"/bin/sh"):
                found.append(child)
    return found


async def no_kiosk_left(server_pid: int, timeout: float = 30) -> None:
    """Every tab's kiosk process has ended (waiting up to ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while kiosk_processes(server_pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert kiosk_processes(server_pid) == []


class Tab:
    """A browser tab as textual-serve sees it: a websocket, keys in, the terminal's bytes out."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen = b""

    async def wait_for(self, word: str, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while word.encode() not in self.seen:
                message = await self.ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise AssertionError(f"the tab closed before « {word} »")
                data = message.data
                self.seen += data if isinstance(data, bytes) else str(data).encode()

    async def type(self, text: str) -> None:
        await self.ws.send_json(["stdin", text])


@pytest.fixture
def served(tmp_path: Path):
    """``entkiosk serve`` on a free loopback port, on an SQLite file with one pupil."""
    db_url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    service = open_service(make_settings(db_url, tmp_path))
    [letter] = service.import_class_list([student()], actor="cli:seed")
    service.engine.dispose()
    port = free_port()
    env = dict(os.environ, ENTKIOSK_CONFIG=str(conf), XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    server = subprocess.Popen([str(ENTKIOSK), "serve", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    line = server.stdout.readline()
    assert line.startswith(f"Kiosque servi à l'adresse http://127.0.0.1:{port}"), line + server.stderr.read()
    # The line is printed as the server starts, an instant before it listens.
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the server never listened"
            time.sleep(0.05)
    yield port, server, db_url, letter
    server.terminate()
    server.wait(timeout=30)


async def test_each_tab_is_its_own_kiosk_and_ends_with_its_tab(served, tmp_path: Path) -> None:
    port, server, db_url, letter = served
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200
            html = await page.text()
        assert "<title>Lycée de démonstration — Scolarité Services</title>" in html
        assert 'data-font-size="16"' in html and "Rouvrir le kiosque" in html
        assert re.findall(r'(?:href|src)="(https?://[^/"]+)', html) == [f"http://127.0.0.1:{port}"] * 2  # nothing outside
        async with http.get(f"http://127.0.0.1:{port}/?fontsize=24") as page:
            assert 'data-font-size="24"' in await page.text()
        sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") for _ in range(3)]
        tabs = [Tab(ws) for ws in sockets]
        await asyncio.gather(*(tab.wait_for("ACCUEIL") for tab in tabs))
        assert len(kiosk_processes(server.pid)) == 3
        # One tab logs in with the letter: the first connection opens.
        tab = tabs[0]
        await tab.type("\r")  # « Se connecter »
        await tab.wait_for("ESPACE NUM")
        await tab.type("\t")
        await tab.type("\r")  # profile « Élève »: the login
        await tab.wait_for("authentification")
        await tab.type(letter.identifier)
        await tab.type("\t")
        await tab.type(letter.provisional_password)
        await tab.type("\r")
        await tab.wait_for("PREMI")
        for ws in sockets:
            await ws.close()
    await no_kiosk_left(server.pid)
    service = open_service(make_settings(db_url, tmp_path))
    try:
        with service.engine.connect() as c:
            sessions = c.execute(select(Session.revoked_at, Session.kiosk_id)).all()
            logins = c.scalars(select(AuditEvent.kiosk_id).where(AuditEvent.event == "login.ok")).all()
    finally:
        service.engine.dispose()
    assert len(sessions) == 1 and sessions[0].revoked_at is not None  # the closed tab logged out
    assert len(logins) == 1 and logins[0].startswith("test-kiosk/web-") and logins[0] == sessions[0].kiosk_id
    assert server.poll() is None  # the server goes on serving


def test_a_port_in_use_or_a_foreign_address_is_refused_in_french(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    env.pop("ENTKIOSK_CONFIG", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([str(ENTKIOSK), "serve", "--port", str(port)], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"Erreur : Le port {port} est déjà utilisé sur 127.0.0.1".replace(" :", "\u00a0:"))
    proc = subprocess.run([str(ENTKIOSK), "serve", "--host", "192.0.2.1", "--port", str(free_port())],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and "n'est pas celle de cette machine" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_another_address_than_loopback_is_said_out_loud(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    env.pop("ENTKIOSK_CONFIG", None)
    port = free_port()
    server = subprocess.Popen([str(ENTKIOSK), "serve", "--host", "0.0.0.0", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        first = server.stdout.readline()
        assert first.startswith("Attention\u00a0: toute personne qui peut joindre"), first
        assert "proxy inverse" in first
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_thirty_tabs_opened_and_closed_leave_no_process(served) -> None:
    """30 tabs at once on the 2-core machine: each gets the accueil; once closed, no kiosk
    process is left behind and the server still answers."""
    port, server, _db_url, _letter = served
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24") for _ in range(30)]
        await asyncio.gather(*(Tab(ws).wait_for("ACCUEIL", timeout=120) for ws in sockets))
        assert len(kiosk_processes(server.pid)) == 30
        await asyncio.gather(*(ws.close() for ws in sockets))
        await no_kiosk_left(server.pid, timeout=60)
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200


async def test_a_tab_closed_in_the_middle_of_a_first_connection_leaves_the_database_consistent(
        served, tmp_path: Path) -> None:
    """The browser goes away the instant the pupil presses VALIDER on the first connection:
    the activation is all done or not done at all, the session is logged out, the process ends."""
    port, server, db_url, letter = served
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24")
        tab = Tab(ws)
        await tab.wait_for("ACCUEIL")
        await tab.type("\r")
        await tab.wait_for("ESPACE NUM")
        await tab.type("\t")
        await tab.type("\r")
        await tab.wait_for("authentification")
        for text in (letter.identifier, "\t", letter.provisional_password, "\r"):
            await tab.type(text)
        await tab.wait_for("Vos informations")
        for text in ("14032010", "\t", "Velo2roues", "\t", "Velo2roues", "\r"):
            await tab.type(text)
        await ws.close()  # gone, mid-transaction
    await no_kiosk_left(server.pid)
    service = open_service(make_settings(db_url, tmp_path))
    try:
        with service.engine.connect() as c:
            sessions = c.execute(select(Session.revoked_at)).all()
        assert sessions and all(row.revoked_at is not None for row in sessions)
        # Either the activation happened whole (the new password works) or not at all (the letter still does).
        try:
            login = service.authenticate(letter.identifier, "Velo2roues")
            assert login.next_step == "charter"
        except AuthenticationFailed:  # then the provisional password must still open the first connection
            assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"
    finally:
        service.engine.dispose()
