"""The staff themselves: their accounts, roles and classes (added, changed, disabled by
the direction), who is logged in at a staff kiosk, the password typed again before an
action from the supervised session, and closing the kiosk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from ..domain import errors
from ..domain.classlist import check_staff_names, printable
from ..domain.errors import InvalidInput
from ..domain.i18n import N_, _
from ..domain.identifiers import normalize_login
from ..domain.lifecycle import AccountState, Kind
from ..domain.names import person_order
from ..domain.passwords import Person, context_problem
from ..domain.roles import ROLE_LABELS, Right, Role, every_class, parse_role, unknown_role
from ..store.models import Account, SchoolClass, StaffClass
from .core import UseCases
from .forms import check_new_password, person_of, school_of, staff_password_bounds
from .lockout import guarded
from .sessions import STAFF_ONLY
from .views import StaffView, class_key, class_order

STAFF_IDENTIFIER = set("abcdefghijklmnopqrstuvwxyz0123456789.-_")
#: How long a password typed again in a staff session covers the actions of the
#: supervised session (unlock, a letter, an approval) before it is asked again.
CONFIRMATION_MINUTES = 5
LAST_DIRECTION = N_("C'est le dernier compte actif de la direction : il ne peut pas être désactivé ni changer de "
                  "rôle. Créez d'abord un autre compte de la direction.")


class Team(UseCases):
    """Staff accounts and staff sessions."""

    # ------------------------------------------------------------ the accounts

    def staff_password_bounds(self) -> tuple[int, int]:
        """(shortest, longest) staff password: never weaker than the students' rule."""
        return staff_password_bounds(self.settings.accounts)

    def _role(self, typed: str | Role | None, field: str = "role") -> Role:
        role = parse_role(str(typed)) if typed else None
        if role is None:
            raise InvalidInput({field: unknown_role(printable(str(typed or "")))})
        return role

    def _classes(self, s: DbSession, role: Role, typed: Sequence[str]) -> list[SchoolClass]:
        """The classes delegated with ``role``: at least one for a teacher, none for the others;
        each must exist (named as the class lists name it, case and accents aside)."""
        if every_class(role):
            if typed:
                raise InvalidInput({"classes": _("{role} : ce rôle voit toutes les classes, sans classes déléguées "
                                                 "(seul un enseignant en a).").format(role=_(ROLE_LABELS[role]))})
            return []
        if not typed:
            raise InvalidInput({"classes": _("Un enseignant a au moins une classe : indiquez-la (par exemple 3A,3B).")})
        existing = list(s.scalars(select(SchoolClass)))
        found, missing = [], []
        for name in typed:
            match = next((c for c in existing if class_key(c.name) == class_key(name)), None)
            (found.append(match) if match is not None else missing.append(name))
        if missing:
            names = ", ".join(sorted((c.name for c in existing), key=class_order)) or _("aucune pour l'instant")
            raise InvalidInput({"classes": _("Classe inconnue : {unknown} (classes de l'établissement : {known}).")
                                .format(unknown=", ".join(printable(n) for n in missing), known=names)})
        return list({c.id: c for c in found}.values())

    def check_staff_role(self, role: str | Role, classes: Sequence[str] = (), *, actor: str | None = None) -> Role:
        """A role and its classes checked before anything is typed (the command line asks
        the password only once they are right)."""
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.STAFF)
            chosen = self._role(role)
            self._classes(s, chosen, classes)
        return chosen

    def add_staff(self, identifier: str, password: str, confirm: str, *, role: str | Role = Role.DIRECTION,
                  classes: Sequence[str] = (), first_name: str = "", last_name: str = "", actor: str) -> str:
        """A new staff account with its role (and, for a teacher, their classes)."""
        ident = normalize_login(identifier)
        first_name, last_name, errs = check_staff_names(first_name, last_name)
        if not ident or len(ident) > 80 or any(c not in STAFF_IDENTIFIER for c in ident):
            errs["identifier"] = _("Identifiant invalide : lettres minuscules, chiffres, « . », « - » ou « _ ».")
        try:
            chosen = self._role(role)
        except InvalidInput as exc:
            errs.update(exc.errors)
            chosen = None
        check_new_password(self.settings.accounts, password, confirm, ident, errs, "password", staff=True,
                           person=Person((first_name, last_name), ident), school=school_of(self.settings, self.now()))
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.STAFF)
            if chosen is not None and not errs:
                self._classes(s, chosen, classes)
        if errs:
            raise InvalidInput(errs)
        assert chosen is not None
        password_hash = self.core.hasher.hash(password)
        try:
            with self.tx() as s:
                self.core.grant(s, actor, Right.STAFF)
                if self.core.account(s, ident) is not None:
                    raise InvalidInput({"identifier": _("L'identifiant « {identifier} » existe déjà.")
                                                      .format(identifier=ident)})
                delegated = self._classes(s, chosen, classes)
                now = self.now()
                account = Account(identifier=ident, kind=Kind.STAFF, state=AccountState.ACTIVE,
                                  first_name=first_name or ident, last_name=last_name, birth_date=None, class_id=None,
                                  password_hash=password_hash, provisional=False, must_change_password=False,
                                  issued_at=now, activated_at=now, password_changed_at=now, role=chosen)
                s.add(account)
                s.flush()
                s.add_all(StaffClass(account_id=account.id, class_id=c.id) for c in delegated)
                self.audit(s, "staff.added", ident, actor=actor, role=str(chosen),
                           classes=sorted((c.name for c in delegated), key=class_order))
        except IntegrityError:
            raise InvalidInput({"identifier": _("L'identifiant « {identifier} » existe déjà.")
                                              .format(identifier=ident)}) from None
        return ident

    def _staff_account(self, s: DbSession, identifier: str) -> Account:
        ident = normalize_login(identifier)
        account = s.scalar(select(Account).where(Account.identifier == ident).with_for_update())
        if account is None or account.kind != Kind.STAFF:
            raise errors.NotFound(_("Aucun compte du personnel n'a l'identifiant « {identifier} ».")
                                  .format(identifier=ident))
        return account

    def _keep_one_direction(self, s: DbSession, account: Account) -> None:
        """Refuse to take away the last active direction account. The active direction
        rows are locked first: two heads disabling each other at once cannot both win."""
        if account.role != Role.DIRECTION or account.disabled_at is not None:
            return
        heads = s.scalars(select(Account.id).where(Account.kind == Kind.STAFF, Account.role == Role.DIRECTION,
                                                   Account.disabled_at.is_(None)).with_for_update()).all()
        if len(heads) <= 1:
            raise errors.NotAllowed(_(LAST_DIRECTION))

    def set_staff(self, identifier: str, *, role: str | Role | None = None, classes: Sequence[str] | None = None,
                  actor: str) -> StaffView:
        """A new role and/or new classes; the member's open sessions end (they log in again
        with what the new role offers)."""
        with self.tx() as s:
            self.core.grant(s, actor, Right.STAFF)
            account = self._staff_account(s, identifier)
            new_role = self._role(role) if role is not None else Role(account.role or Role.DIRECTION)
            current = [c.name for c in self._delegated(s, account.id)]
            wanted = list(classes) if classes is not None else ([] if every_class(new_role) else current)
            delegated = self._classes(s, new_role, wanted)
            if new_role != account.role:
                self._keep_one_direction(s, account)
            before = (account.role, sorted(current))
            account.role = new_role
            s.execute(delete(StaffClass).where(StaffClass.account_id == account.id))
            s.add_all(StaffClass(account_id=account.id, class_id=c.id) for c in delegated)
            after = (str(new_role), sorted(c.name for c in delegated))
            if before != after:
                self.sessions.revoke(s, account.id)
                self.audit(s, "staff.changed", account.identifier, actor=actor, role=str(new_role),
                           classes=sorted((c.name for c in delegated), key=class_order))
            return self._view(s, account)

    def disable_staff(self, identifier: str, *, actor: str) -> None:
        """A staff member who left: no login any more, their sessions end now. The last
        active direction account cannot be disabled."""
        with self.tx() as s:
            self.core.grant(s, actor, Right.STAFF)
            account = self._staff_account(s, identifier)
            if account.disabled_at is not None:
                raise errors.NotAllowed(_("Le compte « {identifier} » est déjà désactivé.")
                                        .format(identifier=account.identifier))
            self._keep_one_direction(s, account)
            account.disabled_at = self.now()
            self.sessions.revoke(s, account.id)
            self.audit(s, "staff.disabled", account.identifier, actor=actor)

    def enable_staff(self, identifier: str, *, actor: str) -> None:
        """A disabled staff account back, with the role and classes it had."""
        with self.tx() as s:
            self.core.grant(s, actor, Right.STAFF)
            account = self._staff_account(s, identifier)
            if account.disabled_at is None:
                raise errors.NotAllowed(_("Le compte « {identifier} » est déjà actif.")
                                        .format(identifier=account.identifier))
            account.disabled_at = None
            self.lockout.clear(s, account.identifier)
            self.audit(s, "staff.enabled", account.identifier, actor=actor)

    def staff_accounts(self, *, actor: str | None = None) -> list[StaffView]:
        """Every staff account, by name: role, classes, disabled or not, last login."""
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.STAFF)
            accounts = s.scalars(select(Account).where(Account.kind == Kind.STAFF)).all()
            views = [self._view(s, a) for a in accounts]
        # By name; an account created without names sorts by its identifier.
        return sorted(views, key=lambda v: person_order(v.last_name or v.identifier, v.first_name, v.identifier))

    @staticmethod
    def _delegated(s: DbSession, account_id: int) -> list[SchoolClass]:
        return sorted(s.scalars(select(SchoolClass).join(StaffClass, StaffClass.class_id == SchoolClass.id)
                                .where(StaffClass.account_id == account_id)), key=lambda c: class_order(c.name))

    def _view(self, s: DbSession, account: Account) -> StaffView:
        # A staff account created without names holds its identifier as first name.
        first_name = "" if account.first_name == account.identifier else account.first_name
        return StaffView(account.identifier, first_name, account.last_name, Role(account.role or Role.DIRECTION),
                         tuple(c.name for c in self._delegated(s, account.id)), account.disabled_at,
                         account.last_login_at)

    def set_staff_password(self, identifier: str, password: str, *, actor: str) -> None:
        """A new password for an existing staff account (the demo run again on its folder):
        its sessions end and its lockouts are lifted."""
        ident = normalize_login(identifier)
        errs: dict[str, str] = {}
        school = school_of(self.settings, self.now())
        check_new_password(self.settings.accounts, password, password, ident, errs, "password", staff=True,
                           school=school)
        if errs:
            raise InvalidInput(errs)
        password_hash = self.core.hasher.hash(password)
        with self.tx() as s:
            self.core.grant(s, actor, Right.STAFF)
            account = self._staff_account(s, ident)
            if problem := context_problem(password, person=person_of(account), school=school):
                raise InvalidInput({"password": problem})
            account.password_hash = password_hash
            account.password_changed_at = self.now()
            self.sessions.revoke(s, account.id)
            self.lockout.clear(s, ident)
            self.audit(s, "staff.password_set", ident, actor=actor)

    # ------------------------------------------------------------ staff sessions

    def _live_staff(self, s: DbSession, token: str):
        session, account = self.sessions.live(s, token)
        if account.kind != Kind.STAFF:
            raise errors.NotAllowed(_(STAFF_ONLY))
        if account.disabled_at is not None:
            raise errors.SessionExpired()
        return session, account

    def staff_member(self, token: str, *, confirmed: bool = False) -> str:
        """The identifier of the staff member of a live session (the session is touched).

        ``confirmed``: the action needs the member's password typed in this session within
        the last :data:`CONFIRMATION_MINUTES` minutes (:meth:`confirm_staff`), or
        :class:`~.errors.PasswordNeeded` — a pupil who reaches a supervised session left
        open cannot act in the teacher's name."""
        with self.tx() as s:
            session, account = self._live_staff(s, token)
            if confirmed and (session.confirmed_at is None or
                              self.now() - session.confirmed_at >= timedelta(minutes=CONFIRMATION_MINUTES)):
                raise errors.PasswordNeeded()
            return account.identifier

    def staff_profile(self, token: str) -> StaffView:
        """Who is logged in at this staff kiosk, with their role and classes."""
        with self.tx() as s:
            _unused, account = self._live_staff(s, token)
            return self._view(s, account)

    @guarded
    def confirm_staff(self, token: str, password: str) -> None:
        """The staff member types their password again: the session's actions are covered
        for the next few minutes. Wrong passwords count like wrong logins (and lock alike)."""
        if not password:
            raise InvalidInput({"password": _("Saisissez votre mot de passe.")})
        with self.tx() as s:  # the session is touched: a write
            _unused, account = self._live_staff(s, token)
            ident, password_hash = account.identifier, account.password_hash
        attempt = self.lockout.reserve("login", ident)
        if not self.core.hasher.verify(password_hash, password):
            raise attempt.fail("staff.confirm_failed", ident, errors.WrongPassword())
        with self.tx() as s:
            session, account = self._live_staff(s, token)
            session.confirmed_at = self.now()
            self.lockout.clear(s, ident)
            attempt.release(s)
            self.audit(s, "staff.confirmed", ident, actor=ident)

    def close_kiosk(self, token: str) -> None:
        """Fermer le kiosque: recorded with the staff member, whose session on this kiosk
        ends. Their sessions elsewhere (a live view on another terminal) go on."""
        with self.tx() as s:
            session, account = self.sessions.live(s, token)
            if account.kind != Kind.STAFF:
                raise errors.NotAllowed(_(STAFF_ONLY))
            session.revoked_at = self.now()
            self.audit(s, "kiosk.closed", account.identifier, actor=account.identifier)

