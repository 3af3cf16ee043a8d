"""The guide's first steps: log in with the letter (« Se connecter »), the first
connection (birth date, a new password, an optional address to validate), the usage
charter, and logging out."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from sqlalchemy import select

from ..domain import errors, i18n
from ..domain.classlist import parse_birth_date
from ..domain.errors import DomainError, InvalidInput
from ..domain.i18n import N_, _
from ..domain.identifiers import normalize_login
from ..domain.lifecycle import AccountState, Kind
from ..domain.roles import Role
from ..store.models import Account, CharterAcceptance, Guardianship
from .core import DISABLED_STAFF, UseCases
from .forms import check_email, check_new_password, person_of, school_of
from .lockout import guarded
from .views import Charter, LoginResult, NextStep, Outcome

log = logging.getLogger(__name__)

ACTIVATED_ELSEWHERE = N_("Ce compte vient d'être activé depuis un autre poste.")


class Activation(UseCases):
    """Login, first connection, charter, logout."""

    @guarded
    def authenticate(self, identifier: str, password: str, *, kind: str = Kind.STUDENT) -> LoginResult:
        """Log in. A provisional password leads to the first connection."""
        typed = normalize_login(identifier)
        if not typed or not password:
            raise InvalidInput({k: m for k, m in (("identifier", _("Saisissez votre identifiant.") if not typed else ""),
                                                   ("password", _("Saisissez votre mot de passe.") if not password else "")) if m})
        attempt = self.lockout.reserve("login", typed)
        with self.tx(read_only=True) as s:
            account = self.core.account(s, typed)
            snapshot = (account.id, account.version, account.password_hash) if account else None
        ok = self.core.hasher.verify(snapshot[2] if snapshot else None, password)
        if not ok or account is None or account.kind != kind:
            raise attempt.fail("login.failed", account.identifier if account else None, errors.AuthenticationFailed())
        if account.left_at is not None:
            with self.tx() as s:
                self.audit(s, "login.left", account.identifier)
            if account.kind == Kind.PARENT:
                raise DomainError(_("Ce compte est fermé : aucun de vos enfants n'est plus inscrit dans "
                                    "l'établissement. Si c'est une erreur, adressez-vous au secrétariat."))
            raise errors.AccountClosed()
        if account.disabled_at is not None:
            with self.tx() as s:
                self.audit(s, "login.disabled", account.identifier)
            raise DomainError(_(DISABLED_STAFF))
        if account.state == AccountState.CREATED and account.deadline_at and self.now() >= account.deadline_at:
            with self.tx() as s:
                self.audit(s, "login.expired", account.identifier)
            if account.activated_at is not None:
                raise DomainError(_("Le mot de passe provisoire de ce courrier n'est plus valable. Adressez-vous à "
                                    "votre établissement pour recevoir un nouveau courrier."))
            raise errors.AccountExpired(self.settings.accounts.activation_months)
        hasher = self.core.hasher
        rehash = hasher.hash(password) if hasher.needs_rehash(account.password_hash) else None
        with self.tx() as s:
            account = s.get(Account, account.id)
            if account is None or account.version != snapshot[1]:
                raise errors.Conflict()
            now = self.now()
            if rehash:
                account.password_hash = rehash
            previous = account.last_login_at
            if account.state == AccountState.ACTIVE:
                account.previous_login_at, account.last_login_at = previous, now
            self.lockout.clear(s, account.identifier, ("login",))
            attempt.release(s)
            step = self.sessions.next_step(s, account)
            token = self.sessions.open(s, account, "first_connection" if step == "first_connection" else "full",
                                       confirmed=account.kind == Kind.STAFF)
            self.audit(s, "login.ok", account.identifier, rehashed=bool(rehash))
            return LoginResult(account.identifier, account.kind, account.first_name, step, previous, token,
                               Role(account.role) if account.role else None,
                               account.export_email if step == "first_connection" else None)

    def logout(self, token: str) -> None:
        with self.tx() as s:
            row = self.sessions.find(s, token)
            if row is not None and row.revoked_at is None:
                row.revoked_at = self.now()
                account = s.get(Account, row.account_id)
                self.audit(s, "logout", account.identifier if account else None)

    # ------------------------------------------------------------ first connection

    @guarded
    def first_connection(self, token: str, *, birth_date: str | date, new_password: str, confirm_password: str,
                         email: str = "", confirm_email: str = "") -> Outcome:
        """Activate: birth date, a new password, an optional e-mail to validate."""
        errs: dict[str, str] = {}
        with self.tx() as s:
            self._activated_elsewhere(s, token)
            session, account = self.sessions.live(s, token)
            if account.state != AccountState.CREATED or session.scope != "first_connection":
                raise errors.NotAllowed(_("Ce compte est déjà activé : connectez-vous avec votre mot de passe."))
            if account.deadline_at is not None and self.now() >= account.deadline_at:
                raise errors.AccountExpired(self.settings.accounts.activation_months)
            snapshot = (account.id, account.version, account.password_hash, account.identifier,
                        self._expected_births(s, account), account.kind == Kind.PARENT)
            person = person_of(account, births=())
        _unused, version, provisional_hash, identifier, expected_births, guardian = snapshot
        attempt = self.lockout.reserve("birth", identifier)
        born: date | None = None
        if isinstance(birth_date, date):
            born = birth_date
        elif not birth_date.strip():
            errs["birth_date"] = (_("Saisissez la date de naissance de l'un de vos enfants.") if guardian else
                                  _("Saisissez votre date de naissance."))
        else:
            try:
                born = parse_birth_date(birth_date)
            except ValueError:
                errs["birth_date"] = _("Cette date n'existe pas : jour, mois et année (JJ/MM/AAAA).")
        # The birth date typed, never the stored one: a refusal must not tell who holds the
        # letter the date the first connection asks them to prove.
        check_new_password(self.settings.accounts, new_password, confirm_password, identifier, errs,
                           person=replace(person, birth_dates=(born,) if born else ()),
                           school=school_of(self.settings, self.now()))
        address = check_email(email, confirm_email, "email", errs)
        if errs:
            raise InvalidInput(errs)
        if born not in expected_births:
            # Its own counter, which a new login does not reset: holding the letter must
            # not be enough to guess the birth date.
            error = attempt.fail("activation.bad_birth_date", identifier,
                                 InvalidInput({"birth_date": _("Cette date n'est celle d'aucun de vos enfants.") if guardian
                                               else _("La date de naissance ne correspond pas à ce compte.")}))
            if isinstance(error, errors.Locked):
                self.sessions.end_all(token)
            raise error
        # The right date: given back now, before the argon2 work, so that a database lost
        # during it (the activation then fails as a whole) leaves no failure counted.
        attempt.release()
        if self.core.hasher.verify(provisional_hash, new_password):
            raise InvalidInput({"new_password": _("Le nouveau mot de passe doit être différent du mot de passe "
                                                  "provisoire.")})
        new_hash = self.core.hasher.hash(new_password)
        # The code's argon2 work too, before the write transaction holds the lock.
        secret = self.sessions.new_secret() if address else None
        with self.tx() as s:
            # The account first: the other kiosk's activation ended this session too, and
            # its pupil must read why, not that their session expired.
            self._activated_elsewhere(s, token)
            try:
                session, account = self.sessions.live(s, token)
            except errors.SessionExpired:
                # PostgreSQL (READ COMMITTED): the other kiosk may have committed between the
                # two reads. Read again, fresh, before saying the session expired.
                s.expire_all()
                self._activated_elsewhere(s, token)
                raise
            if account.version != version or account.state != AccountState.CREATED:
                raise errors.Conflict(_(ACTIVATED_ELSEWHERE))
            now = self.now()
            account.state = AccountState.ACTIVE
            account.password_hash = new_hash
            account.provisional = False
            account.activated_at = account.password_changed_at = account.last_login_at = now
            session.scope = "full"
            self.sessions.revoke(s, account.id, keep=session.id)
            self.sessions.void_tokens(s, account.id, "reset")
            self.lockout.clear(s, identifier, ("birth",))
            self.audit(s, "account.activated", identifier, with_email=address is not None)
            message, row_id = None, None
            if address:
                account.pending_email = address
                link, code, row = self.sessions.new_token(s, account, "email", email=address, secret=secret)
                message, row_id = self.mail.validation(address, link, code, first_address=account.email is None), row.id
                self.audit(s, "email.requested", identifier)
        return Outcome(email_pending=address is not None, password_changed=True,
                       mail_problem=self.mail.send_validation(message, row_id, identifier))

    def _activated_elsewhere(self, s, token: str) -> None:
        """Raise :class:`~.errors.Conflict` when ``token``'s session was ended by its account's
        activation on another kiosk (its first connection won the race). A session ended
        before that activation, or for any other reason, is left to :meth:`Sessions.live`."""
        row = self.sessions.find(s, token)
        ended = row is not None and row.revoked_at is not None and row.scope == "first_connection"
        account = s.get(Account, row.account_id) if ended else None
        if (account is not None and account.state != AccountState.CREATED and account.activated_at is not None
                and row.revoked_at >= account.activated_at):
            raise errors.Conflict(_(ACTIVATED_ELSEWHERE))

    @staticmethod
    def _expected_births(s, account: Account) -> set[date]:
        """The birth date a first connection asks for: the pupil's own, or for a legal
        guardian (SIECLE does not hold theirs) any of their children's."""
        if account.kind != Kind.PARENT:
            return {account.birth_date} if account.birth_date else set()
        return {born for born in s.scalars(select(Account.birth_date).join(
            Guardianship, Guardianship.pupil_id == Account.id).where(Guardianship.guardian_id == account.id)) if born}

    # ------------------------------------------------------------ charter

    def charter(self) -> Charter:
        """The charter in the pupil's language when the school has it (``charte.en.txt`` beside
        ``charte.txt``), else as written; the same version either way."""
        path = self.settings.charter_path()
        translation = i18n.translated(path, i18n.language())
        try:
            # A translation that cannot be read, or is empty, gives way to the charter itself
            # (the one the start-up checked).
            text = translation.read_text(encoding="utf-8") if translation != path else ""
        except (OSError, UnicodeDecodeError):
            log.warning("charter translation %s unreadable: the charter itself is shown", translation)
            text = ""
        try:
            text = text if text.strip() else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise DomainError(_("La charte est introuvable ou illisible ({path}). Prévenez votre établissement.")
                              .format(path=path)) from None
        return Charter(self.settings.charter.version, text)

    def accept_charter(self, token: str, version: str) -> NextStep:
        with self.tx() as s:
            _unused, account = self.sessions.live(s, token)
            if account.state != AccountState.ACTIVE:
                raise errors.NotAllowed(_("Terminez d'abord la première connexion."))
            if version != self.settings.charter.version:
                raise errors.Conflict(_("La charte vient de changer : lisez la nouvelle version."))
            if not self.sessions.charter_ok(s, account):
                s.add(CharterAcceptance(account_id=account.id, version=version, accepted_at=self.now(),
                                        kiosk_id=self.core.kiosk_id))
                self.audit(s, "charter.accepted", account.identifier, version=version)
            return self.sessions.next_step(s, account)

    def decline_charter(self, token: str) -> None:
        """Refusing the charter logs out; the account stays active and asks again next time."""
        with self.tx() as s:
            session, account = self.sessions.live(s, token)
            session.revoked_at = self.now()
            self.audit(s, "charter.declined", account.identifier, version=self.settings.charter.version)
