"""What the staff screens share: calls made for a live staff session, and how a pupil's
state and name read in their tables.

Every call checks the staff session first (:func:`staff_read`, :func:`staff_act`): a
session that ended on another kiosk, or a student's, cannot reach a staff use case,
and every action is recorded in the audit with the staff member's identifier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ...domain.lifecycle import EmailState
from ...domain.roles import Right, allows
from ...domain.names import display_names
from ...service import AccountService, StudentStatus

if TYPE_CHECKING:
    from textual.app import ComposeResult

T = TypeVar("T")

#: The « Mail » column of a class: is the pupil's mail validated?
EMAIL_LABELS = {EmailState.NONE: "", EmailState.PENDING: "à valider", EmailState.VALIDATED: "validé"}
#: « Adresse mail » on a pupil's card.
ADDRESS_STATES = {EmailState.NONE: "aucune", EmailState.PENDING: "à valider", EmailState.VALIDATED: "validée"}


def staff_act(service: AccountService, token: str, fn: Callable[..., T], /, *args: Any, confirmed: bool = False,
              **kwargs: Any) -> T:
    """``fn(*args, actor=<staff identifier>)`` for a live staff session (which it keeps
    alive): the service checks the member's role and classes for that actor.
    ``confirmed``: an action that needs the password typed within the last minutes."""
    return fn(*args, actor=service.staff_member(token, confirmed=confirmed), **kwargs)


#: A read is asked like an action: the service shows a member only what their role reaches.
staff_read = staff_act


def info_rows(rows: list[tuple[str, str]]) -> ComposeResult:
    """A card's « label  value » lines (a pupil's, a guardian's)."""
    from textual.containers import HorizontalGroup, VerticalGroup
    from textual.widgets import Static

    from ..text import plain

    with VerticalGroup(id="account-info"):
        for label, value in rows:
            with HorizontalGroup(classes="info-row"):
                yield Static(plain(label), classes="info-label staff-label")
                yield Static(plain(value), classes="info-value")


def unlock_job(app: Any, identifier: str, who: str) -> Callable[[Any], str]:
    """The job of « Débloquer » on a card: every lockout of ``identifier`` lifted."""
    service = app.service

    def job(_progress: Any) -> str:
        staff_act(service, app.token, service.unlock, identifier)
        return f"L'identifiant « {identifier} » est débloqué : {who} peut se connecter à nouveau."

    return job


def offers(app: Any, right: Right) -> bool:
    """Does the console offer what ``right`` allows to the staff member logged in? (The
    service refuses it anyway: this only keeps out of sight what the role cannot do.)"""
    role = app.session.role if app.session is not None else None
    return role is not None and allows(role, right)


def student_names(students: list[StudentStatus]) -> list[str]:
    """« Nom Prénom » of each student, with the birth date for two students of one name."""
    return display_names([(s.last_name, s.first_name, s.birth_date) for s in students])
