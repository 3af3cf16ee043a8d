"""Ways of handing a built e-mail over for delivery.

``OutboxTransport`` drops mails into a local Maildir (offline mode, demos,
tests, or an MTA that picks the folder up); ``SmtpTransport`` talks to a
real SMTP relay.  Both report every delivery failure as a single
:class:`MailDeliveryError` whose text can be shown on the kiosk as is and
whose ``reason`` is a short technical string meant for logs.  Neither the
text nor the reason ever contains credentials or message content.
"""

from __future__ import annotations

import email
import email.errors
import logging
import mailbox
import os
import re
import smtplib
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal, Protocol

from ..domain.i18n import N_, _
from ..domain.system import os_reason

__all__ = [
    "MailDeliveryError",
    "OutboxEntry",
    "OutboxTransport",
    "SmtpTransport",
    "Transport",
]

log = logging.getLogger(__name__)

_RETRY = N_("Votre demande est conservée : réessayez plus tard.")


class MailDeliveryError(Exception):
    """A mail could not be handed over.

    ``str()`` is a French sentence fit for the kiosk screen: it names no server path or
    file; ``detail`` is the French sentence for staff and the log, which may name the
    folder; ``reason`` is a short English technical reason for logs.  None carries secrets.
    """

    def __init__(self, message: str, *, reason: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.detail = detail or message

    def __str__(self) -> str:
        return self.message


class Transport(Protocol):
    """Anything able to deliver a built message (or raise MailDeliveryError)."""

    def send(self, message: EmailMessage) -> None: ...

    def check(self) -> None:
        """Raise MailDeliveryError if a mail could not leave now (nothing is sent)."""


# --------------------------------------------------------------------------
# Maildir outbox
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    """A mail found in the outbox, decoded for display or inspection."""

    key: str
    date: datetime | None
    to: str
    subject: str
    body: str


_MAILDIR_SUBDIRS = ("tmp", "new", "cur")
#: What the outbox check writes: about what a mail takes.
_PROBE_BYTES = 16 * 1024

# Python's mailbox.Maildir names files "<sec>.M<usec>P<pid>Q<counter>.<host>".
_KEY_RE = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)\.")


class OutboxTransport:
    """Deliver into a standard Maildir folder (cur/new/tmp).

    The folder is made a Maildir on first send only, so listing a never-used outbox has
    no side effect. A folder that exists without its ``tmp/``, ``new/`` or ``cur/`` (an
    empty folder made by hand, a sub-folder deleted) is repaired at each send.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._box: mailbox.Maildir | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OutboxTransport({str(self.path)!r})"

    def prepare(self) -> None:
        """Make the folder a complete Maildir, creating what it lacks; raises MailDeliveryError."""
        try:
            self._prepare()
        except OSError as exc:
            raise self._error(exc) from exc

    def _prepare(self) -> None:
        from ..config import private_folder

        for sub in _MAILDIR_SUBDIRS:
            private_folder(self.path / sub)  # owner only: the mails carry codes

    def check(self) -> None:
        """The folder is a Maildir (repaired if need be) where a file can be written now."""
        try:
            with self._lock:
                self._prepare()
                with tempfile.TemporaryFile(dir=self.path / "tmp", prefix=".entkiosk-essai-") as probe:
                    # A few blocks, not an empty file: a full disk still has inodes.
                    probe.write(b"\0" * _PROBE_BYTES)
                    probe.flush()
                    os.fsync(probe.fileno())
        except OSError as exc:
            raise self._error(exc) from exc

    def send(self, message: EmailMessage) -> None:
        """Store *message* in ``new/`` atomically (Maildir tmp+rename)."""
        try:
            with self._lock:
                self._prepare()
                if self._box is None:
                    # Reuse one instance: its counter keeps keys ordered.
                    self._box = mailbox.Maildir(self.path, factory=None, create=False)
                self._box.add(message)
        except (OSError, mailbox.Error) as exc:
            raise self._error(exc) from exc

    def _error(self, exc: BaseException) -> MailDeliveryError:
        """The student reads that mail cannot leave; staff and the log read which folder and why."""
        errno = getattr(exc, "errno", None)
        why = os_reason(exc) if isinstance(exc, OSError) else "dossier d'envoi invalide"
        return MailDeliveryError(
            _("Le mail n'a pas pu être envoyé (dossier d'envoi des mails inutilisable).") + " " + _(_RETRY),
            reason=f"maildir write failed: {type(exc).__name__} errno={errno}",
            # For the log only (never shown): not translated.
            detail=f"Le dossier d'envoi des mails « {self.path} » est inutilisable ({why}).",
        )

    def entries(self) -> list[OutboxEntry]:
        """All stored mails, oldest first; empty if the folder is missing."""
        if not all((self.path / sub).is_dir() for sub in ("new", "cur")):
            return []
        box = mailbox.Maildir(self.path, factory=None, create=False)
        found: list[tuple[tuple[float, int, str], OutboxEntry]] = []
        for key in box.keys():
            try:
                raw = box.get_bytes(key)
                order = self._order(box, key)
            except (KeyError, FileNotFoundError):
                continue  # removed by someone else meanwhile
            msg = email.message_from_bytes(raw, policy=policy.default)
            found.append((order, self._entry(key, msg)))
        found.sort(key=lambda item: item[0])
        return [entry for _unused, entry in found]

    @staticmethod
    def _order(box: mailbox.Maildir, key: str) -> tuple[float, int, str]:
        """Delivery order: from the key when it is ours, else file mtime."""
        match = _KEY_RE.match(key)
        if match:
            seconds, micros, counter = (int(g) for g in match.groups())
            return (seconds + micros / 1_000_000, counter, key)
        delivered = box.get_message(key).get_date()  # file mtime
        return (float(delivered), 0, key)

    @staticmethod
    def _entry(key: str, msg: EmailMessage) -> OutboxEntry:
        """Decode headers and the text body, tolerating foreign mails."""
        date: datetime | None = None
        if msg["Date"] is not None:
            try:
                date = parsedate_to_datetime(str(msg["Date"]))
            except (TypeError, ValueError, IndexError):
                date = None
        part = msg.get_body(preferencelist=("plain", "html"))
        body = ""
        if part is not None:
            try:
                body = part.get_content()
            except (LookupError, ValueError, KeyError):
                # Unknown charset: best effort rather than hiding the mail.
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    body = payload.decode("utf-8", errors="replace")
        return OutboxEntry(
            key=key,
            date=date,
            to=str(msg["To"] or ""),
            subject=str(msg["Subject"] or ""),
            body=body,
        )


# --------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------

_Security = Literal["none", "starttls", "ssl"]
_Stage = Literal["connect", "starttls", "login", "send"]


def _is_timeout(exc: BaseException) -> bool:
    """smtplib wraps read timeouts in SMTPServerDisconnected: look inside."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _smtp_code(exc: BaseException) -> str:
    """SMTP reply code(s) of an smtplib error, without the server text."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _unused in exc.recipients.values()})
        return f" codes={','.join(codes)} refused={len(exc.recipients)}"
    code = getattr(exc, "smtp_code", None)
    return f" code={code}" if code is not None else ""


class SmtpTransport:
    """Deliver through an SMTP relay (plain, STARTTLS or implicit TLS).

    A new connection is opened per message: the kiosk sends few mails and
    a long-lived connection would only add stale-connection failures.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: _Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError("security must be 'none', 'starttls' or 'ssl'")
        if not host:
            raise ValueError("host must not be empty")
        if not 0 < int(port) < 65536:
            raise ValueError("port must be between 1 and 65535")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if (username is None) != (password is None):
            raise ValueError("username and password must be given together")
        self.host = host
        self.port = int(port)
        self.security: _Security = security
        self.username = username
        self._password = password  # private: never shown by repr/logs
        self.timeout = float(timeout)
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        auth = f", username={self.username!r}, password=***" if self.username else ""
        return (
            f"SmtpTransport({self.host!r}, {self.port}, "
            f"security={self.security!r}{auth}, timeout={self.timeout})"
        )

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        """Deliver *message* or raise MailDeliveryError (never anything else
        for network/SMTP problems)."""

        def deliver(client: smtplib.SMTP) -> None:
            refused = client.send_message(message)
            if refused:
                # Some (not all) recipients were refused by the server.
                raise smtplib.SMTPRecipientsRefused(refused)

        self._converse(deliver)

    def check(self) -> None:
        """Connect, secure, log in and say NOOP, as a send would before its message."""
        self._converse(lambda client: client.noop())

    def _converse(self, then: Callable[[smtplib.SMTP], object]) -> None:
        stage: _Stage = "connect"
        client: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            # smtplib sends EHLO/HELO by itself before each of the steps below.
            if self.security == "starttls":
                stage = "starttls"
                client.starttls(context=self._context())
            if self.username is not None and self._password is not None:
                stage = "login"
                client.login(self.username, self._password)
            stage = "send"
            then(client)
        except (OSError, smtplib.SMTPException) as exc:
            if client is not None:
                client.close()
            error = self._translate(exc, stage)
            log.debug("SMTP delivery to %s:%d failed: %s", self.host, self.port, error.reason)
            if stage == "login":
                # Do not chain: nothing from the auth exchange goes to tracebacks.
                raise error from None
            raise error from exc
        # The message is accepted: a failing QUIT must not report an error.
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def _translate(self, exc: BaseException, stage: _Stage) -> MailDeliveryError:
        """Map a low-level failure to a French sentence and a log reason."""
        reason = f"smtp {stage} failed: {type(exc).__name__}{_smtp_code(exc)}"
        if isinstance(exc, OSError) and exc.errno is not None:
            reason += f" errno={exc.errno}"
        if _is_timeout(exc):
            text = _("Le mail n'a pas pu être envoyé (le serveur de messagerie ne répond pas : délai dépassé).")
            reason += " (timeout)"
        elif isinstance(exc, smtplib.SMTPAuthenticationError) or stage == "login":
            text = _("Le mail n'a pas pu être envoyé (authentification refusée par le serveur de messagerie).")
        elif isinstance(exc, ssl.SSLError) or stage == "starttls":
            text = _("Le mail n'a pas pu être envoyé (connexion sécurisée au serveur de messagerie impossible).")
        elif isinstance(
            exc,
            (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError,
                smtplib.SMTPNotSupportedError,
            ),
        ) or (stage == "send" and isinstance(exc, smtplib.SMTPResponseException)):
            text = _("Le mail n'a pas pu être envoyé (le serveur de messagerie a refusé le message).")
        elif isinstance(exc, smtplib.SMTPServerDisconnected) and stage != "connect":
            text = _("Le mail n'a pas pu être envoyé (la connexion au serveur de messagerie a été interrompue).")
        elif isinstance(exc, (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
            text = _("Le mail n'a pas pu être envoyé (serveur de messagerie injoignable).")
        else:
            text = _("Le mail n'a pas pu être envoyé (erreur du serveur de messagerie).")
        return MailDeliveryError(text + " " + _(_RETRY), reason=reason)
