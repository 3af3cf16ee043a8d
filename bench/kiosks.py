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
the other must be refused with a domain error. ``profile_races`` more accounts, activated
beforehand, are each taken by two extra processes that log in at the same moment (a
``Conflict`` there is retried, as a student would) and then change the password and the
e-mail address of that one account at the same moment: exactly one change must win
whole (its password opens the account, its address is the pending one, one
``password.changed`` and one ``email.requested`` in the audit, its validation mail sent)
and the other must be refused with a domain error and leave nothing (no mail either).

Afterwards the parent checks the database (:meth:`LoadReport.check` runs the same
queries again on any connection): each student activated exactly once (one
``account.activated`` event; more is a *duplicate activation*), each of the path's
audit events exactly once (two ``login.ok``), charter accepted, address validated, the
reset request done, the last password opens the account and no earlier one does.
Every exception on a student's own path is an error (a ``StorageUnavailable`` — what
« database is locked » becomes — included); in a race, a refusal must be a domain error
other than ``StorageUnavailable``, anything else is an error too.

It stops by itself: every barrier wait has a timeout, the parent gives up after
``timeout`` seconds, and then kills the processes still running. It only talks to
loopback: the database must be an SQLite file or a server on 127.0.0.1/::1/localhost (or
a Unix socket), mail goes to per-process Maildir outboxes (or to an SMTP server on
loopback if the settings ask for one); anything else is refused before a process starts.
"""

from __future__ import annotations

import ipaddress
import multiprocessing as mp
import queue
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .support import (
    ACTIVATION_PASSWORD,
    PROFILE_PASSWORD,
    RESET_PASSWORD,
    median,
    percentile,
    school,
)

USE_CASES = ("authenticate", "first_connection", "accept_charter", "validate_email", "update_profile", "logout",
             "forgot_password", "reset_password", "authenticate_again")
#: What a race's ``update_profile`` or first connection may be refused with: the account
#: changed under it, or the winner ended its session. Never « service unavailable ».
RACE_REFUSALS = frozenset({"Conflict", "SessionExpired", "NotAllowed"})
#: The audit of one student's path, exactly (import events apart).
PATH_EVENTS = Counter({"login.ok": 2, "account.activated": 1, "email.requested": 1, "charter.accepted": 1,
                       "email.validated": 1, "password.changed": 1, "logout": 1, "recovery.password": 1,
                       "password.reset": 1})
FIRST_PASSWORDS = ("Premier1x", "Second2yz")  # the two contenders of a first connection
RACE_PASSWORDS = ("Profil1ab", "Profil2cd")  # the two contenders of a profile change
BARRIER_TIMEOUT = 300.0
LOGIN_RETRIES = 3


class NotLoopback(ValueError):
    """The load would talk to something other than this machine."""


def _loopback_host(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback(url: str, mail: dict | None = None) -> None:
    """Refuse a database or an SMTP server that is not on this machine (raises :class:`NotLoopback`)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        # An empty URL would even be the user's own database (the data folder's default).
        raise NotLoopback(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            # :memory: is not shared by processes.
            raise NotLoopback(f"the load needs an SQLite file, not {url!r}")
    else:
        hosts = [parsed.host] if parsed.host else []
        for key in ("host", "hostaddr"):
            value = parsed.query.get(key)
            for item in (value if isinstance(value, tuple) else [value] if value else []):
                hosts.extend(h for h in item.split(",") if h and not h.startswith("/"))  # "/…": a Unix socket
        far = [h for h in hosts if not _loopback_host(h)]
        if far:
            raise NotLoopback(f"the load only talks to loopback: database host {far[0]!r} refused")
    mail = mail or {}
    if mail.get("transport", "outbox") != "outbox" and not _loopback_host(str(mail.get("smtp_host", "localhost"))):
        raise NotLoopback(f"the load only talks to loopback: SMTP host {mail.get('smtp_host')!r} refused")


@dataclass
class Student:
    identifier: str
    provisional: str
    birth_date: str  # JJ/MM/AAAA, as typed
    email: str


@dataclass(frozen=True)
class Pace:
    """A class at a supervised session, not a stress test: the time students take between calls.

    Each student (one per kiosk process at a time) starts at a random moment of the first
    ``window_s`` seconds (uniform, ``seed``ed: a class does not press Entrée at the same
    millisecond), and before each use case waits ``reading_s`` (a glance at the screen)
    plus the keys of that step's fields typed at ``keys_per_s``: each field's characters
    and one key to leave it (Tab or Entrée), as :func:`step_keys` counts them. The
    defaults err on the fast side, so harsher than a real class: 5 keys/s is 300 a minute,
    a practised typist's speed (a pupil on a kiosk keyboard types 2–3), one second to
    read each screen, the charter ticked without reading it, the mailed code typed
    without the time to find it on a phone, and a whole class starting within 10 s.
    The time waited is never counted in a call's latency.
    """

    keys_per_s: float = 5.0
    reading_s: float = 1.0
    window_s: float = 10.0
    seed: int = 6

    def think(self, keys: int) -> float:
        return self.reading_s + keys / self.keys_per_s

    def offsets(self, processes: int) -> list[float]:
        import random

        rng = random.Random(self.seed)
        return [rng.uniform(0.0, self.window_s) for _ in range(processes)]

    def describe(self) -> str:
        return (f"{self.keys_per_s:g} keys/s, {self.reading_s:g} s per screen, start within {self.window_s:g} s "
                f"(seed {self.seed})")


#: The quick size: twenty times faster, a smoke run of the same code.
QUICK_PACE = Pace(keys_per_s=100.0, reading_s=0.05, window_s=0.5)


def parse_pace(text: str) -> Pace:
    """``"5,1,10"``: keys per second, seconds to read a screen, seconds over which the class starts."""
    parts = [p.strip() for p in text.split(",")]
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise ValueError(f"expected KEYS/S[,READING[,WINDOW]], not {text!r}")
    values = [float(p) for p in parts]
    if values[0] <= 0 or any(v < 0 for v in values[1:]):
        raise ValueError("keys per second must be positive, the times not negative")
    return Pace(*values)


def step_keys(student: Student, code: str = "XXXX-XXXX") -> dict[str, int]:
    """Keys typed before each use case of the path: every field's text plus one key to leave it.

    authenticate: identifier and provisional password; first_connection: the birth date
    as its 8 digits (the parts move on by themselves), the new password twice, the address
    twice; accept_charter: tick the box, Entrée; validate_email: the code; update_profile:
    the current password and the new one twice; logout: one key; forgot_password: the
    identifier; reset_password: the code and the new password twice (the identifier is
    filled in); authenticate_again: identifier and the last password.
    """

    def keys(*fields: str) -> int:
        return sum(len(f) + 1 for f in fields)

    date_digits = student.birth_date.replace("/", "")
    return {
        "authenticate": keys(student.identifier, student.provisional),
        "first_connection": keys(date_digits, ACTIVATION_PASSWORD, ACTIVATION_PASSWORD, student.email,
                                 student.email),
        "accept_charter": 2,
        "validate_email": keys(code),
        "update_profile": keys(ACTIVATION_PASSWORD, PROFILE_PASSWORD, PROFILE_PASSWORD),
        "logout": 1,
        "forgot_password": keys(student.identifier),
        "reset_password": keys(code, RESET_PASSWORD, RESET_PASSWORD),
        "authenticate_again": keys(student.identifier, RESET_PASSWORD),
    }


@dataclass
class WorkerResult:
    worker: int
    role: str  # "path", "contender" (first connection) or "racer" (profile change)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    #: Seconds of each use case spent in argon2 (hash or verify), parallel to ``latencies``.
    hashing: dict[str, list[float]] = field(default_factory=dict)
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # (identifier, use case, type, message)
    final_passwords: dict[str, str] = field(default_factory=dict)
    paths: int = 0
    started: float = 0.0  # time.time() after the barrier
    ended: float = 0.0
    startup_s: float = 0.0  # spawn → service open (imports, engine, schema check)
    contention: tuple[str, str, str] | None = None  # (identifier, "won"/"refused"/"error", password or refusal)
    login_conflicts: int = 0  # racers: simultaneous logins refused with Conflict (then retried)
    thinking_s: float = 0.0  # paced: seconds waited as a student reads and types (never timed)


@dataclass
class Findings:
    """What the database says after a load: one line per problem."""

    lost_writes: list[str]
    duplicate_activations: list[str]


@dataclass
class Scene:
    """What the parent knows of the run, to check the database against (again)."""

    own: list[Student]
    contended: list[Student]
    races: list[Student]
    finals: dict[str, str]
    outbox_root: Path
    race_mailboxes: dict[str, tuple[str, str]]  # identifier → the two racers' outbox folders


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
    duplicate_activations: list[str] = field(default_factory=list)
    profile_races: list[tuple[str, str, str]] = field(default_factory=list)
    race_latencies: dict[str, list[float]] = field(default_factory=dict)
    login_conflicts: int = 0
    timed_out: bool = False
    pace: Pace | None = None
    thinking_s: float = 0.0
    scene: Scene | None = field(default=None, repr=False)

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
    def storage_errors(self) -> list[tuple[str, str, str, str]]:
        """What a student would have seen as « database is locked » (or the database gone)."""
        return [e for e in self.errors
                if e[2].startswith("StorageUnavailable") or "locked" in e[3].lower()
                or "momentanément indisponible" in e[3]]

    @property
    def contention_failures(self) -> list[str]:
        """Races (first connection, profile change) without exactly one winner and one clean refusal."""
        out = []
        for label, outcomes in (("first connection", self.contention), ("profile change", self.profile_races)):
            by_account: dict[str, list[tuple[str, str]]] = {}
            for identifier, outcome, detail in outcomes:
                by_account.setdefault(identifier, []).append((outcome, detail))
            for ident, pairs in by_account.items():
                kinds = sorted(o for o, _ in pairs)
                refusals = [d for o, d in pairs if o == "refused"]
                if kinds != ["refused", "won"] or any(d not in RACE_REFUSALS for d in refusals):
                    out.append(f"{ident} ({label}): {sorted(pairs)}")
        return out

    @property
    def ok(self) -> bool:
        return not (self.errors or self.lost_writes or self.duplicate_activations or self.contention_failures
                    or self.timed_out)

    def check(self, connection) -> Findings:
        """The parent's checks again, on ``connection`` (say, one where a test changed something)."""
        if self.scene is None:
            raise ValueError("this report has no scene to check against")
        return check_database(connection, self.scene)

    def per_use_case(self) -> dict[str, dict[str, float]]:
        out = {}
        for name in USE_CASES:
            values = self.latencies.get(name, [])
            hashing = self.hashing.get(name, [])
            if values:
                out[name] = {"n": len(values), "p50_ms": percentile(values, 50) * 1000,
                             "p95_ms": percentile(values, 95) * 1000, "max_ms": max(values) * 1000,
                             "hash_p50_ms": percentile(hashing, 50) * 1000 if hashing else 0.0,
                             "other_p50_ms": median([t - h for t, h in zip(values, hashing, strict=True)]) * 1000
                             if hashing else percentile(values, 50) * 1000}
        for name, values in self.race_latencies.items():
            out[name] = {"n": len(values), "p50_ms": percentile(values, 50) * 1000,
                         "p95_ms": percentile(values, 95) * 1000, "max_ms": max(values) * 1000}
        return out

    def summary(self) -> str:
        kinds = Counter(e[2] for e in self.errors)
        paced = f", lab-paced ({self.pace.describe()})" if self.pace else ", saturated (no pause)"
        return (f"{self.processes} process(es) × {self.students_per_process} student(s){paced} + "
                f"{self.contended_accounts} first-connection race(s) + "
                f"{len(self.scene.races) if self.scene else len({r[0] for r in self.profile_races})} "
                f"profile race(s): {self.paths} paths in {self.wall_s:.1f} s ({self.throughput:.2f} paths/s), "
                f"p50 {self.p50 * 1000:.0f} ms, p95 {self.p95 * 1000:.0f} ms, errors {len(self.errors)} "
                f"{dict(kinds) or ''}, storage errors seen by a student {len(self.storage_errors)}, "
                f"lost writes {len(self.lost_writes)}, duplicate activations {len(self.duplicate_activations)}, "
                f"race failures {len(self.contention_failures)}{', TIMED OUT' if self.timed_out else ''}")

    def as_json(self) -> dict:
        return {"url": _safe_url(self.url), "processes": self.processes,
                "pace": None if self.pace is None else {"keys_per_s": self.pace.keys_per_s,
                                                        "reading_s": self.pace.reading_s,
                                                        "window_s": self.pace.window_s, "seed": self.pace.seed},
                "thinking_s": self.thinking_s,
                "students_per_process": self.students_per_process, "contended_accounts": self.contended_accounts,
                "wall_s": self.wall_s, "paths": self.paths, "throughput": self.throughput,
                "p50_ms": self.p50 * 1000, "p95_ms": self.p95 * 1000, "other_p95_ms": self.other_p95 * 1000,
                "per_use_case": self.per_use_case(),
                "errors": self.errors[:50], "error_count": len(self.errors),
                "storage_error_count": len(self.storage_errors), "lost_writes": self.lost_writes[:50],
                "lost_write_count": len(self.lost_writes), "duplicate_activations": self.duplicate_activations,
                "contention": self.contention, "profile_races": self.profile_races,
                "login_conflicts": self.login_conflicts, "contention_failures": self.contention_failures,
                "timed_out": self.timed_out,
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


_CODE = re.compile(r"^\s+([0-9A-Z]{4}-[0-9A-Z]{4})\s*$", re.MULTILINE)


def _mails_to(outbox: Path, to: str) -> list[str]:
    """Bodies of the mails to ``to`` in the Maildir ``outbox``, oldest first."""
    from entkiosk.mail import OutboxTransport

    return [entry.body for entry in OutboxTransport(outbox).entries() if entry.to == to]


def _newest_code(outbox: Path, to: str) -> str:
    for body in reversed(_mails_to(outbox, to)):
        match = _CODE.search(body)
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
    service.core.hasher = timed
    return service, timed


def _kind(exc: Exception) -> str:
    from entkiosk.domain.errors import DomainError

    return type(exc).__name__ if isinstance(exc, DomainError) else f"{type(exc).__name__} (not a DomainError)"


def _path_worker(index: int, settings_raw: dict, students: list[Student], outbox: str, barrier, results,
                 wait: float, pace: Pace | None = None, offset: float = 0.0) -> None:
    """One kiosk: the full path for each of its students, in turn (with ``pace``, as a
    student types: ``offset`` seconds after the start, then the think time of each step)."""
    spawned = time.time()
    result = WorkerResult(index, "path")
    try:
        service, hasher = _open(settings_raw, Path(outbox), f"bench-{index}")
        result.startup_s = time.time() - spawned
        barrier.wait(timeout=wait)
        result.started = time.time()
        if pace is not None and offset > 0:
            time.sleep(offset)
            result.thinking_s += offset
        for student in students:
            final = None
            step = ""
            typed = step_keys(student)

            def call(name: str, fn, *args, **kwargs):
                nonlocal step
                step = name
                if pace is not None:
                    pause = pace.think(typed[name])  # noqa: B023 - called only within this student's turn
                    time.sleep(pause)
                    result.thinking_s += pause
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
                result.errors.append((student.identifier, step, _kind(exc), str(exc)[:300]))
            if final:
                result.final_passwords[student.identifier] = final
        result.ended = time.time()
        service.engine.dispose()
    except Exception as exc:  # noqa: BLE001 - the process itself failed (start-up, barrier)
        result.errors.append(("", "process", type(exc).__name__, traceback.format_exc()[-600:]))
    results.put(result)


def _race_outcome(result: WorkerResult, identifier: str, use_case: str, password: str, fn) -> None:
    """Run the raced call: a win, a clean refusal, or an error (« unavailable » is one)."""
    from entkiosk.domain.errors import DomainError, StorageUnavailable

    started = time.perf_counter()
    try:
        fn()
        result.contention = (identifier, "won", password)
        result.final_passwords[identifier] = password
    except DomainError as exc:
        if isinstance(exc, StorageUnavailable):
            result.contention = (identifier, "error", type(exc).__name__)
            result.errors.append((identifier, use_case, type(exc).__name__, str(exc)[:300]))
        else:
            result.contention = (identifier, "refused", type(exc).__name__)
    except Exception as exc:  # noqa: BLE001
        result.contention = (identifier, "error", f"{type(exc).__name__}: {exc}"[:300])
        result.errors.append((identifier, use_case, _kind(exc), str(exc)[:300]))
    result.latencies[use_case] = [time.perf_counter() - started]


def _contender_worker(index: int, settings_raw: dict, student: Student, password: str, outbox: str,
                      barrier, pair, results, wait: float) -> None:
    """Two of these do the first connection of the same account at the same moment."""
    spawned = time.time()
    result = WorkerResult(index, "contender")
    try:
        service, _ = _open(settings_raw, Path(outbox), f"bench-c{index}")
        result.startup_s = time.time() - spawned
        barrier.wait(timeout=wait)
        result.started = time.time()
        login = service.authenticate(student.identifier, student.provisional)
        pair.wait(timeout=wait)
        _race_outcome(result, student.identifier, "first_connection (race)", password,
                      lambda: service.first_connection(login.token, birth_date=student.birth_date,
                                                       new_password=password, confirm_password=password))
        result.ended = time.time()
        service.engine.dispose()
    except Exception as exc:  # noqa: BLE001
        result.errors.append((student.identifier, "process", type(exc).__name__, traceback.format_exc()[-600:]))
    results.put(result)


def _racer_worker(index: int, settings_raw: dict, student: Student, password: str, outbox: str,
                  barrier, pair, results, wait: float) -> None:
    """Two of these log in to the same active account at the same moment, then both change its
    password and address at the same moment."""
    from entkiosk.domain.errors import Conflict

    spawned = time.time()
    result = WorkerResult(index, "racer")
    email = f"{student.identifier}.{index}@example.org"
    try:
        service, _ = _open(settings_raw, Path(outbox), f"bench-r{index}")
        result.startup_s = time.time() - spawned
        barrier.wait(timeout=wait)
        result.started = time.time()
        pair.wait(timeout=wait)
        login = None
        started = time.perf_counter()
        for _ in range(LOGIN_RETRIES):
            try:
                login = service.authenticate(student.identifier, ACTIVATION_PASSWORD)
                break
            except Conflict:  # the other kiosk's login changed the account meanwhile: log in again
                result.login_conflicts += 1
        result.latencies["authenticate (race)"] = [time.perf_counter() - started]
        if login is None:
            raise RuntimeError(f"{LOGIN_RETRIES} logins in a row refused with Conflict")
        pair.wait(timeout=wait)
        _race_outcome(result, student.identifier, "update_profile (race)", password,
                      lambda: service.update_profile(login.token, current_password=ACTIVATION_PASSWORD,
                                                     new_password=password, confirm_password=password,
                                                     new_email=email, confirm_email=email))
        result.ended = time.time()
        service.engine.dispose()
    except Exception as exc:  # noqa: BLE001
        result.errors.append((student.identifier, "process", _kind(exc), traceback.format_exc()[-600:]))
    results.put(result)


# ---------------------------------------------------------------- the parent


def run_load(url: str, processes: int, students_per_process: int, outbox_root: Path, *,
             contended_accounts: int = 2, profile_races: int = 0, settings: dict | None = None,
             timeout: float = 1800.0, pace: Pace | None = None) -> LoadReport:
    """Run the load on the database at ``url`` (created or upgraded here) and check it afterwards.

    Without ``pace`` every process runs its students back to back (saturation); with a
    :class:`Pace`, each student starts at a random moment of its window and waits the
    time of reading and typing each step before calling it (a class at a session).

    ``outbox_root`` receives one Maildir per process. ``settings`` are extra sections of
    kiosk.conf (as a dict) for every process. After ``timeout`` seconds the processes
    still running are killed and the report says ``timed_out``. Returns a
    :class:`LoadReport`; it raises only when the scene cannot be set up (database
    unreachable, not on loopback…).
    """
    from entkiosk.config import settings_from_dict
    from entkiosk.runtime import open_service

    raw: dict = {section: dict(values) for section, values in (settings or {}).items()}
    raw.setdefault("database", {})["url"] = url
    raw.setdefault("mail", {})["outbox"] = str(Path(outbox_root) / "parent")
    require_loopback(url, raw["mail"])
    outbox_root = Path(outbox_root)
    outbox_root.mkdir(parents=True, exist_ok=True)
    wait = min(BARRIER_TIMEOUT, timeout)

    service = open_service(settings_from_dict(raw, source="bench"))
    total = processes * students_per_process + contended_accounts + profile_races
    rows = school(total)
    letters = service.import_class_list(rows, actor="cli:bench")
    students = [Student(letter.identifier, letter.provisional_password, row.birth_date.strftime("%d/%m/%Y"),
                        f"{letter.identifier}@example.org") for letter, row in zip(letters, rows, strict=True)]
    n_own = processes * students_per_process
    own = students[:n_own]
    contended = students[n_own:n_own + contended_accounts]
    races = students[n_own + contended_accounts:]
    for student in races:  # activated beforehand, no address: the race is on the profile
        login = service.authenticate(student.identifier, student.provisional)
        service.first_connection(login.token, birth_date=student.birth_date, new_password=ACTIVATION_PASSWORD,
                                 confirm_password=ACTIVATION_PASSWORD)
        service.accept_charter(login.token, service.settings.charter.version)
        service.logout(login.token)

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes + 2 * len(contended) + 2 * len(races))
    results = ctx.Queue()
    procs = []
    # One process alone starts at once: there is no class to spread.
    offsets = pace.offsets(processes) if pace is not None and processes > 1 else [0.0] * processes
    for i in range(processes):
        mine = own[i * students_per_process:(i + 1) * students_per_process]
        procs.append(ctx.Process(target=_path_worker, name=f"bench-kiosk-{i}",
                                 args=(i, raw, mine, str(outbox_root / f"kiosk-{i}"), barrier, results, wait,
                                       pace, offsets[i])))
    pairs = []  # kept alive until the end: a barrier's semaphore dies with its last reference
    race_mailboxes: dict[str, tuple[str, str]] = {}
    index = processes
    for target, group, passwords in ((_contender_worker, contended, FIRST_PASSWORDS),
                                     (_racer_worker, races, RACE_PASSWORDS)):
        for student in group:
            pair = ctx.Barrier(2)
            pairs.append(pair)
            boxes = []
            for password in passwords:
                box = outbox_root / f"kiosk-{index}"
                boxes.append(str(box))
                procs.append(ctx.Process(target=target, name=f"bench-race-{index}",
                                         args=(index, raw, student, password, str(box), barrier, pair, results,
                                               wait)))
                index += 1
            if target is _racer_worker:
                race_mailboxes[student.identifier] = (boxes[0], boxes[1])

    collected: list[WorkerResult] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        for p in procs:
            p.start()
        while len(collected) < len(procs):
            try:
                collected.append(results.get(timeout=1.0))
            except queue.Empty:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                if any(p.exitcode not in (0, None) for p in procs):
                    # A process died before reporting: the others must not wait for it at a barrier.
                    barrier.abort()
                    for pair in pairs:
                        pair.abort()
                if all(not p.is_alive() for p in procs) and results.empty():
                    break
    finally:
        # It stops by itself: past the deadline (or on any trouble here) whatever still runs
        # is killed at once; otherwise a short grace for the processes to exit.
        grace = time.monotonic() + (0.0 if timed_out or len(collected) < len(procs) else 10.0)
        for p in procs:
            if p.pid is not None:
                p.join(timeout=max(0.0, grace - time.monotonic()))
        killed = 0
        for p in procs:
            if p.is_alive():
                p.kill()
                killed += 1
        for p in procs:
            if p.pid is not None:
                p.join()
    while len(collected) < len(procs):  # results put just before the end
        try:
            collected.append(results.get(timeout=0.1))
        except (queue.Empty, EOFError, OSError):
            break
    missing = len(procs) - len(collected)

    latencies: dict[str, list[float]] = {}
    hashing: dict[str, list[float]] = {}
    race_latencies: dict[str, list[float]] = {}
    errors: list[tuple[str, str, str, str]] = []
    finals: dict[str, str] = {}
    contention: list[tuple[str, str, str]] = []
    profile: list[tuple[str, str, str]] = []
    for r in collected:
        if r.role == "path":
            for name, values in r.latencies.items():
                latencies.setdefault(name, []).extend(values)
            for name, values in r.hashing.items():
                hashing.setdefault(name, []).extend(values)
        else:
            for name, values in r.latencies.items():
                race_latencies.setdefault(name, []).extend(values)
        errors.extend(r.errors)
        finals.update(r.final_passwords)
        if r.contention:
            (contention if r.role == "contender" else profile).append(r.contention)
    if missing:
        errors.append(("", "process", "NoResult", f"{missing} process(es) ended without a result"
                       + (f" ({killed} killed after {timeout:g} s)" if killed else "")))
    starts = [r.started for r in collected if r.started]
    ends = [r.ended for r in collected if r.ended]
    wall = (max(ends) - min(starts)) if starts and ends else 0.0
    paths = sum(r.paths for r in collected)

    scene = Scene(own, contended, races, finals, outbox_root, race_mailboxes)
    try:
        with service.engine.connect() as connection:
            findings = check_database(connection, scene)
    finally:
        service.engine.dispose()
    return LoadReport(url, processes, students_per_process, len(contended), wall, paths, latencies, hashing,
                      errors, findings.lost_writes, contention, [r.startup_s for r in collected],
                      duplicate_activations=findings.duplicate_activations, profile_races=profile,
                      race_latencies=race_latencies, login_conflicts=sum(r.login_conflicts for r in collected),
                      timed_out=timed_out, pace=pace, thinking_s=sum(r.thinking_s for r in collected),
                      scene=scene)


def check_database(connection, scene: Scene) -> Findings:
    """What the database must hold after the run; one line per write that is not there."""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error, InvalidHashError
    from sqlalchemy import func, select

    from entkiosk.store.models import (
        Account,
        AuditEvent,
        CharterAcceptance,
        ResetRequest,
    )

    verifier = PasswordHasher()  # the parameters are read from each stored hash

    def opens(stored: str | None, password: str) -> bool:
        try:
            return bool(stored) and verifier.verify(stored, password)
        except (Argon2Error, InvalidHashError):
            return False

    c = connection
    events: dict[str, Counter] = {}
    for identifier, event, count in c.execute(select(AuditEvent.identifier, AuditEvent.event, func.count())
                                              .where(AuditEvent.identifier.is_not(None))
                                              .group_by(AuditEvent.identifier, AuditEvent.event)):
        events.setdefault(identifier, Counter())[event] = count
    accounts = {row.identifier: row for row in c.execute(select(
        Account.identifier, Account.id, Account.state, Account.email, Account.pending_email,
        Account.email_validated_at, Account.activated_at, Account.password_hash))}
    charters = Counter(c.execute(select(CharterAcceptance.account_id)).scalars())
    resets = {}
    for account_id, status in c.execute(select(ResetRequest.account_id, ResetRequest.status)):
        resets.setdefault(account_id, []).append(status)

    lost: list[str] = []
    duplicates: list[str] = []

    def activation(ident: str, label: str = "") -> None:
        n = events.get(ident, Counter())["account.activated"]
        account = accounts.get(ident)
        if n > 1:
            duplicates.append(f"{ident}{label}: activated {n} times")
        elif n == 0:
            lost.append(f"{ident}{label}: no account.activated event")
        if account is not None and (account.state != "active" or account.activated_at is None):
            lost.append(f"{ident}{label}: state {account.state!r}, activated_at {account.activated_at}")

    for student in scene.own:
        ident = student.identifier
        account = accounts.get(ident)
        if account is None:
            lost.append(f"{ident}: account missing")
            continue
        activation(ident)
        # (account.activated is checked above, as a lost or a duplicate activation)
        path = Counter({k: v for k, v in events.get(ident, Counter()).items()
                        if k in PATH_EVENTS and k != "account.activated"})
        path["account.activated"] = PATH_EVENTS["account.activated"]
        if ident in scene.finals and scene.finals[ident] == RESET_PASSWORD and path != PATH_EVENTS:
            diff = {k: path[k] - PATH_EVENTS[k] for k in PATH_EVENTS | path if path[k] != PATH_EVENTS[k]}
            lost.append(f"{ident}: audit of the path off by {diff}")
        if charters[account.id] != 1:
            lost.append(f"{ident}: {charters[account.id]} charter acceptance(s)")
        if account.email != student.email or account.email_validated_at is None or account.pending_email:
            lost.append(f"{ident}: address {account.email!r} (validated {account.email_validated_at}), "
                        f"pending {account.pending_email!r}")
        if scene.finals.get(ident) == RESET_PASSWORD and resets.get(account.id) != ["done"]:
            lost.append(f"{ident}: reset requests {resets.get(account.id)}, not one done")
        expected = scene.finals.get(ident)
        if expected:
            if not opens(account.password_hash, expected):
                lost.append(f"{ident}: the last password set does not open the account")
            sequence = (student.provisional, ACTIVATION_PASSWORD, PROFILE_PASSWORD, RESET_PASSWORD)
            for older in sequence[:sequence.index(expected)]:
                if opens(account.password_hash, older):
                    lost.append(f"{ident}: an older password still opens the account")
    for student in scene.contended:
        ident = student.identifier
        activation(ident, " (first-connection race)")
        expected, account = scene.finals.get(ident), accounts.get(ident)
        if expected is None or account is None:
            continue  # no winner: a race failure, reported as such
        if not opens(account.password_hash, expected):
            lost.append(f"{ident} (first-connection race): the winner's password does not open the account")
        for other in FIRST_PASSWORDS:
            if other != expected and opens(account.password_hash, other):
                lost.append(f"{ident} (first-connection race): the loser's password opens the account")
    for student in scene.races:
        ident = student.identifier
        label = " (profile race)"
        activation(ident, label)
        expected, account = scene.finals.get(ident), accounts.get(ident)
        if expected is None or account is None:
            continue
        seen = events.get(ident, Counter())
        if seen["password.changed"] != 1 or seen["email.requested"] != 1:
            lost.append(f"{ident}{label}: audit has {seen['password.changed']} password.changed, "
                        f"{seen['email.requested']} email.requested (1 each expected)")
        if not opens(account.password_hash, expected):
            lost.append(f"{ident}{label}: the winner's password does not open the account")
        for other in (*RACE_PASSWORDS, ACTIVATION_PASSWORD):
            if other != expected and opens(account.password_hash, other):
                lost.append(f"{ident}{label}: {'the loser' if other in RACE_PASSWORDS else 'the old'}'s "
                            f"password opens the account")
        winner = RACE_PASSWORDS.index(expected)
        boxes = scene.race_mailboxes[ident]
        addresses = [f"{ident}.{Path(box).name.removeprefix('kiosk-')}@example.org" for box in boxes]
        if account.pending_email != addresses[winner]:
            lost.append(f"{ident}{label}: pending address {account.pending_email!r}, not the winner's")
        if not _mails_to(Path(boxes[winner]), addresses[winner]):
            lost.append(f"{ident}{label}: the winner's validation mail was not sent")
        if _mails_to(Path(boxes[1 - winner]), addresses[1 - winner]):
            lost.append(f"{ident}{label}: the refused change sent a validation mail")
    return Findings(lost, duplicates)


# ---------------------------------------------------------------- the figure


def fresh_postgres(admin_url: str) -> tuple[str, object]:
    """A new empty database ``bench_<random>`` on the server of ``admin_url``; (its URL, a drop function)."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    require_loopback(admin_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def one_and_many(backend: str, admin: str | None, processes: int, per_process: int, contended: int, races: int,
                 *, many_first: bool = False, timeout: float = 1800.0, pace: Pace | None = None,
                 one_per_process: int | None = None) -> dict[str, LoadReport]:
    """The reference (one process, the same path at the same pace, no races) and the load,
    each on a fresh database. The reference runs ``one_per_process`` students (default
    ``per_process``)."""
    from .support import scratch

    reports = {}
    order = [("one", 1, one_per_process or per_process, 0, 0), ("many", processes, per_process, contended, races)]
    if many_first:
        order.reverse()
    for label, n, s, c, r in order:
        with scratch(f"kiosks-{backend}") as folder:
            drop = None
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'entkiosk.db'}"
            else:
                url, drop = fresh_postgres(admin)
            try:
                reports[label] = run_load(url, n, s, folder / "outbox", contended_accounts=c,
                                          profile_races=r, timeout=timeout, pace=pace)
            finally:
                if drop:
                    drop()
    return reports


#: The lab-paced figure's size: each of the 20 kiosks has one student (a class), about a
#: minute of path at the default pace; the reference is one kiosk with one student.
PACED_STUDENTS = 1


def measure(runs: int, figures: dict, details: dict, *, quick: bool = False, pg: str | None = None,
            processes: int | None = None, pace: Pace | None = None, paced_students: int | None = None,
            modes: tuple[str, ...] = ("paced", "saturated")) -> None:
    """The many-kiosks rows of ``python -m bench``: lab-paced (judged) and saturated (information)."""
    processes = processes or (3 if quick else 20)
    per_process = 2 if quick else 5
    contended, races = (1, 1) if quick else (2, 1)
    pace = pace or (QUICK_PACE if quick else Pace())
    paced_students = paced_students or PACED_STUDENTS
    for backend, admin in (("sqlite", None), ("postgresql", pg)):
        owned = [key for key in figures if key.startswith(f"kiosks {backend} ")]
        names = {"p95": f"{processes} kiosks {backend}, lab-paced: p95",
                 "errors": f"{processes} kiosks {backend}: errors+lost (both modes)",
                 "other p95": f"{processes} kiosks {backend}, lab-paced: p95 outside argon2",
                 "saturated p95": f"{processes} kiosks {backend}, saturated: p95",
                 "saturated other p95": f"{processes} kiosks {backend}, saturated: p95 outside argon2",
                 "saturated throughput": f"{processes} kiosks {backend}, saturated: paths/s"}
        for key, name in names.items():
            figures[f"kiosks {backend} {key}"].name = name
        if backend == "postgresql" and not admin:
            for key in owned:
                figures[key].skipped = "no --pg URL"
            continue
        for key in owned:
            if ("saturated" in key and "saturated" not in modes) or (
                    "saturated" not in key and "errors" not in key and "paced" not in modes):
                figures[key].skipped = "not run (--kiosks-mode)"
        fig = {key: figures[f"kiosks {backend} {key}"] for key in names}
        per_run = details.setdefault(f"kiosks_{backend}", [])
        for i in range(runs):
            bad, run = 0, {}
            # One process, then many (alternating which comes first), each on a fresh database.
            if "paced" in modes:
                # Each run draws its own start offsets (seed, seed + 1, …): reproducible, not all alike.
                reports = one_and_many(backend, admin, processes, paced_students, contended, races,
                                       many_first=bool(i % 2), pace=replace(pace, seed=pace.seed + i))
                one, many = reports["one"], reports["many"]
                fig["p95"].add(many.p95 * 1000, one.p95 * 1000)
                fig["other p95"].add(many.other_p95 * 1000, one.other_p95 * 1000)
                bad += _bad(many) + _bad(one)
                run["paced"] = {"one": one.as_json(), "many": many.as_json()}
                if _bad(many) + _bad(one):
                    fig["errors"].note = many.summary()
            if "saturated" in modes:
                reports = one_and_many(backend, admin, processes, per_process, contended, races,
                                       many_first=bool(i % 2))
                one, many = reports["one"], reports["many"]
                fig["saturated p95"].add(many.p95 * 1000, one.p95 * 1000)
                fig["saturated other p95"].add(many.other_p95 * 1000, one.other_p95 * 1000)
                fig["saturated throughput"].add(many.throughput, one.throughput)
                bad += _bad(many) + _bad(one)
                run["saturated"] = {"one": one.as_json(), "many": many.as_json()}
                if _bad(many) + _bad(one):
                    fig["errors"].note = many.summary()
            fig["errors"].add(bad)
            per_run.append(run)


def _bad(report: LoadReport) -> int:
    return (len(report.errors) + len(report.lost_writes) + len(report.duplicate_activations)
            + len(report.contention_failures) + int(report.timed_out))


def print_report(backend: str, one: LoadReport, many: LoadReport) -> None:
    """The full-size report: throughput, p50/p95 of each use case against one process, errors."""
    print(f"\n== {backend}: {_safe_url(many.url)}")
    print(f"   {many.summary()}")
    print(f"   reference, one process: {one.summary()}")
    print(f"   {'use case':28} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'1-proc p95':>10} {'ratio':>6} "
          f"{'argon2 p50':>10}")
    reference = one.per_use_case()
    for name, row in many.per_use_case().items():
        ref = reference.get(name, {}).get("p95_ms")
        ratio = f"{row['p95_ms'] / ref:5.1f}x" if ref else ""
        argon = f"{row['hash_p50_ms']:10.0f}" if "hash_p50_ms" in row else ""
        print(f"   {name:28} {row['n']:>4} {row['p50_ms']:8.0f} {row['p95_ms']:8.0f} {row['max_ms']:8.0f} "
              f"{'' if ref is None else round(ref):>10} {ratio:>6} {argon}")
    print(f"   all use cases: p95 {many.p95 * 1000:.0f} ms vs one process {one.p95 * 1000:.0f} ms "
          f"({many.p95 / one.p95:.1f}x); outside argon2 {many.other_p95 * 1000:.0f} ms vs "
          f"{one.other_p95 * 1000:.0f} ms"
          + ("" if many.pace else f"; paths/s {many.throughput:.2f} vs {one.throughput:.2f}"))
    if many.pace:
        print(f"   paced: {many.pace.describe()}; {many.wall_s:.0f} s from start to the last student done, "
              f"{many.thinking_s:.0f} s of reading and typing in all (never timed)")
    slowest = max([t for v in many.latencies.values() for t in v] + [t for v in many.race_latencies.values() for t in v],
                  default=0.0)
    print(f"   slowest call: {slowest * 1000:.0f} ms" + (" (an SQLite writer gives up after the busy timeout, "
          "database.busy_timeout, 15 s by default)" if backend == "sqlite" else ""))
    print(f"   first-connection races: {many.contention}")
    print(f"   profile races: {many.profile_races} (simultaneous logins refused with Conflict: "
          f"{many.login_conflicts})")
    for error in many.errors[:10] + one.errors[:10]:
        print("   error:", error)
    for line in many.lost_writes[:10] + one.lost_writes[:10]:
        print("   lost:", line)
    for line in many.duplicate_activations[:10]:
        print("   duplicate activation:", line)
    for line in many.contention_failures:
        print("   race failure:", line)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.kiosks",
                                     description="Many kiosks on one database: SQLite file (WAL), and PostgreSQL "
                                                 "with --pg; each against one process running the same path.")
    parser.add_argument("--pg", default=os.environ.get("ENTKIOSK_BENCH_PG_URL"), metavar="URL",
                        help="PostgreSQL server on loopback (a database bench_* is created and dropped); "
                             "default $ENTKIOSK_BENCH_PG_URL, without it SQLite only")
    parser.add_argument("--processes", type=int, default=20, metavar="N", help="kiosk processes (default 20)")
    parser.add_argument("--students", type=int, metavar="S",
                        help="students per process, in turn (default 5; 1 with --paced)")
    parser.add_argument("--paced", action="store_true",
                        help="lab-paced: each student starts at a random moment of the window and reads and types "
                             "each step before calling it (see Pace); without it, back to back (saturation)")
    parser.add_argument("--rate", type=float, default=Pace.keys_per_s, metavar="KEYS/S",
                        help=f"--paced: keys typed per second (default {Pace.keys_per_s:g})")
    parser.add_argument("--reading", type=float, default=Pace.reading_s, metavar="SECONDS",
                        help=f"--paced: seconds to read each screen before typing (default {Pace.reading_s:g})")
    parser.add_argument("--window", type=float, default=Pace.window_s, metavar="SECONDS",
                        help=f"--paced: the students start over this many seconds (default {Pace.window_s:g})")
    parser.add_argument("--seed", type=int, default=Pace.seed, help="--paced: seed of the start offsets")
    parser.add_argument("--contended", type=int, default=2, metavar="C",
                        help="accounts whose first connection two more processes race (default 2)")
    parser.add_argument("--races", type=int, default=1, metavar="R",
                        help="active accounts whose login and profile change two more processes race (default 1)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before the stragglers are killed")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--json", metavar="FILE", help="write every figure there")
    args = parser.parse_args(argv)
    pace = None
    if args.paced:
        if args.rate <= 0 or args.reading < 0 or args.window < 0:
            parser.error("--rate must be positive, --reading and --window not negative")
        pace = Pace(args.rate, args.reading, args.window, args.seed)
    students = args.students or (PACED_STUDENTS if pace else 5)

    ok, out = True, {}
    for backend, admin in (("sqlite", None), ("postgresql", args.pg)):
        if args.only and backend != args.only:
            continue
        if backend == "postgresql" and not admin:
            print("\n== postgresql: skipped (no --pg URL)")
            continue
        reports = one_and_many(backend, admin, args.processes, students, args.contended, args.races,
                               timeout=args.timeout, pace=pace)
        print_report(backend, reports["one"], reports["many"])
        out[backend] = {label: report.as_json() for label, report in reports.items()}
        ok = ok and reports["one"].ok and reports["many"].ok
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    print("\nOK: zero errors, lost writes, duplicate activations and race failures" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
