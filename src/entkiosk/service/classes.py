"""Staff work on whole classes: importing a class list (and previewing it), adding one
pupil by hand, where each class stands (the console's table and live view), finding a
pupil, and finding a forgotten-password request by the reference a pupil reads out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from ..domain import errors, tokens
from ..domain.classlist import StudentRow, Where, check_student, person_key
from ..domain.errors import InvalidInput
from ..domain.i18n import _
from ..domain.identifiers import base_identifier, next_free
from ..domain.letter import IssuedLetter
from ..domain.lifecycle import AccountState, EmailState, Kind
from ..domain.names import person_order
from ..domain.roles import Right
from ..domain.passwords import provisional_password
from ..imports import read_pupils
from ..store.models import Account, CharterAcceptance, OneTimeToken, ResetRequest, SchoolClass
from .core import UseCases
from .kin import account_state, email_state, guardian_counts
from .views import (
    ClassSummary,
    Deliver,
    ImportPreview,
    Progress,
    RequestMail,
    RequestState,
    ResetRequestView,
    StudentStatus,
    class_order,
    student_matches,
)


class Classes(UseCases):
    """Class lists in, class statistics and searches out."""

    # ------------------------------------------------------------ importing

    def import_class_list(self, rows: Sequence[StudentRow], *, actor: str, uaj: str | None = None,
                          exported_on: date | None = None, progress: Progress | None = None,
                          deliver: Deliver | None = None) -> list[IssuedLetter]:
        """Create every student of ``rows`` or none; a student already on file is a bad row.

        ``uaj`` and ``exported_on``: the school code and ``DATE_EXPORT`` of the SIECLE export
        the rows come from (checked against this school's and the newest export's, then
        recorded)."""
        if not rows:
            raise errors.ImportRejected([(1, _("aucun élève à importer"))])
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.IMPORT)
            self.core.check_school(s, uaj, record=False, exported_on=exported_on)
            problems = self._already_on_file(s, rows)
        if problems:
            raise errors.ImportRejected(problems)
        passwords = [provisional_password(self.core.rng) for _unused in rows]
        hashes = self.core.hash_many(passwords, progress)
        letters: list[IssuedLetter] = []
        try:
            with self.tx() as s:
                self.core.check_school(s, uaj, record=True, exported_on=exported_on)
                if problems := self._already_on_file(s, rows):
                    raise errors.ImportRejected(problems)
                # One query for every identifier in use and one per class, not three per student.
                taken = set(s.scalars(select(Account.identifier)))
                classes: dict[str, SchoolClass] = {}
                for row, password, password_hash in zip(rows, passwords, hashes, strict=True):
                    account, deadline, class_name = self.new_student(s, row, password_hash, taken, classes)
                    letters.append(IssuedLetter(account.identifier, row.first_name, row.last_name, class_name,
                                                deadline, account.issued_at, row.birth_date, password))
                self.audit(s, "accounts.imported", actor=actor, count=len(rows),
                           classes=sorted({r.class_name for r in rows}), uaj=uaj)
                if deliver is not None:
                    s.flush()
                    deliver(letters)
        except IntegrityError:
            raise errors.Conflict(_("Un autre poste crée des comptes en même temps. Relancez l'import.")) from None
        return letters

    def new_student(self, s: DbSession, row: StudentRow, password_hash: str, taken: set[str],
                     classes: dict[str, SchoolClass]) -> tuple[Account, date, str]:
        """One new account. ``taken``: every identifier in use (it gets this one);
        ``classes``: the classes met so far in this batch, by the name in the list."""
        identifier = next_free(base_identifier(row.first_name, row.last_name), taken.__contains__)
        taken.add(identifier)
        school_class = classes.get(row.class_name)
        if school_class is None:
            school_class = classes[row.class_name] = self.core.school_class(s, row.class_name)
        now = self.now()
        deadline, deadline_at = self.core.deadline(now)
        account = Account(
            identifier=identifier, kind=Kind.STUDENT, state=AccountState.CREATED, first_name=row.first_name,
            last_name=row.last_name, birth_date=row.birth_date, class_id=school_class.id,
            password_hash=password_hash, provisional=True, must_change_password=False, issued_at=now,
            deadline=deadline, deadline_at=deadline_at, ine=row.ine, eleve_id=row.eleve_id,
        )
        s.add(account)
        return account, deadline, school_class.name

    def _already_on_file(self, s: DbSession, rows: Sequence[StudentRow]) -> list[tuple[Where, str]]:
        """(where, reason) of each row whose pupil already has an account: the same SIECLE
        key (INE or ELEVE_ID), or the same names (give or take case, accents and hyphens)
        and birth date."""
        return [(row.where, _("élève déjà inscrit (identifiant {identifier})").format(identifier=identifier))
                for row, identifier in self._enrolled(s, rows)]

    @staticmethod
    def _enrolled(s: DbSession, rows: Sequence[StudentRow]) -> list[tuple[StudentRow, str]]:
        """Each row whose pupil has an account, with that account's identifier, in order."""
        found: dict[int, str] = {}
        ines = {r.ine: i for i, r in enumerate(rows) if r.ine}
        eleve_ids = {r.eleve_id: i for i, r in enumerate(rows) if r.eleve_id}
        if ines or eleve_ids:
            for ine, eleve_id, identifier in s.execute(
                select(Account.ine, Account.eleve_id, Account.identifier).where(
                    Account.kind == Kind.STUDENT, or_(Account.ine.in_(ines), Account.eleve_id.in_(eleve_ids)))
            ):
                index = ines.get(ine) if ine in ines else eleve_ids.get(eleve_id)
                if index is not None:
                    found[index] = identifier
        wanted = {person_key(r.last_name, r.first_name, r.birth_date): i for i, r in enumerate(rows)}
        births = {r.birth_date for r in rows}
        for last, first, birth, identifier in s.execute(
            select(Account.last_name, Account.first_name, Account.birth_date, Account.identifier)
            .where(Account.kind == Kind.STUDENT, Account.birth_date.in_(births))
        ):
            index = wanted.get(person_key(last, first, birth))
            if index is not None:
                found.setdefault(index, identifier)
        return [(rows[i], identifier) for i, identifier in sorted(found.items())]

    @staticmethod
    def _keys_on_file(s: DbSession, records: Sequence) -> set[str]:
        """The INEs and ELEVE_IDs of ``records`` that an account already has."""
        ines = [r.ine for r in records if r.ine]
        ids = [r.eleve_id for r in records]
        if not ines and not ids:
            return set()
        found = s.execute(select(Account.ine, Account.eleve_id).where(
            or_(Account.ine.in_(ines), Account.eleve_id.in_(ids)))).all()
        return {key for row in found for key in row if key}

    def new_rows(self, rows: Sequence[StudentRow]) -> tuple[list[StudentRow], list[tuple[Where, str]]]:
        """An updated class list: the rows of students not yet on file, and (where, identifier)
        of those already enrolled (left as they are)."""
        with self.tx(read_only=True) as s:
            enrolled = self._enrolled(s, rows)
        known = {id(row) for row, _unused in enrolled}
        return [r for r in rows if id(r) not in known], [(row.where, ident) for row, ident in enrolled]

    def preview_class_list(self, data: bytes, *, actor: str | None = None) -> ImportPreview:
        """Read a class list without writing: the identifiers it would create, its bad rows, and
        the students it names who already have an account (an updated list imports the others)."""
        today = self.now().astimezone(self.settings.timezone).date()
        file = read_pupils(data, today=today)
        problems = file.problems
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.IMPORT)
            self.core.check_school(s, file.uaj, record=False, exported_on=file.exported_on)
            enrolled = self._enrolled(s, file.rows) if file.rows else []
            known = {id(row) for row, _unused in enrolled}
            rows = [r for r in file.rows if id(r) not in known]
            # A pupil without a division who already has an account is not « waiting » for one.
            waiting = [r for r in file.records if not r.left and not r.class_name]
            on_file = self._keys_on_file(s, waiting)
            without_class = [r.label for r in waiting if r.eleve_id not in on_file and r.ine not in on_file]
            # Every identifier in use, in one query (one ``LIKE`` per pupil scans the index each time).
            existing = set(s.scalars(select(Account.identifier))) if rows else set()
        taken: set[str] = set()
        identifiers = []
        for row in rows:
            ident = next_free(base_identifier(row.first_name, row.last_name), lambda c: c in existing or c in taken)
            taken.add(ident)
            identifiers.append(ident)
        return ImportPreview(rows, identifiers, problems, [(row.where, ident) for row, ident in enrolled],
                             file.label, file.uaj, without_class, len(file.leavers), file.exported_on)

    # ------------------------------------------------------------ one pupil typed by staff

    def check_new_student(self, *, last_name: str, first_name: str, birth_date: str, class_name: str,
                          actor: str | None = None) -> StudentRow:
        """A student typed by staff, checked as a line of a class list would be (nothing written)."""
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.ADD_STUDENT)
        today = self.now().astimezone(self.settings.timezone).date()
        row, errs = check_student(last_name, first_name, birth_date, class_name, today=today)
        if row is None:
            raise InvalidInput(errs)
        with self.tx(read_only=True) as s:
            if enrolled := self._enrolled(s, [row]):
                raise errors.AlreadyEnrolled("last_name", enrolled[0][1])
        return row

    def add_student(self, *, last_name: str, first_name: str, birth_date: str, class_name: str,
                    actor: str, deliver: Deliver | None = None) -> IssuedLetter:
        """One student typed by staff (a new pupil, or an account deleted after its deadline)."""
        row = self.check_new_student(last_name=last_name, first_name=first_name, birth_date=birth_date,
                                     class_name=class_name, actor=actor)
        try:
            return self.import_class_list([row], actor=actor, deliver=deliver)[0]
        except errors.ImportRejected as exc:
            raise InvalidInput({"last_name": exc.problems[0][1].capitalize() + "."}) from None

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
                                _("Saisissez le nom et le prénom pour voir l'identifiant.")})
        try:
            base = base_identifier(first_name, last_name)
        except ValueError as exc:
            raise InvalidInput({"first_name": str(exc).capitalize() + "."}) from None
        with self.tx(read_only=True) as s:
            self.sessions.staff_only(s, token)
            return next_free(base, self._taken_like(s, base))

    # ------------------------------------------------------------ where classes stand

    def statuses(self, s: DbSession, stmt: Select) -> list[StudentStatus]:
        """The students ``stmt`` selects (an Account and its ``class_name``), as staff read them."""
        rows = s.execute(stmt).all()
        locked = self.lockout.locked(s, [r.Account.identifier for r in rows])
        accepted = set(s.scalars(select(CharterAcceptance.account_id).where(
            CharterAcceptance.version == self.settings.charter.version,
            CharterAcceptance.account_id.in_(select(stmt.subquery().c.id)))))
        result = []
        for row in rows:
            a: Account = row.Account
            state = account_state(self.core, a, a.id in accepted)
            charter = a.id in accepted and a.state == AccountState.ACTIVE  # a reset account accepts again
            deleted_on = None
            if a.left_at is not None:
                kept = timedelta(days=self.settings.accounts.leaver_retention_days)
                deleted_on = (a.left_at + kept).astimezone(self.settings.timezone).date()
            result.append(StudentStatus(a.identifier, a.first_name, a.last_name, row.class_name, a.birth_date, state,
                                        charter, email_state(a), a.identifier in locked, a.must_change_password,
                                        a.deadline, a.activated_at, a.left_at, deleted_on))
        return result

    def class_students(self, class_name: str | None = None, *, search: str = "",
                       actor: str | None = None) -> list[StudentStatus]:
        """A class's students (every student ``actor`` may see without ``class_name``), by
        name; ``search`` keeps those whose name or identifier contains every word typed
        (accents ignored). A teacher asking for another class is refused."""
        stmt = (select(Account, SchoolClass.name.label("class_name")).outerjoin(SchoolClass)
                .where(Account.kind == Kind.STUDENT))
        with self.tx() as s:
            grant = self.core.grant(s, actor, Right.READ)
            if (reached := self.core.pupils_reached(s, grant, class_name)) is not None:
                stmt = stmt.where(reached)
            students = self.statuses(s, stmt)
        students.sort(key=lambda st: person_order(st.last_name, st.first_name, st.identifier))
        return [st for st in students if student_matches(st, search)]

    def class_summaries(self, *, actor: str | None = None) -> list[ClassSummary]:
        """Every class ``actor`` may see, with its counts, by name."""
        by_class: dict[str, list[StudentStatus]] = {}
        for st in self.class_students(actor=actor):
            by_class.setdefault(st.class_name or "", []).append(st)
        with self.tx(read_only=True) as s:
            guardians = guardian_counts(s)
        return [ClassSummary(
            name, sum(st.state != "left" for st in group), sum(st.state == "waiting" for st in group),
            sum(st.state in ("activated", "ready") for st in group), sum(st.charter for st in group),
            sum(st.email_state == EmailState.VALIDATED for st in group), sum(st.locked for st in group),
            sum(st.state == "expired" for st in group), sum(st.state == "left" for st in group),
            *guardians.get(name, (0, 0)))
            for name, group in sorted(by_class.items(), key=lambda item: class_order(item[0]))]

    # ------------------------------------------------------------ a request read out by a pupil

    def find_reset_request(self, reference: str, *, actor: str | None = None) -> ResetRequestView:
        """A forgotten-password request by the 13-digit reference a student reads out, with
        its state (en cours / utilisée / expirée / annulée) and its student."""
        typed = tokens.normalize_reference(reference)
        if typed is None:
            raise InvalidInput({"reference": _("Un n° de référence compte 13 chiffres (par exemple 1425047142092).")})
        with self.tx(read_only=True) as s:
            grant = self.core.grant(s, actor, Right.READ)
            request = s.scalar(select(ResetRequest).where(ResetRequest.reference == typed))
            owner = s.get(Account, request.account_id) if request and request.account_id is not None else None
            if request is None or (grant.classes is not None and (owner is None or not grant.reaches(owner.class_id))):
                if grant.classes is not None:
                    raise errors.NotFound(_("Aucune demande de vos classes n'a le n° de référence {reference}.")
                                          .format(reference=typed))
                raise errors.NotFound(_("Aucune demande n'a le n° de référence {reference}.").format(reference=typed))
            code = s.scalar(select(OneTimeToken).where(OneTimeToken.reset_request_id == request.id)
                            .order_by(OneTimeToken.id.desc()).limit(1))
            account = s.get(Account, request.account_id) if request.account_id is not None else None
            student = None
            if account is not None and account.kind == Kind.STUDENT:
                stmt = (select(Account, SchoolClass.name.label("class_name")).outerjoin(SchoolClass)
                        .where(Account.id == account.id))
                student = self.statuses(s, stmt)[0]
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
        return "expired" if code.expires_at <= self.now() else "pending"
