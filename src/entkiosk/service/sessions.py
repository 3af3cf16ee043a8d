"""Sessions and one-time tokens: who is logged in at this kiosk, what they may do next
(first connection, charter, forced change, or their account), and the codes that mails
carry (address validation, password reset).

Only hashes are stored: a session token, a link token or a code never reaches the
database, a log or an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from ..domain import errors, tokens
from ..domain.i18n import N_, _
from ..domain.lifecycle import AccountState, Kind
from ..store.models import Account, CharterAcceptance, OneTimeToken, ResetRequest, Session
from .views import NextStep

if TYPE_CHECKING:
    import random

    from ..config import Settings
    from ..domain.clock import Clock
    from .unit_of_work import UnitOfWork

STAFF_ONLY = N_("Réservé au personnel de l'établissement.")


@dataclass(frozen=True)
class CodeVerdict:
    """A short code judged by :meth:`Sessions.judge_code`: the id of the live code it matched,
    or the ids of the codes it was checked against (each loses one attempt)."""
    matched: int | None
    checked: tuple[int, ...]


@dataclass(frozen=True)
class Secret:
    """What one token is made of: the link token and the short code to mail (never stored,
    never in a repr that could reach a log), and the code's stored hash."""

    link: str = field(repr=False)
    code: str = field(repr=False)
    code_hash: str = field(repr=False)


class Sessions:
    """Sessions and tokens, inside the caller's transaction (``s``) unless said otherwise."""

    def __init__(self, settings: Settings, uow: UnitOfWork, clock: Clock, rng: random.Random, kiosk_id: str,
                 codes: tokens.CodeHasher) -> None:
        self.settings = settings
        self.uow = uow
        self.clock = clock
        self.rng = rng
        self.kiosk_id = kiosk_id
        #: How short codes are stored and checked (argon2id of their keyed digest).
        self.codes = codes

    # ------------------------------------------------------------ sessions

    def open(self, s: DbSession, account: Account, scope: str, *, confirmed: bool = False) -> str:
        """A new session; ``confirmed``: the password was just typed (a staff login), which
        covers the supervised session's actions for the next minutes."""
        token = tokens.new_link_token(self.rng)
        now = self.clock.now()
        s.add(Session(token_hash=tokens.hash_link_token(token), account_id=account.id, scope=scope,
                      created_at=now, last_seen_at=now, kiosk_id=self.kiosk_id, confirmed_at=now if confirmed else None))
        return token

    def _timed_out(self, row: Session, account: Account) -> bool:
        """Unused for ``session_timeout``, or older than its absolute lifetime (ASVS 7.3.2): a
        session kept busy still ends, a pupil's or a guardian's after ``session_max_age``, a
        staff member's (a supervised session lasts a lesson) after ``staff_session_max_age``."""
        settings, now = self.settings.accounts, self.clock.now()
        max_age = settings.staff_session_max_age if account.kind == Kind.STAFF else settings.session_max_age
        return (now - row.last_seen_at > timedelta(seconds=settings.session_timeout)
                or now - row.created_at > timedelta(seconds=max_age))

    def _ended(self, row: Session | None, account: Account | None) -> bool:
        """The session can no longer be used. A disabled account ends its sessions here too,
        not only where it is disabled: whatever disabled it (the console, the command line,
        an administrator's SQL), its sessions go with it."""
        return (row is None or account is None or row.revoked_at is not None or account.disabled_at is not None
                or self._timed_out(row, account))

    def live(self, s: DbSession, token: str) -> tuple[Session, Account]:
        """The live session for ``token`` (touched), and its account."""
        if not token or not tokens.looks_like_link_token(token):
            raise errors.SessionExpired()
        row = s.scalar(select(Session).where(Session.token_hash == tokens.hash_link_token(token)))
        account = s.get(Account, row.account_id) if row is not None else None
        if self._ended(row, account):
            raise errors.SessionExpired()
        row.last_seen_at = self.clock.now()
        return row, account

    def find(self, s: DbSession, token: str) -> Session | None:
        """The session row of ``token``, live or not (not touched)."""
        return s.scalar(select(Session).where(Session.token_hash == tokens.hash_link_token(token or "-")))

    def staff_only(self, s: DbSession, token: str) -> None:
        """A live staff session, checked without touching it (for reads made at each key)."""
        row = self.find(s, token)
        account = s.get(Account, row.account_id) if row is not None else None
        if self._ended(row, account):
            raise errors.SessionExpired()
        if account.kind != Kind.STAFF:
            raise errors.NotAllowed(_(STAFF_ONLY))

    def revoke(self, s: DbSession, account_id: int, *, keep: int | None = None) -> None:
        """End every session of an account (but ``keep``)."""
        stmt = update(Session).where(Session.account_id == account_id, Session.revoked_at.is_(None))
        if keep is not None:
            stmt = stmt.where(Session.id != keep)
        s.execute(stmt.values(revoked_at=self.clock.now()))

    def end_all(self, token: str) -> None:
        """A lockout inside a session ends that session too (the next try must log in again)."""
        with self.uow.transaction() as s:
            row = self.find(s, token)
            if row is not None:
                self.revoke(s, row.account_id)

    # ------------------------------------------------------------ where a login leads

    def charter_ok(self, s: DbSession, account: Account) -> bool:
        return s.scalar(select(CharterAcceptance.id).where(
            CharterAcceptance.account_id == account.id,
            CharterAcceptance.version == self.settings.charter.version)) is not None

    def next_step(self, s: DbSession, account: Account) -> NextStep:
        if account.state == AccountState.CREATED:
            return "first_connection"
        if account.kind in (Kind.STUDENT, Kind.PARENT) and not self.charter_ok(s, account):
            return "charter"
        if account.must_change_password:
            return "change_password"
        return "home"

    def ready(self, s: DbSession, token: str, *, allow_forced_change: bool = False) -> tuple[Session, Account]:
        """A session whose account may use its profile (activated, charter accepted)."""
        session, account = self.live(s, token)
        step = self.next_step(s, account)
        if step == "home" or (allow_forced_change and step == "change_password"):
            return session, account
        raise errors.NotAllowed(_("Terminez d'abord l'activation de votre compte."))

    # ------------------------------------------------------------ one-time tokens

    def new_secret(self) -> Secret:
        """A link token and a short code with the code's stored hash: one argon2 computation,
        made outside any transaction when the caller can (a write lock is not held while it
        runs), and made on every path of a use case that must cost the same work."""
        link, code = tokens.new_link_token(self.rng), tokens.new_code(self.rng)
        return Secret(link, code, self.codes.hash(tokens.normalize_code(code) or ""))

    def new_token(self, s: DbSession, account: Account, purpose: str, *, email: str | None = None,
                  request: ResetRequest | None = None, void_older: bool = True,
                  secret: Secret | None = None) -> tuple[str, str, OneTimeToken]:
        """Store a new token (voiding older ones of this purpose unless told not to);
        ``secret``: one made beforehand by :meth:`new_secret`, else one is made here.

        Returns the link token and the short code to mail, and the stored row.
        """
        if void_older:
            self.void_tokens(s, account.id, purpose)
        secret = secret or self.new_secret()
        acc = self.settings.accounts
        lifetime = timedelta(hours=acc.email_token_hours) if purpose == "email" else timedelta(minutes=acc.reset_code_minutes)
        now = self.clock.now()
        row = OneTimeToken(account_id=account.id, purpose=purpose, link_hash=tokens.hash_link_token(secret.link),
                           code_hash=secret.code_hash, email=email,
                           reset_request_id=request.id if request else None, created_at=now,
                           expires_at=now + lifetime, attempts=0)
        s.add(row)
        s.flush()
        return secret.link, secret.code, row

    def void_tokens(self, s: DbSession, account_id: int, purpose: str, *, keep: int | None = None) -> None:
        stmt = update(OneTimeToken).where(
            OneTimeToken.account_id == account_id, OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None), OneTimeToken.voided_at.is_(None))
        if keep is not None:
            stmt = stmt.where(OneTimeToken.id != keep)
        s.execute(stmt.values(voided_at=self.clock.now()))

    def judge_code(self, purpose: str, account_id: int | None, short: str) -> CodeVerdict:
        """Check a typed short code against the live codes of ``account_id``, outside any write
        transaction: each check is one argon2 verification, and a write lock held meanwhile
        (SQLite's) would stall every kiosk's writes for it. One verification when there is no
        code (no account, none asked for): the time a wrong code takes does not tell whether
        a code is waiting. :meth:`match_token` then acts on the verdict in the write transaction."""
        now = self.clock.now()
        rows: list = []
        if account_id is not None:
            with self.uow.transaction(read_only=True) as s:
                rows = list(s.execute(select(OneTimeToken.id, OneTimeToken.code_hash).where(
                    OneTimeToken.account_id == account_id, OneTimeToken.purpose == purpose,
                    OneTimeToken.expires_at > now, OneTimeToken.used_at.is_(None),
                    OneTimeToken.voided_at.is_(None)).order_by(OneTimeToken.id)))
        if not rows:
            self.codes.matches(None, short)
            return CodeVerdict(None, ())
        for row_id, code_hash in rows:
            if self.codes.matches(code_hash, short):
                return CodeVerdict(row_id, ())
        return CodeVerdict(None, tuple(row_id for row_id, _hash in rows))

    def match_token(self, s: DbSession, purpose: str, account: Account | None, link_token: str | None,
                    verdict: CodeVerdict | None) -> OneTimeToken | None:
        """The live token matching what was typed: a link token, or the code :meth:`judge_code`
        matched if it is still live; a wrong short code uses up one attempt of each code it
        was checked against."""
        now = self.clock.now()

        def live(row: OneTimeToken | None) -> bool:
            return (row is not None and row.purpose == purpose and row.used_at is None and row.voided_at is None
                    and row.expires_at > now)

        if link_token:
            row = s.scalar(select(OneTimeToken).where(OneTimeToken.link_hash == tokens.hash_link_token(link_token),
                                                      OneTimeToken.purpose == purpose))
            if not live(row) or (account is not None and row.account_id != account.id):
                return None
            return row
        if verdict is None:
            return None
        if verdict.matched is not None:
            row = s.get(OneTimeToken, verdict.matched, with_for_update=True)
            return row if live(row) and account is not None and row.account_id == account.id else None
        # Not an exception: the caller's transaction commits these attempts.
        for row_id in verdict.checked:
            row = s.get(OneTimeToken, row_id, with_for_update=True)
            if live(row):
                row.attempts += 1
                if row.attempts >= self.settings.accounts.code_max_attempts:
                    row.voided_at = now
        return None
