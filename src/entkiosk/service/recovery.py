"""The guide's ways back into an account: « Identifiant oublié ? » (the identifiers of a
validated address, by mail), « Mot de passe oublié ? » (a 13-digit reference on screen,
a code by mail) and « MODIFIEZ VOTRE MOT DE PASSE » with that code.

Nothing a student reads here tells whether an identifier exists or has an address.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from ..domain import errors, tokens
from ..domain.errors import DomainError, InvalidInput, MailNotSent
from ..domain.i18n import N_, _
from ..domain.identifiers import normalize_login
from ..domain.classlist import parse_birth_date
from ..domain.lifecycle import AccountState, Kind
from ..domain.passwords import context_problem
from ..mail import guardian_reset_message, identifier_reminder_message, password_reset_message
from ..store.models import Account, Guardianship, ResetRequest
from .core import UseCases
from .forms import check_email, check_new_password, person_of, school_of
from .lockout import Attempt, guarded
from .sessions import Secret
from .views import ResetReference

log = logging.getLogger(__name__)

GUARDIAN_REFUSED = N_("Impossible d'envoyer le code à un responsable : l'identifiant ou la date de naissance ne "
                    "correspondent pas, ou aucun de vos responsables légaux n'a encore activé son compte avec une adresse "
                    "mail validée. Demandez de l'aide à un adulte de l'établissement (« Je n'ai pas d'adresse mail »).")


def guardian_initials(account: Account) -> str:
    """A guardian as a pupil's screen names them: « Mme N. », « M. N. » (never the address)."""
    initial = next((c for c in account.last_name if c.isalpha()), "?").upper()
    return f"{account.civility or _('Responsable')} {initial}."


class Recovery(UseCases):
    """Forgotten identifier, forgotten password, a new password with the mailed code."""

    @guarded
    def forgot_identifier(self, email: str) -> str:
        """IDENTIFIANT OUBLIÉ: mail the identifier(s) of a validated address; returns the address."""
        errs: dict[str, str] = {}
        if not email.strip():
            raise InvalidInput({"email": _("Saisissez votre adresse mail.")})
        address = check_email(email, email, "email", errs)
        if errs or address is None:
            raise InvalidInput(errs)
        attempt = self.lockout.reserve("recovery", address)
        with self.tx() as s:
            identifiers = list(s.scalars(select(Account.identifier).where(
                Account.email == address, Account.email_validated_at.is_not(None), Account.left_at.is_(None))
                .order_by(Account.identifier)))
            self.audit(s, "recovery.identifier", identifiers[0] if len(identifiers) == 1 else None,
                       found=len(identifiers))
        locked = attempt.count(None, identifiers[0] if identifiers else None)
        if not identifiers:
            raise locked or errors.RecoveryRefused()
        message = identifier_reminder_message(self.mail.sender, address, identifier=", ".join(identifiers),
                                              when=self.now())
        if problem := self.mail.send(message):
            raise MailNotSent(problem)
        return address

    @guarded
    def forgot_password(self, identifier: str) -> ResetReference:
        """MOT DE PASSE OUBLIÉ: always a 13-digit reference; a mail only to a validated address.

        Whether mail can leave is checked for every request alike (the transport, not the
        account): when it cannot, the answer says so to everyone, and the request is kept
        (``mail_failed``) for staff, who find it by its reference.

        Every identifier costs the same work before the answer (ASVS 6.3.8): one argon2
        computation (a code's hash, thrown away when nothing is mailed) and the same
        statements (voiding an older request and code matches nothing when nothing is
        mailed). What only a validated address needs, storing the code and building the
        mail, happens after the answer (:meth:`_issue_reset`), on the kiosk's mail thread.
        """
        typed = normalize_login(identifier)
        if not typed:
            raise InvalidInput({"identifier": _("Saisissez votre identifiant.")})
        attempt = self.lockout.reserve("recovery", typed)
        mail_problem = self.mail.check()
        secret = self.sessions.new_secret()  # outside the transaction: no lock held while argon2 runs
        with self.tx() as s:
            account = self.core.account(s, typed)
            usable = account is not None and self._mailable(account)
            status = ("mail_failed" if mail_problem else "pending") if usable else "void"
            request = ResetRequest(reference=self._free_reference(s), account_id=account.id if account else None,
                                   created_at=self.now(), status=status, kiosk_id=self.core.kiosk_id)
            s.add(request)
            s.flush()
            # Like a failed resend when mail cannot leave: a code already received still works.
            voids = account.id if usable and not mail_problem else 0  # 0: no account has it
            s.execute(update(ResetRequest).where(ResetRequest.account_id == voids,
                                                 ResetRequest.status.in_(("pending", "mailed", "mail_failed")),
                                                 ResetRequest.id != request.id).values(status="void"))
            self.sessions.void_tokens(s, voids, "reset")
            if usable and mail_problem:
                self.audit(s, "mail.failed", account.identifier, reference=request.reference)
            self.audit(s, "recovery.password", account.identifier if account else None, reference=request.reference,
                       mailed=usable and not mail_problem)
            request_id = request.id
            reference = request.reference
        attempt.count(None, account.identifier if account else None)
        if usable and not mail_problem:
            # The answer stays the same whatever happens to the mail: a different answer
            # would tell that this identifier has a validated address.
            self.mail.after_answer(lambda: self._issue_reset(request_id, secret))
        return ResetReference(reference, mail_problem)

    @staticmethod
    def _mailable(account: Account) -> bool:
        """A reset code can be mailed to this account: active, with a validated address, not a leaver."""
        return (account.state == AccountState.ACTIVE and account.email is not None
                and account.email_validated_at is not None and account.left_at is None)

    def _issue_reset(self, request_id: int, secret: Secret) -> None:
        """After the answer of MOT DE PASSE OUBLIÉ: store the request's code and mail it,
        unless a newer request (or a guardian's, or a staff reset) voided it meanwhile, or the
        account can no longer receive it. The request is locked while its code is stored, so
        that a newer request voids this code too."""
        try:
            with self.tx() as s:
                request = s.get(ResetRequest, request_id, with_for_update=True)
                account = s.get(Account, request.account_id) if request and request.account_id else None
                if request is None or request.status != "pending" or account is None or not self._mailable(account):
                    return
                link, code, _unused = self.sessions.new_token(s, account, "reset", request=request, secret=secret)
                message = password_reset_message(self.mail.sender, account.email, reference=request.reference,
                                                 code=code, link=self.mail.link("password", link),
                                                 lifetime_minutes=self.settings.accounts.reset_code_minutes,
                                                 when=self.now())
                reference, ident = request.reference, account.identifier
        except DomainError:
            if not self.mail.in_background:
                raise
            log.warning("reset request %s: its code could not be recorded", request_id)
            # Staff must see it as a request whose mail did not leave (they reissue it), not
            # one waiting for a mail that will never come.
            try:
                with self.tx() as s:
                    s.execute(update(ResetRequest).where(ResetRequest.id == request_id, ResetRequest.status == "pending")
                              .values(status="mail_failed"))
            except DomainError:
                log.warning("reset request %s: its mail status could not be recorded", request_id)
            return
        self._mail_reset(message, request_id, reference, ident)

    # ------------------------------------------------------------ through a legal guardian

    def _guardians_of(self, s: DbSession, identifier: str, birth_date: str,
                      attempt: Attempt | None) -> tuple[Account, list[Account]]:
        """The pupil (identifier and birth date both right, active, no validated address)
        and their legal guardians with a validated address, in SIECLE's order; or a
        refusal that says nothing about which part was wrong (and counts as a failure,
        ``attempt``'s: it writes, so ``s`` must not be a write transaction)."""
        typed = normalize_login(identifier)
        try:
            born = parse_birth_date(birth_date)
        except ValueError:
            born = None
        pupil = self.core.account(s, typed)
        guardians: list[Account] = []
        if (pupil is not None and pupil.kind == Kind.STUDENT and pupil.state == AccountState.ACTIVE
                and pupil.left_at is None and pupil.email_validated_at is None and born == pupil.birth_date):
            guardians = list(s.scalars(
                select(Account).join(Guardianship, Guardianship.guardian_id == Account.id)
                .where(Guardianship.pupil_id == pupil.id, Account.kind == Kind.PARENT, Account.left_at.is_(None),
                       Account.state == AccountState.ACTIVE, Account.email.is_not(None),
                       Account.email_validated_at.is_not(None))
                .order_by(Guardianship.resp_legal, Account.id)))
        if not guardians:
            error = DomainError(_(GUARDIAN_REFUSED))
            if attempt is None:
                raise error
            raise attempt.fail("recovery.guardian_refused", pupil.identifier if pupil else None, error)
        return pupil, guardians

    @guarded
    def guardians_to_ask(self, identifier: str, birth_date: str) -> list[str]:
        """« Envoyer le code à un responsable légal »: the guardians who can receive it,
        named « Mme N. » or « M. N. » only (never an address)."""
        self._guardian_recovery_on()
        typed = normalize_login(identifier)
        if not typed or not birth_date.strip():
            raise InvalidInput({k: m for k, m in (
                ("identifier", _("Saisissez votre identifiant.") if not typed else ""),
                ("birth_date", _("Saisissez votre date de naissance.") if not birth_date.strip() else "")) if m})
        attempt = self.lockout.reserve("recovery", typed)
        with self.tx(read_only=True) as s:
            _unused, guardians = self._guardians_of(s, typed, birth_date, attempt)
            return [guardian_initials(g) for g in guardians]

    @guarded
    def mail_code_to_guardian(self, identifier: str, birth_date: str, choice: int) -> ResetReference:
        """The reset code of the pupil, mailed to the ``choice``-th guardian of
        :meth:`guardians_to_ask`; the mail names the child and this kiosk; audited."""
        self._guardian_recovery_on()
        typed = normalize_login(identifier)
        attempt = self.lockout.reserve("recovery", typed)
        mail_problem = self.mail.check()
        if mail_problem:
            raise MailNotSent(mail_problem)
        # Judged before the write transaction: a refusal counts in a transaction of its own,
        # which on SQLite would wait for this one's write lock.
        with self.tx(read_only=True) as s:
            self._guardians_of(s, typed, birth_date, attempt)
        secret = self.sessions.new_secret()  # outside the transaction: no lock held while argon2 runs
        with self.tx() as s:
            pupil, guardians = self._guardians_of(s, typed, birth_date, None)  # changed since: no wrong guess
            if not 0 <= choice < len(guardians):
                raise errors.Conflict(_("La liste de vos responsables a changé : recommencez."))
            guardian = guardians[choice]
            s.execute(update(ResetRequest).where(ResetRequest.account_id == pupil.id,
                                                 ResetRequest.status.in_(("pending", "mailed", "mail_failed")))
                      .values(status="void"))
            request = ResetRequest(reference=self._free_reference(s), account_id=pupil.id, created_at=self.now(),
                                   status="pending", kiosk_id=self.core.kiosk_id)
            s.add(request)
            s.flush()
            _unused, code, _unused = self.sessions.new_token(s, pupil, "reset", request=request, secret=secret)
            message = guardian_reset_message(self.mail.sender, guardian.email, child=f"{pupil.first_name} {pupil.last_name}",
                                             kiosk_id=self.core.kiosk_id, reference=request.reference, code=code,
                                             lifetime_minutes=self.settings.accounts.reset_code_minutes,
                                             when=self.now())
            self.audit(s, "recovery.guardian", pupil.identifier, guardian=guardian.identifier,
                       reference=request.reference)
            reference, request_id, ident = request.reference, request.id, pupil.identifier
        attempt.count(None, ident)
        self.mail.after_answer(lambda: self._mail_reset(message, request_id, reference, ident))
        return ResetReference(reference)

    def _guardian_recovery_on(self) -> None:
        if not self.settings.accounts.guardian_recovery:
            raise errors.NotAllowed(_("L'envoi du code à un responsable légal n'est pas proposé dans cet "
                                      "établissement : demandez de l'aide à un adulte (« Je n'ai pas d'adresse "
                                      "mail »)."))

    def _mail_reset(self, message: EmailMessage, request_id: int, reference: str, identifier: str) -> None:
        problem = self.mail.send(message)
        try:
            with self.tx() as s:
                s.execute(update(ResetRequest).where(ResetRequest.id == request_id)
                          .values(status="mail_failed" if problem else "mailed"))
                if problem:
                    self.audit(s, "mail.failed", identifier, reference=reference)
        except DomainError:
            if not self.mail.in_background:
                raise
            log.warning("reset request %s: its mail status could not be recorded", request_id)

    def _free_reference(self, s: DbSession) -> str:
        while True:
            reference = tokens.new_reference(self.core.rng)
            if s.scalar(select(ResetRequest.id).where(ResetRequest.reference == reference)) is None:
                return reference

    @guarded
    def reset_password(self, identifier: str, code: str, new_password: str, confirm_password: str) -> None:
        """MODIFIEZ VOTRE MOT DE PASSE, with the code (or link token) of the reset mail."""
        typed = normalize_login(identifier)
        errs: dict[str, str] = {}
        if not typed:
            errs["identifier"] = _("Saisissez votre identifiant.")
        link_token = tokens.link_token_from(code)
        short = None if link_token else tokens.normalize_code(code)
        if link_token is None and short is None:
            errs["code"] = _("Saisissez le code reçu par mail (8 caractères, par exemple K7QF-2M9X).")
        school = school_of(self.settings, self.now())
        check_new_password(self.settings.accounts, new_password, confirm_password, typed, errs, school=school)
        if errs:
            raise InvalidInput(errs)
        attempt = self.lockout.reserve("code", typed)
        new_hash = self.core.hasher.hash(new_password)
        verdict = None
        if short:
            # Judged before the write transaction (argon2 must not hold the lock); an inactive
            # or unknown account still costs the check's argon2 work.
            with self.tx(read_only=True) as s:
                account = self.core.account(s, typed)
                judged = (account.id if account is not None and account.state == AccountState.ACTIVE
                          and account.left_at is None else None)
            verdict = self.sessions.judge_code("reset", judged, short)
        notice = None
        with self.tx() as s:
            account = self.core.account(s, typed)
            active = account is not None and account.state == AccountState.ACTIVE and account.left_at is None
            row = self.sessions.match_token(s, "reset", account if active else None, link_token, verdict)
            row = row if active else None
            if row is not None and account is not None and row.account_id == account.id:
                # Their names and birth date only now that the code proved who types: before,
                # a refusal would tell anyone a pupil's birth date. The code stays valid.
                if problem := context_problem(new_password, person=person_of(account), school=school):
                    raise InvalidInput({"new_password": problem})
                now = self.now()
                account.password_hash = new_hash
                account.password_changed_at = now
                account.provisional = False
                account.must_change_password = False
                row.used_at = now
                self.sessions.void_tokens(s, account.id, "reset")
                self.sessions.revoke(s, account.id)
                self.lockout.clear(s, account.identifier)
                attempt.release(s)
                if row.reset_request_id:
                    s.execute(update(ResetRequest).where(ResetRequest.id == row.reset_request_id).values(status="done"))
                self.audit(s, "password.reset", account.identifier)
                notice = self.mail.notice(account.email, "password")
                done = True
            else:
                done = False
                known = account.identifier if account else None
        if not done:
            raise attempt.fail("password.bad_code", known, errors.InvalidCode())
        self.mail.send_notices(notice)
