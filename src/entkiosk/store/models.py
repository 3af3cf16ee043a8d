"""The tables. Only hashes of passwords, tokens and codes are ever stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Installation(Base):
    """One row: this installation's secret key for digests of typed text (throttle keys)."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Establishment(Base):
    __tablename__ = "establishments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The school's code (UAI, SIECLE's « UAJ »): set by ``[establishment] uai`` or by the
    #: first SIECLE export imported; an export of another school is refused.
    uai: Mapped[str | None] = mapped_column(String(8))
    #: ``DATE_EXPORT`` of the newest SIECLE export imported or applied: an older one (last
    #: year's, left in the downloads folder) is refused.
    siecle_exported_on: Mapped[date | None] = mapped_column(Date)

    classes: Mapped[list[SchoolClass]] = relationship(back_populates="establishment")


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"))
    name: Mapped[str] = mapped_column(String(60))

    establishment: Mapped[Establishment] = relationship(back_populates="classes")
    accounts: Mapped[list[Account]] = relationship(back_populates="school_class")


class Account(Base):
    """A student or staff account. ``version`` guards against concurrent updates."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    provisional: Mapped[bool] = mapped_column(Boolean)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    previous_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    email_validated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pending_email: Mapped[str | None] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(Integer)
    #: SIECLE's keys of a pupil: the national INE (may come a year late) and the export's
    #: ``ELEVE_ID``. The yearly update matches pupils by these, never by name.
    ine: Mapped[str | None] = mapped_column(String(11), index=True, unique=True)
    eleve_id: Mapped[str | None] = mapped_column(String(20), index=True, unique=True)
    #: The pupil left the school (a SIECLE update): no login, no recovery; the account is
    #: deleted after ``[accounts] leaver_retention_days`` unless the pupil comes back.
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: A staff account's role (``domain.roles.Role``); None for a pupil.
    role: Mapped[str | None] = mapped_column(String(20))
    #: A staff account disabled by the direction: no login, its sessions ended.
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: A legal guardian (kind ``parent``): SIECLE's ``PERSONNE_ID``, « M. » or « Mme », the
    #: postal lines their letter is sent to, and the export's ``MEL`` — offered at the first
    #: connection, never used before the guardian validates it.
    personne_id: Mapped[str | None] = mapped_column(String(20), index=True, unique=True)
    civility: Mapped[str | None] = mapped_column(String(4))
    postal_address: Mapped[list | None] = mapped_column(JSON)
    export_email: Mapped[str | None] = mapped_column(String(320))

    school_class: Mapped[SchoolClass | None] = relationship(back_populates="accounts")

    __mapper_args__ = {"version_id_col": version}


class StaffClass(Base):
    """A class delegated to a staff member whose role is ``enseignant``."""

    __tablename__ = "staff_classes"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)


class Guardianship(Base):
    """A legal guardian's account linked to a child's (``RESP_LEGAL`` 1 or 2 in SIECLE)."""

    __tablename__ = "guardianships"

    guardian_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True)
    resp_legal: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str] = mapped_column(String(10))  # CODE_PARENTE


class OneTimeToken(Base):
    """An e-mail validation or password reset secret: link token and short code, hashed."""

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_account_purpose", "account_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(12))  # "email" | "reset"
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(200))  # argon2id (see tokens.CodeHasher)
    email: Mapped[str | None] = mapped_column(String(320))
    reset_request_id: Mapped[int | None] = mapped_column(ForeignKey("reset_requests.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ResetRequest(Base):
    """A forgotten-password request and its 13-digit reference (also for unknown identifiers)."""

    __tablename__ = "reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(13), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12))  # pending | mailed | mail_failed | done | void
    kiosk_id: Mapped[str] = mapped_column(String(60))


class HelpRequest(Base):
    """« Je n'ai pas d'adresse mail »: a pupil's request for a new password, approved in
    person by a staff member. The kiosk that asked holds a token (its hash is kept here);
    the short ``code`` is what the teacher reads on the pupil's screen."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(7), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10))  # pending | approved | used | cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(80))
    kiosk_id: Mapped[str] = mapped_column(String(60))


class CharterAcceptance(Base):
    __tablename__ = "charter_acceptances"
    __table_args__ = (UniqueConstraint("account_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(40))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kiosk_id: Mapped[str] = mapped_column(String(60))


class Throttle(Base):
    """Failures and lockout for one key: a scope and the SHA-256 of what was typed.

    Keyed by what was typed, not by account, so unknown identifiers lock exactly like
    known ones and nothing tells them apart.
    """

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Session(Base):
    """A kiosk session after a login; the kiosk holds the token, we keep its hash."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(20))  # first_connection | full
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    kiosk_id: Mapped[str] = mapped_column(String(60))
    #: When the staff member last typed their password again in this session (an action
    #: from the supervised session asks for it at most every few minutes).
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """A security event. ``details`` never holds a secret."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kiosk_id: Mapped[str] = mapped_column(String(60))
    event: Mapped[str] = mapped_column(String(40), index=True)
    identifier: Mapped[str | None] = mapped_column(String(80))
    actor: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class DirectoryUpdate(Base):
    """A change the LDAP directory must learn (issue 20's outbox), written in the same
    transaction as the change itself. The worker applies the pupil's *current* state, so
    the row says which pupil and why, never a password or a hash."""

    __tablename__ = "directory_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The pupil's identifier: the entry's ``uid`` (a deleted account has no row left to name it).
    identifier: Mapped[str] = mapped_column(String(80), index=True)
    change: Mapped[str] = mapped_column(String(20))  # see service.directory.CHANGES
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kiosk_id: Mapped[str] = mapped_column(String(60))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not tried again before then (back-off after a refusal of this entry).
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Why the last try failed, in French for staff (no secret).
    problem: Mapped[str | None] = mapped_column(String(2000))


class DirectoryWorker(Base):
    """One row: which kiosk delivers the directory updates now (a lease, so that exactly one
    does, in order), and how the last try went — what the console and ``entkiosk directory
    status`` show."""

    __tablename__ = "directory_worker"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    problem: Mapped[str | None] = mapped_column(String(2000))
    problem_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
