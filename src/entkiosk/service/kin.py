"""A guardian's children as letters and screens name them: shared by the guardians' use
cases and the staff's (a new letter for a guardian is a staff action like a pupil's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession, aliased

from ..domain.letter import IssuedLetter
from ..domain.lifecycle import AccountState, EmailState
from ..domain.names import person_order
from ..store.models import Account, Guardianship, SchoolClass
from .core import Core
from .views import StudentState


def account_state(core: Core, account: Account, accepted: bool) -> StudentState:
    """A pupil's or a guardian's account as staff and guardians read it; ``accepted``: the
    current charter is accepted."""
    if account.left_at is not None:
        return "left"
    if account.state == AccountState.CREATED:
        return "expired" if core.expired(account) else "waiting"
    return "ready" if accepted else "activated"


def email_state(account: Account) -> EmailState:
    """Where an account's address stands: none, waiting for its code, validated."""
    return EmailState.PENDING if account.pending_email else EmailState.VALIDATED if account.email else EmailState.NONE


def child_label(child: Account, class_name: str | None) -> str:
    """A child as a guardian's letter names them: « Zoé NDIAYE (4A) »."""
    return f"{child.first_name} {child.last_name}" + (f" ({class_name})" if class_name else "")


def guardian_letter(s: DbSession, account: Account, password: str) -> IssuedLetter:
    """The letter of a guardian's account just (re)issued, with the children still at school."""
    rows = s.execute(select(Account, SchoolClass.name).join(Guardianship, Guardianship.pupil_id == Account.id)
                     .outerjoin(SchoolClass, SchoolClass.id == Account.class_id)
                     .where(Guardianship.guardian_id == account.id, Account.left_at.is_(None))).all()
    rows.sort(key=lambda r: person_order(r[0].last_name, r[0].first_name, r[0].identifier))
    return IssuedLetter(account.identifier, account.first_name, account.last_name, None, account.deadline,
                        account.issued_at, None, password, guardian=True, civility=account.civility or "",
                        postal_address=tuple(account.postal_address or ()),
                        children=tuple(child_label(child, class_name) for child, class_name in rows))


def guardian_counts(s: DbSession) -> dict[str, tuple[int, int]]:
    """Class name → (legal guardians of its pupils with an open account, activated ones)."""
    pupil = aliased(Account)
    guardian = aliased(Account)
    stmt = (select(SchoolClass.name, guardian.id, guardian.state)
            .select_from(Guardianship)
            .join(guardian, guardian.id == Guardianship.guardian_id)
            .join(pupil, pupil.id == Guardianship.pupil_id)
            .join(SchoolClass, SchoolClass.id == pupil.class_id)
            .where(guardian.left_at.is_(None)))
    found: dict[str, tuple[set[int], set[int]]] = {}
    for class_name, guardian_id, state in s.execute(stmt):
        every, active = found.setdefault(class_name, (set(), set()))
        every.add(guardian_id)
        if state == AccountState.ACTIVE:
            active.add(guardian_id)
    return {name: (len(every), len(active)) for name, (every, active) in found.items()}
