"""The yearly update from SIECLE (« entkiosk sync », « Mise à jour annuelle » in the console):
what an export of the whole school changes, shown before anything is written, then
applied in one transaction.

A pupil is matched by INE, then by ``ELEVE_ID`` — never by name, so homonyms stay two
pupils and nobody gets a second account. The one exception is an account made before
the school used SIECLE's exports (a CSV list, « Ajouter un élève »): it has no key yet,
and is linked once to the record with exactly the same names and birth date (the rule
every import already uses to say « déjà inscrit »); from then on its keys match it.

- newcomers get accounts and letters, as an import;
- a pupil whose division changed keeps the account, its password, address and activation;
- a leaver (``DATE_SORTIE``, or a pupil with SIECLE keys absent from the export) is
  disabled at once — no login, no recovery, sessions closed — and deleted by ``entkiosk
  purge`` after ``[accounts] leaver_retention_days``; coming back within them re-enables it;
- names corrected in SIECLE are corrected here (the identifier stays: the pupil knows it);
- every change is an audit event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from ..domain import errors
from ..domain.classlist import StudentRow, Where, person_key
from ..domain.i18n import N_, _, ngettext
from ..domain.identifiers import base_identifier, next_free
from ..domain.letter import IssuedLetter
from ..domain.lifecycle import Kind
from ..domain.passwords import provisional_password
from ..domain.roles import Right
from ..imports import PupilFile, SiecleRecord, read_pupils
from ..store.models import Account, ResetRequest, SchoolClass
from .classes import Classes
from .core import Core, UseCases
from .views import Deliver, Progress, search_key


@dataclass(frozen=True)
class OnFile:
    """An account as the update compares it (read once, in the update's transaction)."""

    id: int
    identifier: str
    ine: str | None
    eleve_id: str | None
    last_name: str
    first_name: str
    birth_date: date | None
    class_name: str
    left: bool

    @property
    def name(self) -> str:
        return f"{self.last_name} {self.first_name}"


@dataclass(frozen=True)
class Change:
    """One pupil the update changes: ``before`` → ``after`` (class, or names), or ``why``."""

    identifier: str
    name: str
    before: str = ""
    after: str = ""
    why: str = ""  # French, marked with N_ (stored in the audit): translate where shown


@dataclass
class UpdatePlan:
    """What an export changes, grouped; nothing is written to make it."""

    format_label: str
    uaj: str | None
    school_year: str | None
    newcomers: list[StudentRow] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)  # the identifier of each newcomer, in order
    moves: list[Change] = field(default_factory=list)  # class before → after
    leaving: list[Change] = field(default_factory=list)  # why: the date of leaving, or absent
    returning: list[Change] = field(default_factory=list)
    renamed: list[Change] = field(default_factory=list)  # names (and birth date) before → after
    linked: list[Change] = field(default_factory=list)  # accounts without keys, linked to their record
    unchanged: int = 0
    without_class: list[str] = field(default_factory=list)  # newcomers SIECLE has no division for yet
    outside: list[str] = field(default_factory=list)  # accounts without keys and no record: left alone
    followed: int = 0  # accounts with SIECLE keys, not left: those an export should name
    ines_received: int = 0  # pupils on file whose INE comes with this export (written, audited)
    problems: list[tuple[Where, str]] = field(default_factory=list)
    #: Internal: what to write (account id → new values), and the keys each account gets.
    _moves: dict[int, str] = field(default_factory=dict, repr=False)
    _names: dict[int, tuple[str, str, date]] = field(default_factory=dict, repr=False)
    _keys: dict[int, tuple[str | None, str]] = field(default_factory=dict, repr=False)
    _leaving: list[int] = field(default_factory=list, repr=False)
    _returning: list[int] = field(default_factory=list, repr=False)

    @property
    def year_label(self) -> str:
        """SIECLE's ``ANNEE_SCOLAIRE`` 2027 is the school year 2027-2028."""
        year = self.school_year
        return f"{year}-{int(year) + 1}" if year and year.isdigit() else (year or "?")

    @property
    def counts(self) -> str:
        """« 3 nouveaux élèves, 4 changements de classe, 1 départ, … » (the preview's first line)."""
        newcomers, moves, leaving = len(self.newcomers), len(self.moves), len(self.leaving)
        returning, renamed, linked = len(self.returning), len(self.renamed), len(self.linked)
        parts = [ngettext("{count} nouvel élève", "{count} nouveaux élèves", newcomers).format(count=newcomers),
                 ngettext("{count} changement de classe", "{count} changements de classe", moves).format(count=moves),
                 ngettext("{count} départ", "{count} départs", leaving).format(count=leaving),
                 ngettext("{count} retour", "{count} retours", returning).format(count=returning),
                 ngettext("{count} nom corrigé", "{count} noms corrigés", renamed).format(count=renamed)]
        if self.linked:
            parts.append(ngettext("{count} compte rattaché", "{count} comptes rattachés", linked).format(count=linked))
        parts.append(ngettext("{count} élève inchangé", "{count} élèves inchangés",
                              self.unchanged).format(count=self.unchanged))
        if self.ines_received:
            parts.append(ngettext("{count} INE reçu", "{count} INE reçus",
                                  self.ines_received).format(count=self.ines_received))
        return ", ".join(parts)

    @property
    def mass_departure(self) -> bool:
        """More than half the pupils SIECLE follows would leave: an export of part of the
        school, or of another one, rather than a new school year (asked again before applying)."""
        return len(self.leaving) >= 2 and 2 * len(self.leaving) > self.followed

    @property
    def departure_warning(self) -> str:
        return _("Attention : {leaving} des {followed} élèves suivis par SIECLE quitteraient l'établissement et "
                 "leurs comptes seraient fermés. Vérifiez que l'export est celui de tout l'établissement, pour "
                 "l'année qui commence.").format(leaving=len(self.leaving), followed=self.followed)

    @property
    def changes(self) -> int:
        return (len(self.newcomers) + len(self.moves) + len(self.leaving) + len(self.returning)
                + len(self.renamed) + len(self.linked))

    @property
    def fingerprint(self) -> str:
        """Changes the moment anything this plan would do changes (checked at « Appliquer »)."""
        parts = [repr(sorted((r.eleve_id or "", r.ine or "", r.last_name, r.first_name, r.birth_date.isoformat(),
                              r.class_name) for r in self.newcomers)), repr(self.identifiers),
                 repr(sorted(self._moves.items())), repr(sorted(self._names.items())),
                 repr(sorted(self._keys.items())), repr(sorted(self._leaving)), repr(sorted(self._returning))]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class UpdateDone:
    plan: UpdatePlan
    letters: list[IssuedLetter]


class YearlyUpdate(UseCases):
    """``preview_update`` then ``apply_update``, on a SIECLE export of the whole school."""

    def __init__(self, core: Core, classes: Classes) -> None:
        super().__init__(core)
        self.classes = classes

    def _read(self, data: bytes) -> PupilFile:
        file = read_pupils(data, today=self.now().astimezone(self.settings.timezone).date())
        if not file.whole_school:
            if file.format == "siecle-csv":
                raise errors.FileRefused(_(
                    "La mise à jour annuelle se fait avec l'export XML de SIECLE (ElevesSansAdresses.xml, ou le zip "
                    "qui le contient), et ce fichier n'en est pas un : c'est un export CSV de SIECLE, qui ne dit pas "
                    "quels élèves ont quitté l'établissement. Pour ajouter seulement de nouveaux élèves, utilisez "
                    "« Importer une liste »."))
            raise errors.FileRefused(_(
                "La mise à jour annuelle se fait avec l'export XML de SIECLE (ElevesSansAdresses.xml, ou le zip "
                "qui le contient), et ce fichier n'en est pas un. Pour ajouter seulement de nouveaux élèves, "
                "utilisez « Importer une liste »."))
        return file

    def preview_update(self, data: bytes, *, actor: str | None = None) -> UpdatePlan:
        """What the export would change, grouped and counted; nothing is written, nothing hashed."""
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.SYNC)
        file = self._read(data)
        with self.tx(read_only=True) as s:
            self.core.check_school(s, file.uaj, record=False, exported_on=file.exported_on)
            return self._plan(s, file)

    def apply_update(self, data: bytes, *, actor: str, expected: str | None = None, progress: Progress | None = None,
                     deliver: Deliver | None = None, many_departures: bool = False) -> UpdateDone:
        """Apply the export in one transaction. ``expected``: the fingerprint of the plan staff
        read; if the accounts changed since, nothing is written and the preview must be redone.
        ``many_departures``: staff saw the warning that more than half the pupils would leave,
        and confirmed; without it such an update is refused."""
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.SYNC)
        file = self._read(data)
        with self.tx(read_only=True) as s:
            self.core.check_school(s, file.uaj, record=False, exported_on=file.exported_on)
            plan = self._plan(s, file)
        if plan.problems:
            raise errors.ImportRejected(plan.problems, update=True)
        if plan.mass_departure and not many_departures:
            raise errors.NotAllowed(_("{warning} Rien n'a été modifié.").format(warning=plan.departure_warning))
        if expected is not None and plan.fingerprint != expected:
            raise errors.Conflict(_("Les comptes ont changé depuis l'aperçu : relancez l'aperçu avant d'appliquer."))
        passwords = [provisional_password(self.core.rng) for _unused in plan.newcomers]
        hashes = self.core.hash_many(passwords, progress)
        letters: list[IssuedLetter] = []
        try:
            with self.tx() as s:
                self.core.grant(s, actor, Right.SYNC)  # not disabled meanwhile
                self.core.check_school(s, file.uaj, record=True, exported_on=file.exported_on)
                if self._plan(s, file).fingerprint != plan.fingerprint:
                    raise errors.Conflict(_("Un autre poste a modifié les comptes pendant la mise à jour : rien n'a "
                                            "été enregistré, relancez-la."))
                self._write(s, plan, actor)
                taken = set(s.scalars(select(Account.identifier)))
                classes: dict[str, SchoolClass] = {}
                for row, password, password_hash in zip(plan.newcomers, passwords, hashes, strict=True):
                    account, deadline, class_name = self.classes.new_student(s, row, password_hash, taken, classes)
                    letters.append(IssuedLetter(account.identifier, row.first_name, row.last_name, class_name,
                                                deadline, account.issued_at, row.birth_date, password))
                    self.audit(s, "sync.created", account.identifier, actor=actor, class_name=class_name)
                self.audit(s, "sync.applied", actor=actor, uaj=file.uaj, school_year=file.school_year,
                           created=len(plan.newcomers), moved=len(plan.moves), left=len(plan.leaving),
                           returned=len(plan.returning), renamed=len(plan.renamed), linked=len(plan.linked),
                           unchanged=plan.unchanged)
                if deliver is not None and letters:
                    s.flush()
                    deliver(letters)
        except IntegrityError:
            raise errors.Conflict(_("Un autre poste crée des comptes en même temps. Relancez la mise à jour.")) from None
        return UpdateDone(plan, letters)

    # ------------------------------------------------------------ the plan

    def _on_file(self, s: DbSession) -> list[OnFile]:
        rows = s.execute(select(Account.id, Account.identifier, Account.ine, Account.eleve_id, Account.last_name,
                                Account.first_name, Account.birth_date, SchoolClass.name, Account.left_at)
                         .outerjoin(SchoolClass).where(Account.kind == Kind.STUDENT).order_by(Account.id))
        return [OnFile(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "", r[8] is not None) for r in rows]

    def _plan(self, s: DbSession, file: PupilFile) -> UpdatePlan:
        accounts = self._on_file(s)
        plan = UpdatePlan(file.label, file.uaj, file.school_year, problems=list(file.problems))
        by_ine = {a.ine: a for a in accounts if a.ine}
        by_id = {a.eleve_id: a for a in accounts if a.eleve_id}
        keyless: dict[tuple, list[OnFile]] = {}
        for a in accounts:
            if not a.ine and not a.eleve_id:
                keyless.setdefault(person_key(a.last_name, a.first_name, a.birth_date), []).append(a)
        rows = {r.eleve_id: r for r in file.rows}
        same_person: dict[tuple, int] = {}
        for r in file.rows:
            key = person_key(r.last_name, r.first_name, r.birth_date)
            same_person[key] = same_person.get(key, 0) + 1
        matched: dict[int, str] = {}
        linked: set[int] = set()
        newcomers: list[StudentRow] = []
        for record in file.records:
            row = rows.get(record.eleve_id)
            account = (by_ine.get(record.ine) if record.ine else None) or by_id.get(record.eleve_id)
            if account is not None and account.ine and record.ine and account.ine != record.ine:
                plan.problems.append((record.label, _("ELEVE_ID {eleve_id} déjà rattaché au compte {identifier}, qui "
                                                      "a un autre INE ({ine})")
                                                    .format(eleve_id=record.eleve_id, identifier=account.identifier, ine=account.ine)))
                continue
            if account is None and row is not None:
                key = person_key(row.last_name, row.first_name, row.birth_date)
                candidates = keyless.get(key, [])
                if len(candidates) > 1 or (candidates and same_person[key] > 1):
                    names = ", ".join(c.identifier for c in candidates)
                    plan.problems.append((record.label, _("mêmes nom, prénom et date de naissance que plusieurs "
                                                          "élèves ou comptes sans identifiant SIECLE "
                                                          "({identifiers}) : impossible de savoir lequel est cet "
                                                          "élève").format(identifiers=names)))
                    continue
                if candidates:
                    account = candidates[0]
                    plan.linked.append(Change(account.identifier, account.name, after=record.eleve_id))
                    linked.add(account.id)
            if account is None:
                if row is not None:
                    newcomers.append(row)
                elif not record.left and not record.class_name and not any(w == record.label for w, _unused in file.problems):
                    plan.without_class.append(record.label)
                continue
            if account.id in matched:
                plan.problems.append((record.label, _("même compte ({identifier}) que {other}")
                                                    .format(identifier=account.identifier, other=matched[account.id])))
                continue
            matched[account.id] = record.label
            self._compare(plan, account, record, row, linked=account.id in linked)
        plan.followed = sum(1 for a in accounts if (a.ine or a.eleve_id) and not a.left)
        for account in accounts:
            if account.id in matched or account.left:
                continue
            if account.ine or account.eleve_id:
                plan.leaving.append(Change(account.identifier, account.name, before=account.class_name,
                                           why=N_("absent de l'export")))  # French: also stored in the audit
                plan._leaving.append(account.id)
            else:
                plan.outside.append(account.identifier)
        self._name_newcomers(s, plan, newcomers)
        return plan

    @staticmethod
    def _compare(plan: UpdatePlan, account: OnFile, record: SiecleRecord, row: StudentRow | None, *,
                 linked: bool) -> None:
        keys = (record.ine or account.ine, record.eleve_id)
        if keys != (account.ine, account.eleve_id):
            plan._keys[account.id] = keys
            if record.ine and not account.ine and not linked:
                plan.ines_received += 1
        if record.left:
            if account.left:
                plan.unchanged += 1
            else:
                plan.leaving.append(Change(account.identifier, account.name, before=account.class_name,
                                           why=N_("date de sortie dans SIECLE")))  # French: also stored in the audit
                plan._leaving.append(account.id)
            return
        changed = False
        if account.left:
            plan.returning.append(Change(account.identifier, account.name, after=record.class_name or account.class_name))
            plan._returning.append(account.id)
            changed = True
        if record.class_name and search_key(" ".join(record.class_name.split())) != search_key(account.class_name):
            plan.moves.append(Change(account.identifier, account.name, before=account.class_name,
                                     after=record.class_name))
            plan._moves[account.id] = record.class_name
            changed = True
        if row is not None and (row.last_name, row.first_name, row.birth_date) != (
                account.last_name, account.first_name, account.birth_date):
            def who(name: str, born: date | None) -> str:
                if born == row.birth_date == account.birth_date:
                    return name  # the birth date is said only when it is what changed
                return _("{name}, né(e) le {birth_date}").format(name=name, birth_date=f"{born:%d/%m/%Y}") if born else name

            plan.renamed.append(Change(account.identifier, account.name, before=who(account.name, account.birth_date),
                                       after=who(f"{row.last_name} {row.first_name}", row.birth_date)))
            plan._names[account.id] = (row.last_name, row.first_name, row.birth_date)
            changed = True
        if not changed and not linked:
            plan.unchanged += 1

    @staticmethod
    def _name_newcomers(s: DbSession, plan: UpdatePlan, newcomers: list[StudentRow]) -> None:
        """The identifiers the newcomers would get, by the homonym rule of an import."""
        taken = set(s.scalars(select(Account.identifier)))
        for row in newcomers:
            ident = next_free(base_identifier(row.first_name, row.last_name), taken.__contains__)
            taken.add(ident)
            plan.newcomers.append(row)
            plan.identifiers.append(ident)

    # ------------------------------------------------------------ writing it

    def _write(self, s: DbSession, plan: UpdatePlan, actor: str) -> None:
        now = self.now()
        changed = set(plan._moves) | set(plan._names) | set(plan._keys) | set(plan._leaving) | set(plan._returning)
        accounts = {a.id: a for a in s.scalars(select(Account).where(Account.id.in_(changed)))}
        # Keys first: two accounts may swap nothing, but a key freed by one is taken by another.
        for account_id, (ine, eleve_id) in plan._keys.items():
            account = accounts[account_id]
            linked = not account.ine and not account.eleve_id
            account.ine, account.eleve_id = ine, eleve_id
            self.audit(s, "sync.linked" if linked else "sync.keys", account.identifier, actor=actor,
                       ine_known=ine is not None)
        classes: dict[str, SchoolClass] = {}
        for account_id, class_name in plan._moves.items():
            account = accounts[account_id]
            before = account.school_class.name if account.school_class else None
            school_class = classes.get(class_name) or classes.setdefault(class_name, self.core.school_class(s, class_name))
            account.class_id = school_class.id
            self.audit(s, "sync.class_changed", account.identifier, actor=actor, before=before, after=school_class.name)
        for account_id, (last, first, birth) in plan._names.items():
            account = accounts[account_id]
            fields = [name for name, old, new in (("nom", account.last_name, last), ("prénom", account.first_name, first),
                                                  ("date de naissance", account.birth_date, birth)) if old != new]
            account.last_name, account.first_name, account.birth_date = last, first, birth
            self.audit(s, "sync.renamed", account.identifier, actor=actor, fields=fields)
        whys = {c.identifier: c.why for c in plan.leaving}
        for account_id in plan._leaving:
            account = accounts[account_id]
            why = whys[account.identifier]
            account.left_at = now
            self.sessions.revoke(s, account.id)
            self.sessions.void_tokens(s, account.id, "reset")
            self.sessions.void_tokens(s, account.id, "email")
            s.execute(update(ResetRequest).where(ResetRequest.account_id == account.id,
                                                 ResetRequest.status.in_(("pending", "mailed", "mail_failed")))
                      .values(status="void"))
            self.audit(s, "sync.left", account.identifier, actor=actor, why=why)
        for account_id in plan._returning:
            account = accounts[account_id]
            account.left_at = None
            self.audit(s, "sync.returned", account.identifier, actor=actor)
