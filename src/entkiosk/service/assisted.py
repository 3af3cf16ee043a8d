"""« Je n'ai pas d'adresse mail »: a way back into an account without e-mail, approved in
person by an adult.

The pupil gives their identifier and birth date at a kiosk; the kiosk shows a short request
code and the pupil's name and keeps a secret token. The request appears in the supervised
session and the console of the staff who reach the pupil's class; a staff member checks the
pupil in front of them, types the pupil's name (it must be the request's) and approves.
The kiosk that asked — and only it, by its token — then lets the pupil choose a new
password. A request lives :data:`HELP_MINUTES` minutes; an approval gives the pupil that
long again to choose the password.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from ..domain import errors, tokens
from ..domain.classlist import parse_birth_date
from ..domain.errors import DomainError, InvalidInput
from ..domain.i18n import N_, _
from ..domain.identifiers import normalize_login
from ..domain.lifecycle import AccountState, Kind
from ..domain.names import person_order, same_person
from ..domain.roles import Right
from ..store.models import Account, HelpRequest, SchoolClass
from .core import UseCases
from .forms import check_new_password, person_of, school_of
from .lockout import guarded
from .views import HelpRequestView, HelpState, HelpTicket

#: How long a request waits for an adult, and how long an approved one waits for the pupil.
HELP_MINUTES = 15
NOT_MATCHED = N_("Identifiant ou date de naissance incorrect.")
GONE = N_("Cette demande n'est plus valable : faites une nouvelle demande.")


class AssistedRecovery(UseCases):
    """The pupil's side (ask, follow, cancel, finish) and the staff's (list, approve)."""

    # ------------------------------------------------------------ the pupil at the kiosk

    @guarded
    def ask_for_help(self, identifier: str, birth_date: str | date) -> HelpTicket:
        """A request for an adult's approval, for a pupil whose identifier and birth date
        match an activated account; any other answer is the same sentence (and counts
        towards the lockout of that identifier, as « Mot de passe oublié ? » does)."""
        typed = normalize_login(identifier)
        errs: dict[str, str] = {}
        if not typed:
            errs["identifier"] = _("Saisissez votre identifiant.")
        born: date | None = birth_date if isinstance(birth_date, date) else None
        if born is None and not str(birth_date).strip():
            errs["birth_date"] = _("Saisissez votre date de naissance.")
        elif born is None:
            try:
                born = parse_birth_date(str(birth_date))
            except ValueError:
                errs["birth_date"] = _("Cette date n'existe pas : jour, mois et année (JJ/MM/AAAA).")
        if errs:
            raise InvalidInput(errs)
        attempt = self.lockout.reserve("recovery", typed)
        token = tokens.new_link_token(self.core.rng)
        now = self.now()
        with self.tx() as s:
            account = self.core.account(s, typed)
            usable = (account is not None and account.kind == Kind.STUDENT and account.left_at is None
                      and account.state == AccountState.ACTIVE and account.birth_date == born)
            if usable:
                # One request at a time per pupil: an older one stops here.
                s.execute(update(HelpRequest).where(HelpRequest.account_id == account.id,
                                                    HelpRequest.status.in_(("pending", "approved")))
                          .values(status="cancelled"))
                request = HelpRequest(code=self._free_code(s), account_id=account.id,
                                      token_hash=tokens.hash_link_token(token), status="pending", created_at=now,
                                      expires_at=now + timedelta(minutes=HELP_MINUTES), kiosk_id=self.core.kiosk_id)
                s.add(request)
                s.flush()
                class_name = account.school_class.name if account.school_class else None
                ticket = HelpTicket(request.code, account.first_name, account.last_name, class_name,
                                    request.expires_at, token)
                self.audit(s, "recovery.help_asked", account.identifier, code=request.code)
        locked = attempt.count(None if usable else "recovery.help_refused", account.identifier if account else None)
        if not usable:
            raise locked or DomainError(_(NOT_MATCHED))
        return ticket

    def _free_code(self, s: DbSession) -> str:
        """A code no live request has (two pupils must never show the same one)."""
        while True:
            code = tokens.new_request_code(self.core.rng)
            if s.scalar(select(HelpRequest.id).where(HelpRequest.code == code,
                                                     HelpRequest.status.in_(("pending", "approved")))) is None:
                return code

    def _by_token(self, s: DbSession, token: str) -> HelpRequest | None:
        if not tokens.looks_like_link_token(token or ""):
            return None
        return s.scalar(select(HelpRequest).where(HelpRequest.token_hash == tokens.hash_link_token(token)))

    def _state(self, request: HelpRequest) -> HelpState:
        if request.status in ("pending", "approved") and request.expires_at <= self.now():
            return "expired"
        return request.status  # type: ignore[return-value]

    def help_state(self, token: str) -> HelpState:
        """Where the kiosk's request stands (read every few seconds while the pupil waits)."""
        with self.tx(read_only=True) as s:
            request = self._by_token(s, token)
            return "cancelled" if request is None else self._state(request)

    def cancel_help(self, token: str) -> None:
        """The pupil leaves the waiting screen: the request can no longer be approved."""
        with self.tx() as s:
            request = self._by_token(s, token)
            if request is not None and request.status in ("pending", "approved"):
                request.status = "cancelled"
                self.audit(s, "recovery.help_cancelled", s.get(Account, request.account_id).identifier,
                           code=request.code)

    def finish_help(self, token: str, new_password: str, confirm_password: str) -> None:
        """The new password of an approved request, at the kiosk that asked."""
        with self.tx(read_only=True) as s:
            request = self._by_token(s, token)
            if request is None or self._state(request) != "approved":
                raise DomainError(_(GONE))
            account = s.get(Account, request.account_id)
            identifier, person = account.identifier, person_of(account)  # staff checked who asks
        errs: dict[str, str] = {}
        check_new_password(self.settings.accounts, new_password, confirm_password, identifier, errs, person=person,
                           school=school_of(self.settings, self.now()))
        if errs:
            raise InvalidInput(errs)
        new_hash = self.core.hasher.hash(new_password)
        with self.tx() as s:
            request = self._by_token(s, token)
            if request is None or self._state(request) != "approved":
                raise DomainError(_(GONE))
            account = s.get(Account, request.account_id, with_for_update=True)
            if account is None or account.left_at is not None or account.state != AccountState.ACTIVE:
                raise DomainError(_(GONE))
            now = self.now()
            account.password_hash = new_hash
            account.password_changed_at = now
            account.provisional = False
            account.must_change_password = False
            request.status = "used"
            self.sessions.void_tokens(s, account.id, "reset")
            self.sessions.revoke(s, account.id)
            self.lockout.clear(s, account.identifier)
            self.audit(s, "password.reset", account.identifier, via="help", code=request.code,
                       approved_by=request.approved_by)
            notice = self.mail.notice(account.email, "password")
        self.mail.send_notices(notice)

    # ------------------------------------------------------------ the staff

    def help_requests(self, class_name: str | None = None, *, actor: str | None = None) -> list[HelpRequestView]:
        """The requests of the last :data:`HELP_MINUTES` minutes that ``actor`` reaches
        (of ``class_name`` only, when given), newest first."""
        since = self.now() - timedelta(minutes=2 * HELP_MINUTES)
        stmt = (select(HelpRequest, Account, SchoolClass.name.label("class_name"))
                .join(Account, HelpRequest.account_id == Account.id).outerjoin(SchoolClass)
                .where(HelpRequest.created_at >= since, HelpRequest.status.in_(("pending", "approved"))))
        with self.tx(read_only=True) as s:
            grant = self.core.grant(s, actor, Right.READ)
            if (reached := self.core.pupils_reached(s, grant, class_name)) is not None:
                stmt = stmt.where(reached)
            rows = s.execute(stmt).all()
            views = [HelpRequestView(r.HelpRequest.code, r.Account.identifier, r.Account.first_name,
                                     r.Account.last_name, r.class_name, r.HelpRequest.created_at,
                                     r.HelpRequest.expires_at, self._state(r.HelpRequest), r.HelpRequest.approved_by)
                     for r in rows]
        views = [v for v in views if v.state != "expired"]
        views.sort(key=lambda v: person_order(v.last_name, v.first_name, v.identifier))
        return sorted(views, key=lambda v: v.created_at, reverse=True)

    def approve_help(self, code: str, pupil_name: str, *, actor: str) -> HelpRequestView:
        """A staff member approves a request after checking the pupil in person: the name
        typed must be the request's. Two staff approving at once: one wins, the other is
        told; an expired, cancelled or used request changes nothing."""
        typed = tokens.normalize_request_code(code)
        if typed is None:
            raise InvalidInput({"code": _("Un code de demande compte 6 caractères (par exemple K7Q-2M9).")})
        if not pupil_name.strip():
            raise InvalidInput({"pupil": _("Saisissez le nom et le prénom de l'élève qui est devant vous.")})
        with self.tx() as s:
            grant = self.core.grant(s, actor, Right.APPROVE)
            request = s.scalar(select(HelpRequest).where(HelpRequest.code == typed)
                               .order_by(HelpRequest.id.desc()).limit(1))
            account = s.get(Account, request.account_id) if request is not None else None
            if request is None or account is None or not grant.reaches(account.class_id):
                if grant.classes is not None:
                    raise errors.NotFound(_("Aucune demande de vos classes n'a le code {code}.").format(code=typed))
                raise errors.NotFound(_("Aucune demande n'a le code {code}.").format(code=typed))
            state = self._state(request)
            if state == "approved":
                raise errors.Conflict(_("La demande {code} a déjà été approuvée par {staff} : l'élève peut choisir "
                                        "son mot de passe.").format(code=typed, staff=request.approved_by))
            if state != "pending":
                said = {
                    "expired": _("La demande {code} a expiré : rien n'a été approuvé. L'élève peut en faire une "
                                 "nouvelle."),
                    "used": _("La demande {code} a déjà servi : rien n'a été approuvé. L'élève peut en faire une "
                              "nouvelle."),
                    "cancelled": _("La demande {code} a été annulée : rien n'a été approuvé. L'élève peut en faire "
                                   "une nouvelle."),
                }[state]
                raise DomainError(said.format(code=typed))
            if not same_person(pupil_name, account.first_name, account.last_name):
                raise InvalidInput({"pupil": _("Ce n'est pas l'élève de la demande {code} : vérifiez son identité "
                                               "(nom et prénom, comme sur la liste de la classe).").format(code=typed)})
            now = self.now()
            # One winner: the row changes only while it is still pending.
            won = s.execute(update(HelpRequest).where(HelpRequest.id == request.id, HelpRequest.status == "pending")
                            .values(status="approved", approved_at=now, approved_by=grant.actor,
                                    expires_at=now + timedelta(minutes=HELP_MINUTES))).rowcount
            if won != 1:
                raise errors.Conflict(_("La demande {code} vient d'être traitée depuis un autre poste.")
                                      .format(code=typed))
            self.audit(s, "recovery.help_approved", account.identifier, actor=grant.actor, code=typed)
            class_name = account.school_class.name if account.school_class else None
            return HelpRequestView(typed, account.identifier, account.first_name, account.last_name, class_name,
                                   request.created_at, now + timedelta(minutes=HELP_MINUTES), "approved", grant.actor)
