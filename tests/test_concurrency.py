"""Two processes doing the first connection of the same account at once: exactly one wins."""

from __future__ import annotations

import multiprocessing as mp
import traceback

import pytest
from conftest import START, student
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from entkiosk.domain.clock import FixedClock
from entkiosk.store.models import Account, AuditEvent

ROUNDS = 4


def _first_connection(settings, identifier, provisional, password, barrier, results) -> None:
    """Child process: its own engine and service, log in, wait for the other, activate."""
    from entkiosk.domain.errors import DomainError
    from entkiosk.runtime import open_service

    try:
        service = open_service(settings, clock=FixedClock(START))
        login = service.authenticate(identifier, provisional)
        barrier.wait(timeout=30)
        try:
            service.first_connection(login.token, birth_date="14/03/2010", new_password=password,
                                     confirm_password=password)
            results.put(("ok", password))
        except DomainError as exc:
            results.put(("refused", type(exc).__name__))
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put(("crash", traceback.format_exc()))


@pytest.mark.slow
def test_concurrent_first_connection_exactly_one_succeeds(service, settings):
    ctx = mp.get_context("spawn")
    rows = [student(f"Eleve{i}", "Course", line=i + 2) for i in range(ROUNDS)]
    letters = service.import_class_list(rows, actor="cli:test")
    for letter in letters:
        barrier, results = ctx.Barrier(2), ctx.Queue()
        passwords = ["Premier1x", "Second2yz"]
        procs = [ctx.Process(target=_first_connection,
                             args=(settings, letter.identifier, letter.provisional_password, p, barrier, results))
                 for p in passwords]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        crashes = [o for o in outcomes if o[0] == "crash"]
        assert not crashes, crashes[0][1]
        winners = [o[1] for o in outcomes if o[0] == "ok"]
        assert len(winners) == 1, outcomes
        loser = next(o for o in outcomes if o[0] == "refused")
        assert loser[1] in {"Conflict", "NotAllowed", "SessionExpired"}
        # The winner's password is the one stored; the loser's never is.
        assert service.authenticate(letter.identifier, winners[0]).next_step == "charter"
        other = next(p for p in passwords if p != winners[0])
        with pytest.raises(Exception, match="incorrect"):
            service.authenticate(letter.identifier, other)
    with Session(service.engine) as s:
        assert s.scalar(select(func.count()).select_from(Account)) == ROUNDS
        activations = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "account.activated"))
        assert activations == ROUNDS
