"""The LDAP directory's side of the use cases: delivering the outbox, its status, and the
comparison that repairs the directory (``entkiosk directory status|sync``).

Delivery. One kiosk at a time delivers (a lease on the ``directory_worker`` row, renewed
at every pupil, taken over by another kiosk when it lapses), so the updates of a pupil are
applied in order. For each pupil with rows waiting, the worker reads the account's
*current* state and makes the entry say it (:meth:`Directory.put`), then deletes those rows
— the rows that arrived meanwhile stay for the next round. Applying a state twice writes
nothing the second time: a delivery cut between the directory's write and the row's deletion
is simply done again. While the server is out of reach, every update waits and the worker
tries again after 1, 2, 4… up to 60 seconds; an entry the server refuses (someone else's
entry with that ``uid``) waits on its own, the others go on. A pupil never waits for any of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session as DbSession

from ..domain import errors
from ..domain.i18n import _
from ..domain.lifecycle import AccountState, Kind
from ..domain.roles import Right
from ..store.models import Account, CharterAcceptance, DirectoryUpdate, DirectoryWorker, SchoolClass
from .core import UseCases

if TYPE_CHECKING:  # ldap3 loads only with a directory configured
    from ..directory.client import Directory
    from ..directory.entries import Found, Pupil

log = logging.getLogger(__name__)

#: Seconds a kiosk keeps the right to deliver without renewing it.
LEASE = 60
#: The longest wait between two tries while the server is out of reach.
LONGEST_WAIT = 60


#: The pupil accepted the usage charter once (any version).
CHARTER = exists().where(CharterAcceptance.account_id == Account.id).label("charter")


def backoff(failures: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(failures - 1, 0), LONGEST_WAIT))


def pupil_state(account: Account, class_name: str | None, charter: bool) -> Pupil:
    """What the directory holds for ``account``: its hash only while the pupil may log in with
    the password they chose — activated, the usage charter accepted once (``charter``: the
    services it governs open with it; a later version of the charter asked at the kiosk does
    not shut them), no change imposed by staff, still at the school."""
    from ..directory.entries import Pupil

    usable = (account.state == AccountState.ACTIVE and not account.provisional and charter
              and not account.must_change_password and account.left_at is None)
    return Pupil(account.identifier, account.first_name, account.last_name, class_name,
                 account.password_hash if usable else None)


@dataclass(frozen=True)
class Delivered:
    """One round of the worker: entries written, pupils still waiting, and why."""

    sent: int = 0
    waiting: int = 0
    problem: str | None = None
    busy: bool = False  # another kiosk delivers
    blocked: int = 0  # pupils whose entry the server refused: they wait (entkiosk directory status says why)
    more: bool = False  # the round stopped at its limit: another one at once


@dataclass(frozen=True)
class DirectoryStatus:
    url: str
    waiting: int
    pupils: int
    oldest: datetime | None
    changes: dict[str, int]
    blocked: list[tuple[str, str]]
    problem: str | None
    problem_at: datetime | None
    delivered_at: datetime | None
    holder: str | None
    next_try_at: datetime | None
    answer: str | None = None  # the server's answer now (status --check), None if reached


@dataclass
class SyncReport:
    """What differs between the database and the directory (and, with ``applied``, was repaired)."""

    missing: list[str] = field(default_factory=list)
    stale: list[tuple[str, list[str]]] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    foreign: list[tuple[str, str]] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    applied: bool = False
    checked: int = 0

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.moved) + len(self.extra) + len(self.branches)


class DirectoryUseCases(UseCases):
    """Delivering to the directory, its status, its repair."""

    def __init__(self, core, connect: Callable[[], Directory] | None) -> None:
        super().__init__(core)
        self.connect = connect

    # ------------------------------------------------------------ delivery

    @property
    def lease(self) -> timedelta:
        """How long a kiosk keeps the right to deliver without renewing it: well past the
        longest a pupil's delivery may take (a few operations, each up to ``timeout``)."""
        return timedelta(seconds=max(LEASE, 10 * self.settings.directory.timeout))

    def deliver(self, holder: str, *, limit: int = 500) -> Delivered:
        """One round: take (or keep) the lease, deliver up to ``limit`` pupils' updates."""
        if self.connect is None:
            return Delivered()
        from ..directory.client import DirectoryError, said

        now = self.now()
        with self.tx(read_only=True) as s:
            rows = s.execute(select(DirectoryUpdate.identifier, DirectoryUpdate.id, DirectoryUpdate.next_try_at)
                             .order_by(DirectoryUpdate.id)).all()
            worker = s.get(DirectoryWorker, 1) if rows else None
        read: dict[str, list[int]] = {}  # each pupil's rows, pupils in the order of their oldest
        waiting: set[str] = set()  # pupils whose entry was refused: not before their next try
        for identifier, row_id, next_try_at in rows:
            read.setdefault(identifier, []).append(row_id)
            if next_try_at is not None and next_try_at > now:
                waiting.add(identifier)
        due = [(identifier, ids) for identifier, ids in read.items() if identifier not in waiting][:limit]
        if not due:
            return Delivered(blocked=len(waiting))
        # Read first, lock only to take the lease: kiosks waiting for a server that is down,
        # or for another kiosk's round, do not queue for the database's write lock.
        if worker is not None and worker.holder not in (None, holder) and worker.lease_until \
                and worker.lease_until > now:
            return Delivered(waiting=len(due), busy=True, blocked=len(waiting))
        if worker is not None and worker.next_try_at and worker.next_try_at > now:
            return Delivered(waiting=len(due), problem=said(worker.problem), blocked=len(waiting))
        refused = self._lease(holder)
        if refused is not None:
            return Delivered(waiting=len(due), busy=refused == "busy", blocked=len(waiting))
        sent = 0
        try:
            with self.connect() as directory:
                for identifier, ids in due:
                    try:
                        sent += self._deliver_one(directory, identifier)
                    except DirectoryError as exc:
                        if not exc.entry:
                            raise
                        self._entry_waits(identifier, ids, exc.stored())
                        waiting.add(identifier)
                        continue
                    if not self._done(holder, identifier, ids):
                        break  # the lease went to another kiosk: it goes on from here
        except DirectoryError as exc:
            self._server_waits(exc.stored())
            return Delivered(sent, len(due), str(exc), blocked=len(waiting))
        with self.tx() as s:
            worker = s.get(DirectoryWorker, 1)
            worker.failures, worker.next_try_at, worker.delivered_at = 0, None, self.now()
            if worker.holder == holder and len(due) < limit:  # nothing left: a repair need not wait
                worker.holder, worker.lease_until = None, None
            blocked = s.scalar(select(func.count()).select_from(DirectoryUpdate)
                               .where(DirectoryUpdate.problem.is_not(None)))
            if not blocked:
                worker.problem = None
        return Delivered(sent, 0, more=len(due) == limit, blocked=len(waiting))

    def _deliver_one(self, directory: Directory, identifier: str) -> int:
        with self.tx(read_only=True) as s:
            row = s.execute(select(Account, SchoolClass.name, CHARTER).outerjoin(SchoolClass)
                            .where(Account.identifier == identifier)).first()
            pupil = pupil_state(*row) if row and row[0].kind == Kind.STUDENT else None
        if pupil is None:
            return int(directory.remove(identifier))
        return int(directory.put(pupil))

    def _lease(self, holder: str, *, take: bool = False) -> str | None:
        """The right to deliver, for ``holder`` (None), unless another holds it (``"busy"``;
        ``take``: even then) or the server's back-off is not over (``"later"``)."""
        now = self.now()
        with self.tx() as s:
            worker = s.get(DirectoryWorker, 1, with_for_update=True)
            if worker is None:  # the row made by the migration was deleted by hand
                worker = DirectoryWorker(id=1, failures=0)
                s.add(worker)
            held = worker.holder not in (None, holder) and worker.lease_until and worker.lease_until > now
            if not take and held:
                return "busy"
            if not take and worker.next_try_at and worker.next_try_at > now:
                return "later"
            worker.holder, worker.lease_until = holder, now + self.lease
        return None

    def _renew(self, s: DbSession, holder: str) -> bool:
        """The lease for ``holder`` a while longer; False if another kiosk took it meanwhile."""
        return bool(s.execute(update(DirectoryWorker).where(DirectoryWorker.id == 1, DirectoryWorker.holder == holder)
                              .values(lease_until=self.now() + self.lease)).rowcount)

    def _done(self, holder: str, identifier: str, ids: list[int]) -> bool:
        """The rows ``ids`` delivered (exactly those: on PostgreSQL a smaller id may commit
        later). If the lease was lost meanwhile, what was just written may be older than what
        the new holder wrote: the rows stay, and one more asks it to write the pupil again."""
        with self.tx() as s:
            if not self._renew(s, holder):
                s.add(DirectoryUpdate(identifier=identifier, change="again", created_at=self.now(),
                                      kiosk_id=self.core.kiosk_id, attempts=0))
                return False
            s.execute(delete(DirectoryUpdate).where(DirectoryUpdate.id.in_(ids)))
        return True

    def _entry_waits(self, identifier: str, ids: list[int], problem: str) -> None:
        now = self.now()
        with self.tx() as s:
            attempts = (s.scalar(select(func.max(DirectoryUpdate.attempts))
                                 .where(DirectoryUpdate.identifier == identifier)) or 0) + 1
            s.execute(update(DirectoryUpdate).where(DirectoryUpdate.id.in_(ids))
                      .values(attempts=attempts, next_try_at=now + backoff(attempts), problem=problem[:2000]))
            worker = s.get(DirectoryWorker, 1)
            worker.problem, worker.problem_at = problem[:2000], now

    def _server_waits(self, problem: str) -> None:
        now = self.now()
        with self.tx() as s:
            worker = s.get(DirectoryWorker, 1)
            worker.failures += 1
            worker.next_try_at = now + backoff(worker.failures)
            worker.problem, worker.problem_at = problem[:2000], now

    def release(self, holder: str) -> None:
        with self.tx() as s:
            s.execute(update(DirectoryWorker).where(DirectoryWorker.id == 1, DirectoryWorker.holder == holder)
                      .values(holder=None, lease_until=None))

    # ------------------------------------------------------------ status

    def directory_status(self, *, actor: str | None = None, check: bool = False) -> DirectoryStatus:
        """The backlog and the last news of the directory (``check``: ask the server now)."""
        from ..directory.client import said

        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.SYNC)
            rows = s.execute(select(DirectoryUpdate.identifier, DirectoryUpdate.change, DirectoryUpdate.created_at,
                                    DirectoryUpdate.problem).order_by(DirectoryUpdate.id)).all()
            worker = s.get(DirectoryWorker, 1)
        changes: dict[str, int] = {}
        blocked: dict[str, str] = {}
        for row in rows:
            changes[row.change] = changes.get(row.change, 0) + 1
            if row.problem:
                blocked[row.identifier] = said(row.problem) or ""
        answer = None
        if check:
            answer = self.check_directory()
        live = worker is not None and worker.lease_until is not None and worker.lease_until > self.now()
        return DirectoryStatus(
            url=self.settings.directory.url, waiting=len(rows), pupils=len({r.identifier for r in rows}),
            oldest=rows[0].created_at if rows else None, changes=changes, blocked=sorted(blocked.items()),
            problem=said(worker.problem) if worker else None, problem_at=worker.problem_at if worker else None,
            delivered_at=worker.delivered_at if worker else None,
            holder=worker.holder if worker and live else None,
            next_try_at=worker.next_try_at if worker else None, answer=answer)

    def check_directory(self) -> str | None:
        """None if the directory answers and its base is there, else the French sentence."""
        if self.connect is None:
            return None
        from ..directory.client import DirectoryError

        try:
            with self.connect() as directory:
                directory.reachable()
        except DirectoryError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------ comparison and repair

    def directory_sync(self, *, actor: str | None = None, apply: bool = False,
                       holder: str = "entkiosk directory sync") -> SyncReport:
        """Compare every pupil with the directory; with ``apply``, repair it: add what is
        missing, rewrite what is stale, move entries to their class's branch, delete
        entkiosk's entries of pupils the database no longer has. Someone else's entries are
        listed, never touched."""
        if self.connect is None:
            raise errors.DomainError(_("Aucun annuaire n'est configuré : ajoutez une section [directory] à "
                                       "kiosk.conf."))
        from ..directory.client import DirectoryError

        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.SYNC)
        if apply:
            self._take_lease(holder)
        try:
            report = self._compare(apply, holder)
        except DirectoryError as exc:
            raise errors.DomainError(str(exc)) from None
        finally:
            if apply:
                self.release(holder)
        if apply:
            with self.tx() as s:
                self.audit(s, "directory.sync", actor=actor or "cli", checked=report.checked,
                           added=len(report.missing), rewritten=len(report.stale), moved=len(report.moved),
                           deleted=len(report.extra), foreign=len(report.foreign))
        return report

    def _keep_lease(self, holder: str) -> None:
        """A long repair renews its lease as it goes (a kiosk must not take over and write
        behind it)."""
        with self.tx() as s:
            self._renew(s, holder)

    def _take_lease(self, holder: str) -> None:
        """The delivering kiosk finishes its pupil (its lease is renewed per pupil), then the
        repair holds the lease: no update crosses it."""
        import time

        for _attempt in range(LEASE * 2):
            if self._lease(holder) is None:
                return
            with self.tx() as s:  # the server's back-off does not hold a repair back
                worker = s.get(DirectoryWorker, 1)
                if worker is not None and not (worker.lease_until and worker.lease_until > self.now()):
                    worker.next_try_at = None
            time.sleep(0.5)
        self._lease(holder, take=True)

    def _compare(self, apply: bool, holder: str) -> SyncReport:
        report = SyncReport(applied=apply)
        with self.tx(read_only=True) as s:  # the rows and the states they led to, in one snapshot
            recorded = s.execute(select(DirectoryUpdate.id, DirectoryUpdate.identifier)).all()
            pupils = {a.identifier.lower(): pupil_state(a, name, charter) for a, name, charter in
                      s.execute(select(Account, SchoolClass.name, CHARTER).outerjoin(SchoolClass)
                                .where(Account.kind == Kind.STUDENT))}
        report.checked = len(pupils)
        assert self.connect is not None
        with self.connect() as directory:
            found: dict[str, list[Found]] = {}
            for entry in directory.entries():
                found.setdefault(entry.uid.lower(), []).append(entry)
            for uid, pupil in pupils.items():
                entries = found.pop(uid, [])
                foreign = [e for e in entries if not e.ours]
                if foreign:
                    report.foreign.append((pupil.uid, foreign[0].dn))
                    continue
                if not entries:
                    report.missing.append(pupil.uid)
                else:
                    changes = directory.differences(entries[0], pupil)
                    if "dn" in changes:
                        report.moved.append((pupil.uid, directory.layout.branch(pupil.class_name)))
                    if [c for c in changes if c != "dn"]:
                        report.stale.append((pupil.uid, [c for c in changes if c != "dn"]))
                    if not changes:
                        continue
                if apply:
                    directory.put(pupil)
                    self._keep_lease(holder)
            for uid, entries in found.items():
                for entry in entries:
                    if entry.ours:
                        report.extra.append(entry.dn)
                        if apply:
                            directory.delete(entry)
            if directory.layout.per_class or apply:
                report.branches = directory.empty_branches()
                if apply:
                    for branch in report.branches:
                        directory.delete_branch(branch)
        if apply:
            # Every update recorded before the comparison is in the directory now, but those of
            # pupils whose uid someone else's entry holds: they wait, named by the status.
            blocked = {uid for uid, _dn in report.foreign}
            done = [row_id for row_id, identifier in recorded if identifier not in blocked]
            with self.tx() as s:
                for start in range(0, len(done), 500):
                    s.execute(delete(DirectoryUpdate).where(DirectoryUpdate.id.in_(done[start:start + 500])))
                worker = s.get(DirectoryWorker, 1)
                if worker is not None:
                    worker.failures, worker.next_try_at, worker.problem = 0, None, None
                    worker.delivered_at = self.now()
        return report


class Worker:
    """The kiosk's delivering thread: a round when a use case recorded updates (:meth:`kick`),
    else every ``poll`` seconds; errors are logged, never raised into the kiosk."""

    def __init__(self, use_cases: DirectoryUseCases, holder: str, *, poll: float = 2.0) -> None:
        self.use_cases = use_cases
        self.holder = holder
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entkiosk-directory", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        try:
            self.use_cases.release(self.holder)
        except errors.DomainError:
            pass

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.use_cases.deliver(self.holder)
            except errors.DomainError as exc:  # the database itself is out of reach: try later
                log.warning("directory worker: %s", type(exc).__name__)
                result = Delivered(problem="database")
            except Exception:  # noqa: BLE001 - a bug here must not stop the kiosk
                log.exception("directory worker")
                result = Delivered(problem="bug")
            self._wake.wait(0 if result.more else self.poll)
            self._wake.clear()
