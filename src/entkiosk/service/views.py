"""What the use cases return: plain values, never ORM objects a screen could poke at.

Screens, the command line and the letters read these; nothing here touches the database.
Each value carries no secret except where its docstring says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from ..domain.classlist import StudentRow, Where
from ..domain.i18n import N_, _
from ..domain.letter import IssuedLetter
from ..domain.lifecycle import EmailState
from ..domain.roles import Role

#: Called as (done, total) while letters are hashed.
Progress = Callable[[int, int], None]
#: Receives new letters inside the transaction that issues them: if it raises (the
#: letters file cannot be written), nothing is issued and the old letters still work.
Deliver = Callable[[list[IssuedLetter]], None]
#: Where a login leads: the guide's next screen for this account.
NextStep = Literal["first_connection", "charter", "change_password", "home"]


@dataclass(frozen=True)
class LoginResult:
    identifier: str
    kind: str
    first_name: str
    next_step: NextStep
    previous_login_at: datetime | None
    token: str = field(repr=False)
    #: A staff member's role for this session (a change of role ends the session).
    role: Role | None = None
    #: A guardian's first connection: the address SIECLE holds for them, offered in the
    #: form (never used before they type the code it receives).
    offered_email: str | None = None


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
class Grant:
    """What a staff member may reach for one right: ``classes`` are the ids of their
    classes, or None for every class (the direction, the secretariat, the command line)."""

    actor: str
    role: Role
    classes: frozenset[int] | None

    def reaches(self, class_id: int | None) -> bool:
        return self.classes is None or class_id in self.classes


@dataclass(frozen=True)
class StaffView:
    """A staff account as the console and ``entkiosk staff list`` show it."""

    identifier: str
    first_name: str
    last_name: str
    role: Role
    classes: tuple[str, ...]
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


HelpState = Literal["pending", "approved", "used", "cancelled", "expired"]


@dataclass(frozen=True)
class HelpTicket:
    """What the pupil's kiosk shows after « Je n'ai pas d'adresse mail », and the token
    (a secret the kiosk keeps in memory) with which it follows and ends the request."""

    code: str
    first_name: str
    last_name: str
    class_name: str | None
    expires_at: datetime
    token: str = field(repr=False)


@dataclass(frozen=True)
class HelpRequestView:
    """A request waiting for an adult, as staff see it (no secret)."""

    code: str
    identifier: str
    first_name: str
    last_name: str
    class_name: str | None
    created_at: datetime
    expires_at: datetime
    state: HelpState
    approved_by: str | None


@dataclass(frozen=True)
class Charter:
    version: str
    text: str


#: What each audit event means, as staff read it (the key stays in the CSV export); marked
#: with ``N_``: :attr:`AuditRecord.label` translates.
EVENT_LABELS: dict[str, str] = {
    "login.ok": N_("connexion"),
    "login.failed": N_("connexion refusée"),
    "login.expired": N_("connexion après le délai d'activation"),
    "login.left": N_("connexion d'un élève sorti"),
    "logout": N_("déconnexion"),
    "lockout": N_("identifiant bloqué"),
    "account.activated": N_("compte activé"),
    "charter.accepted": N_("charte acceptée"),
    "charter.declined": N_("charte refusée"),
    "email.requested": N_("adresse mail à valider"),
    "email.resent": N_("code renvoyé"),
    "email.validated": N_("adresse mail validée"),
    "email.bad_code": N_("code de validation erroné"),
    "mail.failed": N_("mail non parti"),
    "profile.bad_password": N_("mot de passe actuel erroné"),
    "password.changed": N_("mot de passe changé"),
    "password.reset": N_("mot de passe réinitialisé (code du mail ou demande approuvée)"),
    "password.bad_code": N_("code de réinitialisation erroné"),
    "recovery.identifier": N_("identifiant oublié"),
    "recovery.password": N_("mot de passe oublié"),
    "accounts.imported": N_("import d'une liste"),
    "letters.issued": N_("courrier imprimé"),
    "staff.reset": N_("compte réinitialisé"),
    "staff.recreate": N_("compte recréé"),
    "staff.unlock": N_("identifiant débloqué"),
    "staff.force_change": N_("changement de mot de passe imposé"),
    "staff.added": N_("compte du personnel créé"),
    "staff.password_set": N_("mot de passe du personnel changé"),
    "kiosk.closed": N_("kiosque fermé"),
    "account.purged": N_("compte supprimé"),
    "audit.purged": N_("journal d'audit purgé"),
    "sync.applied": N_("mise à jour SIECLE appliquée"),
    "directory.sync": N_("annuaire LDAP réparé"),
    "sync.created": N_("compte créé (SIECLE)"),
    "sync.class_changed": N_("changement de classe (SIECLE)"),
    "sync.left": N_("élève sorti (SIECLE)"),
    "sync.returned": N_("élève de retour (SIECLE)"),
    "sync.renamed": N_("nom corrigé (SIECLE)"),
    "sync.linked": N_("compte rattaché à SIECLE"),
    "sync.keys": N_("INE reçu (SIECLE)"),
    "activation.bad_birth_date": N_("date de naissance erronée (première connexion)"),
    "login.disabled": N_("connexion d'un compte du personnel désactivé"),
    "staff.changed": N_("rôle ou classes du personnel changés"),
    "staff.disabled": N_("compte du personnel désactivé"),
    "staff.enabled": N_("compte du personnel réactivé"),
    "staff.confirmed": N_("mot de passe du personnel confirmé"),
    "staff.confirm_failed": N_("confirmation du personnel refusée"),
    "recovery.help_asked": N_("demande sans adresse mail"),
    "recovery.help_refused": N_("demande sans adresse mail : identifiant ou date de naissance erronés"),
    "recovery.help_cancelled": N_("demande sans adresse mail annulée"),
    "recovery.help_approved": N_("demande sans adresse mail approuvée"),
    "recovery.guardian": N_("code envoyé à un responsable légal"),
    "recovery.guardian_refused": N_("envoi du code à un responsable refusé"),
    "guardians.imported": N_("import des responsables (SIECLE)"),
    "guardians.synced": N_("mise à jour des responsables (SIECLE)"),
    "guardian.created": N_("compte de responsable créé (SIECLE)"),
    "guardian.links": N_("enfants d'un responsable changés (SIECLE)"),
    "guardian.updated": N_("nom ou adresse d'un responsable corrigés (SIECLE)"),
    "guardian.left": N_("responsable sans enfant inscrit (SIECLE)"),
    "guardian.returned": N_("responsable de retour (SIECLE)"),
}


#: The columns of an exported audit (entkiosk audit --csv, the console's export).
AUDIT_COLUMNS = ("date", "événement", "libellé", "compte", "par", "poste", "détails")


def details_text(details: dict) -> str:
    """An event's details on one line (« count=28; classes=2nde 1, 2nde 2 »)."""
    def value(v: object) -> str:
        return ", ".join(str(x) for x in v) if isinstance(v, list) else str(v)

    return "; ".join(f"{key}={value(v)}" for key, v in sorted(details.items()))


def audit_rows(records: list[AuditRecord], tz: ZoneInfo) -> list[tuple[str, ...]]:
    """Each event as the cells of :data:`AUDIT_COLUMNS`, its date local."""
    return [(r.at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S"), r.event, r.label, r.identifier or "", r.actor or "",
             r.kiosk_id, details_text(r.details)) for r in records]


def audit_csv(records: list[AuditRecord], tz: ZoneInfo) -> str:
    """The events as a ``;`` CSV with its header (UTF-8 text)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    writer.writerows(audit_rows(records, tz))
    return out.getvalue()


@dataclass(frozen=True)
class AuditFilter:
    """Which events to read: each given criterion must hold (dates are local days, inclusive)."""

    since: date | None = None
    until: date | None = None
    student: str | None = None  # the pupil the event is about
    staff: str | None = None  # what a staff member did, and what is about them (their logins, their account)
    class_name: str | None = None  # events about the pupils now in this class
    kind: str | None = None  # an event's key (« login.failed ») or its family (« login », « sync »)


@dataclass(frozen=True)
class AuditRecord:
    """An audit event as staff read it (never a secret in it)."""

    at: datetime
    kiosk_id: str
    event: str
    identifier: str | None
    actor: str | None
    details: dict

    @property
    def label(self) -> str:
        label = EVENT_LABELS.get(self.event)
        return _(label) if label is not None else self.event


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
    left: int = 0  # left the school (SIECLE update): not counted in ``students``
    guardians: int = 0  # legal guardians of the class's pupils with an account (not left)
    guardians_activated: int = 0


StudentState = Literal["waiting", "activated", "ready", "expired", "left"]

STATE_LABELS: dict[str, str] = {
    "waiting": N_("En attente"),
    "activated": N_("Activé"),
    "ready": N_("Prêt"),
    "expired": N_("Expiré"),
    "left": N_("Sorti"),
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
    left_at: datetime | None = None  # left the school (SIECLE update)
    deleted_on: date | None = None  # a leaver's account is deleted by the purge from this day

    @property
    def state_label(self) -> str:
        return _(STATE_LABELS[self.state])


@dataclass(frozen=True)
class ChildView:
    """A guardian's child as the guardian's home and staff's guardian card show it: the
    account's state only, never a password, a code or an address."""

    identifier: str
    first_name: str
    last_name: str
    class_name: str | None
    state: StudentState

    @property
    def state_label(self) -> str:
        return _(CHILD_STATE_LABELS[self.state])


#: A child's account as the guardian reads it.
CHILD_STATE_LABELS: dict[str, str] = {
    "waiting": N_("en attente d'activation"),
    "activated": N_("activé"),
    "ready": N_("activé"),
    "expired": N_("délai d'activation dépassé (un nouveau courrier est à demander à l'établissement)"),
    "left": N_("sorti de l'établissement"),
}


@dataclass(frozen=True)
class GuardianStatus:
    """A legal guardian as staff list them (no secret; the postal address for the card)."""

    identifier: str
    civility: str
    first_name: str
    last_name: str
    children: tuple[ChildView, ...]
    state: StudentState
    email_state: EmailState
    locked: bool
    deadline: date | None
    activated_at: datetime | None
    postal_address: tuple[str, ...] = ()

    @property
    def state_label(self) -> str:
        return _(STATE_LABELS[self.state])

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.civility, self.last_name, self.first_name) if p)


RequestState = Literal["pending", "used", "expired", "void"]

REQUEST_LABELS: dict[str, str] = {
    "pending": N_("en cours"),
    "used": N_("utilisée"),
    "expired": N_("expirée"),
    "void": N_("annulée"),
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
        return _(REQUEST_LABELS[self.state])

    def rows(self, tz: ZoneInfo) -> list[tuple[str, str]]:
        """(label, value) lines as the console and ``entkiosk request`` show them."""
        def when(moment: datetime) -> str:
            local = moment.astimezone(tz)
            return _("{date} à {time}").format(date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))

        state = self.state_label
        if self.state == "pending" and self.expires_at is not None:
            state = _("en cours (code valable jusqu'au {moment})").format(moment=when(self.expires_at))
        elif self.state == "expired" and self.expires_at is not None:
            state = _("expirée le {moment} : l'élève peut faire une nouvelle demande").format(
                moment=when(self.expires_at))
        elif self.state == "used":
            state = _("utilisée : le mot de passe a été changé avec le code reçu")
        mail = {"sent": _("envoyé à l'adresse mail validée du compte"),
                "failed": _("n'a pas pu être envoyé (voir le journal du kiosque) : l'élève peut refaire la demande"),
                "waiting": _("en cours d'envoi"),
                "none": (_("aucun : ce compte n'avait pas d'adresse mail validée") if self.identifier
                         else _("aucun : l'identifiant saisi ne correspond à aucun compte"))}[self.mail]
        return [
            (_("N° de référence"), self.reference),
            (_("Demandée le"), _("{moment} (poste {kiosk})").format(moment=when(self.created_at), kiosk=self.kiosk_id)),
            (_("État"), state),
            (_("Mail"), mail),
            (_("Compte"), self.identifier or _("aucun (l'identifiant saisi n'est pas conservé)")),
        ]


@dataclass(frozen=True)
class ImportPreview:
    """What an import would create, and the bad rows, before anything is written."""

    rows: list[StudentRow]  # the students to create (not those already enrolled)
    identifiers: list[str]  # the identifier each of ``rows`` would get, in order
    problems: list[tuple[Where, str]]
    enrolled: list[tuple[Where, str]] = field(default_factory=list)  # (where, identifier): already on file
    format_label: str = N_("liste de classe CSV")  # marked only: compared, and translated where shown
    uaj: str | None = None  # the school's code, for a SIECLE export
    without_class: list[str] = field(default_factory=list)  # SIECLE pupils with no division yet: not imported
    leavers: int = 0  # SIECLE pupils with a DATE_SORTIE: not imported
    exported_on: date | None = None  # the SIECLE export's DATE_EXPORT

    @property
    def enrolled_problems(self) -> list[tuple[Where, str]]:
        """The pupils already on file, as the bad rows of an import that creates them all."""
        return [(where, _("élève déjà inscrit (identifiant {identifier})")
                        .format(identifier=identifier)) for where, identifier in self.enrolled]

    @property
    def classes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.class_name] = counts.get(row.class_name, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: class_order(item[0])))


def search_key(text: str) -> str:
    """Text to search in: no accents, no case (« zoe » finds « Zoé »)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def class_key(name: str) -> str:
    """A class name as the kiosk matches it: case, accents and spaces aside (« 4 b » is « 4B »)."""
    return search_key(" ".join(name.split()))


def class_order(name: str) -> list[tuple[int, int | str]]:
    """« 2nde 2 » before « 2nde 10 »: numbers in a class name compare as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, search_key(part)) for part in re.split(r"(\d+)", name) if part]


def guardian_matches(guardian: GuardianStatus, search: str) -> bool:
    """Every word typed is in the guardian's or one of their children's names or identifiers."""
    haystack = search_key(" ".join([guardian.first_name, guardian.last_name, guardian.identifier]
                                   + [f"{c.first_name} {c.last_name} {c.identifier}" for c in guardian.children]))
    return all(word in haystack for word in search_key(search).split())


def student_matches(student: StudentStatus, search: str) -> bool:
    """Every word typed is in the student's name or identifier (« zoe diaye » finds Zoé N'Diaye)."""
    haystack = search_key(f"{student.first_name} {student.last_name} {student.identifier}")
    return all(word in haystack for word in search_key(search).split())
