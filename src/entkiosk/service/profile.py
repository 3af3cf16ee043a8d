"""The guide's « VOTRE COMPTE »: the account as its owner reads it, a new password or a
new address (ENREGISTRER), the validation mail sent again, and the code that validates
an address."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from ..domain import errors, tokens
from ..domain.errors import DomainError, InvalidInput, MailNotSent
from ..domain.i18n import _
from ..domain.lifecycle import EmailState, Kind
from ..domain.passwords import context_problem
from ..store.models import Account, OneTimeToken
from .core import UseCases
from .forms import check_email, check_new_password, person_of, school_of
from .lockout import guarded
from .views import AccountView, Outcome

#: Between two validation mails of one account, and how many a day.
RESEND_DELAY = timedelta(minutes=1)
RESEND_PER_DAY = 10


def account_view(account: Account) -> AccountView:
    state = EmailState.PENDING if account.pending_email else EmailState.VALIDATED if account.email else EmailState.NONE
    return AccountView(account.identifier, account.kind, account.first_name, account.last_name,
                       account.school_class.name if account.school_class else None, account.state,
                       account.email, account.pending_email, state, account.previous_login_at, account.deadline)


class Profile(UseCases):
    """VOTRE COMPTE and the validation of an address."""

    def account(self, token: str) -> AccountView:
        with self.tx() as s:
            _unused, account = self.sessions.live(s, token)
            return account_view(account)

    @guarded
    def update_profile(self, token: str, *, current_password: str, new_email: str = "", confirm_email: str = "",
                       new_password: str = "", confirm_password: str = "") -> Outcome:
        """The ENREGISTRER of VOTRE COMPTE: a new password counts at once, a new address once validated."""
        errs: dict[str, str] = {}
        with self.tx() as s:
            _unused, account = self.sessions.ready(s, token, allow_forced_change=True)
            snapshot = (account.version, account.password_hash, account.identifier, account.email,
                        account.must_change_password, account.kind == Kind.STAFF)
            # Without the birth date until the current password is proved: else a refusal would
            # tell whoever sits at a session left open the pupil's birth date, guess after guess.
            person, proved_person = person_of(account, births=()), person_of(account)
        version, current_hash, identifier, old_email, forced, staff = snapshot
        if not current_password:
            errs["current_password"] = _("La saisie de votre mot de passe actuel est obligatoire pour toute "
                                         "modification d'information.")
        wants_password = bool(new_password or confirm_password)
        if wants_password:
            check_new_password(self.settings.accounts, new_password, confirm_password, identifier, errs, staff=staff,
                               person=person, school=school_of(self.settings, self.now()))
        address = check_email(new_email, confirm_email, "email", errs)
        if forced and address is not None:
            errs.setdefault("new_password", _("Vous devez d'abord changer votre mot de passe."))
        if not wants_password and address is None and not errs:
            errs["new_password"] = _("Saisissez un nouveau mot de passe ou une nouvelle adresse mail.")
        if forced and not wants_password:
            errs.setdefault("new_password", _("Vous devez changer votre mot de passe."))
        if errs:
            raise InvalidInput(errs)
        attempt = self.lockout.reserve("login", identifier)
        if not self.core.hasher.verify(current_hash, current_password):
            error = attempt.fail("profile.bad_password", identifier,
                                 InvalidInput({"current_password": _("Le mot de passe actuel est incorrect.")}))
            if isinstance(error, errors.Locked):
                self.sessions.end_all(token)
            raise error
        # The right password: given back now, before the argon2 work, so that a database
        # lost during it (the change then fails as a whole) leaves no failure counted.
        attempt.release()
        if wants_password and new_password == current_password:
            raise InvalidInput({"new_password": _("Le nouveau mot de passe doit être différent de l'actuel.")})
        if wants_password and (problem := context_problem(new_password, person=proved_person,
                                                          school=school_of(self.settings, self.now()))):
            raise InvalidInput({"new_password": problem})
        new_hash = self.core.hasher.hash(new_password) if wants_password else None
        # The code's argon2 work too, before the write transaction holds the lock.
        secret = self.sessions.new_secret() if address is not None else None
        messages: list[EmailMessage | None] = []
        with self.tx() as s:
            session, account = self.sessions.ready(s, token, allow_forced_change=True)
            if account.version != version:
                raise errors.Conflict()
            if new_hash:
                account.password_hash = new_hash
                account.password_changed_at = self.now()
                account.must_change_password = False
                self.sessions.void_tokens(s, account.id, "reset")
                self.sessions.revoke(s, account.id, keep=session.id)
                self.audit(s, "password.changed", identifier)
                messages.append(self.mail.notice(old_email, "password"))
            validation, row_id = None, None
            if address is not None:
                account.pending_email = address
                link, code, row = self.sessions.new_token(s, account, "email", email=address, secret=secret)
                validation, row_id = (self.mail.validation(address, link, code, first_address=account.email is None),
                                      row.id)
                self.audit(s, "email.requested", identifier)
        self.mail.send_notices(*messages)
        return Outcome(email_pending=address is not None, password_changed=new_hash is not None,
                       mail_problem=self.mail.send_validation(validation, row_id, identifier))

    def change_password(self, token: str, current_password: str, new_password: str, confirm_password: str) -> Outcome:
        return self.update_profile(token, current_password=current_password, new_password=new_password,
                                   confirm_password=confirm_password)

    def change_email(self, token: str, current_password: str, new_email: str, confirm_email: str) -> Outcome:
        return self.update_profile(token, current_password=current_password, new_email=new_email,
                                   confirm_email=confirm_email)

    # ------------------------------------------------------------ validating an address

    def resend_validation(self, token: str) -> str:
        """RENVOYER UN MAIL DE VALIDATION: a new code; returns the address.

        Older codes stop working only once the new mail has left: a failed resend
        leaves the student with the code already received.
        """
        # Made before the write transaction: its argon2 work must not hold the lock.
        secret = self.sessions.new_secret()
        with self.tx() as s:
            _unused, account = self.sessions.ready(s, token)
            if not account.pending_email:
                raise errors.NotAllowed(_("Aucune adresse mail n'attend de validation."))
            address, account_id = account.pending_email, account.id
            self._resend_allowed(s, account)
            link, code, row = self.sessions.new_token(s, account, "email", email=address, void_older=False,
                                                      secret=secret)
            message = self.mail.validation(address, link, code, first_address=account.email is None)
            self.audit(s, "email.resent", account.identifier)
        problem = self.mail.send(message)
        with self.tx() as s:
            if problem:  # never delivered: it does not count toward the resend limits either
                s.execute(delete(OneTimeToken).where(OneTimeToken.id == row.id))
            else:
                self.sessions.void_tokens(s, account_id, "email", keep=row.id)
        if problem:
            raise MailNotSent(problem)
        return address

    def _resend_allowed(self, s: DbSession, account: Account) -> None:
        """A minute between validation mails, ten a day: the button must not flood an address."""
        now = self.now()
        recent = list(s.scalars(select(OneTimeToken.created_at).where(
            OneTimeToken.account_id == account.id, OneTimeToken.purpose == "email",
            OneTimeToken.created_at > now - timedelta(days=1))))
        if any(now - created < RESEND_DELAY for created in recent):
            raise DomainError(_("Un mail de validation vient d'être envoyé : patientez une minute avant d'en demander "
                                "un autre, et vérifiez vos courriers indésirables."))
        if len(recent) >= RESEND_PER_DAY:
            raise DomainError(_("Trop de mails de validation ont été envoyés aujourd'hui : réessayez demain ou "
                                "adressez-vous à votre établissement."))

    @guarded
    def validate_email(self, code: str, *, token: str | None = None) -> AccountView:
        """The code of the validation mail (or its link token); a session is needed for the short code."""
        link_token = tokens.link_token_from(code)
        short = None if link_token else tokens.normalize_code(code)
        if link_token is None and short is None:
            raise InvalidInput({"code": _("Saisissez le code reçu par mail (8 caractères, par exemple K7QF-2M9X).")})
        account = attempt = None
        if short:
            # Short codes are guessable: they need a session, an attempt limit and the lockout.
            if not token:
                raise errors.SessionExpired()
            with self.tx() as s:
                _unused, account = self.sessions.live(s, token)
            attempt = self.lockout.reserve("code", account.identifier)
        verdict = self.sessions.judge_code("email", account.id, short) if short and account is not None else None
        with self.tx() as s:
            if token:
                _unused, account = self.sessions.live(s, token)
            row = self.sessions.match_token(s, "email", account, link_token, verdict)
            target = s.get(Account, row.account_id) if row is not None else None
            failed = target is None or row.email != target.pending_email
            if not failed:
                now = self.now()
                old = target.email
                target.email, target.pending_email, target.email_validated_at = row.email, None, now
                row.used_at = now
                self.sessions.void_tokens(s, target.id, "email")
                self.audit(s, "email.validated", target.identifier)
                if attempt is not None:
                    attempt.release(s)
                notice = self.mail.notice(old, "email") if old and old != target.email else None
                view = account_view(target)
        if failed:
            if attempt is not None:
                raise attempt.fail("email.bad_code", account.identifier, errors.InvalidCode())
            raise errors.InvalidCode()
        self.mail.send_notices(notice)
        return view
