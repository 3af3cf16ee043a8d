"""Two processes doing the first connection of the same account at once: exactly one wins."""

from __future__ import annotations

import multiprocessing as mp
import threading
import traceback

import pytest
from conftest import START, student
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from entkiosk.domain.clock import FixedClock
from entkiosk.domain.passwords import Hasher, HashParameters
from entkiosk.store.db import make_engine
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
@pytest.mark.argon2  # its processes open the database as a kiosk does: same hashes
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
        assert loser[1] == "Conflict"  # never « session expirée »: its session ended with the winner's activation
        # The winner's password is the one stored; the loser's never is.
        assert service.authenticate(letter.identifier, winners[0]).next_step == "charter"
        other = next(p for p in passwords if p != winners[0])
        with pytest.raises(Exception, match="incorrect"):
            service.authenticate(letter.identifier, other)
    with Session(service.engine) as s:
        assert s.scalar(select(func.count()).select_from(Account)) == ROUNDS
        activations = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "account.activated"))
        assert activations == ROUNDS


class _WaitingHasher(Hasher):
    """The real hasher, which stops before hashing the new password until the test says go:
    its kiosk is then past the first connection's checks, not yet activating."""

    def __init__(self, params: HashParameters) -> None:
        super().__init__(params)
        self.reached, self.go = threading.Event(), threading.Event()

    def hash(self, password: str) -> str:
        self.reached.set()
        assert self.go.wait(timeout=60)
        return super().hash(password)


def test_the_kiosk_that_loses_the_race_says_the_account_was_just_activated(service, settings, clock):
    """One pupil logged in at two kiosks (two services, each its own engine, on one database)
    presses VALIDER on both: kiosk B is past the checks, hashing, when kiosk A activates the
    account — which ends B's session. B must then read why, not that its session expired."""
    from entkiosk.domain import errors
    from entkiosk.service import AccountService

    letter = service.import_class_list([student()], actor="cli:test")[0]
    accounts = settings.accounts
    hasher = _WaitingHasher(HashParameters(accounts.argon2_time_cost, accounts.argon2_memory_cost,
                                           accounts.argon2_parallelism))
    kiosk_a = AccountService(settings, make_engine(settings.database_url()), service.transport, clock=clock)
    kiosk_b = AccountService(settings, make_engine(settings.database_url()), service.transport, clock=clock,
                             hasher=hasher)
    outcome: list[BaseException | None] = []

    def validate_on_b() -> None:
        try:
            kiosk_b.first_connection(login_b, birth_date="14/03/2010", new_password="Second2yz",
                                     confirm_password="Second2yz")
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the main thread asserts on it
            outcome.append(exc)

    try:
        login_a = kiosk_a.authenticate(letter.identifier, letter.provisional_password).token
        login_b = kiosk_b.authenticate(letter.identifier, letter.provisional_password).token
        thread = threading.Thread(target=validate_on_b)
        thread.start()
        assert hasher.reached.wait(timeout=60)
        kiosk_a.first_connection(login_a, birth_date="14/03/2010", new_password="Premier1x",
                                 confirm_password="Premier1x")
        hasher.go.set()
        thread.join(timeout=60)
        [refusal] = outcome
        assert isinstance(refusal, errors.Conflict), refusal
        assert str(refusal) == "Ce compte vient d'être activé depuis un autre poste."
        # Pressed again on B (its session ended): the same sentence, not « session expirée ».
        with pytest.raises(errors.Conflict, match="vient d'être activé depuis un autre poste"):
            kiosk_b.first_connection(login_b, birth_date="14/03/2010", new_password="Second2yz",
                                     confirm_password="Second2yz")
    finally:
        hasher.go.set()
        kiosk_a.engine.dispose()
        kiosk_b.engine.dispose()
    assert service.authenticate(letter.identifier, "Premier1x").next_step == "charter"
