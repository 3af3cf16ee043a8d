"""« entkiosk serve »: the kiosk in a browser, for labs of thin clients and a teacher's tablet.

textual-serve serves its own page (xterm.js and fonts included: nothing is fetched from
outside) and, for each browser tab, starts one kiosk process on the configured database
(``python -m entkiosk.cli`` with :data:`~entkiosk.cli.SERVED_ENV` set): the same screens,
keys, idle timeout and safety as in a terminal. Closing or reloading the tab sends the
process « quit »: its session is logged out (``KioskApp.on_unmount``) and it ends.

It listens on loopback unless told otherwise; another address is said out loud, since
anyone who reaches it gets a kiosk. TLS belongs to a reverse proxy (README).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from .config import SERVED_ENV, Settings, private_log
from .domain.errors import DomainError
from .domain.i18n import _

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, port: int) -> None:
    """A French refusal before anything starts: a port taken, an address this machine does not have."""
    if not 1 <= port <= 65535:
        raise DomainError(_("Port {port} impossible : choisissez un port entre 1 et 65535 (--port).").format(port=port))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise DomainError(_("L'adresse « {host} » est inconnue de cette machine : indiquez une de ses adresses "
                            "avec --host (127.0.0.1 pour elle seule, 0.0.0.0 pour toutes).").format(host=host)) from None
    family, *_others, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except PermissionError:
            raise DomainError(_("Le port {port} est réservé à l'administrateur de la machine : choisissez un port "
                                "au-dessus de 1024 avec --port.").format(port=port)) from None
        except OSError as exc:
            if exc.errno == 98 or "in use" in str(exc):
                raise DomainError(_("Le port {port} est déjà utilisé sur {host} (un autre « entkiosk serve » ou un "
                                    "autre service) : choisissez-en un autre avec --port.")
                                  .format(port=port, host=host)) from None
            raise DomainError(_("Impossible d'écouter sur {host}, port {port} : cette adresse n'est pas celle de "
                                "cette machine. Indiquez une de ses adresses avec --host.")
                              .format(host=host, port=port)) from None


def serve(settings: Settings, *, host: str, port: int, public_url: str | None, config: Path | None) -> int:
    """Serve until Ctrl+C (or SIGTERM); each tab's kiosk ends with its tab."""
    check_bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = public_url or f"http://{shown}:{port}"
    # Each tab's kiosk reads the same configuration (and records its own kiosk id).
    if config is not None:
        os.environ["ENTKIOSK_CONFIG"] = str(Path(config).resolve())
    command = f"{shlex.quote(sys.executable)} -m entkiosk.cli"
    if not is_loopback(host):
        print(_("Attention : toute personne qui peut joindre {url} obtient un kiosque de l'établissement. "
                "Le chiffrement (HTTPS) se fait par un proxy inverse placé devant (voir le README).").format(url=url),
              flush=True)
    title = _("{establishment} — Scolarité Services").format(establishment=settings.establishment.name)
    server = FrenchServer(command, host=host, port=port, title=title,
                          public_url=url, templates_path=PAGE)
    server.font_size = settings.serve.font_size
    server.instance = settings.kiosk.id[:48]
    server.serve()
    return 0


#: The page (``app_index.html``): French, titled with the establishment, no outside font.
PAGE = Path(__file__).parent / "serve_page"


class FrenchServer(Server):
    """textual-serve's server with entkiosk's page, speaking French to staff and logging to
    the kiosk's log."""

    font_size = 16
    #: ``[kiosk] id`` of this server; each tab's kiosk is ``<instance>/web-<6 hex>``.
    instance = "kiosque"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: The tabs' connections, closed when the server stops.
        self.open_tabs: set[web.WebSocketResponse] = set()

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict:
        """The page's values: the sizes asked (``?fontsize=``, else ``[serve] font_size``), the
        websocket of this server, its static files and the title."""
        size = min(max(to_int(request.query.get("fontsize", ""), self.font_size), 10), 48)
        base = self.public_url.rstrip("/")
        socket_url = ("wss:" if base.startswith("https") else "ws:") + base.split(":", 1)[1] + "/ws"
        return {"font_size": size, "app_websocket_url": socket_url,
                "config": {"static": {"url": f"{base}/static/"}}, "application": {"name": self.title}}

    def initialize_logging(self) -> None:
        logging.basicConfig(filename=private_log(), level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def on_shutdown(self, app) -> None:
        """Ctrl+C or SIGTERM: every open tab is closed now (a browser would otherwise keep its
        connection, and the server wait for it), which ends its kiosk and its session."""
        await asyncio.gather(*(websocket.close(code=WSCloseCode.GOING_AWAY) for websocket in list(self.open_tabs)),
                             return_exceptions=True)
        print(_("Kiosque arrêté : les onglets encore ouverts affichent « Ce kiosque est fermé » et leurs sessions "
                "sont fermées."), flush=True)

    async def on_startup(self, app) -> None:
        print(_("Kiosque servi à l'adresse {url} : un kiosque par onglet de navigateur. "
                "Ctrl+C pour arrêter.").format(url=self.public_url), flush=True)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab: its own kiosk process, named for the audit, that ends with the tab
        (closed, reloaded or gone); the keys, sizes and focus of the tab go to that kiosk."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = min(max(to_int(request.query.get("width", "80"), 80), 20), 500)
        height = min(max(to_int(request.query.get("height", "24"), 24), 5), 300)
        tab = f"{self.instance}/web-{secrets.token_hex(3)}"
        kiosk = TabKiosk(tab, f"{SERVED_ENV}={shlex.quote(tab)} {self.command}", write_bytes=websocket.send_bytes,
                         write_str=websocket.send_str, close=websocket.close, download_manager=self.download_manager)
        await websocket.prepare(request)
        log.info("tab %s opened", tab)
        self.open_tabs.add(websocket)
        try:
            await kiosk.start(width, height)
            async for message in websocket:
                if message.type == WSMsgType.TEXT:
                    await kiosk.from_browser(message.data)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:  # noqa: BLE001 - one tab's trouble is not the server's
            log.exception("tab %s failed", tab)
        finally:
            self.open_tabs.discard(websocket)
            await kiosk.stop()
            log.info("tab %s closed", tab)
        return websocket


class TabKiosk(AppService):
    """The kiosk process of one tab. If it ends without the tab or the kiosk asking (killed,
    out of memory), the server says so in French and closes the tab's connection, so that
    the page shows « Ce kiosque est fermé » and offers to reopen it rather than freeze."""

    def __init__(self, tab: str, command: str, **streams) -> None:
        super().__init__(command, **streams)
        self.tab = tab
        self.ending = False

    async def from_browser(self, text: str) -> None:
        """A message of textual-serve's page: keys, a new size, the focus, a ping."""
        try:
            kind, data = json.loads(text)
        except (ValueError, TypeError):
            return  # not the page's: ignored
        if kind == "stdin" and isinstance(data, str):
            await self.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            await self.set_terminal_size(min(max(to_int(str(data.get("width")), 80), 20), 500),
                                         min(max(to_int(str(data.get("height")), 24), 5), 300))
        elif kind == "ping":
            await self.remote_write_str(json.dumps(["pong", data]))
        elif kind == "blur":
            await self.blur()
        elif kind == "focus":
            await self.focus()

    async def on_meta(self, data: bytes) -> None:
        if json.loads(data).get("type") == "exit":  # the kiosk ends by itself, as it should
            self.ending = True
        await super().on_meta(data)

    async def stop(self) -> None:
        self.ending = True
        await super().stop()

    async def run(self) -> None:
        await super().run()
        if not self.ending:
            log.error("the kiosk of tab %s ended unexpectedly", self.tab)
            print(_("Le kiosque de l'onglet {tab} s'est arrêté sans qu'on le lui demande (processus "
                    "interrompu) : l'onglet affiche « Ce kiosque est fermé » et propose de le rouvrir ; ce qui était "
                    "enregistré est conservé, l'opération en cours l'est entière ou pas du tout.").format(tab=self.tab),
                  flush=True)
            await self.remote_close()
