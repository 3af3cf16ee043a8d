"""Outgoing mail: the messages the use cases send and how they leave.

Mail leaves after the commit: a message never announces something that was rolled
back, and a failed send leaves the request in the database so that it can be sent
again. A failure becomes the French sentence the screen shows (the server's detail,
paths included, goes to the log only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from email.message import EmailMessage
from typing import TYPE_CHECKING, Literal

from sqlalchemy import delete

from ..mail import MailDeliveryError, Sender, Transport, change_notice_message, email_validation_message
from ..store.models import OneTimeToken

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.clock import Clock
    from .audit import Audit
    from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class Outgoing:
    """The kiosk's mail: builds the common messages, sends them, records what failed."""

    def __init__(self, settings: Settings, uow: UnitOfWork, clock: Clock, audit: Audit, transport: Transport, *,
                 after_answer: bool = False) -> None:
        self.settings = settings
        self.uow = uow
        self.clock = clock
        self.audit = audit
        self.transport = transport
        self.sender = Sender(settings.mail.sender_name, settings.mail.sender_address)
        #: The kiosk sends reset mails from a thread once the answer is given: a student
        #: watching how long MOT DE PASSE OUBLIÉ takes must not learn which identifiers
        #: have a validated address. Its thread is joined at exit, so no mail is dropped.
        self._mailer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="entkiosk-mail") if after_answer else None
        self._jobs: list[Future[None]] = []

    def link(self, path: str, token: str) -> str | None:
        """The web link a mail carries, when the kiosk has a public address."""
        base = self.settings.mail.public_url.rstrip("/")
        return f"{base}/{path}?code={token}" if base else None

    def validation(self, to: str, link: str, code: str, *, first_address: bool) -> EmailMessage:
        """``first_address``: the account has no validated address yet, so the mail does not
        say it was « modifiée »."""
        return email_validation_message(self.sender, to, code=code, link=self.link("email", link),
                                        lifetime_hours=self.settings.accounts.email_token_hours,
                                        when=self.clock.now(), first_address=first_address)

    def notice(self, to: str | None, change: Literal["password", "email"]) -> EmailMessage | None:
        if not to:
            return None
        now = self.clock.now()
        return change_notice_message(self.sender, to, change=change, when=now,
                                     local_time=now.astimezone(self.settings.timezone))

    def send(self, message: EmailMessage | None) -> str | None:
        """Send after commit; the French problem if it failed (logged without secrets)."""
        if message is None:
            return None
        try:
            self.transport.send(message)
        except MailDeliveryError as exc:
            log.warning("mail not sent (%s): %s; %s", message["Subject"], exc.reason, exc.detail)
            return str(exc)
        return None

    def send_validation(self, message: EmailMessage | None, token_id: int | None, identifier: str) -> str | None:
        """Send a first validation mail after commit. If it cannot leave, its code is
        forgotten (nobody received it, and it must not count toward the resend limits):
        the address stays pending and « RENVOYER UN MAIL DE VALIDATION » works at once."""
        problem = self.send(message)
        if problem and token_id is not None:
            with self.uow.transaction() as s:
                s.execute(delete(OneTimeToken).where(OneTimeToken.id == token_id))
                self.audit.record(s, "mail.failed", identifier, purpose="email")
        return problem

    def send_notices(self, *messages: EmailMessage | None) -> None:
        for message in messages:
            self.send(message)

    def check(self) -> str | None:
        """None if a mail could leave now, else the French sentence for the screen (logged)."""
        check = getattr(self.transport, "check", None)
        if check is None:
            return None
        try:
            check()
        except MailDeliveryError as exc:
            log.warning("mail cannot leave: %s; %s", exc.reason, exc.detail)
            return str(exc)
        return None

    def after_answer(self, job: Callable[[], None]) -> None:
        """Run ``job`` (a send and its bookkeeping) once the answer is given, on the kiosk;
        at once for commands."""
        if self._mailer is None:
            job()
            return
        self._jobs = [done for done in self._jobs if not done.done()]
        self._jobs.append(self._mailer.submit(job))

    @property
    def in_background(self) -> bool:
        return self._mailer is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every mail handed to the background sender has been tried; False on timeout."""
        _unused, pending = wait_futures(list(self._jobs), timeout=timeout)
        return not pending
