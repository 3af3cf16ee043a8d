"""Lockout and throttling: repeated failures on one identifier, code or address lock it
for a while, doubling each time (the guide's « compte bloqué »).

A guess is counted *before* it is judged. :meth:`Lockout.reserve` is one write
transaction that refuses while the key is locked, and otherwise counts the attempt as a
failure in advance (locking the key when that reaches the threshold, so that the next
reservation is refused) and commits; only then does the use case run argon2 or compare
what was typed. A right guess gives the reservation back (:meth:`Attempt.release`); a
wrong one keeps it and records the audit events (:meth:`Attempt.fail`). Checking first
and counting after the judgement let kiosks guessing at once all pass the check: 8
processes × 25 wrong passwords got 12 argon2 verifications where the rule allows 5.

Reservations on one key queue: SQLite starts every write transaction with ``BEGIN
IMMEDIATE`` (:mod:`..store.db`), PostgreSQL locks the throttle row (``SELECT … FOR
UPDATE``), and when two first failures on a new key race on its insert, the loser
reserves again on the row the winner made.

A crash (or the database going away) between a reservation and its release leaves one
counted failure, for a guess that may have been right: the safe side, since a refusal
that forgot the attempt would make brute force free. Keys are keyed digests (HMAC) of
what was typed: students sometimes type their password in the identifier field, and a
stolen database must not tell it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from sqlalchemy import delete, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as DbSession

from ..domain import errors
from ..domain.errors import DomainError
from ..store.models import Throttle

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.clock import Clock
    from .audit import Audit
    from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: A failure older than this is forgotten.
FAILURE_MEMORY = timedelta(hours=24)
#: Every scope an identifier can be locked in.
SCOPES = ("login", "code", "recovery", "birth")

P = ParamSpec("P")
R = TypeVar("R")

#: The attempts reserved by the running :func:`guarded` use case (of this thread).
_OPEN: ContextVar[list[Attempt] | None] = ContextVar("entkiosk_lockout_attempts", default=None)

#: A throttle row's state: failures, level, locked until, last failure.
State = tuple[int, int, datetime | None, datetime | None]


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Mark a use case that reserves attempts (:meth:`Lockout.reserve`).

    However it ends without counting its attempt — a success, or a refusal that judged
    no guess (a closed account, an account changed meanwhile, a new password refused) —
    the reservation is given back, so that only wrong guesses count, as the rule says.
    One place for it rather than a release before each of a use case's many exits, any
    of which would otherwise be forgotten. An exception that is no :class:`DomainError`
    (a bug) keeps the reservation: the safe side.
    """

    @functools.wraps(method)
    def use_case(*args: P.args, **kwargs: P.kwargs) -> R:
        opened: list[Attempt] = []
        reset = _OPEN.set(opened)
        try:
            result = method(*args, **kwargs)
        except DomainError:
            _give_back(opened)
            raise
        finally:
            _OPEN.reset(reset)
        _give_back(opened)
        return result

    return use_case


def _give_back(opened: list[Attempt]) -> None:
    for attempt in opened:
        try:
            attempt.release()
        except DomainError as exc:  # the database went away: the attempt stays counted
            log.warning("a %s attempt could not be given back (%s): it stays counted", attempt.scope,
                        type(exc).__name__)


class Attempt:
    """One guess reserved by :meth:`Lockout.reserve`: counted as a failure until given back."""

    def __init__(self, lockout: Lockout, scope: str, key: str, before: State | None, counted_from: int,
                 after: State, locks: errors.Locked | None) -> None:
        self.scope = scope
        #: The lockout this reservation set (it reached the threshold), else None.
        self.locks = locks
        self._lockout = lockout
        self._key = key
        self._before = before  # the row before the reservation (None: there was none)
        self._counted_from = counted_from  # the failures it added one to (after FAILURE_MEMORY)
        self._after = after  # the row as the reservation left it
        self._open = True
        self._releasing: DbSession | None = None  # the transaction that gives it back once committed

    def fail(self, event: str, identifier: str | None, error: DomainError) -> DomainError:
        """A wrong guess: the error to raise, the lockout if this attempt set it."""
        return self.count(event, identifier) or error

    def count(self, event: str | None, identifier: str | None) -> errors.Locked | None:
        """Keep the reservation (a wrong guess, or a request the recovery scope counts
        whatever it finds); record ``event`` and the lockout this attempt set, in one small
        transaction (identifier None: unknown). The lockout error when this attempt set it."""
        self._open = False  # before writing: should the audit fail, the failure still counts
        lockout = self._lockout
        if event or self.locks:
            with lockout.uow.transaction() as s:
                if event:
                    lockout.audit.record(s, event, identifier, scope=self.scope, known=identifier is not None)
                if self.locks:
                    lockout.audit.record(s, "lockout", identifier, scope=self.scope, seconds=self.locks.seconds,
                                         known=identifier is not None)
        return self.locks

    def release(self, s: DbSession | None = None) -> None:
        """Give the reservation back: the guess was right, or none was judged.

        In ``s``, the success's own transaction (no write of its own), once ``s`` commits;
        else in a transaction of its own. Releasing twice, or after :meth:`count`, does nothing.
        """
        if not self._open or (s is not None and s is self._releasing):
            return
        if s is None:
            with self._lockout.uow.transaction() as own:
                self._undo(own)
            self._open = False
        else:
            self._undo(s)
            self._releasing = s
            sa_event.listen(s, "after_commit", self._released, once=True)

    def _released(self, _session: DbSession) -> None:
        self._open = False

    def _undo(self, s: DbSession) -> None:
        row = s.get(Throttle, self._key, with_for_update=True)
        if row is None:  # cleared meanwhile (a success, staff): nothing left to give back
            return
        failures, level, locked_until, last_failure_at = self._after
        if (row.failures, row.level, row.locked_until, row.last_failure_at) == self._after:
            if self._before is None:  # nothing happened on this key since: as it was
                s.delete(row)
            else:
                row.failures, row.level, row.locked_until, row.last_failure_at = self._before
            return
        # Other attempts counted meanwhile: take back this one's share only.
        if self.locks is None:
            row.failures = max(0, row.failures - 1)
        elif (row.level, row.locked_until) == (level, locked_until):  # the lockout is still this attempt's
            _failures, row.level, row.locked_until, _last = self._before or (0, 0, None, None)
            row.failures += self._counted_from
        if row.last_failure_at == last_failure_at and self._before is not None:
            row.last_failure_at = self._before[3]


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

    def reserve(self, scope: str, typed: str) -> Attempt:
        """Raise :class:`Locked` while ``typed`` is locked in ``scope``; else count one
        failure now, before the guess is judged (see the module docstring), and return it
        for the caller to :meth:`~Attempt.fail` or :meth:`~Attempt.release`.

        Only inside a :func:`guarded` use case, which gives back what it did not count.
        Two kiosks may fail on the same new key at once: the loser of the insert race
        simply reserves again on the row the winner made.
        """
        opened = _OPEN.get()
        if opened is None:
            raise RuntimeError("Lockout.reserve outside a @guarded use case")
        self._refuse_if_locked(scope, typed)
        for retry in range(2):
            try:
                attempt = self._reserve(scope, typed)
                break
            except errors.Conflict:
                if retry:
                    raise
        opened.append(attempt)
        return attempt

    def _refuse_if_locked(self, scope: str, typed: str) -> None:
        """The refusal of a locked key, read without the write lock: a burst of guesses on a
        locked identifier must not make every kiosk's writes queue behind its refusals.
        Only a shortcut: the reservation's own transaction checks again."""
        with self.uow.transaction(read_only=True) as s:
            self._refuse(s.get(Throttle, self.key(scope, typed)), self.clock.now())

    @staticmethod
    def _refuse(row: Throttle | None, now: datetime) -> None:
        if row is not None and row.locked_until is not None and row.locked_until > now:
            # The same refusal, and no work, whatever the guess: nothing is counted.
            raise errors.Locked(math.ceil((row.locked_until - now).total_seconds()))

    def _reserve(self, scope: str, typed: str) -> Attempt:
        acc = self.settings.accounts
        now = self.clock.now()
        key = self.key(scope, typed)
        with self.uow.transaction() as s:
            row = s.get(Throttle, key, with_for_update=True)
            self._refuse(row, now)
            before = None if row is None else (row.failures, row.level, row.locked_until, row.last_failure_at)
            if row is None:
                row = Throttle(key=key, failures=0, level=0)
                s.add(row)
                s.flush()
            if row.last_failure_at is not None and now - row.last_failure_at > FAILURE_MEMORY:
                row.failures, row.level = 0, 0
            counted_from = row.failures
            row.failures += 1
            row.last_failure_at = now
            locks = None
            if row.failures >= acc.lockout_threshold:
                seconds = min(acc.lockout_base_seconds * 2**row.level, acc.lockout_max_seconds)
                row.level += 1
                row.failures = 0
                row.locked_until = now + timedelta(seconds=seconds)
                locks = errors.Locked(seconds)
            after = (row.failures, row.level, row.locked_until, row.last_failure_at)
        return Attempt(self, scope, key, before, counted_from, after, locks)

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
