"""Legal guardians (« Parent » on the guide's portal): their accounts from SIECLE's
guardians' export, their links to their children, their letters sent by post, and what
staff and the guardians themselves read about them.

A guardian is matched by ``PERSONNE_ID``, a child by ``ELEVE_ID`` (the pupils' export must
have been imported first). One account per person with ``RESP_LEGAL`` 1 or 2, however many
children; a contact (``RESP_LEGAL`` 0) gets none. ``entkiosk import`` creates the guardians
not on file; ``entkiosk sync`` also updates names and addresses, links and unlinks, and
closes the account of a guardian no longer linked to any pupil (like a leaver's).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from ..domain import errors
from ..domain.classlist import Where, printable
from ..domain.i18n import N_, _, ngettext
from ..domain.identifiers import base_identifier, next_free, normalize_login
from ..domain.letter import IssuedLetter
from ..domain.lifecycle import AccountState, Kind
from ..domain.names import person_order
from ..domain.passwords import provisional_password
from ..domain.roles import Right
from ..imports.siecle_guardians import GuardianFile, GuardianRecord, parse_guardians_xml
from ..store.models import Account, CharterAcceptance, Guardianship, SchoolClass
from .core import NOT_YOUR_CLASS, Core, UseCases
from .kin import account_state, email_state, guardian_letter
from .staff import Staff
from .views import (
    ChildView,
    Deliver,
    GuardianStatus,
    Grant,
    Progress,
    guardian_matches,
)

Mode = Literal["import", "sync"]

NO_PUPILS = N_("Aucun élève n'a encore d'identifiant SIECLE : importez d'abord l'export des élèves "
             "(ElevesSansAdresses), puis celui des responsables, qui les rattache à leurs enfants. "
             "Rien n'a été enregistré.")


@dataclass(frozen=True)
class GuardianChange:
    """One guardian the export changes (``what``: « rattaché à zoe.ndiaye », « adresse »…)."""

    identifier: str
    name: str
    what: str = ""


@dataclass
class GuardianPlan:
    """What a guardians' export changes; nothing is written to make it."""

    format_label: str
    uaj: str
    school_year: str | None
    newcomers: list[GuardianRecord] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)  # each newcomer's identifier, in order
    linked: list[GuardianChange] = field(default_factory=list)  # a known guardian, a new child
    unlinked: list[GuardianChange] = field(default_factory=list)  # a known guardian, a child no longer theirs
    updated: list[GuardianChange] = field(default_factory=list)  # names, civility, address, MEL corrected
    leaving: list[GuardianChange] = field(default_factory=list)  # no longer the guardian of any pupil on file
    returning: list[GuardianChange] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # links to pupils not on file (reported, not fatal)
    without_child: list[str] = field(default_factory=list)  # new guardians none of whose children is on file
    without_address: list[str] = field(default_factory=list)  # new guardians SIECLE has no postal address for
    enrolled: int = 0  # guardians of the export already on file
    unchanged: int = 0
    contacts: int = 0  # other contacts (RESP_LEGAL 0): no account
    children_names: dict[str, str] = field(default_factory=dict)  # a newcomer's PERSONNE_ID → « Julie, Lucas »
    problems: list[tuple[Where, str]] = field(default_factory=list)
    #: Internal: what to write.
    _children: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict, repr=False)  # pid → links
    _links: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict, repr=False)  # account → links
    _updates: dict[int, tuple] = field(default_factory=dict, repr=False)
    _leaving: list[int] = field(default_factory=list, repr=False)
    _returning: list[int] = field(default_factory=list, repr=False)

    @property
    def counts(self) -> str:
        newcomers, links = len(self.newcomers), len(self.linked) + len(self.unlinked)
        updated, leaving, returning = len(self.updated), len(self.leaving), len(self.returning)
        return ", ".join([
            ngettext("{count} nouveau responsable", "{count} nouveaux responsables", newcomers).format(count=newcomers),
            ngettext("{count} lien changé", "{count} liens changés", links).format(count=links),
            ngettext("{count} responsable mis à jour", "{count} responsables mis à jour", updated)
            .format(count=updated),
            ngettext("{count} départ", "{count} départs", leaving).format(count=leaving),
            ngettext("{count} retour", "{count} retours", returning).format(count=returning),
            ngettext("{count} responsable inchangé", "{count} responsables inchangés",
                     self.unchanged).format(count=self.unchanged),
        ])

    @property
    def changes(self) -> int:
        return (len(self.newcomers) + len(self.linked) + len(self.unlinked) + len(self.updated)
                + len(self.leaving) + len(self.returning))

    def fingerprint(self, mode: Mode) -> str:
        parts = [mode, repr([(g.personne_id, g.last_name, g.first_name) for g in self.newcomers]),
                 repr(self.identifiers), repr(sorted(self._children.items())), repr(sorted(self._links.items())),
                 repr(sorted(self._updates.items())), repr(sorted(self._leaving)), repr(sorted(self._returning))]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class GuardiansDone:
    plan: GuardianPlan
    letters: list[IssuedLetter]


class Guardians(UseCases):
    """The guardians' export in, guardians' lists, cards and letters out."""

    def __init__(self, core: Core, staff: Staff) -> None:
        super().__init__(core)
        self.staff = staff

    # ------------------------------------------------------------ the export

    @staticmethod
    def read(data: bytes) -> GuardianFile:
        from ..imports.files import is_zip, unzip_one_xml

        if is_zip(data):
            _name, data = unzip_one_xml(data)
        return parse_guardians_xml(data)

    def preview_guardians(self, data: bytes, *, mode: Mode = "sync", actor: str | None = None) -> GuardianPlan:
        """What the export would change (``import``: the new guardians only); nothing is written."""
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, Right.IMPORT if mode == "import" else Right.SYNC)
        file = self.read(data)
        with self.tx(read_only=True) as s:
            self.core.check_school(s, file.uaj, record=False)
            return self._plan(s, file, mode)

    def apply_guardians(self, data: bytes, *, mode: Mode = "sync", actor: str, expected: str | None = None,
                        progress: Progress | None = None, deliver: Deliver | None = None) -> GuardiansDone:
        """Apply the export in one transaction, all or nothing; ``expected``: the fingerprint
        of the preview staff read (the accounts changed since: nothing is written)."""
        right = Right.IMPORT if mode == "import" else Right.SYNC
        with self.tx(read_only=True) as s:
            self.core.grant(s, actor, right)
        file = self.read(data)
        with self.tx(read_only=True) as s:
            self.core.check_school(s, file.uaj, record=False)
            plan = self._plan(s, file, mode)
        if plan.problems:
            raise errors.ImportRejected(plan.problems, update=mode == "sync", guardians=True)
        if expected is not None and plan.fingerprint(mode) != expected:
            raise errors.Conflict(_("Les comptes ont changé depuis l'aperçu : relancez l'aperçu avant d'appliquer."))
        passwords = [provisional_password(self.core.rng) for _unused in plan.newcomers]
        hashes = self.core.hash_many(passwords, progress)
        letters: list[IssuedLetter] = []
        try:
            with self.tx() as s:
                self.core.grant(s, actor, right)
                self.core.check_school(s, file.uaj, record=True)
                if self._plan(s, file, mode).fingerprint(mode) != plan.fingerprint(mode):
                    raise errors.Conflict(_("Un autre poste a modifié les comptes pendant l'import : rien n'a été "
                                            "enregistré, relancez-le."))
                self._write(s, plan, actor)
                now = self.now()
                deadline, deadline_at = self.core.deadline(now)
                for record, ident, password, password_hash in zip(plan.newcomers, plan.identifiers, passwords, hashes,
                                                                  strict=True):
                    account = Account(
                        identifier=ident, kind=Kind.PARENT, state=AccountState.CREATED, first_name=record.first_name,
                        last_name=record.last_name, birth_date=None, class_id=None, password_hash=password_hash,
                        provisional=True, must_change_password=False, issued_at=now, deadline=deadline,
                        deadline_at=deadline_at, personne_id=record.personne_id, civility=record.civility or None,
                        postal_address=list(record.address) or None, export_email=record.email)
                    s.add(account)
                    s.flush()
                    for pupil_id, resp, relation in plan._children[record.personne_id]:
                        s.add(Guardianship(guardian_id=account.id, pupil_id=pupil_id, resp_legal=resp,
                                           relation=relation))
                    s.flush()
                    letters.append(guardian_letter(s, account, password))
                    self.audit(s, "guardian.created", ident, actor=actor,
                               children=len(plan._children[record.personne_id]))
                self.audit(s, "guardians.imported" if mode == "import" else "guardians.synced", actor=actor,
                           uaj=file.uaj, created=len(plan.newcomers), linked=len(plan.linked),
                           unlinked=len(plan.unlinked), updated=len(plan.updated), left=len(plan.leaving),
                           returned=len(plan.returning), unknown_pupils=len(plan.unknown))
                if deliver is not None and letters:
                    deliver(letters)
        except IntegrityError:
            raise errors.Conflict(_("Un autre poste crée des comptes en même temps. Relancez l'import.")) from None
        return GuardiansDone(plan, letters)

    def _plan(self, s: DbSession, file: GuardianFile, mode: Mode) -> GuardianPlan:
        plan = GuardianPlan(file.label, file.uaj, file.school_year, contacts=file.contacts, problems=list(file.problems))
        pupils = {r.eleve_id: r for r in s.execute(
            select(Account.id, Account.eleve_id, Account.identifier, Account.left_at, Account.first_name,
                   Account.last_name)
            .where(Account.kind == Kind.STUDENT, Account.eleve_id.is_not(None)))}
        if not pupils:
            raise errors.FileRefused(_(NO_PUPILS))
        known = {a.personne_id: a for a in s.scalars(select(Account).where(Account.kind == Kind.PARENT,
                                                                             Account.personne_id.is_not(None)))}
        links_now: dict[int, dict[int, tuple[int, str]]] = {}
        for g in s.scalars(select(Guardianship)):
            links_now.setdefault(g.guardian_id, {})[g.pupil_id] = (g.resp_legal, g.relation)
        identifiers = {r.id: r.identifier for r in pupils.values()}
        names = {r.id: (r.last_name, r.first_name) for r in pupils.values()}
        seen: set[str] = set()
        newcomers: list[GuardianRecord] = []
        for record in file.guardians:
            seen.add(record.personne_id)
            wanted: list[tuple[int, int, str]] = []
            for link in record.children:
                pupil = pupils.get(link.eleve_id)
                if pupil is None:
                    plan.unknown.append(_("{guardian} : élève {eleve_id} absent des comptes de l'établissement")
                                        .format(guardian=record.label, eleve_id=link.eleve_id))
                elif pupil.left_at is None:
                    wanted.append((pupil.id, link.resp_legal, link.relation))
            account = known.get(record.personne_id)
            if account is None:
                if not wanted:
                    plan.without_child.append(record.label)
                    continue
                newcomers.append(record)
                if not record.address:
                    plan.without_address.append(record.label)
                plan._children[record.personne_id] = wanted
                plan.children_names[record.personne_id] = ", ".join(
                    names[i][1] for i in sorted((i for i, _unused, _unused in wanted), key=lambda i: person_order(*names[i])))
                continue
            plan.enrolled += 1
            if mode == "import":
                continue
            self._compare(plan, account, record, wanted, links_now.get(account.id, {}), identifiers)
        if mode == "sync":
            for pid, account in known.items():
                if pid not in seen and account.left_at is None:
                    plan.leaving.append(GuardianChange(account.identifier, self._name(account),
                                                       _("absent de l'export des responsables")))
                    plan._leaving.append(account.id)
        taken = set(s.scalars(select(Account.identifier)))
        for record in newcomers:
            ident = next_free(base_identifier(record.first_name, record.last_name), taken.__contains__)
            taken.add(ident)
            plan.newcomers.append(record)
            plan.identifiers.append(ident)
        return plan

    @staticmethod
    def _name(account: Account) -> str:
        return f"{account.last_name} {account.first_name}"

    def _compare(self, plan: GuardianPlan, account: Account, record: GuardianRecord,
                 wanted: list[tuple[int, int, str]], now: dict[int, tuple[int, str]], identifiers: dict[int, str]) -> None:
        name = self._name(account)
        changed = False
        target = {pupil_id: (resp, relation) for pupil_id, resp, relation in wanted}
        if target != now:
            plan._links[account.id] = sorted(wanted)
            for pupil_id in sorted(set(target) - set(now)):
                plan.linked.append(GuardianChange(account.identifier, name, _("rattaché à {pupil}")
                                                                            .format(pupil=identifiers[pupil_id])))
            for pupil_id in sorted(set(now) - set(target)):
                plan.unlinked.append(GuardianChange(account.identifier, name,
                                                    _("plus responsable de {pupil}")
                                                    .format(pupil=identifiers.get(pupil_id, '?'))))
            changed = True
        values = (record.civility or None, record.last_name, record.first_name, list(record.address) or None,
                  record.email)
        current = (account.civility, account.last_name, account.first_name, account.postal_address,
                   account.export_email)
        if values != current:
            what = [label for label, a, b in zip((_("civilité"), _("nom"), _("prénom"), _("adresse"),
                                                  _("adresse mail de SIECLE")),
                                                 current, values, strict=True) if a != b]
            plan.updated.append(GuardianChange(account.identifier, name, ", ".join(what)))
            plan._updates[account.id] = (values[0], values[1], values[2], tuple(values[3] or ()), values[4])
            changed = True
        if not wanted and account.left_at is None:
            plan.leaving.append(GuardianChange(account.identifier, name, _("plus responsable d'aucun élève inscrit")))
            plan._leaving.append(account.id)
            changed = True
        elif wanted and account.left_at is not None:
            plan.returning.append(GuardianChange(account.identifier, name))
            plan._returning.append(account.id)
            changed = True
        if not changed:
            plan.unchanged += 1

    def _write(self, s: DbSession, plan: GuardianPlan, actor: str) -> None:
        ids = set(plan._links) | set(plan._updates) | set(plan._leaving) | set(plan._returning)
        accounts = {a.id: a for a in s.scalars(select(Account).where(Account.id.in_(ids)))}
        for account_id, links in plan._links.items():
            s.execute(delete(Guardianship).where(Guardianship.guardian_id == account_id))
            for pupil_id, resp, relation in links:
                s.add(Guardianship(guardian_id=account_id, pupil_id=pupil_id, resp_legal=resp, relation=relation))
            self.audit(s, "guardian.links", accounts[account_id].identifier, actor=actor, children=len(links))
        for account_id, (civility, last, first, address, email) in plan._updates.items():
            account = accounts[account_id]
            account.civility, account.last_name, account.first_name = civility, last, first
            account.postal_address, account.export_email = list(address) or None, email
            self.audit(s, "guardian.updated", account.identifier, actor=actor)
        now = self.now()
        for account_id in plan._leaving:
            account = accounts[account_id]
            account.left_at = now
            self.sessions.revoke(s, account.id)
            self.sessions.void_tokens(s, account.id, "reset")
            self.sessions.void_tokens(s, account.id, "email")
            self.audit(s, "guardian.left", account.identifier, actor=actor)
        for account_id in plan._returning:
            account = accounts[account_id]
            account.left_at = None
            self.audit(s, "guardian.returned", account.identifier, actor=actor)

    # ------------------------------------------------------------ lists and cards

    def _reached(self, s: DbSession, grant: Grant, class_name: str | None) -> list[int] | None:
        """The ids of the pupils whose guardians ``grant`` shows (in ``class_name``), or None for all."""
        condition = self.core.pupils_reached(s, grant, class_name)
        if condition is None:
            return None
        return list(s.scalars(select(Account.id).where(Account.kind == Kind.STUDENT, condition)))

    def statuses(self, s: DbSession, guardian_ids: list[int] | None) -> list[GuardianStatus]:
        """The guardians of ``guardian_ids`` (every guardian: None), with their children."""
        stmt = select(Account).where(Account.kind == Kind.PARENT)
        if guardian_ids is not None:
            stmt = stmt.where(Account.id.in_(guardian_ids))
        guardians = list(s.scalars(stmt))
        if not guardians:
            return []
        ids = [g.id for g in guardians]
        links = s.execute(select(Guardianship.guardian_id, Account, SchoolClass.name)
                          .join(Account, Account.id == Guardianship.pupil_id)
                          .outerjoin(SchoolClass, SchoolClass.id == Account.class_id)
                          .where(Guardianship.guardian_id.in_(ids))).all()
        everyone = ids + [child.id for _unused, child, _unused in links]
        accepted = set(s.scalars(select(CharterAcceptance.account_id).where(
            CharterAcceptance.version == self.settings.charter.version, CharterAcceptance.account_id.in_(everyone))))
        locked = self.lockout.locked(s, [g.identifier for g in guardians])
        children: dict[int, list[ChildView]] = {}
        for guardian_id, child, class_name in links:
            children.setdefault(guardian_id, []).append(ChildView(
                child.identifier, child.first_name, child.last_name, class_name,
                account_state(self.core, child, child.id in accepted)))
        result = []
        for g in guardians:
            mine = sorted(children.get(g.id, []), key=lambda c: person_order(c.last_name, c.first_name, c.identifier))
            result.append(GuardianStatus(g.identifier, g.civility or "", g.first_name, g.last_name, tuple(mine),
                                         account_state(self.core, g, g.id in accepted), email_state(g), g.identifier in locked,
                                         g.deadline, g.activated_at, tuple(g.postal_address or ())))
        result.sort(key=lambda st: person_order(st.last_name, st.first_name, st.identifier))
        return result

    def guardians(self, class_name: str | None = None, *, search: str = "",
                  actor: str | None = None) -> list[GuardianStatus]:
        """The guardians ``actor`` may see (of ``class_name``'s pupils when given), by name;
        ``search``: every word typed in a guardian's or a child's name or identifier."""
        with self.tx(read_only=True) as s:
            grant = self.core.grant(s, actor, Right.READ)
            pupils = self._reached(s, grant, class_name)
            ids = None
            if pupils is not None:
                ids = list(set(s.scalars(select(Guardianship.guardian_id).where(Guardianship.pupil_id.in_(pupils)))))
            found = self.statuses(s, ids)
        return [st for st in found if guardian_matches(st, search)]

    def guardian_card(self, identifier: str, *, actor: str | None = None) -> GuardianStatus:
        """One guardian as their card shows them; a teacher reaches the guardians of their classes only."""
        ident = normalize_login(identifier)
        with self.tx(read_only=True) as s:
            grant = self.core.grant(s, actor, Right.READ)
            account = self.core.account(s, ident)
            if account is None or account.kind != Kind.PARENT:
                raise errors.NotFound(_("Aucun responsable n'a l'identifiant « {identifier} ».")
                                      .format(identifier=printable(ident)))
            self.core.reach_guardian(s, grant, account)
            return self.statuses(s, [account.id])[0]

    # ------------------------------------------------------------ letters by post

    def issue_guardian_letters(self, *, class_name: str | None = None, identifier: str | None = None,
                               everyone: bool = False, actor: str, progress: Progress | None = None,
                               deliver: Deliver | None = None) -> list[IssuedLetter]:
        """New letters for guardians not yet activated (of ``class_name``'s pupils, one
        guardian, or ``everyone``): a new provisional password each, deadline renewed."""
        if class_name is None and identifier is None and not everyone:
            raise errors.DomainError(_("Précisez une classe (--class) ou tous les responsables (--all) : chaque "
                                       "nouveau courrier annule le précédent."))
        with self.tx(read_only=True) as s:
            grant = self.core.grant(s, actor, Right.LETTERS)
            if everyone and grant.classes is not None:
                raise errors.NotAllowed(_(NOT_YOUR_CLASS))
            if identifier is not None:
                account = self.core.account(s, identifier)
                if account is None or account.kind != Kind.PARENT:
                    raise errors.NotFound(_("Aucun responsable n'a l'identifiant « {identifier} ».")
                                          .format(identifier=printable(normalize_login(identifier))))
                self.core.reach_guardian(s, grant, account)
                if account.left_at is not None:
                    raise errors.NotAllowed(_("{identifier} n'est plus responsable d'un élève inscrit : son compte "
                                              "est fermé, pas de courrier à imprimer.")
                                            .format(identifier=account.identifier))
                if account.state != AccountState.CREATED:
                    raise errors.NotAllowed(_("Le compte « {identifier} » est déjà activé : il n'y a pas de courrier "
                                              "à imprimer (une réinitialisation lui en donne un nouveau).")
                                            .format(identifier=account.identifier))
                ids = [account.id]
            else:
                pupils = self._reached(s, grant, class_name)
                if class_name is not None and not pupils:
                    raise errors.NotFound(_("Aucun élève dans la classe « {class_name} ».")
                                          .format(class_name=printable(class_name)))
                stmt = select(Account.id, Account.last_name, Account.first_name, Account.identifier).where(
                    Account.kind == Kind.PARENT, Account.state == AccountState.CREATED, Account.left_at.is_(None))
                if pupils is not None:
                    stmt = stmt.where(Account.id.in_(select(Guardianship.guardian_id)
                                                     .where(Guardianship.pupil_id.in_(pupils))))
                rows = sorted(s.execute(stmt).all(), key=lambda r: person_order(r.last_name, r.first_name, r.identifier))
                ids = [r.id for r in rows]
        return self.staff.reissue(ids, actor=actor, event="letters.issued", progress=progress,
                                        only_created=True, deliver=deliver)

    # ------------------------------------------------------------ the guardian's own home

    def my_children(self, token: str) -> list[ChildView]:
        """The children of the guardian logged in with ``token``, each with their account's state."""
        with self.tx() as s:
            _unused, account = self.sessions.ready(s, token)
            if account.kind != Kind.PARENT:
                raise errors.NotAllowed(_("Réservé aux responsables légaux."))
            return list(self.statuses(s, [account.id])[0].children)

