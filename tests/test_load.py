"""Many kiosks at once (issue #5): kiosk processes on one database lose nothing.

Each test runs ``bench.kiosks.run_load``: kiosk-like processes (``spawn``), each with its
own service and engine, run the full student path (login, first connection, charter,
address validation, profile change, logout, recovery, login again) on their own
students, while pairs of extra processes race the first connection of one account and
the login + profile change of one active account. The parent then reads the database.

CI runs a small size (4 processes × 2 students, 2 first-connection races, 1 profile
race) on an SQLite file (WAL) and on PostgreSQL. The full size of the issue runs on
demand with the same test::

    ENTKIOSK_LOAD=full .venv/bin/pytest tests/test_load.py -s          # 20 processes × 5 students
    ENTKIOSK_LOAD=full ENTKIOSK_LOAD_PROCESSES=40 .venv/bin/pytest tests/test_load.py -s

(``python -m bench.kiosks --pg URL`` prints the same load with throughput and p50/p95 per
use case against one process.) No assertion here is about time: speed belongs in bench/.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate, student
from sqlalchemy import delete, func, insert, select, update

from entkiosk.domain.errors import DomainError
from entkiosk.runtime import open_service
from entkiosk.store import db
from entkiosk.store.models import Account, AuditEvent, CharterAcceptance

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ lives at the repository root; spawned processes inherit sys.path

from bench.kiosks import (  # noqa: E402
    RACE_REFUSALS,
    USE_CASES,
    NotLoopback,
    require_loopback,
    run_load,
)

FULL = os.environ.get("ENTKIOSK_LOAD") == "full"
PROCESSES = int(os.environ.get("ENTKIOSK_LOAD_PROCESSES", "20")) if FULL else 4
STUDENTS = 5 if FULL else 2
CONTENDED = 2
RACES = 2 if FULL else 1
#: The harness kills whatever still runs after this (it stops by itself); not a speed limit.
TIMEOUT = 1800.0 if FULL else 240.0

pytestmark = pytest.mark.slow


def _races(outcomes: list[tuple[str, str, str]]) -> dict[str, list[tuple[str, str]]]:
    by_account: dict[str, list[tuple[str, str]]] = {}
    for identifier, outcome, detail in outcomes:
        by_account.setdefault(identifier, []).append((outcome, detail))
    return by_account


def test_many_kiosks_lose_nothing_and_the_check_reads_the_database(db_url, tmp_path):
    report = run_load(db_url, PROCESSES, STUDENTS, tmp_path / "outbox", contended_accounts=CONTENDED,
                      profile_races=RACES, timeout=TIMEOUT)
    print("\n" + report.summary())
    for name, row in report.per_use_case().items():
        print(f"  {name:28} n={row['n']:<4} p50 {row['p50_ms']:7.0f} ms  p95 {row['p95_ms']:7.0f} ms")

    assert not report.timed_out
    assert report.storage_errors == [], "a student saw « database is locked » / StorageUnavailable"
    assert report.errors == []
    assert report.lost_writes == []
    assert report.duplicate_activations == []
    assert report.paths == PROCESSES * STUDENTS
    for name in USE_CASES:  # every use case of the path was run and timed for every student
        assert len(report.latencies[name]) == PROCESSES * STUDENTS, name

    # Each first-connection race and each profile race: one winner, one clean refusal.
    for label, outcomes, expected in (("first connection", report.contention, CONTENDED),
                                      ("profile change", report.profile_races, RACES)):
        races = _races(outcomes)
        assert len(races) == expected, (label, outcomes)
        for identifier, pairs in races.items():
            assert sorted(o for o, _ in pairs) == ["refused", "won"], (label, identifier, pairs)
            refusal = next(d for o, d in pairs if o == "refused")
            assert refusal in RACE_REFUSALS, (label, identifier, refusal)
    assert report.contention_failures == []
    assert report.ok

    # The checks read the database: break what the load wrote (in a transaction rolled
    # back afterwards) and the same checks must say so, one line per broken write.
    scene = report.scene
    own = [s.identifier for s in scene.own]
    engine = db.make_engine(db_url)
    try:
        with engine.connect() as c:
            tx = c.begin()
            ids = dict(c.execute(select(Account.identifier, Account.id)).all())
            c.execute(delete(CharterAcceptance).where(CharterAcceptance.account_id == ids[own[0]]))
            c.execute(insert(AuditEvent).values(at=datetime.now(UTC), kiosk_id="test", event="account.activated",
                                                identifier=own[1], actor=None, details={}))
            # (another password's hash: the contended account's winner set Premier1x or Second2yz)
            other_hash = c.scalar(select(Account.password_hash).where(
                Account.identifier == scene.contended[1].identifier))
            c.execute(update(Account).where(Account.identifier == own[2]).values(password_hash=other_hash,
                                                                                 version=Account.version + 1))
            c.execute(delete(AuditEvent).where(AuditEvent.identifier == own[4], AuditEvent.event == "password.reset"))
            contended = scene.contended[0].identifier
            c.execute(delete(AuditEvent).where(AuditEvent.identifier == contended,
                                               AuditEvent.event == "account.activated"))
            raced = scene.races[0].identifier
            c.execute(update(Account).where(Account.identifier == raced).values(
                pending_email="someone@example.org", version=Account.version + 1))
            findings = report.check(c)
            tx.rollback()
        lost = "\n".join(findings.lost_writes)
        assert f"{own[0]}: 0 charter acceptance(s)" in lost
        assert findings.duplicate_activations == [f"{own[1]}: activated 2 times"]
        assert f"{own[2]}: the last password set does not open the account" in lost
        assert f"{own[4]}: audit of the path off by {{'password.reset': -1}}" in lost
        assert f"{contended} (first-connection race): no account.activated event" in lost
        assert f"{raced} (profile race): pending address 'someone@example.org', not the winner's" in lost
        assert len(findings.lost_writes) == 5, lost
        # Rolled back: the database is as the load left it, and the checks say so again.
        with engine.connect() as c:
            again = report.check(c)
        assert again.lost_writes == [] and again.duplicate_activations == []
    finally:
        engine.dispose()


def test_load_only_talks_to_loopback(tmp_path):
    for far in ("postgresql+psycopg://postgres@192.0.2.1:5432/entkiosk",
                "postgresql+psycopg://postgres@db.example.org/entkiosk",
                "postgresql+psycopg://postgres@/entkiosk?host=192.0.2.1",
                "sqlite://", "sqlite:///:memory:", ""):
        with pytest.raises(NotLoopback):
            require_loopback(far)
    with pytest.raises(NotLoopback):
        require_loopback(f"sqlite:///{tmp_path / 'x.db'}", {"transport": "smtp", "smtp_host": "smtp.example.org"})
    for near in ("postgresql+psycopg://postgres@127.0.0.1:55432/postgres", "postgresql+psycopg://postgres@[::1]/x",
                 "postgresql+psycopg://postgres@localhost/x", "postgresql+psycopg://postgres@/x?host=/run/postgresql",
                 f"sqlite:///{tmp_path / 'x.db'}"):
        require_loopback(near, {"transport": "smtp", "smtp_host": "127.0.0.1"})
    # run_load refuses before it creates anything or starts a process.
    with pytest.raises(NotLoopback):
        run_load("postgresql+psycopg://postgres@192.0.2.1/entkiosk", 2, 1, tmp_path / "outbox")
    with pytest.raises(NotLoopback):
        run_load(f"sqlite:///{tmp_path / 'x.db'}", 2, 1, tmp_path / "outbox",
                 settings={"mail": {"transport": "smtp", "smtp_host": "smtp.example.org"}})
    assert not (tmp_path / "outbox").exists() and not (tmp_path / "x.db").exists()
    assert mp.active_children() == []


def test_load_stops_by_itself(tmp_path):
    """Given far too little time, the harness kills its processes and says so: nothing is left running."""
    report = run_load(f"sqlite:///{tmp_path / 'entkiosk.db'}", 2, 20, tmp_path / "outbox", contended_accounts=1,
                      timeout=0.5)
    assert report.timed_out
    assert not report.ok
    assert report.paths < 40
    # Each process either was killed (no result) or gave up at the barrier: none is left.
    assert {e[2] for e in report.errors} <= {"NoResult", "BrokenBarrierError"}, report.errors
    assert report.errors
    assert mp.active_children() == []


PROFILE_ROUNDS = 10


def test_simultaneous_profile_changes_of_one_account_one_wins_whole(settings):
    """Two kiosks (two services, two engines) change the password and address of one account
    at the same moment, ten times: one change wins whole, the other is refused with a
    domain error that says to start again — never « service unavailable » (PostgreSQL
    resolved some of these races as a deadlock, which surfaced as StorageUnavailable).

    The real clock, as on a kiosk: each call then really touches its session row (with a
    fixed clock the touch writes nothing), and that lock is part of the race."""
    service, other = open_service(settings), open_service(settings)
    try:
        letters = service.import_class_list([student(f"Eleve{i}", "Course", line=i + 2)
                                             for i in range(PROFILE_ROUNDS)], actor="cli:test")
        for letter in letters:
            activate(service, letter)
            kiosks = (service, other)
            tokens = [k.authenticate(letter.identifier, GOOD_PASSWORD).token for k in kiosks]
            barrier = threading.Barrier(2, timeout=60)
            outcomes: list[tuple[str, str, int]] = []

            def change(i: int) -> None:
                barrier.wait()
                try:
                    kiosks[i].update_profile(tokens[i], current_password=GOOD_PASSWORD, new_password=f"Profil{i}ab",
                                             confirm_password=f"Profil{i}ab", new_email=f"k{i}@example.org",
                                             confirm_email=f"k{i}@example.org")
                    outcomes.append(("won", "", i))
                except DomainError as exc:
                    outcomes.append(("refused", type(exc).__name__, i))
                except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                    outcomes.append(("error", repr(exc), i))

            threads = [threading.Thread(target=change, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert sorted(o[0] for o in outcomes) == ["refused", "won"], outcomes
            refusal = next(o[1] for o in outcomes if o[0] == "refused")
            assert refusal in RACE_REFUSALS, outcomes
            winner = next(o[2] for o in outcomes if o[0] == "won")
            with service.engine.connect() as c:
                account = c.execute(select(Account.password_hash, Account.pending_email)
                                    .where(Account.identifier == letter.identifier)).one()
                changed = c.scalar(select(func.count()).where(AuditEvent.identifier == letter.identifier,
                                                              AuditEvent.event == "password.changed"))
            assert service.hasher.verify(account.password_hash, f"Profil{winner}ab")
            assert not service.hasher.verify(account.password_hash, f"Profil{1 - winner}ab")
            assert account.pending_email == f"k{winner}@example.org"
            assert changed == 1
    finally:
        service.engine.dispose()
        other.engine.dispose()
