"""The shared machinery every family of use cases stands on, built once per service.

:class:`Core` holds the settings, the unit of work, the clock, the audit, the lockouts,
the sessions and tokens, and the outgoing mail, plus the few lookups that several
families make (an account by identifier, a class by name, a deadline). A family is a
:class:`UseCases` subclass: it receives the core and reaches the machinery through it.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import date, datetime

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import Session as DbSession

from ..config import Settings
from ..domain import errors, tokens
from ..domain.clock import Clock, SystemClock
from ..domain.i18n import N_, _
from ..domain.identifiers import normalize_login
from ..domain.lifecycle import AccountState, activation_deadline
from ..domain.lifecycle import Kind
from ..domain.passwords import HashParameters, Hasher
from ..domain.roles import RIGHT_LABELS, ROLE_LABELS, Right, Role, allows, every_class
from ..mail import Transport
from ..store.models import Account, Establishment, Installation, SchoolClass, StaffClass
from .audit import Audit
from .lockout import Lockout
from .outgoing import Outgoing
from .sessions import STAFF_ONLY, Sessions
from .unit_of_work import UnitOfWork
from .views import Grant, Progress, class_key

#: A teacher asking for a class, a pupil or a request of a class that is not theirs.
NOT_YOUR_CLASS = N_("Cette classe n'est pas l'une des vôtres : adressez-vous au secrétariat ou à la direction.")


def not_yours(identifier: str) -> str:
    """A teacher asking for a pupil of another class."""
    return _("{identifier} n'est pas dans l'une de vos classes : adressez-vous au secrétariat ou à la "
             "direction.").format(identifier=identifier)


DISABLED_STAFF = N_("Ce compte du personnel est désactivé : adressez-vous à la direction.")


class Core:
    """One database, one mail transport, one clock: what a kiosk's use cases share."""

    def __init__(self, settings: Settings, engine: Engine, transport: Transport, *, clock: Clock | None = None,
                 hasher: Hasher | None = None, rng: random.Random | None = None,
                 mail_after_answer: bool = False) -> None:
        from .directory_outbox import Recorder

        self.settings = settings
        self.engine = engine
        self.clock = clock or SystemClock()
        #: Where provisional passwords, codes, references and tokens come from: the OS,
        #: unless a test passes a seeded generator for pictures that never change.
        self.rng = rng or tokens.SYSTEM_RANDOM
        acc = settings.accounts
        self.hasher = hasher or Hasher(HashParameters(acc.argon2_time_cost, acc.argon2_memory_cost,
                                                      acc.argon2_parallelism))
        self.kiosk_id = settings.kiosk.id
        self.uow = UnitOfWork(engine)
        self.audit = Audit(self.clock, self.kiosk_id)
        secret = self._load_secret()
        self.lockout = Lockout(settings, self.uow, self.clock, self.audit, secret)
        self.sessions = Sessions(settings, self.uow, self.clock, self.rng, self.kiosk_id,
                                 tokens.CodeHasher(secret, self.hasher))
        self.mail = Outgoing(settings, self.uow, self.clock, self.audit, transport, after_answer=mail_after_answer)
        #: The LDAP directory's outbox: every change it must learn is recorded with the change
        #: (:mod:`.directory_outbox`); ``directory_kick`` wakes the kiosk's delivering worker.
        self.directory_kick: Callable[[], None] | None = None
        self.directory_recorder: Recorder | None = None
        if settings.directory.enabled:
            self.directory_recorder = Recorder(self.clock, self.kiosk_id, on_commit=self._kick_directory)
            self.directory_recorder.watch(self.uow.listen)

    def _kick_directory(self) -> None:
        if self.directory_kick is not None:
            self.directory_kick()

    def tx(self, *, read_only: bool = False) -> AbstractContextManager[DbSession]:
        """One transaction (see :mod:`.unit_of_work` for its rules)."""
        return self.uow.transaction(read_only=read_only)

    def now(self) -> datetime:
        return self.clock.now()

    def _load_secret(self) -> bytes:
        """This installation's key for digests of typed text and of short codes (made by the migrations)."""
        with self.tx() as s:
            row = s.get(Installation, 1)
            if row is None:  # the row was deleted by hand: make a new key
                row = Installation(id=1, secret=secrets.token_hex(32), created_at=self.now())
                s.add(row)
            return bytes.fromhex(row.secret)

    # ------------------------------------------------------------ who may do what

    @staticmethod
    def grant(s: DbSession, actor: str | None, right: Right) -> Grant:
        """What ``actor`` may reach with ``right``, or :class:`~.errors.NotAllowed`.

        ``actor`` is a staff identifier (from a staff session), or the machine's operator:
        None, or a name with a colon (``cli:marie``, ``kiosk:salle-12``) that no staff
        identifier can take — the command line runs with the database's own rights.
        """
        if actor is None or ":" in actor:
            return Grant(actor or "cli", Role.DIRECTION, None)
        account = s.scalar(select(Account).where(Account.identifier == actor))
        if account is None or account.kind != Kind.STAFF or account.role is None:
            raise errors.NotAllowed(_(STAFF_ONLY))
        if account.disabled_at is not None:
            raise errors.NotAllowed(_(DISABLED_STAFF))
        role = Role(account.role)
        if not allows(role, right):
            raise errors.NotAllowed(_(RIGHT_LABELS[right]).format(role=_(ROLE_LABELS[role]).lower()))
        if every_class(role):
            return Grant(actor, role, None)
        return Grant(actor, role, frozenset(s.scalars(select(StaffClass.class_id)
                                                       .where(StaffClass.account_id == account.id))))

    @staticmethod
    def reach(grant: Grant, account: Account) -> None:
        """A pupil's account within ``grant``'s classes, or :class:`~.errors.NotAllowed`."""
        if not grant.reaches(account.class_id):
            raise errors.NotAllowed(not_yours(account.identifier))

    @staticmethod
    def reach_guardian(s: DbSession, grant: Grant, account: Account) -> None:
        """A guardian within ``grant``: one of their children is in the staff member's
        classes (the guardians of a teacher's classes), or :class:`~.errors.NotAllowed`."""
        if grant.classes is None:
            return
        from ..store.models import Guardianship

        classes = s.scalars(select(Account.class_id).join(Guardianship, Guardianship.pupil_id == Account.id)
                            .where(Guardianship.guardian_id == account.id))
        if not any(grant.reaches(c) for c in classes):
            raise errors.NotAllowed(_("{identifier} n'est responsable d'aucun élève de vos classes : adressez-vous au "
                                      "secrétariat ou à la direction.").format(identifier=account.identifier))

    def class_ids(self, s: DbSession, grant: Grant, typed: str) -> list[int]:
        """The ids of the classes ``typed`` means (:meth:`class_names`), which must be within
        ``grant``: a teacher never learns whether another class exists."""
        ids = list(s.scalars(select(SchoolClass.id).where(SchoolClass.name.in_(self.class_names(s, typed)))))
        if grant.classes is not None and not any(grant.reaches(i) for i in ids):
            raise errors.NotAllowed(_(NOT_YOUR_CLASS))
        return [i for i in ids if grant.reaches(i)]

    def pupils_reached(self, s: DbSession, grant: Grant, class_name: str | None) -> ColumnElement[bool] | None:
        """The condition on ``Account.class_id`` of the pupils ``grant`` reaches — in
        ``class_name`` when given (:meth:`class_ids`); None when it reaches every pupil."""
        if class_name is not None:
            return Account.class_id.in_(self.class_ids(s, grant, class_name))
        return None if grant.classes is None else Account.class_id.in_(grant.classes)

    # ------------------------------------------------------------ lookups several families make

    @staticmethod
    def account(s: DbSession, identifier: str) -> Account | None:
        return s.scalar(select(Account).where(Account.identifier == normalize_login(identifier)))

    def establishment(self, s: DbSession) -> Establishment:
        found = s.scalar(select(Establishment).order_by(Establishment.id).limit(1))
        if found is None:
            found = Establishment(name=self.settings.establishment.name, created_at=self.now())
            s.add(found)
            s.flush()
        return found

    def check_school(self, s: DbSession, uaj: str | None, *, record: bool, exported_on: date | None = None) -> None:
        """A SIECLE export of this school only: its ``uaj`` must be ``[establishment] uai``,
        or else the code recorded by the first SIECLE import, which ``record`` stores; and
        not older than the newest export already imported (``exported_on``: its
        ``DATE_EXPORT``, recorded too)."""
        if uaj is None:
            return
        configured = self.settings.establishment.uai.upper()
        found = s.execute(select(Establishment.uai, Establishment.siecle_exported_on)
                          .order_by(Establishment.id).limit(1)).first()
        recorded, newest = (found.uai, found.siecle_exported_on) if found else (None, None)
        expected = configured or recorded
        if expected and uaj.upper() != expected:
            if configured:
                refusal = _("Cet export SIECLE est celui de l'établissement {uaj}, et ce kiosque sert l'établissement "
                            "{expected} ([establishment] uai dans kiosk.conf) : il est refusé en entier, rien n'a "
                            "été enregistré.")
            else:
                refusal = _("Cet export SIECLE est celui de l'établissement {uaj}, et ce kiosque sert l'établissement "
                            "{expected} (code enregistré par le premier import SIECLE) : il est refusé en entier, "
                            "rien n'a été enregistré.")
            raise errors.FileRefused(refusal.format(uaj=uaj, expected=expected))
        if exported_on is not None and newest is not None and exported_on < newest:
            raise errors.FileRefused(
                _("Cet export SIECLE date du {exported_on:%d/%m/%Y}, et les comptes ont déjà été mis à jour avec un "
                  "export plus récent, du {newest:%d/%m/%Y} : il est refusé, rien n'a été enregistré. Exportez à "
                  "nouveau depuis SIECLE pour avoir les élèves d'aujourd'hui.").format(exported_on=exported_on,
                                                                                       newest=newest))
        if record:
            establishment = self.establishment(s)
            establishment.uai = uaj.upper()
            if exported_on is not None and (newest is None or exported_on > newest):
                establishment.siecle_exported_on = exported_on

    @staticmethod
    def class_names(s: DbSession, typed: str) -> list[str]:
        """The names of the classes ``typed`` means: case, accents and spaces aside (« 4b » is
        « 4B »), the rule a creation follows (:meth:`school_class`); ``[typed]`` when none."""
        wanted = class_key(typed)
        return [n for n in s.scalars(select(SchoolClass.name)) if class_key(n) == wanted] or [typed]

    def school_class(self, s: DbSession, name: str) -> SchoolClass:
        """The class of that name; « 2nde3 » typed for an existing « 2NDE3 » is that class."""
        est = self.establishment(s)
        found = s.scalar(select(SchoolClass).where(SchoolClass.establishment_id == est.id, SchoolClass.name == name))
        if found is None:
            wanted = class_key(name)
            found = next((c for c in s.scalars(select(SchoolClass).where(SchoolClass.establishment_id == est.id))
                          if class_key(c.name) == wanted), None)
        if found is None:
            found = SchoolClass(establishment_id=est.id, name=name)
            s.add(found)
            s.flush()
        return found

    def deadline(self, issued_at: datetime) -> tuple[date, datetime]:
        return activation_deadline(issued_at, self.settings.accounts.activation_months, self.settings.timezone)

    def expired(self, account: Account) -> bool:
        """A letter whose activation deadline has passed."""
        return (account.state == AccountState.CREATED and account.deadline_at is not None
                and account.deadline_at <= self.now())

    def hash_many(self, passwords: Sequence[str], progress: Progress | None = None) -> list[str]:
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


class UseCases:
    """A family of use cases over the shared :class:`Core`."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.sessions = core.sessions
        self.lockout = core.lockout
        self.mail = core.mail

    def tx(self, *, read_only: bool = False) -> AbstractContextManager[DbSession]:
        return self.core.tx(read_only=read_only)

    def now(self) -> datetime:
        return self.core.now()

    def audit(self, s: DbSession, event: str, identifier: str | None = None, *, actor: str | None = None,
              **details: object) -> None:
        self.core.audit.record(s, event, identifier, actor=actor, **details)
