"""What the staff screens share: calls made for a live staff session, and how a pupil's
state and name read in their tables.

Every call checks the staff session first (:func:`staff_read`, :func:`staff_act`): a
session that ended on another kiosk, or a student's, cannot reach a staff use case,
and every action is recorded in the audit with the staff member's identifier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ...domain.i18n import N_, _
from ...domain.lifecycle import EmailState
from ...domain.roles import Right, allows
from ...domain.names import display_names
from ...service import AccountService, StudentStatus

if TYPE_CHECKING:
    from textual.app import ComposeResult

T = TypeVar("T")

#: The « Mail » column of a class: is the pupil's mail validated?
EMAIL_LABELS = {EmailState.NONE: "", EmailState.PENDING: N_("à valider"), EmailState.VALIDATED: N_("validé")}
#: « Adresse mail » on a pupil's card.
ADDRESS_STATES = {EmailState.NONE: N_("aucune"), EmailState.PENDING: N_("à valider"),
                  EmailState.VALIDATED: N_("validée")}


def email_label(state: EmailState) -> str:
    """The « Mail » column's word for ``state``, in the language in use (nothing without an address)."""
    label = EMAIL_LABELS[state]
    return _(label) if label else ""


def address_state(state: EmailState) -> str:
    """« Adresse mail » on a card, in the language in use."""
    return _(ADDRESS_STATES[state])


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


def unlock_job(app: Any, identifier: str, *, guardian: bool = False) -> Callable[[Any], str]:
    """The job of « Débloquer » on a card: every lockout of ``identifier`` lifted (a pupil's
    account, or a legal guardian's)."""
    service = app.service

    def job(_progress: Any) -> str:
        staff_act(service, app.token, service.unlock, identifier)
        if guardian:
            return _("L'identifiant « {identifier} » est débloqué : le responsable peut se connecter à "
                     "nouveau.").format(identifier=identifier)
        return _("L'identifiant « {identifier} » est débloqué : l'élève peut se connecter à nouveau.").format(
            identifier=identifier)

    return job


def offers(app: Any, right: Right) -> bool:
    """Does the console offer what ``right`` allows to the staff member logged in? (The
    service refuses it anyway: this only keeps out of sight what the role cannot do.)"""
    role = app.session.role if app.session is not None else None
    return role is not None and allows(role, right)


def student_names(students: list[StudentStatus]) -> list[str]:
    """« Nom Prénom » of each student, with the birth date for two students of one name."""
    return display_names([(s.last_name, s.first_name, s.birth_date) for s in students])
