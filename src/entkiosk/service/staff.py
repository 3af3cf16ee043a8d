"""Staff work on accounts: notification letters (printed, reprinted), a new provisional
password, an account brought back after its deadline, lockouts lifted, a forced password
change after a leak, the yearly purge, staff accounts, closing the kiosk, the audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import and_, delete, or_, select

from ..domain import errors
from ..domain.classlist import printable
from ..domain.errors import DomainError
from ..domain.i18n import _
from ..domain.identifiers import normalize_login
from ..domain.letter import IssuedLetter
from ..domain.lifecycle import AccountState, Kind
from ..domain.names import person_order
from ..domain.passwords import provisional_password
from ..domain.roles import Right
from ..store.models import (
    Account,
    AuditEvent,
    CharterAcceptance,
    Guardianship,
    HelpRequest,
    OneTimeToken,
    ResetRequest,
    SchoolClass,
    Session,
)
from .core import NOT_YOUR_CLASS, UseCases, not_yours
from .kin import guardian_letter
from .views import EVENT_LABELS, AuditFilter, AuditRecord, Deliver, Progress, search_key



class Staff(UseCases):
    """What a staff member does to accounts, one at a time or a class at a time."""

    # ------------------------------------------------------------ letters

    def issue_letters(self, *, class_name: str | None = None, identifier: str | None = None,
                      identifiers: Sequence[str] | None = None, everyone: bool = False, actor: str,
                      progress: Progress | None = None, deliver: Deliver | None = None) -> list[IssuedLetter]:
        """New letters for accounts not yet activated: a new provisional password, deadline renewed.

        The old provisional password stops working (only its hash was ever kept, so a
        letter cannot be printed twice). ``everyone`` must be said explicitly: new
        letters for the whole school void every letter already handed out.
        """
        if identifiers is not None:
            return self._group_letters(identifiers, actor=actor, progress=progress, deliver=deliver)
        if class_name is None and identifier is None and not everyone:
            raise DomainError(_("Précisez une classe (--class), un élève (--student), un groupe d'élèves (--students) "
                                "ou tous les élèves (--all) : chaque nouveau courrier annule le précédent."))
        with self.tx() as s:
            grant = self.core.grant(s, actor, Right.LETTERS)
            if everyone and grant.classes is not None:
                raise errors.NotAllowed(_(NOT_YOUR_CLASS))
            stmt = select(Account.id, Account.identifier, Account.state, Account.last_name,
                          Account.first_name, Account.left_at, Account.class_id).where(Account.kind == Kind.STUDENT)
            if class_name is not None:
                stmt = stmt.where(Account.class_id.in_(self.core.class_ids(s, grant, class_name)))
            if identifier is not None:
                stmt = stmt.where(Account.identifier == normalize_login(identifier))
            # Letters come out in the order of the class lists: by name, in French order.
            found = sorted(s.execute(stmt).all(), key=lambda r: person_order(r.last_name, r.first_name, r.identifier))
        if identifier is not None and not found:
            raise errors.NotFound(_("Aucun élève n'a l'identifiant « {identifier} ».")
                                  .format(identifier=normalize_login(identifier)))
        if class_name is not None and not found:
            raise errors.NotFound(_("Aucun élève dans la classe « {class_name} ».")
                                  .format(class_name=printable(class_name)))
        if identifier is not None and not grant.reaches(found[0].class_id):
            raise errors.NotAllowed(not_yours(found[0].identifier))
        if identifier is not None and found[0].left_at is not None:
            raise errors.NotAllowed(_("{identifier} a quitté l'établissement (mise à jour SIECLE) : son compte est "
                                      "fermé, pas de courrier à imprimer.").format(identifier=found[0].identifier))
        if identifier is not None and found[0].state != AccountState.CREATED:
            raise errors.NotAllowed(
                _("Le compte « {identifier} » est déjà activé : il n'y a pas de courrier à imprimer (utilisez "
                  "« entkiosk reset » pour lui donner un nouveau mot de passe provisoire).")
                .format(identifier=found[0].identifier))
        ids = [r.id for r in found if r.state == AccountState.CREATED and r.left_at is None]
        return self.reissue(ids, actor=actor, event="letters.issued", progress=progress, only_created=True,
                             deliver=deliver)

    def _group_letters(self, identifiers: Sequence[str], *, actor: str, progress: Progress | None,
                       deliver: Deliver | None) -> list[IssuedLetter]:
        """New letters for a group of pupils chosen one by one (any classes): all of them or
        none — an unknown identifier, a pupil who left or one already activated is named."""
        rows = self._group(identifiers, actor=actor, right=Right.LETTERS, waiting_only=True)
        return self.reissue([r.id for r in rows], actor=actor, event="letters.issued", progress=progress,
                             only_created=True, deliver=deliver)

    def reset_group(self, identifiers: Sequence[str], *, actor: str, progress: Progress | None = None,
                    deliver: Deliver | None = None) -> list[IssuedLetter]:
        """A new provisional password and letter for each pupil of a group chosen one by one
        (any classes, activated or not), in one transaction: all of them or none."""
        rows = self._group(identifiers, actor=actor, right=Right.RESET, waiting_only=False)
        return self.reissue([r.id for r in rows], actor=actor, event="staff.reset", right=Right.RESET,
                             progress=progress, deliver=deliver)

    def _group(self, identifiers: Sequence[str], *, actor: str, right: Right, waiting_only: bool) -> list:
        """The pupils of a group, by name; an unknown one, one of another class than the
        actor's, one who left (or, ``waiting_only``, one already activated) is named and the
        whole group refused."""
        wanted = list(dict.fromkeys(normalize_login(i) for i in identifiers if i.strip()))
        if not wanted:
            raise DomainError(_("Indiquez au moins un identifiant d'élève."))
        with self.tx(read_only=True) as s:
            grant = self.core.grant(s, actor, right)
            found = {r.identifier: r for r in s.execute(
                select(Account.id, Account.identifier, Account.state, Account.left_at, Account.last_name,
                       Account.first_name, Account.class_id)
                .where(Account.kind == Kind.STUDENT, Account.identifier.in_(wanted)))}
        unknown = [i for i in wanted if i not in found]
        if unknown:
            quoted = ", ".join(_("« {identifier} »").format(identifier=i) for i in unknown)
            raise errors.NotFound(_("Aucun élève n'a l'identifiant {identifiers} : aucun courrier n'a été "
                                    "imprimé.").format(identifiers=quoted))
        elsewhere = [i for i in wanted if not grant.reaches(found[i].class_id)]
        if elsewhere:
            raise errors.NotAllowed(_("{identifiers} : élève(s) d'une classe qui n'est pas l'une des vôtres ; "
                                      "aucun courrier n'a été imprimé.").format(identifiers=", ".join(elsewhere)))
        left = [i for i in wanted if found[i].left_at is not None]
        if left:
            raise errors.NotAllowed(_("{identifiers} : élève(s) sorti(s) de l'établissement, compte fermé ; aucun "
                                      "courrier n'a été imprimé.").format(identifiers=", ".join(left)))
        active = [i for i in wanted if found[i].state != AccountState.CREATED]
        if waiting_only and active:
            raise errors.NotAllowed(_("{identifiers} : compte(s) déjà activé(s), sans courrier à imprimer "
                                      "(une réinitialisation leur donne un nouveau mot de passe provisoire) ; aucun "
                                      "courrier n'a été imprimé.").format(identifiers=", ".join(active)))
        return sorted(found.values(), key=lambda r: person_order(r.last_name, r.first_name, r.identifier))

    def reissue(self, ids: list[int], *, actor: str, event: str, right: Right = Right.LETTERS,
                 progress: Progress | None = None, only_created: bool = False,
                 deliver: Deliver | None = None) -> list[IssuedLetter]:
        """New provisional passwords for ``ids``; with ``only_created``, an account activated
        meanwhile (on another kiosk, while the hashes were computed) is left alone."""
        passwords = [provisional_password(self.core.rng) for _unused in ids]
        hashes = self.core.hash_many(passwords, progress)
        letters = []
        now = self.now()
        deadline, deadline_at = self.core.deadline(now)
        with self.tx() as s:
            self.core.grant(s, actor, right)
            for account_id, password, password_hash in zip(ids, passwords, hashes, strict=True):
                account = s.get(Account, account_id, with_for_update=True)
                if account is None:
                    raise errors.Conflict(_("Un compte vient d'être supprimé depuis un autre poste. Recommencez."))
                if only_created and account.state != AccountState.CREATED:
                    continue
                account.state = AccountState.CREATED
                account.password_hash = password_hash
                account.provisional = True
                account.must_change_password = False
                account.issued_at = now
                account.deadline, account.deadline_at = deadline, deadline_at
                self.sessions.revoke(s, account.id)
                self.sessions.void_tokens(s, account.id, "reset")
                self.sessions.void_tokens(s, account.id, "email")
                self.lockout.clear(s, account.identifier)
                class_name = account.school_class.name if account.school_class else None
                if account.kind == Kind.PARENT:
                    letters.append(guardian_letter(s, account, password))
                else:
                    letters.append(IssuedLetter(account.identifier, account.first_name, account.last_name, class_name,
                                                deadline, now, account.birth_date, password))
                self.audit(s, event, account.identifier, actor=actor)
            if deliver is not None and letters:
                s.flush()
                deliver(letters)
        return letters

    def _student_id(self, identifier: str, *, actor: str, right: Right, expired: bool = False) -> int:
        """The id of a student's account (``expired``: one whose deadline has passed) that
        ``actor`` may act on with ``right``."""
        ident = normalize_login(identifier)
        with self.tx() as s:
            grant = self.core.grant(s, actor, right)
            account = self.core.account(s, ident)
            if account is None or account.kind not in (Kind.STUDENT, Kind.PARENT):
                raise errors.NotFound(_("Aucun élève n'a l'identifiant « {identifier} ».").format(identifier=ident))
            if account.kind == Kind.PARENT:
                self.core.reach_guardian(s, grant, account)
                if account.left_at is not None:
                    raise errors.NotAllowed(_("{identifier} n'est plus responsable d'un élève inscrit (mise à jour "
                                              "SIECLE) : son compte est fermé.").format(identifier=ident))
            else:
                self.core.reach(grant, account)
            if account.left_at is not None:
                raise errors.NotAllowed(_("{identifier} a quitté l'établissement (mise à jour SIECLE) : son compte "
                                          "est fermé. En cas de retour, la mise à jour suivante le rouvre.")
                                        .format(identifier=ident))
            if expired and not self.core.expired(account):
                raise errors.NotAllowed(_("Le compte « {identifier} » n'a pas expiré.").format(identifier=ident))
            return account.id

    def staff_reset(self, identifier: str, *, actor: str, deliver: Deliver | None = None) -> IssuedLetter:
        """A new provisional password and letter, deadline renewed, sessions and tokens voided.

        Also re-creates an account whose activation deadline passed (not yet purged).
        The validated address is kept: it is the student's, and recovery goes on working.
        """
        return self.reissue([self._student_id(identifier, actor=actor, right=Right.RESET)], actor=actor,
                             event="staff.reset", right=Right.RESET, deliver=deliver)[0]

    def recreate(self, identifier: str, *, actor: str, deliver: Deliver | None = None) -> IssuedLetter:
        """An expired account (deadline passed, not yet deleted) comes back with a new letter."""
        return self.reissue([self._student_id(identifier, actor=actor, right=Right.RESET, expired=True)],
                             actor=actor, event="staff.recreate", right=Right.RESET, deliver=deliver)[0]

    # ------------------------------------------------------------ accounts

    def unlock(self, identifier: str, *, actor: str) -> None:
        """Lift every lockout on an identifier (login, codes, recovery)."""
        ident = normalize_login(identifier)
        with self.tx() as s:
            grant = self.core.grant(s, actor, Right.UNLOCK)
            account = self.core.account(s, ident)
            if account is None:
                raise errors.NotFound(_("Aucun compte n'a l'identifiant « {identifier} ».").format(identifier=ident))
            if account.kind == Kind.PARENT:
                self.core.reach_guardian(s, grant, account)
            elif account.kind != Kind.STUDENT and grant.classes is not None:
                raise errors.NotAllowed(not_yours(ident))
            else:
                self.core.reach(grant, account)
            self.lockout.clear(s, ident)
            self.audit(s, "staff.unlock", ident, actor=actor)

    def purge_expired(self, *, actor: str) -> list[str]:
        """Delete accounts never activated before their deadline (SPEC §2), and the accounts
        of pupils who left the school more than ``[accounts] leaver_retention_days`` ago;
        their identifiers become free.

        An account that was activated once and then reset by staff is never deleted:
        its provisional password expires, but the student's account and address stay.
        """
        now = self.now()
        gone = now - timedelta(days=self.settings.accounts.leaver_retention_days)
        with self.tx() as s:
            self.core.grant(s, actor, Right.PURGE)
            expired = list(s.scalars(select(Account.identifier).where(or_(
                and_(Account.state == AccountState.CREATED, Account.activated_at.is_(None),
                     Account.deadline_at <= now),
                Account.left_at <= gone)).order_by(Account.identifier)))
            if expired:
                ids = select(Account.id).where(Account.identifier.in_(expired))
                for model in (Session, OneTimeToken, CharterAcceptance, ResetRequest, HelpRequest):
                    s.execute(delete(model).where(model.account_id.in_(ids)))
                s.execute(delete(Guardianship).where(or_(Guardianship.guardian_id.in_(ids),
                                                         Guardianship.pupil_id.in_(ids))))
                if self.core.directory_recorder is not None:  # a bulk delete: no flush tells the directory
                    pupils = s.scalars(select(Account.identifier).where(Account.identifier.in_(expired),
                                                                         Account.kind == Kind.STUDENT)).all()
                    self.core.directory_recorder.record(s, pupils, "deleted")
                s.execute(delete(Account).where(Account.identifier.in_(expired)))
                for ident in expired:
                    self.audit(s, "account.purged", ident, actor=actor)
            self.lockout.forget_old(s)
        return expired

    def force_password_change(self, *, identifier: str | None = None, class_name: str | None = None,
                              everyone: bool = False, actor: str) -> int:
        """After a leak: activated students must choose a new password at their next login.

        Their open sessions end now and pending reset codes are voided. Students who have
        not activated yet are left alone: their letter already forces a new password.
        Returns how many accounts are now marked.
        """
        if identifier is None and class_name is None and not everyone:
            raise DomainError(_("Précisez un élève, une classe ou tous les élèves."))
        with self.tx() as s:
            self.core.grant(s, actor, Right.FORCE_CHANGE)
            stmt = select(Account).where(Account.kind == Kind.STUDENT)
            if class_name is not None:
                stmt = stmt.join(SchoolClass).where(SchoolClass.name == class_name)
            if identifier is not None:
                stmt = stmt.where(Account.identifier == normalize_login(identifier))
            found = list(s.scalars(stmt.order_by(Account.identifier)))
            if identifier is not None and found and found[0].left_at is not None:
                raise errors.NotAllowed(_("{identifier} a quitté l'établissement (mise à jour SIECLE) : son compte "
                                          "est fermé, ses sessions aussi.").format(identifier=found[0].identifier))
            found = [a for a in found if a.left_at is None]
            if identifier is not None and not found:
                raise errors.NotFound(_("Aucun élève n'a l'identifiant « {identifier} ».")
                                      .format(identifier=normalize_login(identifier)))
            if class_name is not None and not found:
                raise errors.NotFound(_("Aucun élève dans la classe « {class_name} ».")
                                      .format(class_name=printable(class_name)))
            marked = [a for a in found if a.state == AccountState.ACTIVE]
            if identifier is not None and not marked:
                raise errors.NotAllowed(_("Le compte « {identifier} » n'est pas encore activé : son mot de passe "
                                          "provisoire devra de toute façon être changé.")
                                        .format(identifier=found[0].identifier))
            for account in marked:
                account.must_change_password = True
                self.sessions.revoke(s, account.id)
                self.sessions.void_tokens(s, account.id, "reset")
                self.audit(s, "staff.force_change", account.identifier, actor=actor)
            return len(marked)

    # ------------------------------------------------------------ the audit

    def audit_events(self, *, actor: str | None = None) -> list[AuditRecord]:
        """Every audit event, oldest first."""
        with self.tx() as s:
            self.core.grant(s, actor, Right.AUDIT)
            return self.core.audit.events(s)

    def audit_log(self, where: AuditFilter = AuditFilter(), *, limit: int | None = None,
                  actor: str | None = None) -> list[AuditRecord]:
        """The audit events ``where`` selects, newest first (at most ``limit``)."""
        tz = self.settings.timezone
        stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if where.since is not None:
            stmt = stmt.where(AuditEvent.at >= datetime.combine(where.since, time(0), tzinfo=tz))
        if where.until is not None:
            stmt = stmt.where(AuditEvent.at < datetime.combine(where.until + timedelta(days=1), time(0), tzinfo=tz))
        if where.student:
            stmt = stmt.where(AuditEvent.identifier == normalize_login(where.student))
        if where.staff:
            who = normalize_login(where.staff)
            stmt = stmt.where(or_(AuditEvent.actor == who, AuditEvent.identifier == who))  # by them, or about them
        if where.kind:
            # A kind as coded (login.failed), a family (login), or words of the
            # label the screen shows (translated) (« connexion », « courrier »).
            kind = where.kind.strip().lower()
            said = search_key(kind)

            def names(label: str) -> bool:  # a word the label starts a word with, or the words in a row
                words = search_key(label).replace("'", " ").split()
                return " " in said and said in search_key(label) or any(w.startswith(said) for w in words)

            labelled = [code for code, label in EVENT_LABELS.items() if said and names(_(label))]
            stmt = stmt.where(or_(AuditEvent.event == kind, AuditEvent.event.like(f"{kind}.%"),
                                  AuditEvent.event.in_(labelled)))
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.AUDIT)
            if where.class_name:
                pupils = select(Account.identifier).join(SchoolClass).where(
                    SchoolClass.name.in_(self.core.class_names(s, where.class_name)))
                stmt = stmt.where(AuditEvent.identifier.in_(pupils))
            if limit is not None:
                stmt = stmt.limit(limit)
            return [AuditRecord(e.at, e.kiosk_id, e.event, e.identifier, e.actor, dict(e.details or {}))
                    for e in s.scalars(stmt)]

    def forget_old_events(self, *, actor: str) -> int:
        """Delete the audit events older than ``[audit] retention_days``; how many went."""
        limit = self.now() - timedelta(days=self.settings.audit.retention_days)
        with self.tx() as s:
            self.core.grant(s, actor, Right.AUDIT)
            gone = s.execute(delete(AuditEvent).where(AuditEvent.at < limit)).rowcount or 0
            if gone:
                self.audit(s, "audit.purged", actor=actor, count=gone,
                           retention_days=self.settings.audit.retention_days)
        return gone
