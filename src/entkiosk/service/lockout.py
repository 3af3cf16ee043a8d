"""Lockout and throttling: repeated failures on one identifier, code or address lock it
for a while, doubling each time (the guide's « compte bloqué »).

Failure bookkeeping commits in its own small transaction after the use case is refused,
because a refusal that forgot the attempt would make brute force free. Keys are keyed
digests (HMAC) of what was typed: students sometimes type their password in the
identifier field, and a stolen database must not tell it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from ..domain import errors
from ..domain.errors import DomainError
from ..store.models import Throttle

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.clock import Clock
    from .audit import Audit
    from .unit_of_work import UnitOfWork

#: A failure older than this is forgotten.
FAILURE_MEMORY = timedelta(hours=24)
#: Every scope an identifier can be locked in.
SCOPES = ("login", "code", "recovery", "birth")


class Lockout:
    """Failure counters and lockouts, per scope and typed text."""

    def __init__(self, settings: Settings, uow: UnitOfWork, clock: Clock, audit: Audit, secret: bytes) -> None:
        self.settings = settings
        self.uow = uow
        self.clock = clock
        self.audit = audit
        self._secret = secret

    def key(self, scope: str, typed: str) -> str:
        digest = hmac.new(self._secret, typed.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"{scope}:{digest}"

    def check(self, scope: str, typed: str) -> None:
        """Raise :class:`Locked` while ``typed`` is locked in ``scope``."""
        key = self.key(scope, typed)
        with self.uow.transaction(read_only=True) as s:
            row = s.get(Throttle, key)
            now = self.clock.now()
            if row is not None and row.locked_until is not None and row.locked_until > now:
                raise errors.Locked(math.ceil((row.locked_until - now).total_seconds()))

    def record_failure(self, scope: str, typed: str, event: str | None, identifier: str | None) -> errors.Locked | None:
        """Count one failure in its own transaction; a Locked error when this one locks.

        Two kiosks may fail on the same new key at once: the loser of the insert race
        simply counts again on the row the winner made.
        """
        for attempt in range(2):
            try:
                return self._count_failure(scope, typed, event, identifier)
            except errors.Conflict:
                if attempt:
                    raise
        return None  # pragma: no cover - the loop returns or raises

    def _count_failure(self, scope: str, typed: str, event: str | None, identifier: str | None) -> errors.Locked | None:
        acc = self.settings.accounts
        now = self.clock.now()
        key = self.key(scope, typed)
        with self.uow.transaction() as s:
            row = s.get(Throttle, key, with_for_update=True)
            if row is None:
                row = Throttle(key=key, failures=0, level=0)
                s.add(row)
                s.flush()
            if row.last_failure_at is not None and now - row.last_failure_at > FAILURE_MEMORY:
                row.failures, row.level = 0, 0
            row.failures += 1
            row.last_failure_at = now
            if event:
                self.audit.record(s, event, identifier, scope=scope, known=identifier is not None)
            if row.failures < acc.lockout_threshold:
                return None
            seconds = min(acc.lockout_base_seconds * 2**row.level, acc.lockout_max_seconds)
            row.level += 1
            row.failures = 0
            row.locked_until = now + timedelta(seconds=seconds)
            self.audit.record(s, "lockout", identifier, scope=scope, seconds=seconds, known=identifier is not None)
            return errors.Locked(seconds)

    def fail(self, scope: str, typed: str, event: str, identifier: str | None, error: DomainError) -> DomainError:
        """The error to raise after a failed attempt: the lockout if this one locked."""
        return self.record_failure(scope, typed, event, identifier) or error

    def clear(self, s: DbSession, identifier: str, scopes: Sequence[str] = SCOPES) -> None:
        keys = [self.key(scope, identifier) for scope in scopes]
        s.execute(delete(Throttle).where(Throttle.key.in_(keys)))

    def locked(self, s: DbSession, identifiers: Sequence[str]) -> set[str]:
        """Which of ``identifiers`` are locked out now, whatever the scope."""
        by_key = {self.key(scope, ident): ident for ident in identifiers for scope in SCOPES}
        keys = list(by_key)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for key in s.scalars(select(Throttle.key).where(Throttle.key.in_(chunk),
                                                            Throttle.locked_until > self.clock.now())):
                found.add(by_key[key])
        return found

    def forget_old(self, s: DbSession) -> None:
        """Drop failure counters already forgotten (FAILURE_MEMORY) and no longer locking."""
        now = self.clock.now()
        s.execute(delete(Throttle).where(Throttle.last_failure_at < now - FAILURE_MEMORY,
                                         (Throttle.locked_until.is_(None)) | (Throttle.locked_until < now)))
