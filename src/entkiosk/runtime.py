"""Builds the service from settings: engine (schema upgraded), mail transport, clock.

Nothing here runs at import time; the CLI, the kiosk and the tests call
:func:`open_service` with the settings (and, in tests, a fixed clock).
"""

from __future__ import annotations

import random
import re
import sys
from typing import TYPE_CHECKING

from .config import ConfigError, Settings
from .domain.i18n import N_, _

if TYPE_CHECKING:
    from .domain.clock import Clock
    from .mail import Transport
    from .service import AccountService

# SQLAlchemy, the models and the service are imported where they are used: the kiosk
# calls check_files() before its first paint and builds the service only after it.


def _give_back_hash_memory() -> None:
    """Each argon2 hash takes a 19 MiB block (its memory cost). glibc serves blocks that
    big from mmap, but raises that threshold once one is freed, and from then on keeps
    them in the arena of each thread that hashed: a kiosk grew by 19 MiB per worker
    thread. A fixed threshold gives every such block back to the system when freed."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD: fixed at glibc's default
    except (OSError, AttributeError):
        return  # another C library: nothing to tune


def check_files(settings: Settings) -> None:
    """The files a kiosk reads or writes while students use it, checked at start: a school
    reads one sentence naming the file, instead of each student finding out at the charter
    or at the first validation mail. Raises :class:`ConfigError`."""
    import contextlib
    import os
    import tempfile

    from .config import private_data_dir, private_folder
    from .domain.system import os_reason

    where = settings.source or _("configuration par défaut")
    charter = settings.charter_path()
    try:
        text = charter.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(_("{source} : clé « charter.file » : la charte {file} est introuvable.")
                          .format(source=where, file=charter)) from None
    except UnicodeDecodeError:
        raise ConfigError(_("{source} : clé « charter.file » : la charte {file} n'est pas encodée en UTF-8.")
                          .format(source=where, file=charter)) from None
    except OSError as exc:
        raise ConfigError(_("{source} : clé « charter.file » : la charte {file} : lecture impossible ({reason}).")
                          .format(source=where, file=charter, reason=os_reason(exc))) from None
    if not text.strip():
        raise ConfigError(_("{source} : clé « charter.file » : la charte {file} est vide.")
                          .format(source=where, file=charter))
    if settings.directory.enabled:  # the directory's bind password, from its own file (ConfigError)
        from .directory.password import bind_password

        bind_password(settings.directory, where)
    with contextlib.suppress(OSError):  # said where the kiosk opens its log, or below for the outbox
        private_data_dir()  # the kiosk's log, and the defaults' database and outbox, go there
    if settings.mail.transport == "outbox":
        outbox = settings.outbox_path()
        if outbox.exists() and not outbox.is_dir():
            raise ConfigError(_("{source} : clé « mail.outbox » : le dossier d'envoi des mails {folder} n'est pas "
                                "un dossier.").format(source=where, folder=outbox))
        try:
            # A complete Maildir, as OutboxTransport.check leaves it (its module, with
            # smtplib and ssl, is not worth importing before the first paint).
            for sub in ("tmp", "new", "cur"):
                private_folder(outbox / sub)  # owner only: the mails carry codes
            with tempfile.TemporaryFile(dir=outbox / "tmp", prefix=".entkiosk-essai-") as probe:
                probe.write(b"\0" * 16384)  # blocks, not only an inode: a full disk refuses
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as exc:
            raise ConfigError(_("{source} : clé « mail.outbox » : le dossier d'envoi des mails {folder} est "
                                "inutilisable ({reason}).").format(source=where, folder=outbox,
                                                                    reason=os_reason(exc))) from None


#: Any ``[database] url`` entkiosk cannot run on: one sentence, whatever the reason.
UNSUPPORTED_DATABASE = N_("{source} : clé « database.url » : adresse de base de données invalide ou non "
                          "prise en charge ; entkiosk fonctionne avec SQLite (sqlite:////chemin/entkiosk.db) ou "
                          "PostgreSQL (postgresql+psycopg://utilisateur@serveur/base, entkiosk[postgresql] "
                          "installé).")
#: A host name, an IPv4 address or an IPv6 one (SQLAlchemy takes its brackets off).
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?")


def database_url(settings: Settings) -> str:
    """``[database] url``, checked before anything is created: SQLite, or PostgreSQL through
    psycopg (``postgresql://`` means it: the driver entkiosk is tested with, whatever
    SQLAlchemy's default). Another backend, another driver (installed or not), a driver
    missing or an address that does not parse all get :data:`UNSUPPORTED_DATABASE`, instead
    of an import error from deep inside SQLAlchemy. Raises :class:`ConfigError`."""
    import importlib.util

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    where = settings.source or _("configuration par défaut")
    text = settings.database_url()
    try:
        url = make_url(text)
        port = url.port
    except (ArgumentError, ValueError):
        raise ConfigError(_(UNSUPPORTED_DATABASE).format(source=where)) from None
    backend, _plus, driver = url.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite") and not url.host and importlib.util.find_spec("sqlite3"):
        return text
    if (backend == "postgresql" and driver in ("", "psycopg") and (url.host is None or _HOST.fullmatch(url.host))
            and (port is None or 0 < port < 65536) and importlib.util.find_spec("psycopg")):
        return text if driver else url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ConfigError(_(UNSUPPORTED_DATABASE).format(source=where))


def make_transport(settings: Settings) -> Transport:
    from .mail import OutboxTransport, SmtpTransport

    mail = settings.mail
    if mail.transport == "smtp":
        return SmtpTransport(
            mail.smtp_host,
            mail.smtp_port,
            security=mail.smtp_security,
            username=mail.smtp_username or None,
            password=mail.smtp_password or None,
            timeout=mail.smtp_timeout,
        )
    return OutboxTransport(settings.outbox_path())


def open_service(settings: Settings, *, clock: Clock | None = None, transport: Transport | None = None,
                 rng: random.Random | None = None, mail_after_answer: bool = False) -> AccountService:
    """The service on the configured database, whose schema is created or upgraded first.

    ``mail_after_answer``: reset mails leave after the answer (the kiosk's setting, see
    :class:`AccountService`); commands keep sending before they return.
    """
    url = database_url(settings)  # refused before the service's imports
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from .config import private_data_dir
    from .service import AccountService
    from .store import db

    _give_back_hash_memory()
    where = settings.source or _("configuration par défaut")
    directory = None
    if settings.directory.enabled:  # before the database is made or upgraded: a bad file changes nothing
        from .directory.client import connector

        directory = connector(where, settings.directory)  # the password file, read once, now
    try:
        if not settings.database.url or (settings.mail.transport == "outbox" and not settings.mail.outbox):
            private_data_dir()  # before anything of ours is written in it
        engine = db.make_engine(url, busy_timeout=settings.database.busy_timeout)
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError):
        raise ConfigError(_(UNSUPPORTED_DATABASE).format(source=where)) from None
    except OSError as exc:
        raise ConfigError(
            _("{source} : clé « database.url » : impossible de créer le dossier de la base ({reason}).")
            .format(source=where, reason=exc.strerror)
        ) from None
    try:
        db.upgrade(engine)
    except OperationalError as exc:
        detail = str(exc.orig or exc).strip().splitlines()[0][:200] if str(exc.orig or exc).strip() else ""
        raise ConfigError(
            _("Base de données inaccessible ({url}, {source}) : "
              "serveur injoignable, base absente ou identifiants refusés. Détail : {detail}")
            .format(url=engine.url.render_as_string(hide_password=True), source=where, detail=detail)
        ) from None
    return AccountService(settings, engine, transport or make_transport(settings), clock=clock, rng=rng,
                          mail_after_answer=mail_after_answer, directory=directory)
