"""Many kiosks on one database: N processes run the full student path on their own students.

Importable: :func:`run_load` is what ``python -m bench`` calls, and what a CI test can
call at a small size::

    report = run_load("sqlite:////tmp/x/entkiosk.db", processes=3, students_per_process=2,
                      outbox_root=Path("/tmp/x/outbox"))
    assert report.ok, report.summary()

Each process is started with the ``spawn`` context, opens its own service with
:func:`entkiosk.runtime.open_service` (as a kiosk does: schema check, its own engine),
waits for the others at a barrier, then runs for each of its students, timing every
use case: authenticate with the letter's password → first_connection (birth date, new
password, an e-mail) → accept_charter → validate_email with the code of its mail →
update_profile (new password) → logout → forgot_password → reset_password with the
mailed code → authenticate with the last password. Each process has its own Maildir
outbox, so codes never mix.

``contended_accounts`` more accounts are each taken by two extra processes that log in,
meet at a barrier and do the first connection at the same moment: exactly one must win,
the other must be refused with a domain error.

Afterwards the parent checks the database: each student activated exactly once (one
``account.activated`` event), charter accepted, address validated, and the last
password opens the account. Every exception on a student's own path is an error (a
``StorageUnavailable`` — what « database is locked » becomes — included); any
non-DomainError in a contended first connection is one too.
"""

from __future__ import annotations

import multiprocessing as mp
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .support import ACTIVATION_PASSWORD, PROFILE_PASSWORD, RESET_PASSWORD, median, percentile, school

USE_CASES = ("authenticate", "first_connection", "accept_charter", "validate_email", "update_profile", "logout",
             "forgot_password", "reset_password", "authenticate_again")
BARRIER_TIMEOUT = 300.0


@dataclass
class Student:
    identifier: str
    provisional: str
    birth_date: str  # JJ/MM/AAAA, as typed
    email: str


@dataclass
class WorkerResult:
    worker: int
    role: str  # "path" or "contender"
    latencies: dict[str, list[float]] = field(default_factory=dict)
    #: Seconds of each use case spent in argon2 (hash or verify), parallel to ``latencies``.
    hashing: dict[str, list[float]] = field(default_factory=dict)
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # (identifier, use case, type, message)
    final_passwords: dict[str, str] = field(default_factory=dict)
    paths: int = 0
    started: float = 0.0  # time.time() after the barrier
    ended: float = 0.0
    startup_s: float = 0.0  # spawn → service open (imports, engine, schema check)
    contention: tuple[str, str, str] | None = None  # (identifier, "won"/"refused"/"error", detail)


@dataclass
class LoadReport:
    url: str
    processes: int
    students_per_process: int
    contended_accounts: int
    wall_s: float
    paths: int
    latencies: dict[str, list[float]]
    hashing: dict[str, list[float]]
    errors: list[tuple[str, str, str, str]]
    lost_writes: list[str]
    contention: list[tuple[str, str, str]]
    startup_s: list[float]

    @property
    def all_latencies(self) -> list[float]:
        return [t for values in self.latencies.values() for t in values]

    @property
    def p50(self) -> float:
        return percentile(self.all_latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.all_latencies, 95)

    @property
    def other_p95(self) -> float:
        """p95 of each call's time outside argon2 (database, Python): what more processes
        cost apart from sharing the cores' hashing."""
        return percentile([t - h for name, values in self.latencies.items()
                           for t, h in zip(values, self.hashing.get(name, [0.0] * len(values)), strict=True)], 95)

    @property
    def throughput(self) -> float:
        """Complete student paths per second, barrier to last process done."""
        return self.paths / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def contention_failures(self) -> list[str]:
        """Contended accounts without exactly one winner and one clean refusal."""
        by_account: dict[str, list[str]] = {}
        for identifier, outcome, _ in self.contention:
            by_account.setdefault(identifier, []).append(outcome)
        return [f"{ident}: {sorted(outcomes)}" for ident, outcomes in by_account.items()
                if sorted(outcomes) != ["refused", "won"]]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.lost_writes and not self.contention_failures

    def per_use_case(self) -> dict[str, dict[str, float]]:
        out = {}
        for name in USE_CASES:
            values = self.latencies.get(name, [])
            hashing = self.hashing.get(name, [])
            if values:
                out[name] = {"n": len(values), "p50_ms": percentile(values, 50) * 1000,
                             "p95_ms": percentile(values, 95) * 1000,
                             "hash_p50_ms": percentile(hashing, 50) * 1000 if hashing else 0.0,
                             "other_p50_ms": median([t - h for t, h in zip(values, hashing, strict=True)]) * 1000
                             if hashing else percentile(values, 50) * 1000}
        return out

    def summary(self) -> str:
        kinds = Counter(e[2] for e in self.errors)
        return (f"{self.processes} process(es) × {self.students_per_process} student(s): {self.paths} paths in "
                f"{self.wall_s:.1f} s ({self.throughput:.2f} paths/s), p50 {self.p50 * 1000:.0f} ms, "
                f"p95 {self.p95 * 1000:.0f} ms, errors {len(self.errors)} {dict(kinds) or ''}, "
                f"lost writes {len(self.lost_writes)}, contention failures {len(self.contention_failures)}")

    def as_json(self) -> dict:
        return {"url": _safe_url(self.url), "processes": self.processes,
                "students_per_process": self.students_per_process, "contended_accounts": self.contended_accounts,
                "wall_s": self.wall_s, "paths": self.paths, "throughput": self.throughput,
                "p50_ms": self.p50 * 1000, "p95_ms": self.p95 * 1000, "other_p95_ms": self.other_p95 * 1000,
                "per_use_case": self.per_use_case(),
                "errors": self.errors[:50], "error_count": len(self.errors), "lost_writes": self.lost_writes[:50],
                "lost_write_count": len(self.lost_writes), "contention": self.contention,
                "contention_failures": self.contention_failures,
                "process_startup_s": {"median": median(self.startup_s), "max": max(self.startup_s, default=0.0)}}


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------- in each process


class _TimedHasher:
    """The service's hasher, counting the seconds spent in argon2 (one thread per process)."""

    def __init__(self, hasher) -> None:
        self._hasher = hasher
        self.spent = 0.0

    def __getattr__(self, name):
        return getattr(self._hasher, name)

    def hash(self, password: str) -> str:
        started = time.perf_counter()
        try:
            return self._hasher.hash(password)
        finally:
            self.spent += time.perf_counter() - started

    def verify(self, stored, password: str) -> bool:
        started = time.perf_counter()
        try:
            return self._hasher.verify(stored, password)
        finally:
            self.spent += time.perf_counter() - started


def _newest_code(outbox: Path, to: str) -> str:
    from entkiosk.mail import OutboxTransport

    for entry in reversed(OutboxTransport(outbox).entries()):
        if entry.to == to:
            match = re.search(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", entry.body, re.MULTILINE)
            if match:
                return match.group(1)
    raise LookupError(f"no code mailed to {to} in {outbox}")


def _open(settings_raw: dict, outbox: Path, kiosk_id: str):
    from entkiosk.config import settings_from_dict
    from entkiosk.runtime import open_service

    raw = {section: dict(values) for section, values in settings_raw.items()}
    raw.setdefault("mail", {})["outbox"] = str(outbox)
    raw.setdefault("kiosk", {})["id"] = kiosk_id
    service = open_service(settings_from_dict(raw, source="bench"))
    timed = _TimedHasher(service.hasher)
    service.hasher = timed
    return service, timed


def _path_worker(index: int, settings_raw: dict, students: list[Student], outbox: str, barrier, results) -> None:
    """One kiosk: the full path for each of its students, in turn."""
    spawned = time.time()
    result = WorkerResult(index, "path")
    try:
        from entkiosk.domain.errors import DomainError

        service, hasher = _open(settings_raw, Path(outbox), f"bench-{index}")
        result.startup_s = time.time() - spawned
        barrier.wait(timeout=BARRIER_TIMEOUT)
        result.started = time.time()
        for student in students:
            final = None
            step = ""

            def call(name: str, fn, *args, **kwargs):
                nonlocal step
                step = name
                before = hasher.spent
                started = time.perf_counter()
                value = fn(*args, **kwargs)
                result.latencies.setdefault(name, []).append(time.perf_counter() - started)
                result.hashing.setdefault(name, []).append(hasher.spent - before)
                return value

            try:
                login = call("authenticate", service.authenticate, student.identifier, student.provisional)
                call("first_connection", service.first_connection, login.token, birth_date=student.birth_date,
                     new_password=ACTIVATION_PASSWORD, confirm_password=ACTIVATION_PASSWORD,
                     email=student.email, confirm_email=student.email)
                final = ACTIVATION_PASSWORD
                call("accept_charter", service.accept_charter, login.token, service.settings.charter.version)
                step = "validate_email (code)"
                code = _newest_code(Path(outbox), student.email)
                call("validate_email", service.validate_email, code, token=login.token)
                call("update_profile", service.update_profile, login.token, current_password=ACTIVATION_PASSWORD,
                     new_password=PROFILE_PASSWORD, confirm_password=PROFILE_PASSWORD)
                final = PROFILE_PASSWORD
                call("logout", service.logout, login.token)
                call("forgot_password", service.forgot_password, student.identifier)
                step = "reset_password (code)"
                code = _newest_code(Path(outbox), student.email)
                call("reset_password", service.reset_password, student.identifier, code, RESET_PASSWORD,
                     RESET_PASSWORD)
                final = RESET_PASSWORD
                again = call("authenticate_again", service.authenticate, student.identifier, RESET_PASSWORD)
                if again.next_step != "home":
                    raise RuntimeError(f"after the path, login leads to {again.next_step!r}, not home")
                result.paths += 1
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the others
                kind = type(exc).__name__ if isinstance(exc, DomainError) else f"{type(exc).__name__} (not a DomainError)"
                result.errors.append((student.identifier, step, kind, str(exc)[:300]))
            if final:
                result.final_passwords[student.identifier] = final
        result.ended = time.time()
        service.engine.dispose()
    except Exception as exc:  # noqa: BLE001 - the process itself failed (start-up, barrier)
        result.errors.append(("", "process", type(exc).__name__, traceback.format_exc()[-600:]))
    results.put(result)


def _contender_worker(index: int, settings_raw: dict, student: Student, password: str, outbox: str,
                      barrier, pair, results) -> None:
    """Two of these do the first connection of the same account at the same moment."""
    spawned = time.time()
    result = WorkerResult(index, "contender")
    try:
        from entkiosk.domain.errors import DomainError

        service, _ = _open(settings_raw, Path(outbox), f"bench-c{index}")
        result.startup_s = time.time() - spawned
        barrier.wait(timeout=BARRIER_TIMEOUT)
        result.started = time.time()
        login = service.authenticate(student.identifier, student.provisional)
        pair.wait(timeout=BARRIER_TIMEOUT)
        started = time.perf_counter()
        try:
            service.first_connection(login.token, birth_date=student.birth_date, new_password=password,
                                     confirm_password=password)
            result.contention = (student.identifier, "won", password)
            result.final_passwords[student.identifier] = password
        except DomainError as exc:
            result.contention = (student.identifier, "refused", type(exc).__name__)
        except Exception as exc:  # noqa: BLE001
            result.contention = (student.identifier, "error", f"{type(exc).__name__}: {exc}"[:300])
            result.errors.append((student.identifier, "first_connection (contended)",
                                  f"{type(exc).__name__} (not a DomainError)", str(exc)[:300]))
        result.latencies["first_connection (contended)"] = [time.perf_counter() - started]
        result.ended = time.time()
        service.engine.dispose()
    except Exception as exc:  # noqa: BLE001
        result.errors.append((student.identifier, "process", type(exc).__name__, traceback.format_exc()[-600:]))
    results.put(result)


# ---------------------------------------------------------------- the parent


def run_load(url: str, processes: int, students_per_process: int, outbox_root: Path, *,
             contended_accounts: int = 2, settings: dict | None = None, timeout: float = 1800.0) -> LoadReport:
    """Run the load on the database at ``url`` (created or upgraded here) and check it afterwards.

    ``outbox_root`` receives one Maildir per process. ``settings`` are extra sections of
    kiosk.conf (as a dict) for every process. Returns a :class:`LoadReport`; it raises only
    when the scene cannot be set up (database unreachable…).
    """
    from entkiosk.config import settings_from_dict
    from entkiosk.runtime import open_service

    raw: dict = {section: dict(values) for section, values in (settings or {}).items()}
    raw.setdefault("database", {})["url"] = url
    raw.setdefault("mail", {})["outbox"] = str(Path(outbox_root) / "parent")
    outbox_root = Path(outbox_root)
    outbox_root.mkdir(parents=True, exist_ok=True)

    service = open_service(settings_from_dict(raw, source="bench"))
    total = processes * students_per_process + contended_accounts
    letters = service.import_class_list(school(total), actor="bench")
    rows = school(total)
    students = [Student(letter.identifier, letter.provisional_password, row.birth_date.strftime("%d/%m/%Y"),
                        f"{letter.identifier}@example.org") for letter, row in zip(letters, rows, strict=True)]
    own, contended = students[:processes * students_per_process], students[processes * students_per_process:]

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes + 2 * len(contended))
    results = ctx.Queue()
    procs = []
    for i in range(processes):
        mine = own[i * students_per_process:(i + 1) * students_per_process]
        procs.append(ctx.Process(target=_path_worker, name=f"bench-kiosk-{i}",
                                 args=(i, raw, mine, str(outbox_root / f"kiosk-{i}"), barrier, results)))
    pairs = []  # kept alive until the end: a barrier's semaphore dies with its last reference
    for j, student in enumerate(contended):
        pair = ctx.Barrier(2)
        pairs.append(pair)
        for k, password in enumerate(("Premier1x", "Second2yz")):
            index = processes + 2 * j + k
            procs.append(ctx.Process(target=_contender_worker, name=f"bench-contender-{index}",
                                     args=(index, raw, student, password, str(outbox_root / f"kiosk-{index}"),
                                           barrier, pair, results)))
    for p in procs:
        p.start()
    collected: list[WorkerResult] = []
    deadline = time.monotonic() + timeout
    import queue

    while len(collected) < len(procs):
        try:
            collected.append(results.get(timeout=1.0))
        except queue.Empty:
            if time.monotonic() > deadline:
                break
            if any(p.exitcode not in (0, None) for p in procs):
                # A process died before reporting: the others must not wait for it at the barrier.
                barrier.abort()
                for pair in pairs:
                    pair.abort()
            if all(not p.is_alive() for p in procs) and results.empty():
                break
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
            p.join()
    missing = len(procs) - len(collected)

    latencies: dict[str, list[float]] = {}
    hashing: dict[str, list[float]] = {}
    errors: list[tuple[str, str, str, str]] = []
    finals: dict[str, str] = {}
    contention: list[tuple[str, str, str]] = []
    for r in collected:
        if r.role == "path":
            for name, values in r.latencies.items():
                latencies.setdefault(name, []).extend(values)
            for name, values in r.hashing.items():
                hashing.setdefault(name, []).extend(values)
        errors.extend(r.errors)
        finals.update(r.final_passwords)
        if r.contention:
            contention.append(r.contention)
    if missing:
        errors.append(("", "process", "NoResult", f"{missing} process(es) ended without a result"))
    starts = [r.started for r in collected if r.started]
    ends = [r.ended for r in collected if r.ended]
    wall = (max(ends) - min(starts)) if starts and ends else 0.0
    paths = sum(r.paths for r in collected)

    lost = _check(service, own, contended, finals)
    service.engine.dispose()
    return LoadReport(url, processes, students_per_process, len(contended), wall, paths, latencies, hashing,
                      errors, lost, contention, [r.startup_s for r in collected])


def _check(service, own: list[Student], contended: list[Student], finals: dict[str, str]) -> list[str]:
    """What the database must hold after the run; one line per write that is not there."""
    from sqlalchemy import func, select

    from entkiosk.store.models import Account, AuditEvent, CharterAcceptance

    lost: list[str] = []
    with service.engine.connect() as c:
        activations = dict(c.execute(select(AuditEvent.identifier, func.count()).where(
            AuditEvent.event == "account.activated").group_by(AuditEvent.identifier)).all())
        accounts = {row.identifier: row for row in c.execute(select(
            Account.identifier, Account.id, Account.state, Account.email, Account.password_hash))}
        charters = set(c.execute(select(CharterAcceptance.account_id)).scalars())
    for student in own:
        account = accounts.get(student.identifier)
        if account is None:
            lost.append(f"{student.identifier}: account missing")
            continue
        if activations.get(student.identifier, 0) != 1:
            lost.append(f"{student.identifier}: activated {activations.get(student.identifier, 0)} time(s)")
        if account.id not in charters:
            lost.append(f"{student.identifier}: charter acceptance missing")
        if account.email != student.email:
            lost.append(f"{student.identifier}: validated address {account.email!r}")
        expected = finals.get(student.identifier)
        if expected and not service.hasher.verify(account.password_hash, expected):
            lost.append(f"{student.identifier}: the last password set does not open the account")
    for student in contended:
        if activations.get(student.identifier, 0) != 1:
            lost.append(f"{student.identifier} (contended): activated {activations.get(student.identifier, 0)} time(s)")
        expected = finals.get(student.identifier)
        account = accounts.get(student.identifier)
        if expected and account is not None and not service.hasher.verify(account.password_hash, expected):
            lost.append(f"{student.identifier} (contended): the winner's password does not open the account")
    return lost


# ---------------------------------------------------------------- the figure


def fresh_postgres(admin_url: str) -> tuple[str, object]:
    """A new empty database ``bench_<random>`` on the server of ``admin_url``; (its URL, a drop function)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def measure(runs: int, figures: dict, details: dict, *, quick: bool = False, pg: str | None = None,
            processes: int | None = None) -> None:
    from .support import scratch

    processes, per_process = processes or (3 if quick else 20), (2 if quick else 5)
    contended = 1 if quick else 2
    backends = [("sqlite", None), ("postgresql", pg)]
    for backend, admin in backends:
        p95_fig, err_fig = figures[f"kiosks {backend} p95"], figures[f"kiosks {backend} errors"]
        p95_fig.name = f"{processes} kiosks {backend}: p95"
        err_fig.name = f"{processes} kiosks {backend}: errors+lost"
        tput_fig = figures[f"kiosks {backend} throughput"]
        tput_fig.name = f"{processes} kiosks {backend}: paths/s"
        other_fig = figures[f"kiosks {backend} other p95"]
        other_fig.name = f"{processes} kiosks {backend}: p95 outside argon2"
        if backend == "postgresql" and not admin:
            for fig in (p95_fig, err_fig, tput_fig, other_fig):
                fig.skipped = "no --pg URL"
            continue
        per_run = details.setdefault(f"kiosks_{backend}", [])
        for i in range(runs):
            reports = {}
            # One process, then many (alternating which comes first), each on a fresh database.
            order = [("one", 1, 0), ("many", processes, contended)]
            if i % 2:
                order.reverse()
            for label, n, c in order:
                with scratch(f"kiosks-{backend}") as folder:
                    drop = None
                    if backend == "sqlite":
                        url = f"sqlite:///{folder / 'entkiosk.db'}"
                    else:
                        url, drop = fresh_postgres(admin)
                    try:
                        reports[label] = run_load(url, n, per_process, folder / "outbox", contended_accounts=c)
                    finally:
                        if drop:
                            drop()
            one, many = reports["one"], reports["many"]
            p95_fig.add(many.p95 * 1000, one.p95 * 1000)
            bad = len(many.errors) + len(many.lost_writes) + len(many.contention_failures) \
                + len(one.errors) + len(one.lost_writes)
            err_fig.add(bad)
            tput_fig.add(many.throughput, one.throughput)
            other_fig.add(many.other_p95 * 1000, one.other_p95 * 1000)
            per_run.append({"one": one.as_json(), "many": many.as_json()})
            if bad:
                err_fig.note = many.summary()


if __name__ == "__main__":  # a quick look: python -m bench.kiosks [URL] [PROCESSES] [STUDENTS]
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="entkiosk-bench-kiosks-") as tmp:
        target = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/entkiosk.db"
        report = run_load(target, int(sys.argv[2]) if len(sys.argv) > 2 else 3,
                          int(sys.argv[3]) if len(sys.argv) > 3 else 2, Path(tmp) / "outbox")
        print(report.summary())
        for name, row in report.per_use_case().items():
            print(f"  {name:20} {row}")
        for error in report.errors[:10]:
            print("  error:", error)
        for line in report.lost_writes[:10]:
            print("  lost:", line)
        raise SystemExit(0 if report.ok else 1)
