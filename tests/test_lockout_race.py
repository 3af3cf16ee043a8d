"""Brute force in parallel: 8 kiosks (processes) × 25 wrong answers at once on one
identifier get exactly ``lockout_threshold`` tries, never more.

Why processes and a real database: the lockout's guarantee is a transaction's, on an
SQLite file (WAL, ``BEGIN IMMEDIATE``) and on PostgreSQL (a row lock); threads of one
process would share a connection pool and the GIL and hide the race. Each child counts
the argon2 verifications it actually ran by wrapping argon2-cffi's
``PasswordHasher.verify`` (a third-party library), as tests/test_security.py does, and
the answers it got. One pool of processes serves every scope, so the spawn is paid once
per backend.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections import Counter

import pytest

PROCESSES = 8
TRIES = 25
FEW = 4  # the birth date and the code: enough tries at once to race, and cheap
WRONG = "Mauvais9mdp"
NEW = "Bateau3voiles"
WRONG_BIRTH = "01/01/2001"
WRONG_CODE = "K7QF-2M9X"


def _kiosk(settings, start, login_id: str, right_password: str, token: str, code_id: str, barrier,
           results) -> None:
    """Child process: its own engine and service; each phase starts with the others (barrier).
    This module imports nothing heavy at its top (not even conftest): each child imports it."""
    try:
        import argon2

        from entkiosk.domain.clock import FixedClock
        from entkiosk.domain.errors import DomainError
        from entkiosk.runtime import open_service

        verified = [0]
        real_verify = argon2.PasswordHasher.verify

        def verify(self, hash, password):  # noqa: A002 - argon2-cffi's own signature
            verified[0] += 1
            return real_verify(self, hash, password)

        argon2.PasswordHasher.verify = verify
        service = open_service(settings, clock=FixedClock(start))  # the lock never wears off

        def burst(phase: str, action, tries: int = TRIES) -> None:
            answers: Counter[str] = Counter()
            barrier.wait(timeout=60)
            verified[0] = 0
            for _ in range(tries):
                try:
                    action()
                    answers["accepted"] += 1
                except DomainError as exc:
                    answers[type(exc).__name__] += 1
            results.put((phase, verified[0], dict(answers)))

        burst("login", lambda: service.authenticate(login_id, WRONG))
        burst("right", lambda: service.authenticate(login_id, right_password), tries=1)
        burst("birth", lambda: service.first_connection(token, birth_date=WRONG_BIRTH, new_password=NEW,
                                                        confirm_password=NEW), tries=FEW)
        burst("code", lambda: service.reset_password(code_id, WRONG_CODE, NEW, NEW), tries=FEW)
        service.engine.dispose()
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put(("crash", 0, traceback.format_exc()))


def _totals(outcomes: list, phase: str) -> tuple[int, Counter[str]]:
    mine = [o for o in outcomes if o[0] == phase]
    assert len(mine) == PROCESSES, (phase, outcomes)
    return sum(o[1] for o in mine), sum((Counter(o[2]) for o in mine), Counter())


@pytest.mark.slow
@pytest.mark.argon2  # its processes open the database as a kiosk does: same hashes
def test_parallel_wrong_answers_get_exactly_the_threshold(service, settings):
    """8 × 25 simultaneous wrong passwords on one identifier (8 × 4 wrong birth dates at
    first connection, 8 × 4 wrong mailed codes): exactly 5 of them judged (5 argon2
    verifications for the login), every other one refused with the lockout; the right
    password is refused too while locked; the audit holds exactly 5 failures and 1
    lockout per scope."""
    from conftest import START, student

    from entkiosk.domain import errors

    threshold = settings.accounts.lockout_threshold
    assert threshold == 5
    target, other = service.import_class_list([student(), student("Paul", "Petit", line=3)], actor="cli:test")
    token = service.authenticate(other.identifier, other.provisional_password).token
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_kiosk, args=(settings, START, target.identifier, target.provisional_password, token,
                                              other.identifier, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    outcomes = []
    try:
        while len(outcomes) < 4 * PROCESSES:
            outcomes.append(results.get(timeout=120))
            assert outcomes[-1][0] != "crash", outcomes[-1][2]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()

    seen = {phase: _totals(outcomes, phase) for phase in ("login", "right", "birth", "code")}
    refused = PROCESSES * TRIES - threshold + 1
    # The fifth verification is the try that locks: it answers with the lockout.
    assert seen["login"] == (threshold, Counter(AuthenticationFailed=threshold - 1, Locked=refused)), seen
    assert seen["right"] == (0, Counter(Locked=PROCESSES)), seen
    birth = seen["birth"][1]
    # A lockout at first connection ends the session: the later tries may find it gone.
    assert birth["InvalidInput"] == threshold - 1 and birth["Locked"] >= 1, seen
    assert birth["Locked"] + birth["SessionExpired"] == PROCESSES * FEW - threshold + 1, seen
    assert seen["code"][1] == Counter(InvalidCode=threshold - 1, Locked=PROCESSES * FEW - threshold + 1), seen

    events = service.audit_events()
    counted = Counter(e.event for e in events)
    assert counted["login.failed"] == counted["activation.bad_birth_date"] == counted["password.bad_code"] == threshold
    assert sorted(e.details["scope"] for e in events if e.event == "lockout") == ["birth", "code", "login"]
    with pytest.raises(errors.Locked):
        service.authenticate(target.identifier, target.provisional_password)
