"""Recording what the LDAP directory must learn, in the transaction that changes it.

Every write transaction's flush is watched (a SQLAlchemy ``before_flush`` listener on the
unit of work's sessions): a pupil's account created, deleted, or changed in what the
directory holds — password hash, state, forced change, departure, class, names — or the
usage charter accepted, adds one
:class:`~entkiosk.store.models.DirectoryUpdate` row to that same flush. So no use case can
forget to tell the directory, and a rolled-back change never reaches it. The rows name the
pupil and the kind of change, never a password or a hash: the worker reads the pupil's
current state when it delivers (:mod:`.directory`).

Bulk deletions (``entkiosk purge``) bypass the ORM's flush and call :meth:`Recorder.record`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import inspect
from sqlalchemy.orm import Session as DbSession

from ..domain.clock import Clock
from ..domain.i18n import N_
from ..domain.lifecycle import AccountState, Kind
from ..store.models import Account, CharterAcceptance, DirectoryUpdate

#: What a row says changed, as staff read it (``entkiosk directory status``).
CHANGES = {
    "created": N_("compte créé"),
    "activated": N_("compte activé"),
    "charter": N_("charte acceptée"),
    "password": N_("mot de passe changé"),
    "provisional": N_("nouveau mot de passe provisoire"),
    "locked": N_("changement de mot de passe imposé"),
    "left": N_("départ de l'établissement"),
    "back": N_("retour dans l'établissement"),
    "moved": N_("changement de classe"),
    "renamed": N_("changement de nom"),
    "deleted": N_("compte supprimé"),
    "again": N_("à écrire de nouveau"),
}

#: The account's columns the directory's entry depends on.
WATCHED = ("password_hash", "state", "provisional", "must_change_password", "left_at", "class_id",
           "first_name", "last_name")


def change_of(account: Account, changed: set[str]) -> str:
    """The one word for what changed (the most telling first)."""
    if "left_at" in changed:
        return "left" if account.left_at is not None else "back"
    if "must_change_password" in changed and account.must_change_password:
        return "locked"
    if changed & {"password_hash", "state", "provisional", "must_change_password"}:
        if account.provisional or account.state != AccountState.ACTIVE:
            return "provisional"
        return "activated" if "state" in changed else "password"
    if "class_id" in changed:
        return "moved"
    return "renamed"


class Recorder:
    """Adds the directory's rows to each flush of the sessions it watches; ``on_commit`` is
    called after a commit that added some (the kiosk's worker delivers them at once)."""

    def __init__(self, clock: Clock, kiosk_id: str, on_commit: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.kiosk_id = kiosk_id
        self.on_commit = on_commit

    def watch(self, listen: Callable[[str, Callable[..., None]], None]) -> None:
        listen("before_flush", self._before_flush)
        listen("after_commit", self._after_commit)
        listen("after_rollback", lambda s: s.info.pop("entkiosk_directory", None))

    def record(self, s: DbSession, identifiers: Iterable[str], change: str) -> None:
        for identifier in identifiers:
            s.add(DirectoryUpdate(identifier=identifier, change=change, created_at=self.clock.now(),
                                  kiosk_id=self.kiosk_id, attempts=0))
        s.info["entkiosk_directory"] = True

    def _before_flush(self, s: DbSession, _context: object, _instances: object) -> None:
        found: list[tuple[str, str]] = []
        for obj in s.new:
            if isinstance(obj, Account) and obj.kind == Kind.STUDENT:
                found.append((obj.identifier, "created"))
            elif isinstance(obj, CharterAcceptance):  # the services open with the charter accepted
                with s.no_autoflush:
                    account = s.get(Account, obj.account_id)
                if account is not None and account.kind == Kind.STUDENT:
                    found.append((account.identifier, "charter"))
        for obj in s.deleted:
            if isinstance(obj, Account) and obj.kind == Kind.STUDENT:
                found.append((obj.identifier, "deleted"))
        for obj in s.dirty:
            if not isinstance(obj, Account) or obj.kind != Kind.STUDENT:
                continue
            state = inspect(obj)
            renamed = state.attrs.identifier.history
            if renamed.deleted:  # a new uid: the old entry goes, a new one comes
                found.extend((old, "deleted") for old in renamed.deleted if old)
                found.append((obj.identifier, "created"))
                continue
            changed = {name for name in WATCHED if state.attrs[name].history.has_changes()}
            if changed:
                found.append((obj.identifier, change_of(obj, changed)))
        for identifier, change in found:
            self.record(s, [identifier], change)

    def _after_commit(self, s: DbSession) -> None:
        if s.info.pop("entkiosk_directory", False) and self.on_commit is not None:
            self.on_commit()
