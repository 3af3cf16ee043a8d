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
from ..mail import guardian_reset_message, identifier_reminder_message, password_reset_message
from ..store.models import Account, Guardianship, ResetRequest
from .core import UseCases
from .forms import check_email, check_new_password
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

    def forgot_identifier(self, email: str) -> str:
        """IDENTIFIANT OUBLIÉ: mail the identifier(s) of a validated address; returns the address."""
        errs: dict[str, str] = {}
        if not email.strip():
            raise InvalidInput({"email": _("Saisissez votre adresse mail.")})
        address = check_email(email, email, "email", errs)
        if errs or address is None:
            raise InvalidInput(errs)
        self.lockout.check("recovery", address)
        with self.tx() as s:
            identifiers = list(s.scalars(select(Account.identifier).where(
                Account.email == address, Account.email_validated_at.is_not(None), Account.left_at.is_(None))
                .order_by(Account.identifier)))
            self.audit(s, "recovery.identifier", identifiers[0] if len(identifiers) == 1 else None,
                       found=len(identifiers))
        locked = self.lockout.record_failure("recovery", address, None, identifiers[0] if identifiers else None)
        if not identifiers:
            raise locked or errors.RecoveryRefused()
        message = identifier_reminder_message(self.mail.sender, address, identifier=", ".join(identifiers),
                                              when=self.now())
        if problem := self.mail.send(message):
            raise MailNotSent(problem)
        return address

    def forgot_password(self, identifier: str) -> ResetReference:
        """MOT DE PASSE OUBLIÉ: always a 13-digit reference; a mail only to a validated address.

        Whether mail can leave is checked for every request alike (the transport, not the
        account): when it cannot, the answer says so to everyone, and the request is kept
        (``mail_failed``) for staff, who find it by its reference.
        """
        typed = normalize_login(identifier)
        if not typed:
            raise InvalidInput({"identifier": _("Saisissez votre identifiant.")})
        self.lockout.check("recovery", typed)
        mail_problem = self.mail.check()
        message = None
        with self.tx() as s:
            account = self.core.account(s, typed)
            usable = (account is not None and account.state == AccountState.ACTIVE and account.email is not None
                      and account.email_validated_at is not None and account.left_at is None)
            status = ("mail_failed" if mail_problem else "pending") if usable else "void"
            request = ResetRequest(reference=self._free_reference(s), account_id=account.id if account else None,
                                   created_at=self.now(), status=status, kiosk_id=self.core.kiosk_id)
            s.add(request)
            s.flush()
            if usable and mail_problem:
                # Like a failed resend: a code already received still works.
                self.audit(s, "mail.failed", account.identifier, reference=request.reference)
            elif usable:
                s.execute(update(ResetRequest).where(ResetRequest.account_id == account.id,
                                                     ResetRequest.status.in_(("pending", "mailed", "mail_failed")),
                                                     ResetRequest.id != request.id).values(status="void"))
                link, code, _unused = self.sessions.new_token(s, account, "reset", request=request)
                message = password_reset_message(self.mail.sender, account.email, reference=request.reference,
                                                 code=code, link=self.mail.link("password", link),
                                                 lifetime_minutes=self.settings.accounts.reset_token_minutes,
                                                 when=self.now())
            self.audit(s, "recovery.password", account.identifier if account else None, reference=request.reference,
                       mailed=usable and not mail_problem)
            reference, request_id = request.reference, request.id
        self.lockout.record_failure("recovery", typed, None, account.identifier if account else None)
        if message is not None:
            # The answer stays the same whatever happens to the mail: a different answer
            # would tell that this identifier has a validated address.
            ident = account.identifier
            self.mail.after_answer(lambda: self._mail_reset(message, request_id, reference, ident))
        return ResetReference(reference, mail_problem)

    # ------------------------------------------------------------ through a legal guardian

    def _guardians_of(self, s: DbSession, identifier: str, birth_date: str) -> tuple[Account, list[Account]]:
        """The pupil (identifier and birth date both right, active, no validated address)
        and their legal guardians with a validated address, in SIECLE's order; or a
        refusal that says nothing about which part was wrong (and counts as a failure)."""
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
            raise self.lockout.fail("recovery", typed, "recovery.guardian_refused", pupil.identifier if pupil else None,
                                    DomainError(_(GUARDIAN_REFUSED)))
        return pupil, guardians

    def guardians_to_ask(self, identifier: str, birth_date: str) -> list[str]:
        """« Envoyer le code à un responsable légal »: the guardians who can receive it,
        named « Mme N. » or « M. N. » only (never an address)."""
        self._guardian_recovery_on()
        typed = normalize_login(identifier)
        if not typed or not birth_date.strip():
            raise InvalidInput({k: m for k, m in (
                ("identifier", _("Saisissez votre identifiant.") if not typed else ""),
                ("birth_date", _("Saisissez votre date de naissance.") if not birth_date.strip() else "")) if m})
        self.lockout.check("recovery", typed)
        with self.tx(read_only=True) as s:
            _unused, guardians = self._guardians_of(s, typed, birth_date)
            return [guardian_initials(g) for g in guardians]

    def mail_code_to_guardian(self, identifier: str, birth_date: str, choice: int) -> ResetReference:
        """The reset code of the pupil, mailed to the ``choice``-th guardian of
        :meth:`guardians_to_ask`; the mail names the child and this kiosk; audited."""
        self._guardian_recovery_on()
        typed = normalize_login(identifier)
        self.lockout.check("recovery", typed)
        mail_problem = self.mail.check()
        if mail_problem:
            raise MailNotSent(mail_problem)
        with self.tx() as s:
            pupil, guardians = self._guardians_of(s, typed, birth_date)
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
            _unused, code, _unused = self.sessions.new_token(s, pupil, "reset", request=request)
            message = guardian_reset_message(self.mail.sender, guardian.email, child=f"{pupil.first_name} {pupil.last_name}",
                                             kiosk_id=self.core.kiosk_id, reference=request.reference, code=code,
                                             lifetime_minutes=self.settings.accounts.reset_token_minutes,
                                             when=self.now())
            self.audit(s, "recovery.guardian", pupil.identifier, guardian=guardian.identifier,
                       reference=request.reference)
            reference, request_id, ident = request.reference, request.id, pupil.identifier
        self.lockout.record_failure("recovery", typed, None, ident)
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
        check_new_password(self.settings.accounts, new_password, confirm_password, typed, errs)
        if errs:
            raise InvalidInput(errs)
        self.lockout.check("code", typed)
        new_hash = self.core.hasher.hash(new_password)
        notice = None
        with self.tx() as s:
            account = self.core.account(s, typed)
            active = account is not None and account.state == AccountState.ACTIVE and account.left_at is None
            row = self.sessions.match_token(s, "reset", account, link_token, short) if active else None
            if row is not None and account is not None and row.account_id == account.id:
                now = self.now()
                account.password_hash = new_hash
                account.password_changed_at = now
                account.provisional = False
                account.must_change_password = False
                row.used_at = now
                self.sessions.void_tokens(s, account.id, "reset")
                self.sessions.revoke(s, account.id)
                self.lockout.clear(s, account.identifier)
                if row.reset_request_id:
                    s.execute(update(ResetRequest).where(ResetRequest.id == row.reset_request_id).values(status="done"))
                self.audit(s, "password.reset", account.identifier)
                notice = self.mail.notice(account.email, "password")
                done = True
            else:
                done = False
                known = account.identifier if account else None
        if not done:
            raise self.lockout.fail("code", typed, "password.bad_code", known, errors.InvalidCode())
        self.mail.send_notices(notice)
