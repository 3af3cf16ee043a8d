"""Builds the service from settings: engine (schema upgraded), mail transport, clock.

Nothing here runs at import time; the CLI, the kiosk and the tests call
:func:`open_service` with the settings (and, in tests, a fixed clock).
"""

from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING

from .config import ConfigError, Settings
from .domain.i18n import _

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
    import os
    import tempfile

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
    if settings.mail.transport == "outbox":
        outbox = settings.outbox_path()
        if outbox.exists() and not outbox.is_dir():
            raise ConfigError(_("{source} : clé « mail.outbox » : le dossier d'envoi des mails {folder} n'est pas "
                                "un dossier.").format(source=where, folder=outbox))
        try:
            # A complete Maildir, as OutboxTransport.check leaves it (its module, with
            # smtplib and ssl, is not worth importing before the first paint).
            for sub in ("tmp", "new", "cur"):
                (outbox / sub).mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=outbox / "tmp", prefix=".entkiosk-essai-") as probe:
                probe.write(b"\0" * 16384)  # blocks, not only an inode: a full disk refuses
                probe.flush()
                os.fsync(probe.fileno())
        except OSError as exc:
            raise ConfigError(_("{source} : clé « mail.outbox » : le dossier d'envoi des mails {folder} est "
                                "inutilisable ({reason}).").format(source=where, folder=outbox,
                                                                    reason=os_reason(exc))) from None


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
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from .service import AccountService
    from .store import db

    _give_back_hash_memory()
    url = settings.database_url()
    where = settings.source or _("configuration par défaut")
    try:
        engine = db.make_engine(url, busy_timeout=settings.database.busy_timeout)
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise ConfigError(_("{source} : clé « database.url » : adresse de base de données invalide.")
                          .format(source=where)) from None
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
    except ModuleNotFoundError as exc:
        raise ConfigError(
            _("Pilote de base de données manquant ({module}) : installez entkiosk[postgresql].").format(module=exc.name)
        ) from None
    return AccountService(settings, engine, transport or make_transport(settings), clock=clock, rng=rng,
                          mail_after_answer=mail_after_answer)
