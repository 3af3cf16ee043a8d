"""The use cases of the student guide: the only door from a screen or a command to data.

Every use case is one write transaction: on any error nothing is written. Two things
are deliberately kept apart from it:

* expensive argon2 work is done *before* the write transaction (so SQLite writers do
  not queue behind a hash), and the transaction re-checks that the account did not
  change meanwhile (``version``), refusing with :class:`Conflict` if it did;
* failure bookkeeping (failed-login counters, lockouts, their audit events) is
  committed in its own small transaction after the use case is refused, because a
  refusal that forgot the attempt would make brute force free.

Mail leaves after the commit: a message never announces something that was rolled
back, and a failed send leaves the request in the database so that it can be sent
again later.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import random
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Literal
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.exc import StaleDataError

from .config import Settings
from .domain import errors
from .domain.classlist import StudentRow, check_student, parse_birth_date, parse_class_list, person_key, printable
from .domain.clock import Clock, SystemClock
from .domain.errors import DomainError, InvalidInput, MailNotSent
from .domain.identifiers import base_identifier, next_free, normalize_login
from .domain.lifecycle import AccountState, EmailState, Kind, activation_deadline
from .domain.names import person_order
from .domain.passwords import (
    STAFF_MAX_LENGTH,
    STAFF_MIN_LENGTH,
    HashParameters,
    Hasher,
    policy_problem,
    provisional_password,
)
from .domain import tokens
from .mail import (
    MailDeliveryError,
    Sender,
    Transport,
    change_notice_message,
    email_validation_message,
    identifier_reminder_message,
    password_reset_message,
)
from .store import db
from .store.models import (
    Account,
    AuditEvent,
    CharterAcceptance,
    Establishment,
    Installation,
    OneTimeToken,
    ResetRequest,
    SchoolClass,
    Session,
    Throttle,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: Receives new letters inside the transaction that issues them: if it raises (the
#: letters file cannot be written), nothing is issued and the old letters still work.
Deliver = Callable[[list["IssuedLetter"]], None]
NextStep = Literal["first_connection", "charter", "change_password", "home"]
FAILURE_MEMORY = timedelta(hours=24)
STAFF_ONLY = "Réservé au personnel de l'établissement."
RESEND_DELAY = timedelta(minutes=1)
RESEND_PER_DAY = 10


# ---------------------------------------------------------------- values returned


@dataclass(frozen=True)
class IssuedLetter:
    """What a notification letter prints. The provisional password lives only here."""

    identifier: str
    first_name: str
    last_name: str
    class_name: str | None
    deadline: date
    issued_at: datetime
    birth_date: date | None
    provisional_password: str = field(repr=False)


@dataclass(frozen=True)
class LoginResult:
    identifier: str
    kind: str
    first_name: str
    next_step: NextStep
    previous_login_at: datetime | None
    token: str = field(repr=False)


@dataclass(frozen=True)
class AccountView:
    identifier: str
    kind: str
    first_name: str
    last_name: str
    class_name: str | None
    state: str
    email: str | None
    pending_email: str | None
    email_state: EmailState
    previous_login_at: datetime | None
    deadline: date | None


@dataclass(frozen=True)
class Outcome:
    """A committed change, and what became of the mail it sent (None: sent or none)."""

    email_pending: bool = False
    password_changed: bool = False
    mail_problem: str | None = None


class ResetReference(str):
    """The 13-digit reference of a forgotten-password request, and whether mail could
    leave when it was made: ``mail_problem`` is the French sentence if it could not.

    The same for every identifier, known or not (it comes from a check of the transport,
    not of the account), so telling the student tells nothing about the account."""

    mail_problem: str | None = None

    def __new__(cls, reference: str, mail_problem: str | None = None) -> ResetReference:
        made = super().__new__(cls, reference)
        made.mail_problem = mail_problem
        return made


@dataclass(frozen=True)
class Charter:
    version: str
    text: str


@dataclass(frozen=True)
class AuditRecord:
    """An audit event as staff read it (never a secret in it)."""

    at: datetime
    kiosk_id: str
    event: str
    identifier: str | None
    actor: str | None
    details: dict


@dataclass(frozen=True)
class ClassSummary:
    """One line of the staff console: where a class stands."""

    name: str
    students: int  # each has been issued a letter
    waiting: int  # letter issued, not yet activated, deadline ahead
    activated: int
    charter: int  # charter (current version) accepted
    email_validated: int
    locked: int
    expired: int  # deadline passed without activation (deleted at the next purge)


StudentState = Literal["waiting", "activated", "ready", "expired"]

STATE_LABELS: dict[str, str] = {
    "waiting": "En attente",
    "activated": "Activé",
    "ready": "Prêt",
    "expired": "Expiré",
}


@dataclass(frozen=True)
class StudentStatus:
    """A student as the console lists them (never a secret in it)."""

    identifier: str
    first_name: str
    last_name: str
    class_name: str | None
    birth_date: date | None
    state: StudentState
    charter: bool
    email_state: EmailState
    locked: bool
    must_change_password: bool
    deadline: date | None
    activated_at: datetime | None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


RequestState = Literal["pending", "used", "expired", "void"]

REQUEST_LABELS: dict[str, str] = {
    "pending": "en cours",
    "used": "utilisée",
    "expired": "expirée",
    "void": "annulée",
}

#: What became of a request's mail: sent, not sent (a failure), still to leave, or none
#: (an unknown identifier, or an account without a validated address or not activated).
RequestMail = Literal["sent", "failed", "waiting", "none"]


@dataclass(frozen=True)
class ResetRequestView:
    """A forgotten-password request found by its reference, as staff read it (no secret:
    the reference is shown on screen and in the mail subject; the code never is)."""

    reference: str
    created_at: datetime
    kiosk_id: str
    state: RequestState
    mail: RequestMail
    expires_at: datetime | None  # when its code stops working (None: no code was issued)
    identifier: str | None  # None: typed identifier unknown (what was typed is not kept)
    student: StudentStatus | None  # None for an unknown identifier or a staff account

    @property
    def state_label(self) -> str:
        return REQUEST_LABELS[self.state]

    def rows(self, tz: ZoneInfo) -> list[tuple[str, str]]:
        """(label, value) lines as the console and ``entkiosk request`` show them."""
        def when(moment: datetime) -> str:
            return moment.astimezone(tz).strftime("%d/%m/%Y à %H:%M")

        state = self.state_label
        if self.state == "pending" and self.expires_at is not None:
            state += f" (code valable jusqu'au {when(self.expires_at)})"
        elif self.state == "expired" and self.expires_at is not None:
            state += f" le {when(self.expires_at)} : l'élève peut faire une nouvelle demande"
        elif self.state == "used":
            state += " : le mot de passe a été changé avec le code reçu"
        mail = {"sent": "envoyé à l'adresse mail validée du compte",
                "failed": "n'a pas pu être envoyé (voir le journal du kiosque) : l'élève peut refaire la demande",
                "waiting": "en cours d'envoi",
                "none": ("aucun : ce compte n'avait pas d'adresse mail validée" if self.identifier
                         else "aucun : l'identifiant saisi ne correspond à aucun compte")}[self.mail]
        return [
            ("N° de référence", self.reference),
            ("Demandée le", f"{when(self.created_at)} (poste {self.kiosk_id})"),
            ("État", state),
            ("Mail", mail),
            ("Compte", self.identifier or "aucun (l'identifiant saisi n'est pas conservé)"),
        ]


@dataclass(frozen=True)
class ImportPreview:
    """What an import would create, and the bad rows, before anything is written."""

    rows: list[StudentRow]  # the students to create (not those already enrolled)
    identifiers: list[str]  # the identifier each of ``rows`` would get, in order
    problems: list[tuple[int, str]]
    enrolled: list[tuple[int, str]] = field(default_factory=list)  # (line, identifier): already on file

    @property
    def classes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.class_name] = counts.get(row.class_name, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: class_order(item[0])))


def _search_key(text: str) -> str:
    """Text to search in: no accents, no case (« zoe » finds « Zoé »)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def class_order(name: str) -> list[tuple[int, int | str]]:
    """« 2nde 2 » before « 2nde 10 »: numbers in a class name compare as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, _search_key(part)) for part in re.split(r"(\d+)", name) if part]


def student_matches(student: StudentStatus, search: str) -> bool:
    """Every word typed is in the student's name or identifier (« zoe diaye » finds Zoé N'Diaye)."""
    haystack = _search_key(f"{student.first_name} {student.last_name} {student.identifier}")
    return all(word in haystack for word in _search_key(search).split())


# ---------------------------------------------------------------- the service


class AccountService:
    """The account lifecycle of the guide over one database, one mail transport, one clock."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        transport: Transport,
        *,
        clock: Clock | None = None,
        hasher: Hasher | None = None,
        rng: random.Random | None = None,
        mail_after_answer: bool = False,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.transport = transport
        self.clock = clock or SystemClock()
        #: Where provisional passwords, codes, references and tokens come from: the OS,
        #: unless a test passes a seeded generator for pictures that never change.
        self.rng = rng or tokens.SYSTEM_RANDOM
        acc = settings.accounts
        self.hasher = hasher or Hasher(
            HashParameters(acc.argon2_time_cost, acc.argon2_memory_cost, acc.argon2_parallelism)
        )
        self._sessions = db.session_factory(engine)
        self._read_sessions = db.session_factory(engine, read_only=True)
        self._sender = Sender(settings.mail.sender_name, settings.mail.sender_address)
        self.kiosk_id = settings.kiosk.id
        self._secret = self._load_secret()
        #: The kiosk sends reset mails from a thread once the answer is given: a student
        #: watching how long MOT DE PASSE OUBLIÉ takes must not learn which identifiers
        #: have a validated address. Its thread is joined at exit, so no mail is dropped.
        self._mailer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="entkiosk-mail") if mail_after_answer else None
        self._mail_jobs: list[Future[None]] = []

    # ------------------------------------------------------------ plumbing

    @contextmanager
    def _tx(self, *, read_only: bool = False) -> Iterator[DbSession]:
        """One transaction; storage trouble becomes a French message, never a traceback.

        ``read_only``: a transaction that never writes, which on SQLite need not queue
        for the write lock (a write there fails).
        """
        try:
            with db.transaction(self._read_sessions if read_only else self._sessions) as s:
                yield s
        except StaleDataError:
            raise errors.Conflict() from None
        except IntegrityError:
            raise errors.Conflict("Un autre poste vient de modifier les mêmes informations. Recommencez.") from None
        except OperationalError as exc:
            if str(getattr(exc.orig, "sqlstate", "") or "").startswith("40"):
                # PostgreSQL rolled this transaction back because another one changed the
                # same rows (deadlock 40P01, serialization failure 40001): two kiosks on one
                # account, not a database down. Nothing was written; the step can be redone.
                log.info("transaction rolled back by the database: %s", type(exc.orig).__name__)
                raise errors.Conflict() from None
            log.warning("storage unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
            raise errors.StorageUnavailable() from None
        except DBAPIError as exc:
            log.error("storage refused a value: %s", type(exc.orig).__name__ if exc.orig else exc)
            raise DomainError("Ces informations ne peuvent pas être enregistrées : vérifiez-les et recommencez.") from None
        except UnicodeEncodeError:
            # Text no database can hold (a lone surrogate), refused by the driver itself.
            log.error("storage refused a value: text that cannot be encoded")
            raise DomainError("Ces informations ne peuvent pas être enregistrées : vérifiez-les et recommencez.") from None

    def _now(self) -> datetime:
        return self.clock.now()

    def _audit(self, s: DbSession, event: str, identifier: str | None = None, *, actor: str | None = None, **details: object) -> None:
        s.add(AuditEvent(at=self._now(), kiosk_id=self.kiosk_id, event=event, identifier=identifier, actor=actor, details=details))

    def _load_secret(self) -> bytes:
        """This installation's key for digests of typed text (made by the migrations)."""
        with self._tx() as s:
            row = s.get(Installation, 1)
            if row is None:  # the row was deleted by hand: make a new key
                row = Installation(id=1, secret=secrets.token_hex(32), created_at=self._now())
                s.add(row)
            return bytes.fromhex(row.secret)

    def _establishment(self, s: DbSession) -> Establishment:
        found = s.scalar(select(Establishment).order_by(Establishment.id).limit(1))
        if found is None:
            found = Establishment(name=self.settings.establishment.name, created_at=self._now())
            s.add(found)
            s.flush()
        return found

    def _class(self, s: DbSession, name: str) -> SchoolClass:
        """The class of that name; « 2nde3 » typed for an existing « 2NDE3 » is that class."""
        est = self._establishment(s)
        found = s.scalar(select(SchoolClass).where(SchoolClass.establishment_id == est.id, SchoolClass.name == name))
        if found is None:
            wanted = _search_key(" ".join(name.split()))
            found = next((c for c in s.scalars(select(SchoolClass).where(SchoolClass.establishment_id == est.id))
                          if _search_key(" ".join(c.name.split())) == wanted), None)
        if found is None:
            found = SchoolClass(establishment_id=est.id, name=name)
            s.add(found)
            s.flush()
        return found

    def _deadline(self, issued_at: datetime) -> tuple[date, datetime]:
        return activation_deadline(issued_at, self.settings.accounts.activation_months, self.settings.timezone)

    def _account(self, s: DbSession, identifier: str) -> Account | None:
        return s.scalar(select(Account).where(Account.identifier == normalize_login(identifier)))

    def _hash_many(self, passwords: Sequence[str], progress: Progress | None = None) -> list[str]:
        """argon2 on every core: argon2-cffi releases the GIL while it hashes."""
        total = len(passwords)
        if total <= 1:
            result = [self.hasher.hash(p) for p in passwords]
        else:
            result = []
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                for h in pool.map(self.hasher.hash, passwords, chunksize=8):
                    result.append(h)
                    if progress and (len(result) % 25 == 0 or len(result) == total):
                        progress(len(result), total)
        if progress and total <= 1:
            progress(total, total)
        return result

    # ------------------------------------------------------------ throttling

    def _throttle_key(self, scope: str, typed: str) -> str:
        """Keyed (HMAC) so that a stolen database does not tell what was typed: students
        sometimes type their password in the identifier field."""
        digest = hmac.new(self._secret, typed.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"{scope}:{digest}"

    def _check_lock(self, scope: str, typed: str) -> None:
        key = self._throttle_key(scope, typed)
        with self._tx(read_only=True) as s:
            row = s.get(Throttle, key)
            if row is not None and row.locked_until is not None and row.locked_until > self._now():
                raise errors.Locked(math.ceil((row.locked_until - self._now()).total_seconds()))

    def _record_failure(self, scope: str, typed: str, event: str | None, identifier: str | None) -> errors.Locked | None:
        """Count one failure in its own transaction; a Locked error when this one locks.

        Two kiosks may fail on the same new key at once: the loser of the insert race
        simply counts again on the row the winner made.
        """
        for attempt in range(2):
            try:
                return self._count_failure(scope, typed, event, identifier)
            except errors.Conflict:
                if attempt:
                    raise
        return None  # pragma: no cover - the loop returns or raises

    def _count_failure(self, scope: str, typed: str, event: str | None, identifier: str | None) -> errors.Locked | None:
        acc = self.settings.accounts
        now = self._now()
        key = self._throttle_key(scope, typed)
        with self._tx() as s:
            row = s.get(Throttle, key, with_for_update=True)
            if row is None:
                row = Throttle(key=key, failures=0, level=0)
                s.add(row)
                s.flush()
            if row.last_failure_at is not None and now - row.last_failure_at > FAILURE_MEMORY:
                row.failures, row.level = 0, 0
            row.failures += 1
            row.last_failure_at = now
            if event:
                self._audit(s, event, identifier, scope=scope, known=identifier is not None)
            if row.failures < acc.lockout_threshold:
                return None
            seconds = min(acc.lockout_base_seconds * 2**row.level, acc.lockout_max_seconds)
            row.level += 1
            row.failures = 0
            row.locked_until = now + timedelta(seconds=seconds)
            self._audit(s, "lockout", identifier, scope=scope, seconds=seconds, known=identifier is not None)
            return errors.Locked(seconds)

    def _fail(self, scope: str, typed: str, event: str, identifier: str | None, error: DomainError) -> DomainError:
        """The error to raise after a failed attempt: the lockout if this one locked."""
        return self._record_failure(scope, typed, event, identifier) or error

    def _clear_throttles(self, s: DbSession, identifier: str, scopes: Sequence[str] = ("login", "code", "recovery", "birth")) -> None:
        keys = [self._throttle_key(scope, identifier) for scope in scopes]
        s.execute(delete(Throttle).where(Throttle.key.in_(keys)))

    # ------------------------------------------------------------ sessions

    def _open_session(self, s: DbSession, account: Account, scope: str) -> str:
        token = tokens.new_link_token(self.rng)
        now = self._now()
        s.add(Session(token_hash=tokens.hash_link_token(token), account_id=account.id, scope=scope,
                      created_at=now, last_seen_at=now, kiosk_id=self.kiosk_id))
        return token

    def _session(self, s: DbSession, token: str) -> tuple[Session, Account]:
        """The live session for ``token`` (touched), and its account."""
        if not token or not tokens.looks_like_link_token(token):
            raise errors.SessionExpired()
        row = s.scalar(select(Session).where(Session.token_hash == tokens.hash_link_token(token)))
        now = self._now()
        if row is None or row.revoked_at is not None or now - row.last_seen_at > timedelta(seconds=self.settings.accounts.session_timeout):
            raise errors.SessionExpired()
        account = s.get(Account, row.account_id)
        if account is None:
            raise errors.SessionExpired()
        row.last_seen_at = now
        return row, account

    def _revoke_sessions(self, s: DbSession, account_id: int, *, keep: int | None = None) -> None:
        stmt = update(Session).where(Session.account_id == account_id, Session.revoked_at.is_(None))
        if keep is not None:
            stmt = stmt.where(Session.id != keep)
        s.execute(stmt.values(revoked_at=self._now()))

    def _end_sessions(self, token: str) -> None:
        """A lockout inside a session ends that session too (the next try must log in again)."""
        with self._tx() as s:
            row = s.scalar(select(Session).where(Session.token_hash == tokens.hash_link_token(token)))
            if row is not None:
                self._revoke_sessions(s, row.account_id)

    def _void_tokens(self, s: DbSession, account_id: int, purpose: str, *, keep: int | None = None) -> None:
        stmt = update(OneTimeToken).where(
            OneTimeToken.account_id == account_id, OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None), OneTimeToken.voided_at.is_(None))
        if keep is not None:
            stmt = stmt.where(OneTimeToken.id != keep)
        s.execute(stmt.values(voided_at=self._now()))

    def _charter_ok(self, s: DbSession, account: Account) -> bool:
        return s.scalar(select(CharterAcceptance.id).where(
            CharterAcceptance.account_id == account.id, CharterAcceptance.version == self.settings.charter.version)) is not None

    def _next_step(self, s: DbSession, account: Account) -> NextStep:
        if account.state == AccountState.CREATED:
            return "first_connection"
        if account.kind == Kind.STUDENT and not self._charter_ok(s, account):
            return "charter"
        if account.must_change_password:
            return "change_password"
        return "home"

    def _ready(self, s: DbSession, token: str, *, allow_forced_change: bool = False) -> tuple[Session, Account]:
        """A session whose account may use its profile (activated, charter accepted)."""
        session, account = self._session(s, token)
        step = self._next_step(s, account)
        if step == "home" or (allow_forced_change and step == "change_password"):
            return session, account
        raise errors.NotAllowed("Terminez d'abord l'activation de votre compte.")

    # ------------------------------------------------------------ mail

    def _link(self, path: str, token: str) -> str | None:
        base = self.settings.mail.public_url.rstrip("/")
        return f"{base}/{path}?code={token}" if base else None

    def _new_token(self, s: DbSession, account: Account, purpose: str, *, email: str | None = None,
                   request: ResetRequest | None = None, void_older: bool = True) -> tuple[str, str, OneTimeToken]:
        """Store a new token (voiding older ones of this purpose unless told not to).

        Returns the link token and the short code to mail, and the stored row.
        """
        if void_older:
            self._void_tokens(s, account.id, purpose)
        link, code = tokens.new_link_token(self.rng), tokens.new_code(self.rng)
        acc = self.settings.accounts
        lifetime = timedelta(hours=acc.email_token_hours) if purpose == "email" else timedelta(minutes=acc.reset_token_minutes)
        now = self._now()
        row = OneTimeToken(account_id=account.id, purpose=purpose, link_hash=tokens.hash_link_token(link),
                           code_hash=tokens.hash_code(tokens.normalize_code(code) or ""), email=email,
                           reset_request_id=request.id if request else None, created_at=now,
                           expires_at=now + lifetime, attempts=0)
        s.add(row)
        s.flush()
        return link, code, row

    def _validation_mail(self, to: str, link: str, code: str, *, first_address: bool) -> EmailMessage:
        """``first_address``: the account has no validated address yet, so the mail does not
        say it was « modifiée »."""
        return email_validation_message(self._sender, to, code=code, link=self._link("email", link),
                                        lifetime_hours=self.settings.accounts.email_token_hours, when=self._now(),
                                        first_address=first_address)

    def _notice(self, to: str | None, change: Literal["password", "email"]) -> EmailMessage | None:
        if not to:
            return None
        now = self._now()
        return change_notice_message(self._sender, to, change=change, when=now, local_time=now.astimezone(self.settings.timezone))

    def _send(self, message: EmailMessage | None) -> str | None:
        """Send after commit; the French problem if it failed (logged without secrets)."""
        if message is None:
            return None
        try:
            self.transport.send(message)
        except MailDeliveryError as exc:
            log.warning("mail not sent (%s): %s; %s", message["Subject"], exc.reason, exc.detail)
            return str(exc)
        return None

    def _send_validation(self, message: EmailMessage | None, token_id: int | None, identifier: str) -> str | None:
        """Send a first validation mail after commit. If it cannot leave, its code is
        forgotten (nobody received it, and it must not count toward the resend limits):
        the address stays pending and « RENVOYER UN MAIL DE VALIDATION » works at once."""
        problem = self._send(message)
        if problem and token_id is not None:
            with self._tx() as s:
                s.execute(delete(OneTimeToken).where(OneTimeToken.id == token_id))
                self._audit(s, "mail.failed", identifier, purpose="email")
        return problem

    def _send_notices(self, *messages: EmailMessage | None) -> None:
        for message in messages:
            self._send(message)

    @staticmethod
    def _check_email(address: str, confirm: str, field_name: str, errs: dict[str, str]) -> str | None:
        address, confirm = address.strip(), confirm.strip()
        if not address and not confirm:
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in address) or len(address) > 254:
            errs[field_name] = "Cette adresse mail n'est pas valide."
            return None
        try:
            # ASCII before the @: many mail servers still refuse anything else.
            normalized = validate_email(address, check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError:
            errs[field_name] = "Cette adresse mail n'est pas valide."
            return None
        if address.casefold() != confirm.casefold():
            errs[f"{field_name}_confirm"] = "Les deux adresses mail saisies sont différentes."
            return None
        return normalized.lower()

    def _check_new_password(self, new: str, confirm: str, identifier: str, errs: dict[str, str],
                            field_name: str = "new_password", *, staff: bool = False) -> None:
        acc = self.settings.accounts
        bounds = {"min_length": acc.password_min_length, "max_length": acc.password_max_length}
        if staff:
            bounds = dict(zip(("min_length", "max_length"), self.staff_password_bounds(), strict=True))
        if not new:
            errs[field_name] = "Saisissez un nouveau mot de passe."
        elif problem := policy_problem(new, identifier=identifier, **bounds):
            errs[field_name] = problem
        elif new != confirm:
            errs[f"{field_name}_confirm"] = "Les deux mots de passe saisis sont différents."

    # ------------------------------------------------------------ issuing accounts

    def _new_student(self, s: DbSession, row: StudentRow, password_hash: str, taken: set[str],
                     classes: dict[str, SchoolClass]) -> tuple[Account, date, str]:
        """One new account. ``taken``: every identifier in use (it gets this one);
        ``classes``: the classes met so far in this batch, by the name in the list."""
        identifier = next_free(base_identifier(row.first_name, row.last_name), taken.__contains__)
        taken.add(identifier)
        school_class = classes.get(row.class_name)
        if school_class is None:
            school_class = classes[row.class_name] = self._class(s, row.class_name)
        now = self._now()
        deadline, deadline_at = self._deadline(now)
        account = Account(
            identifier=identifier, kind=Kind.STUDENT, state=AccountState.CREATED, first_name=row.first_name,
            last_name=row.last_name, birth_date=row.birth_date, class_id=school_class.id,
            password_hash=password_hash, provisional=True, must_change_password=False, issued_at=now,
            deadline=deadline, deadline_at=deadline_at,
        )
        s.add(account)
        return account, deadline, school_class.name

    def import_class_list(self, rows: Sequence[StudentRow], *, actor: str, progress: Progress | None = None,
                          deliver: Deliver | None = None) -> list[IssuedLetter]:
        """Create every student of ``rows`` or none; a student already on file is a bad row."""
        if not rows:
            raise errors.ImportRejected([(1, "aucun élève à importer")])
        with self._tx() as s:
            problems = self._already_on_file(s, rows)
        if problems:
            raise errors.ImportRejected(problems)
        passwords = [provisional_password(self.rng) for _ in rows]
        hashes = self._hash_many(passwords, progress)
        letters: list[IssuedLetter] = []
        try:
            with self._tx() as s:
                if problems := self._already_on_file(s, rows):
                    raise errors.ImportRejected(problems)
                # One query for every identifier in use and one per class, not three per student.
                taken = set(s.scalars(select(Account.identifier)))
                classes: dict[str, SchoolClass] = {}
                for row, password, password_hash in zip(rows, passwords, hashes, strict=True):
                    account, deadline, class_name = self._new_student(s, row, password_hash, taken, classes)
                    letters.append(IssuedLetter(account.identifier, row.first_name, row.last_name, class_name,
                                                deadline, account.issued_at, row.birth_date, password))
                classes = sorted({r.class_name for r in rows})
                self._audit(s, "accounts.imported", actor=actor, count=len(rows), classes=classes)
                if deliver is not None:
                    s.flush()
                    deliver(letters)
        except IntegrityError:
            raise errors.Conflict("Un autre poste crée des comptes en même temps. Relancez l'import.") from None
        return letters

    def _already_on_file(self, s: DbSession, rows: Sequence[StudentRow]) -> list[tuple[int, str]]:
        """(line, reason) of each row whose student already has an account (same names, give
        or take case, accents and hyphens, and same birth date)."""
        return [(line, f"élève déjà inscrit (identifiant {identifier})")
                for line, identifier in self._enrolled(s, rows)]

    def _enrolled(self, s: DbSession, rows: Sequence[StudentRow]) -> list[tuple[int, str]]:
        wanted = {person_key(r.last_name, r.first_name, r.birth_date): r.line for r in rows}
        births = {r.birth_date for r in rows}
        found = []
        for last, first, birth, identifier in s.execute(
            select(Account.last_name, Account.first_name, Account.birth_date, Account.identifier)
            .where(Account.kind == Kind.STUDENT, Account.birth_date.in_(births))
        ):
            line = wanted.get(person_key(last, first, birth))
            if line is not None:
                found.append((line, identifier))
        return sorted(found)

    def new_rows(self, rows: Sequence[StudentRow]) -> tuple[list[StudentRow], list[tuple[int, str]]]:
        """An updated class list: the rows of students not yet on file, and (line, identifier)
        of those already enrolled (left as they are)."""
        with self._tx() as s:
            enrolled = self._enrolled(s, rows)
        lines = {line for line, _ in enrolled}
        return [r for r in rows if r.line not in lines], enrolled

    def issue_letters(self, *, class_name: str | None = None, identifier: str | None = None,
                      everyone: bool = False, actor: str, progress: Progress | None = None,
                      deliver: Deliver | None = None) -> list[IssuedLetter]:
        """New letters for accounts not yet activated: a new provisional password, deadline renewed.

        The old provisional password stops working (only its hash was ever kept, so a
        letter cannot be printed twice). ``everyone`` must be said explicitly: new
        letters for the whole school void every letter already handed out.
        """
        if class_name is None and identifier is None and not everyone:
            raise DomainError("Précisez une classe (--class), un élève (--student) ou tous les élèves (--all) : "
                              "chaque nouveau courrier annule le précédent.")
        with self._tx() as s:
            stmt = select(Account.id, Account.identifier, Account.state, Account.last_name,
                          Account.first_name).where(Account.kind == Kind.STUDENT)
            if class_name is not None:
                stmt = stmt.join(SchoolClass).where(SchoolClass.name == class_name)
            if identifier is not None:
                stmt = stmt.where(Account.identifier == normalize_login(identifier))
            # Letters come out in the order of the class lists: by name, in French order.
            found = sorted(s.execute(stmt).all(), key=lambda r: person_order(r.last_name, r.first_name, r.identifier))
        if identifier is not None and not found:
            raise errors.NotFound(f"Aucun élève n'a l'identifiant « {normalize_login(identifier)} ».")
        if class_name is not None and not found:
            raise errors.NotFound(f"Aucun élève dans la classe « {printable(class_name)} ».")
        if identifier is not None and found[0].state != AccountState.CREATED:
            raise errors.NotAllowed(
                f"Le compte « {found[0].identifier} » est déjà activé : il n'y a pas de courrier à imprimer "
                "(utilisez « entkiosk reset » pour lui donner un nouveau mot de passe provisoire).")
        ids = [r.id for r in found if r.state == AccountState.CREATED]
        return self._reissue(ids, actor=actor, event="letters.issued", progress=progress, only_created=True,
                             deliver=deliver)

    def _reissue(self, ids: list[int], *, actor: str, event: str, progress: Progress | None = None,
                 only_created: bool = False, deliver: Deliver | None = None) -> list[IssuedLetter]:
        """New provisional passwords for ``ids``; with ``only_created``, an account activated
        meanwhile (on another kiosk, while the hashes were computed) is left alone."""
        passwords = [provisional_password(self.rng) for _ in ids]
        hashes = self._hash_many(passwords, progress)
        letters = []
        now = self._now()
        deadline, deadline_at = self._deadline(now)
        with self._tx() as s:
            for account_id, password, password_hash in zip(ids, passwords, hashes, strict=True):
                account = s.get(Account, account_id, with_for_update=True)
                if account is None:
                    raise errors.Conflict("Un compte vient d'être supprimé depuis un autre poste. Recommencez.")
                if only_created and account.state != AccountState.CREATED:
                    continue
                account.state = AccountState.CREATED
                account.password_hash = password_hash
                account.provisional = True
                account.must_change_password = False
                account.issued_at = now
                account.deadline, account.deadline_at = deadline, deadline_at
                self._revoke_sessions(s, account.id)
                self._void_tokens(s, account.id, "reset")
                self._void_tokens(s, account.id, "email")
                self._clear_throttles(s, account.identifier)
                class_name = account.school_class.name if account.school_class else None
                letters.append(IssuedLetter(account.identifier, account.first_name, account.last_name, class_name,
                                            deadline, now, account.birth_date, password))
                self._audit(s, event, account.identifier, actor=actor)
            if deliver is not None and letters:
                s.flush()
                deliver(letters)
        return letters

    # ------------------------------------------------------------ login

    def authenticate(self, identifier: str, password: str, *, kind: str = Kind.STUDENT) -> LoginResult:
        """Log in. A provisional password leads to the first connection."""
        typed = normalize_login(identifier)
        if not typed or not password:
            raise InvalidInput({k: m for k, m in (("identifier", "Saisissez votre identifiant." if not typed else ""),
                                                   ("password", "Saisissez votre mot de passe." if not password else "")) if m})
        self._check_lock("login", typed)
        with self._tx(read_only=True) as s:
            account = self._account(s, typed)
            snapshot = (account.id, account.version, account.password_hash) if account else None
        ok = self.hasher.verify(snapshot[2] if snapshot else None, password)
        if not ok or account is None or account.kind != kind:
            raise self._fail("login", typed, "login.failed", account.identifier if account else None, errors.AuthenticationFailed())
        if account.state == AccountState.CREATED and account.deadline_at and self._now() >= account.deadline_at:
            with self._tx() as s:
                self._audit(s, "login.expired", account.identifier)
            if account.activated_at is not None:
                raise DomainError("Le mot de passe provisoire de ce courrier n'est plus valable. Adressez-vous à "
                                  "votre établissement pour recevoir un nouveau courrier.")
            raise errors.AccountExpired(self.settings.accounts.activation_months)
        rehash = self.hasher.hash(password) if self.hasher.needs_rehash(account.password_hash) else None
        with self._tx() as s:
            account = s.get(Account, account.id)
            if account is None or account.version != snapshot[1]:
                raise errors.Conflict()
            now = self._now()
            if rehash:
                account.password_hash = rehash
            previous = account.last_login_at
            if account.state == AccountState.ACTIVE:
                account.previous_login_at, account.last_login_at = previous, now
            self._clear_throttles(s, account.identifier, ("login",))
            step = self._next_step(s, account)
            token = self._open_session(s, account, "first_connection" if step == "first_connection" else "full")
            self._audit(s, "login.ok", account.identifier, rehashed=bool(rehash))
            return LoginResult(account.identifier, account.kind, account.first_name, step, previous, token)

    def logout(self, token: str) -> None:
        with self._tx() as s:
            row = s.scalar(select(Session).where(Session.token_hash == tokens.hash_link_token(token or "-")))
            if row is not None and row.revoked_at is None:
                row.revoked_at = self._now()
                account = s.get(Account, row.account_id)
                self._audit(s, "logout", account.identifier if account else None)

    # ------------------------------------------------------------ first connection

    def first_connection(self, token: str, *, birth_date: str | date, new_password: str, confirm_password: str,
                         email: str = "", confirm_email: str = "") -> Outcome:
        """Activate: birth date, a new password, an optional e-mail to validate."""
        errs: dict[str, str] = {}
        with self._tx() as s:
            session, account = self._session(s, token)
            if account.state != AccountState.CREATED or session.scope != "first_connection":
                raise errors.NotAllowed("Ce compte est déjà activé : connectez-vous avec votre mot de passe.")
            if account.deadline_at is not None and self._now() >= account.deadline_at:
                raise errors.AccountExpired(self.settings.accounts.activation_months)
            snapshot = (account.id, account.version, account.password_hash, account.identifier, account.birth_date)
        _, version, provisional_hash, identifier, expected_birth = snapshot
        self._check_lock("birth", identifier)
        born: date | None = None
        if isinstance(birth_date, date):
            born = birth_date
        elif not birth_date.strip():
            errs["birth_date"] = "Saisissez votre date de naissance."
        else:
            try:
                born = parse_birth_date(birth_date)
            except ValueError:
                errs["birth_date"] = "Cette date n'existe pas : jour, mois et année (JJ/MM/AAAA)."
        self._check_new_password(new_password, confirm_password, identifier, errs)
        address = self._check_email(email, confirm_email, "email", errs)
        if errs:
            raise InvalidInput(errs)
        if born != expected_birth:
            # Its own counter, which a new login does not reset: holding the letter must
            # not be enough to guess the birth date.
            error = self._fail("birth", identifier, "activation.bad_birth_date", identifier,
                               InvalidInput({"birth_date": "La date de naissance ne correspond pas à ce compte."}))
            if isinstance(error, errors.Locked):
                self._end_sessions(token)
            raise error
        if self.hasher.verify(provisional_hash, new_password):
            raise InvalidInput({"new_password": "Le nouveau mot de passe doit être différent du mot de passe provisoire."})
        new_hash = self.hasher.hash(new_password)
        with self._tx() as s:
            session, account = self._session(s, token)
            if account.version != version or account.state != AccountState.CREATED:
                raise errors.Conflict("Ce compte vient d'être activé depuis un autre poste.")
            now = self._now()
            account.state = AccountState.ACTIVE
            account.password_hash = new_hash
            account.provisional = False
            account.activated_at = account.password_changed_at = account.last_login_at = now
            session.scope = "full"
            self._revoke_sessions(s, account.id, keep=session.id)
            self._void_tokens(s, account.id, "reset")
            self._clear_throttles(s, identifier, ("birth",))
            self._audit(s, "account.activated", identifier, with_email=address is not None)
            message, row_id = None, None
            if address:
                account.pending_email = address
                link, code, row = self._new_token(s, account, "email", email=address)
                message, row_id = self._validation_mail(address, link, code, first_address=account.email is None), row.id
                self._audit(s, "email.requested", identifier)
        return Outcome(email_pending=address is not None, password_changed=True,
                       mail_problem=self._send_validation(message, row_id, identifier))

    # ------------------------------------------------------------ charter

    def charter(self) -> Charter:
        path = self.settings.charter_path()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise DomainError(f"La charte est introuvable ou illisible ({path}). Prévenez votre établissement.") from None
        return Charter(self.settings.charter.version, text)

    def accept_charter(self, token: str, version: str) -> NextStep:
        with self._tx() as s:
            _, account = self._session(s, token)
            if account.state != AccountState.ACTIVE:
                raise errors.NotAllowed("Terminez d'abord la première connexion.")
            if version != self.settings.charter.version:
                raise errors.Conflict("La charte vient de changer : lisez la nouvelle version.")
            if not self._charter_ok(s, account):
                s.add(CharterAcceptance(account_id=account.id, version=version, accepted_at=self._now(), kiosk_id=self.kiosk_id))
                self._audit(s, "charter.accepted", account.identifier, version=version)
            return self._next_step(s, account)

    def decline_charter(self, token: str) -> None:
        """Refusing the charter logs out; the account stays active and asks again next time."""
        with self._tx() as s:
            session, account = self._session(s, token)
            session.revoked_at = self._now()
            self._audit(s, "charter.declined", account.identifier, version=self.settings.charter.version)

    # ------------------------------------------------------------ profile

    def account(self, token: str) -> AccountView:
        with self._tx() as s:
            _, account = self._session(s, token)
            return self._view(account)

    @staticmethod
    def _view(account: Account) -> AccountView:
        state = EmailState.PENDING if account.pending_email else EmailState.VALIDATED if account.email else EmailState.NONE
        return AccountView(account.identifier, account.kind, account.first_name, account.last_name,
                           account.school_class.name if account.school_class else None, account.state,
                           account.email, account.pending_email, state, account.previous_login_at, account.deadline)

    def update_profile(self, token: str, *, current_password: str, new_email: str = "", confirm_email: str = "",
                       new_password: str = "", confirm_password: str = "") -> Outcome:
        """The ENREGISTRER of VOTRE COMPTE: a new password counts at once, a new address once validated."""
        errs: dict[str, str] = {}
        with self._tx() as s:
            _, account = self._ready(s, token, allow_forced_change=True)
            snapshot = (account.version, account.password_hash, account.identifier, account.email,
                        account.must_change_password, account.kind == Kind.STAFF)
        version, current_hash, identifier, old_email, forced, staff = snapshot
        if not current_password:
            errs["current_password"] = "La saisie de votre mot de passe actuel est obligatoire pour toute modification d'information."
        wants_password = bool(new_password or confirm_password)
        if wants_password:
            self._check_new_password(new_password, confirm_password, identifier, errs, staff=staff)
        address = self._check_email(new_email, confirm_email, "email", errs)
        if forced and address is not None:
            errs.setdefault("new_password", "Vous devez d'abord changer votre mot de passe.")
        if not wants_password and address is None and not errs:
            errs["new_password"] = "Saisissez un nouveau mot de passe ou une nouvelle adresse mail."
        if forced and not wants_password:
            errs.setdefault("new_password", "Vous devez changer votre mot de passe.")
        if errs:
            raise InvalidInput(errs)
        self._check_lock("login", identifier)
        if not self.hasher.verify(current_hash, current_password):
            error = self._fail("login", identifier, "profile.bad_password", identifier,
                               InvalidInput({"current_password": "Le mot de passe actuel est incorrect."}))
            if isinstance(error, errors.Locked):
                self._end_sessions(token)
            raise error
        if wants_password and new_password == current_password:
            raise InvalidInput({"new_password": "Le nouveau mot de passe doit être différent de l'actuel."})
        new_hash = self.hasher.hash(new_password) if wants_password else None
        messages: list[EmailMessage | None] = []
        with self._tx() as s:
            session, account = self._ready(s, token, allow_forced_change=True)
            if account.version != version:
                raise errors.Conflict()
            if new_hash:
                account.password_hash = new_hash
                account.password_changed_at = self._now()
                account.must_change_password = False
                self._void_tokens(s, account.id, "reset")
                self._revoke_sessions(s, account.id, keep=session.id)
                self._audit(s, "password.changed", identifier)
                messages.append(self._notice(old_email, "password"))
            validation, row_id = None, None
            if address is not None:
                account.pending_email = address
                link, code, row = self._new_token(s, account, "email", email=address)
                validation, row_id = (self._validation_mail(address, link, code, first_address=account.email is None),
                                       row.id)
                self._audit(s, "email.requested", identifier)
        self._send_notices(*messages)
        return Outcome(email_pending=address is not None, password_changed=new_hash is not None,
                       mail_problem=self._send_validation(validation, row_id, identifier))

    def change_password(self, token: str, current_password: str, new_password: str, confirm_password: str) -> Outcome:
        return self.update_profile(token, current_password=current_password, new_password=new_password,
                                   confirm_password=confirm_password)

    def change_email(self, token: str, current_password: str, new_email: str, confirm_email: str) -> Outcome:
        return self.update_profile(token, current_password=current_password, new_email=new_email,
                                   confirm_email=confirm_email)

    def resend_validation(self, token: str) -> str:
        """RENVOYER UN MAIL DE VALIDATION: a new code; returns the address.

        Older codes stop working only once the new mail has left: a failed resend
        leaves the student with the code already received.
        """
        with self._tx() as s:
            _, account = self._ready(s, token)
            if not account.pending_email:
                raise errors.NotAllowed("Aucune adresse mail n'attend de validation.")
            address, account_id = account.pending_email, account.id
            self._resend_allowed(s, account)
            link, code, row = self._new_token(s, account, "email", email=address, void_older=False)
            message = self._validation_mail(address, link, code, first_address=account.email is None)
            self._audit(s, "email.resent", account.identifier)
        problem = self._send(message)
        with self._tx() as s:
            if problem:  # never delivered: it does not count toward the resend limits either
                s.execute(delete(OneTimeToken).where(OneTimeToken.id == row.id))
            else:
                self._void_tokens(s, account_id, "email", keep=row.id)
        if problem:
            raise MailNotSent(problem)
        return address

    def _resend_allowed(self, s: DbSession, account: Account) -> None:
        """A minute between validation mails, ten a day: the button must not flood an address."""
        now = self._now()
        recent = list(s.scalars(select(OneTimeToken.created_at).where(
            OneTimeToken.account_id == account.id, OneTimeToken.purpose == "email",
            OneTimeToken.created_at > now - timedelta(days=1))))
        if any(now - created < RESEND_DELAY for created in recent):
            raise DomainError("Un mail de validation vient d'être envoyé : patientez une minute avant d'en "
                              "demander un autre, et vérifiez vos courriers indésirables.")
        if len(recent) >= RESEND_PER_DAY:
            raise DomainError("Trop de mails de validation ont été envoyés aujourd'hui : réessayez demain ou "
                              "adressez-vous à votre établissement.")

    def validate_email(self, code: str, *, token: str | None = None) -> AccountView:
        """The code of the validation mail (or its link token); a session is needed for the short code."""
        link_token = tokens.link_token_from(code)
        short = None if link_token else tokens.normalize_code(code)
        if link_token is None and short is None:
            raise InvalidInput({"code": "Saisissez le code reçu par mail (8 caractères, par exemple K7QF-2M9X)."})
        account = None
        if short:
            # Short codes are guessable: they need a session, an attempt limit and the lockout.
            if not token:
                raise errors.SessionExpired()
            with self._tx() as s:
                _, account = self._session(s, token)
            self._check_lock("code", account.identifier)
        with self._tx() as s:
            if token:
                _, account = self._session(s, token)
            row = self._match_token(s, "email", account, link_token, short)
            target = s.get(Account, row.account_id) if row is not None else None
            failed = target is None or row.email != target.pending_email
            if not failed:
                now = self._now()
                old = target.email
                target.email, target.pending_email, target.email_validated_at = row.email, None, now
                row.used_at = now
                self._void_tokens(s, target.id, "email")
                self._audit(s, "email.validated", target.identifier)
                notice = self._notice(old, "email") if old and old != target.email else None
                view = self._view(target)
        if failed:
            if short and account is not None:
                raise self._fail("code", account.identifier, "email.bad_code", account.identifier, errors.InvalidCode())
            raise errors.InvalidCode()
        self._send_notices(notice)
        return view

    def _match_token(self, s: DbSession, purpose: str, account: Account | None, link_token: str | None,
                     short: str | None) -> OneTimeToken | None:
        """The live token matching what was typed; a wrong short code uses up one attempt."""
        now = self._now()
        live = (OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None), OneTimeToken.voided_at.is_(None))
        if link_token:
            row = s.scalar(select(OneTimeToken).where(OneTimeToken.link_hash == tokens.hash_link_token(link_token), *live))
            if row is None or row.expires_at <= now or (account is not None and row.account_id != account.id):
                return None
            return row
        if account is None or short is None:
            return None
        rows = s.scalars(select(OneTimeToken).where(OneTimeToken.account_id == account.id, *live)).all()
        for row in rows:
            if row.expires_at > now and tokens.code_matches(row.code_hash, short):
                return row
        # Not an exception: the caller's transaction commits these attempts.
        for row in rows:
            row.attempts += 1
            if row.attempts >= self.settings.accounts.code_max_attempts:
                row.voided_at = now
        return None

    # ------------------------------------------------------------ recovery

    def forgot_identifier(self, email: str) -> str:
        """IDENTIFIANT OUBLIÉ: mail the identifier(s) of a validated address; returns the address."""
        errs: dict[str, str] = {}
        if not email.strip():
            raise InvalidInput({"email": "Saisissez votre adresse mail."})
        address = self._check_email(email, email, "email", errs)
        if errs or address is None:
            raise InvalidInput(errs)
        self._check_lock("recovery", address)
        with self._tx() as s:
            identifiers = list(s.scalars(select(Account.identifier).where(
                Account.email == address, Account.email_validated_at.is_not(None)).order_by(Account.identifier)))
            self._audit(s, "recovery.identifier", identifiers[0] if len(identifiers) == 1 else None,
                        found=len(identifiers))
        locked = self._record_failure("recovery", address, None, identifiers[0] if identifiers else None)
        if not identifiers:
            raise locked or errors.RecoveryRefused()
        message = identifier_reminder_message(self._sender, address, identifier=", ".join(identifiers), when=self._now())
        if problem := self._send(message):
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
            raise InvalidInput({"identifier": "Saisissez votre identifiant."})
        self._check_lock("recovery", typed)
        mail_problem = self._mail_check()
        message = None
        with self._tx() as s:
            account = self._account(s, typed)
            usable = (account is not None and account.state == AccountState.ACTIVE and account.email is not None
                      and account.email_validated_at is not None)
            status = ("mail_failed" if mail_problem else "pending") if usable else "void"
            request = ResetRequest(reference=self._free_reference(s), account_id=account.id if account else None,
                                   created_at=self._now(), status=status, kiosk_id=self.kiosk_id)
            s.add(request)
            s.flush()
            if usable and mail_problem:
                # Like a failed resend: a code already received still works.
                self._audit(s, "mail.failed", account.identifier, reference=request.reference)
            elif usable:
                s.execute(update(ResetRequest).where(ResetRequest.account_id == account.id, ResetRequest.status.in_(("pending", "mailed", "mail_failed")),
                                                     ResetRequest.id != request.id).values(status="void"))
                link, code, _ = self._new_token(s, account, "reset", request=request)
                message = password_reset_message(self._sender, account.email, reference=request.reference, code=code,
                                                 link=self._link("password", link),
                                                 lifetime_minutes=self.settings.accounts.reset_token_minutes, when=self._now())
            self._audit(s, "recovery.password", account.identifier if account else None, reference=request.reference,
                        mailed=usable and not mail_problem)
            reference, request_id = request.reference, request.id
        self._record_failure("recovery", typed, None, account.identifier if account else None)
        if message is not None:
            # The answer stays the same whatever happens to the mail: a different answer
            # would tell that this identifier has a validated address.
            if self._mailer is None:
                self._mail_reset(message, request_id, reference, account.identifier)
            else:
                self._mail_jobs = [job for job in self._mail_jobs if not job.done()]
                self._mail_jobs.append(self._mailer.submit(self._mail_reset, message, request_id, reference,
                                                           account.identifier))
        return ResetReference(reference, mail_problem)

    def _mail_check(self) -> str | None:
        """None if a mail could leave now, else the French sentence for the screen (logged)."""
        check = getattr(self.transport, "check", None)
        if check is None:
            return None
        try:
            check()
        except MailDeliveryError as exc:
            log.warning("mail cannot leave: %s; %s", exc.reason, exc.detail)
            return str(exc)
        return None

    def _mail_reset(self, message: EmailMessage, request_id: int, reference: str, identifier: str) -> None:
        problem = self._send(message)
        try:
            with self._tx() as s:
                s.execute(update(ResetRequest).where(ResetRequest.id == request_id)
                          .values(status="mail_failed" if problem else "mailed"))
                if problem:
                    self._audit(s, "mail.failed", identifier, reference=reference)
        except DomainError:
            if self._mailer is None:
                raise
            log.warning("reset request %s: its mail status could not be recorded", request_id)

    def wait_for_mail(self, timeout: float | None = None) -> bool:
        """Wait until every mail handed to the background sender has been tried; False on timeout."""
        _, pending = wait_futures(list(self._mail_jobs), timeout=timeout)
        return not pending

    def _free_reference(self, s: DbSession) -> str:
        while True:
            reference = tokens.new_reference(self.rng)
            if s.scalar(select(ResetRequest.id).where(ResetRequest.reference == reference)) is None:
                return reference

    def reset_password(self, identifier: str, code: str, new_password: str, confirm_password: str) -> None:
        """MODIFIEZ VOTRE MOT DE PASSE, with the code (or link token) of the reset mail."""
        typed = normalize_login(identifier)
        errs: dict[str, str] = {}
        if not typed:
            errs["identifier"] = "Saisissez votre identifiant."
        link_token = tokens.link_token_from(code)
        short = None if link_token else tokens.normalize_code(code)
        if link_token is None and short is None:
            errs["code"] = "Saisissez le code reçu par mail (8 caractères, par exemple K7QF-2M9X)."
        self._check_new_password(new_password, confirm_password, typed, errs)
        if errs:
            raise InvalidInput(errs)
        self._check_lock("code", typed)
        new_hash = self.hasher.hash(new_password)
        notice = None
        with self._tx() as s:
            account = self._account(s, typed)
            active = account is not None and account.state == AccountState.ACTIVE
            row = self._match_token(s, "reset", account, link_token, short) if active else None
            if row is not None and account is not None and row.account_id == account.id:
                now = self._now()
                account.password_hash = new_hash
                account.password_changed_at = now
                account.provisional = False
                account.must_change_password = False
                row.used_at = now
                self._void_tokens(s, account.id, "reset")
                self._revoke_sessions(s, account.id)
                self._clear_throttles(s, account.identifier)
                if row.reset_request_id:
                    s.execute(update(ResetRequest).where(ResetRequest.id == row.reset_request_id).values(status="done"))
                self._audit(s, "password.reset", account.identifier)
                notice = self._notice(account.email, "password")
                done = True
            else:
                done = False
                known = account.identifier if account else None
        if not done:
            raise self._fail("code", typed, "password.bad_code", known, errors.InvalidCode())
        self._send_notices(notice)

    # ------------------------------------------------------------ staff

    def staff_password_bounds(self) -> tuple[int, int]:
        """(shortest, longest) staff password: never weaker than the students' rule."""
        acc = self.settings.accounts
        return max(STAFF_MIN_LENGTH, acc.password_min_length), max(STAFF_MAX_LENGTH, acc.password_max_length)

    def add_staff(self, identifier: str, password: str, confirm: str, *, first_name: str = "", last_name: str = "",
                  actor: str) -> str:
        ident = normalize_login(identifier)
        errs: dict[str, str] = {}
        if not ident or len(ident) > 80 or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789.-_" for c in ident):
            errs["identifier"] = "Identifiant invalide : lettres minuscules, chiffres, « . », « - » ou « _ »."
        self._check_new_password(password, confirm, ident, errs, "password", staff=True)
        if errs:
            raise InvalidInput(errs)
        password_hash = self.hasher.hash(password)
        try:
            with self._tx() as s:
                if self._account(s, ident) is not None:
                    raise InvalidInput({"identifier": f"L'identifiant « {ident} » existe déjà."})
                now = self._now()
                s.add(Account(identifier=ident, kind=Kind.STAFF, state=AccountState.ACTIVE, first_name=first_name or ident,
                              last_name=last_name, birth_date=None, class_id=None, password_hash=password_hash,
                              provisional=False, must_change_password=False, issued_at=now, activated_at=now,
                              password_changed_at=now))
                self._audit(s, "staff.added", ident, actor=actor)
        except IntegrityError:
            raise InvalidInput({"identifier": f"L'identifiant « {ident} » existe déjà."}) from None
        return ident

    def set_staff_password(self, identifier: str, password: str, *, actor: str) -> None:
        """A new password for an existing staff account (the demo run again on its folder):
        its sessions end and its lockouts are lifted."""
        ident = normalize_login(identifier)
        errs: dict[str, str] = {}
        self._check_new_password(password, password, ident, errs, "password", staff=True)
        if errs:
            raise InvalidInput(errs)
        password_hash = self.hasher.hash(password)
        with self._tx() as s:
            account = self._account(s, ident)
            if account is None or account.kind != Kind.STAFF:
                raise errors.NotFound(f"Aucun compte du personnel n'a l'identifiant « {ident} ».")
            account.password_hash = password_hash
            account.password_changed_at = self._now()
            self._revoke_sessions(s, account.id)
            self._clear_throttles(s, ident)
            self._audit(s, "staff.password_set", ident, actor=actor)

    def unlock(self, identifier: str, *, actor: str) -> None:
        """Lift every lockout on an identifier (login, codes, recovery)."""
        ident = normalize_login(identifier)
        with self._tx() as s:
            if self._account(s, ident) is None:
                raise errors.NotFound(f"Aucun compte n'a l'identifiant « {ident} ».")
            self._clear_throttles(s, ident)
            self._audit(s, "staff.unlock", ident, actor=actor)

    def staff_reset(self, identifier: str, *, actor: str, deliver: Deliver | None = None) -> IssuedLetter:
        """A new provisional password and letter, deadline renewed, sessions and tokens voided.

        Also re-creates an account whose activation deadline passed (not yet purged).
        The validated address is kept: it is the student's, and recovery goes on working.
        """
        ident = normalize_login(identifier)
        with self._tx() as s:
            account = self._account(s, ident)
            if account is None or account.kind != Kind.STUDENT:
                raise errors.NotFound(f"Aucun élève n'a l'identifiant « {ident} ».")
            account_id = account.id
        return self._reissue([account_id], actor=actor, event="staff.reset", deliver=deliver)[0]

    def purge_expired(self, *, actor: str) -> list[str]:
        """Delete accounts never activated before their deadline (SPEC §2); their identifiers become free.

        An account that was activated once and then reset by staff is never deleted:
        its provisional password expires, but the student's account and address stay.
        """
        with self._tx() as s:
            expired = list(s.scalars(select(Account.identifier).where(
                Account.state == AccountState.CREATED, Account.activated_at.is_(None),
                Account.deadline_at <= self._now()).order_by(Account.identifier)))
            if expired:
                ids = select(Account.id).where(Account.identifier.in_(expired))
                for model in (Session, OneTimeToken, CharterAcceptance, ResetRequest):
                    s.execute(delete(model).where(model.account_id.in_(ids)))
                s.execute(delete(Account).where(Account.identifier.in_(expired)))
                for ident in expired:
                    self._audit(s, "account.purged", ident, actor=actor)
            # Failure counters forgotten anyway (FAILURE_MEMORY) and no longer locking.
            now = self._now()
            s.execute(delete(Throttle).where(Throttle.last_failure_at < now - FAILURE_MEMORY,
                                             (Throttle.locked_until.is_(None)) | (Throttle.locked_until < now)))
        return expired

    def force_password_change(self, *, identifier: str | None = None, class_name: str | None = None,
                              everyone: bool = False, actor: str) -> int:
        """After a leak: activated students must choose a new password at their next login.

        Their open sessions end now and pending reset codes are voided. Students who have
        not activated yet are left alone: their letter already forces a new password.
        Returns how many accounts are now marked.
        """
        if identifier is None and class_name is None and not everyone:
            raise DomainError("Précisez un élève, une classe ou tous les élèves.")
        with self._tx() as s:
            stmt = select(Account).where(Account.kind == Kind.STUDENT)
            if class_name is not None:
                stmt = stmt.join(SchoolClass).where(SchoolClass.name == class_name)
            if identifier is not None:
                stmt = stmt.where(Account.identifier == normalize_login(identifier))
            found = list(s.scalars(stmt.order_by(Account.identifier)))
            if identifier is not None and not found:
                raise errors.NotFound(f"Aucun élève n'a l'identifiant « {normalize_login(identifier)} ».")
            if class_name is not None and not found:
                raise errors.NotFound(f"Aucun élève dans la classe « {printable(class_name)} ».")
            marked = [a for a in found if a.state == AccountState.ACTIVE]
            if identifier is not None and not marked:
                raise errors.NotAllowed(f"Le compte « {found[0].identifier} » n'est pas encore activé : "
                                        "son mot de passe provisoire devra de toute façon être changé.")
            for account in marked:
                account.must_change_password = True
                self._revoke_sessions(s, account.id)
                self._void_tokens(s, account.id, "reset")
                self._audit(s, "staff.force_change", account.identifier, actor=actor)
            return len(marked)

    def check_new_student(self, *, last_name: str, first_name: str, birth_date: str, class_name: str) -> StudentRow:
        """A student typed by staff, checked as a line of a class list would be (nothing written)."""
        today = self._now().astimezone(self.settings.timezone).date()
        row, errs = check_student(last_name, first_name, birth_date, class_name, today=today)
        if row is None:
            raise InvalidInput(errs)
        with self._tx() as s:
            if problems := self._already_on_file(s, [row]):
                raise InvalidInput({"last_name": problems[0][1].capitalize() + "."})
        return row

    def add_student(self, *, last_name: str, first_name: str, birth_date: str, class_name: str,
                    actor: str, deliver: Deliver | None = None) -> IssuedLetter:
        """One student typed by staff (a new pupil, or an account deleted after its deadline)."""
        row = self.check_new_student(last_name=last_name, first_name=first_name, birth_date=birth_date,
                                     class_name=class_name)
        try:
            return self.import_class_list([row], actor=actor, deliver=deliver)[0]
        except errors.ImportRejected as exc:
            raise InvalidInput({"last_name": exc.problems[0][1].capitalize() + "."}) from None

    def recreate(self, identifier: str, *, actor: str, deliver: Deliver | None = None) -> IssuedLetter:
        """An expired account (deadline passed, not yet deleted) comes back with a new letter."""
        ident = normalize_login(identifier)
        with self._tx() as s:
            account = self._account(s, ident)
            if account is None or account.kind != Kind.STUDENT:
                raise errors.NotFound(f"Aucun élève n'a l'identifiant « {ident} ».")
            if not self._expired(account):
                raise errors.NotAllowed(f"Le compte « {ident} » n'a pas expiré.")
            account_id = account.id
        return self._reissue([account_id], actor=actor, event="staff.recreate", deliver=deliver)[0]

    def close_kiosk(self, token: str) -> None:
        """Fermer le kiosque: recorded with the staff member, whose session on this kiosk
        ends. Their sessions elsewhere (a live view on another terminal) go on."""
        with self._tx() as s:
            session, account = self._session(s, token)
            if account.kind != Kind.STAFF:
                raise errors.NotAllowed(STAFF_ONLY)
            session.revoked_at = self._now()
            self._audit(s, "kiosk.closed", account.identifier, actor=account.identifier)

    # ------------------------------------------------------------ reading for staff

    def staff_member(self, token: str) -> str:
        """The identifier of the staff member of a live session (the session is touched)."""
        with self._tx() as s:
            _, account = self._session(s, token)
            if account.kind != Kind.STAFF:
                raise errors.NotAllowed(STAFF_ONLY)
            return account.identifier

    def _expired(self, account: Account) -> bool:
        return account.state == AccountState.CREATED and account.deadline_at is not None and account.deadline_at <= self._now()

    def _locked_identifiers(self, s: DbSession, identifiers: Sequence[str]) -> set[str]:
        """Which of ``identifiers`` are locked out now, whatever the scope."""
        by_key = {self._throttle_key(scope, ident): ident
                  for ident in identifiers for scope in ("login", "code", "recovery", "birth")}
        keys = list(by_key)
        locked: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for key in s.scalars(select(Throttle.key).where(Throttle.key.in_(chunk), Throttle.locked_until > self._now())):
                locked.add(by_key[key])
        return locked

    def _statuses(self, s: DbSession, stmt) -> list[StudentStatus]:
        rows = s.execute(stmt).all()
        locked = self._locked_identifiers(s, [r.Account.identifier for r in rows])
        accepted = set(s.scalars(select(CharterAcceptance.account_id).where(
            CharterAcceptance.version == self.settings.charter.version,
            CharterAcceptance.account_id.in_(select(stmt.subquery().c.id)))))
        result = []
        for row in rows:
            a: Account = row.Account
            if a.state == AccountState.CREATED:
                state: StudentState = "expired" if self._expired(a) else "waiting"
            else:
                state = "ready" if a.id in accepted else "activated"
            email = EmailState.PENDING if a.pending_email else EmailState.VALIDATED if a.email else EmailState.NONE
            charter = a.id in accepted and a.state == AccountState.ACTIVE  # a reset account accepts again
            result.append(StudentStatus(a.identifier, a.first_name, a.last_name, row.class_name, a.birth_date, state,
                                        charter, email, a.identifier in locked, a.must_change_password,
                                        a.deadline, a.activated_at))
        return result

    def class_students(self, class_name: str | None = None, *, search: str = "") -> list[StudentStatus]:
        """A class's students (every student without ``class_name``), by name; ``search``
        keeps those whose name or identifier contains every word typed (accents ignored)."""
        stmt = (select(Account, SchoolClass.name.label("class_name")).outerjoin(SchoolClass)
                .where(Account.kind == Kind.STUDENT))
        if class_name is not None:
            stmt = stmt.where(SchoolClass.name == class_name)
        with self._tx() as s:
            students = self._statuses(s, stmt)
        students.sort(key=lambda st: person_order(st.last_name, st.first_name, st.identifier))
        return [st for st in students if student_matches(st, search)]

    def class_summaries(self) -> list[ClassSummary]:
        """Every class with its counts, by name."""
        by_class: dict[str, list[StudentStatus]] = {}
        for st in self.class_students():
            by_class.setdefault(st.class_name or "", []).append(st)
        return [ClassSummary(
            name, len(group), sum(st.state == "waiting" for st in group),
            sum(st.state in ("activated", "ready") for st in group), sum(st.charter for st in group),
            sum(st.email_state == EmailState.VALIDATED for st in group), sum(st.locked for st in group),
            sum(st.state == "expired" for st in group)) for name, group in sorted(by_class.items(),
                                                                                 key=lambda item: class_order(item[0]))]

    def find_reset_request(self, reference: str) -> ResetRequestView:
        """A forgotten-password request by the 13-digit reference a student reads out, with
        its state (en cours / utilisée / expirée / annulée) and its student."""
        typed = tokens.normalize_reference(reference)
        if typed is None:
            raise InvalidInput({"reference": "Un n° de référence compte 13 chiffres (par exemple 1425047142092)."})
        with self._tx(read_only=True) as s:
            request = s.scalar(select(ResetRequest).where(ResetRequest.reference == typed))
            if request is None:
                raise errors.NotFound(f"Aucune demande n'a le n° de référence {typed}.")
            code = s.scalar(select(OneTimeToken).where(OneTimeToken.reset_request_id == request.id)
                            .order_by(OneTimeToken.id.desc()).limit(1))
            account = s.get(Account, request.account_id) if request.account_id is not None else None
            student = None
            if account is not None and account.kind == Kind.STUDENT:
                stmt = (select(Account, SchoolClass.name.label("class_name")).outerjoin(SchoolClass)
                        .where(Account.id == account.id))
                student = self._statuses(s, stmt)[0]
            state = self._request_state(request, code)
            # A request made while no mail could leave has no code (none was sent to use).
            mail: RequestMail = ("failed" if request.status == "mail_failed" else "none" if code is None
                                 else "sent" if request.status in ("mailed", "done") else "waiting")
            return ResetRequestView(request.reference, request.created_at, request.kiosk_id, state, mail,
                                    code.expires_at if code is not None else None,
                                    account.identifier if account is not None else None, student)

    def _request_state(self, request: ResetRequest, code: OneTimeToken | None) -> RequestState:
        """Used once its code changed the password; void when it never had a code, when a
        newer request, a password change or a staff reset voided it; expired after its hour."""
        if request.status == "done" or (code is not None and code.used_at is not None):
            return "used"
        if request.status == "void" or code is None or code.voided_at is not None:
            return "void"
        return "expired" if code.expires_at <= self._now() else "pending"

    @staticmethod
    def _taken_like(s: DbSession, base: str) -> set[str]:
        """The identifiers in use that a new ``base`` could collide with (``base``, ``base1``…)."""
        return set(s.scalars(select(Account.identifier).where(Account.identifier.like(f"{base}%"))))

    def preview_identifier(self, token: str, *, first_name: str, last_name: str) -> str:
        """« Ajouter un élève »: the identifier the student would get now, by the homonym rule
        of a creation (``julie.baillet2`` when two exist), read in a read-only transaction
        as the names are typed. Raises InvalidInput when a name gives no identifier."""
        if not first_name.strip() or not last_name.strip():
            raise InvalidInput({"last_name" if not last_name.strip() else "first_name":
                                "Saisissez le nom et le prénom pour voir l'identifiant."})
        try:
            base = base_identifier(first_name, last_name)
        except ValueError as exc:
            raise InvalidInput({"first_name": str(exc).capitalize() + "."}) from None
        with self._tx(read_only=True) as s:
            self._staff_in_session(s, token)
            return next_free(base, self._taken_like(s, base))

    def _staff_in_session(self, s: DbSession, token: str) -> None:
        """A live staff session, checked without touching it (for reads made at each key)."""
        row = s.scalar(select(Session).where(Session.token_hash == tokens.hash_link_token(token or "-")))
        if (row is None or row.revoked_at is not None
                or self._now() - row.last_seen_at > timedelta(seconds=self.settings.accounts.session_timeout)):
            raise errors.SessionExpired()
        account = s.get(Account, row.account_id)
        if account is None or account.kind != Kind.STAFF:
            raise errors.NotAllowed(STAFF_ONLY)

    def preview_class_list(self, data: bytes) -> ImportPreview:
        """Read a class list without writing: the identifiers it would create, its bad rows, and
        the students it names who already have an account (an updated list imports the others)."""
        today = self._now().astimezone(self.settings.timezone).date()
        rows, problems = parse_class_list(data, today=today)
        with self._tx() as s:
            enrolled = self._enrolled(s, rows) if rows else []
            lines = {line for line, _ in enrolled}
            rows = [r for r in rows if r.line not in lines]
            existing: set[str] = set()
            for base in {base_identifier(r.first_name, r.last_name) for r in rows}:
                existing.update(self._taken_like(s, base))
        taken: set[str] = set()
        identifiers = []
        for row in rows:
            ident = next_free(base_identifier(row.first_name, row.last_name), lambda c: c in existing or c in taken)
            taken.add(ident)
            identifiers.append(ident)
        return ImportPreview(rows, identifiers, problems, enrolled)


    def audit_events(self) -> list[AuditRecord]:
        with self._tx() as s:
            return [AuditRecord(e.at, e.kiosk_id, e.event, e.identifier, e.actor, dict(e.details or {}))
                    for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
