"""What the staff screens share: calls made for a live staff session, and how a pupil's
state and name read in their tables.

Every call checks the staff session first (:func:`staff_read`, :func:`staff_act`): a
session that ended on another kiosk, or a student's, cannot reach a staff use case,
and every action is recorded in the audit with the staff member's identifier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ...domain.lifecycle import EmailState
from ...domain.names import display_names
from ...service import AccountService, StudentStatus

T = TypeVar("T")

#: The « Mail » column of a class: is the pupil's mail validated?
EMAIL_LABELS = {EmailState.NONE: "", EmailState.PENDING: "à valider", EmailState.VALIDATED: "validé"}
#: « Adresse mail » on a pupil's card.
ADDRESS_STATES = {EmailState.NONE: "aucune", EmailState.PENDING: "à valider", EmailState.VALIDATED: "validée"}


def staff_read(service: AccountService, token: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args)`` for a live staff session (which it keeps alive)."""
    service.staff_member(token)
    return fn(*args, **kwargs)


def staff_act(service: AccountService, token: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, actor=<staff identifier>)`` for a live staff session."""
    return fn(*args, actor=service.staff_member(token), **kwargs)


def student_names(students: list[StudentStatus]) -> list[str]:
    """« Nom Prénom » of each student, with the birth date for two students of one name."""
    return display_names([(s.last_name, s.first_name, s.birth_date) for s in students])
