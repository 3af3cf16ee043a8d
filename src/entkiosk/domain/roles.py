"""Staff roles, as a school shares the work (the ENT's delegation model).

- ``direction`` (chef d'établissement, adjoints): everything, staff accounts and the audit;
- ``secretariat``: the accounts of every class — imports, the yearly update, letters,
  resets, purges;
- ``enseignant`` (professeur principal): the classes delegated to them — their lists and
  pupils' cards, the supervised session, letters, unlocking, approved recoveries — and
  nothing else; another class is not shown to them at all.

The service asks :func:`allows` before every staff use case; a screen only decides what
to offer with it.
"""

from __future__ import annotations

from enum import StrEnum

from .i18n import N_, _


class Role(StrEnum):
    DIRECTION = "direction"
    SECRETARIAT = "secretariat"
    TEACHER = "enseignant"


#: Marked with ``N_``: translate where shown, ``_(ROLE_LABELS[role])``.
ROLE_LABELS = {Role.DIRECTION: N_("Direction"), Role.SECRETARIAT: N_("Secrétariat"), Role.TEACHER: N_("Enseignant")}


class Right(StrEnum):
    READ = "read"  # class lists, a pupil's card, the supervised session, a pupil's request
    LETTERS = "letters"  # a new letter for a pupil who has not activated
    UNLOCK = "unlock"
    APPROVE = "approve"  # a recovery without e-mail, approved in person
    RESET = "reset"  # a new provisional password for an activated pupil, an expired account back
    FORCE_CHANGE = "force_change"
    ADD_STUDENT = "add_student"
    IMPORT = "import"
    SYNC = "sync"
    PURGE = "purge"
    STAFF = "staff"  # staff accounts: add, change, disable
    AUDIT = "audit"


#: The sentence that refuses each right (``{role}``: the role, in lower case); marked with ``N_``:
#: ``_(RIGHT_LABELS[right]).format(role=…)`` where shown.
RIGHT_LABELS = {
    Right.READ: N_("Votre rôle ({role}) ne permet pas de consulter les classes."),
    Right.LETTERS: N_("Votre rôle ({role}) ne permet pas de imprimer des courriers."),
    Right.UNLOCK: N_("Votre rôle ({role}) ne permet pas de débloquer des comptes."),
    Right.APPROVE: N_("Votre rôle ({role}) ne permet pas de approuver des demandes de nouveau mot de passe."),
    Right.RESET: N_("Votre rôle ({role}) ne permet pas de donner un nouveau mot de passe provisoire."),
    Right.FORCE_CHANGE: N_("Votre rôle ({role}) ne permet pas de imposer un changement de mot de passe."),
    Right.ADD_STUDENT: N_("Votre rôle ({role}) ne permet pas de ajouter des élèves."),
    Right.IMPORT: N_("Votre rôle ({role}) ne permet pas de importer des listes d'élèves."),
    Right.SYNC: N_("Votre rôle ({role}) ne permet pas de faire la mise à jour SIECLE."),
    Right.PURGE: N_("Votre rôle ({role}) ne permet pas de supprimer des comptes."),
    Right.STAFF: N_("Votre rôle ({role}) ne permet pas de gérer les comptes du personnel."),
    Right.AUDIT: N_("Votre rôle ({role}) ne permet pas de lire le journal d'audit."),
}

RIGHTS: dict[Role, frozenset[Right]] = {
    Role.DIRECTION: frozenset(Right),
    Role.SECRETARIAT: frozenset(Right) - {Right.STAFF, Right.AUDIT},
    Role.TEACHER: frozenset({Right.READ, Right.LETTERS, Right.UNLOCK, Right.APPROVE}),
}


def allows(role: Role, right: Right) -> bool:
    return right in RIGHTS[role]


def every_class(role: Role) -> bool:
    """Does the role reach every class (or only the classes delegated to the member)?"""
    return role != Role.TEACHER


def parse_role(typed: str) -> Role | None:
    """A role as staff type it: « direction », « secrétariat », « enseignant » (or « prof »)."""
    word = typed.strip().lower().replace("é", "e").replace("è", "e")
    aliases = {"direction": Role.DIRECTION, "secretariat": Role.SECRETARIAT, "enseignant": Role.TEACHER,
               "enseignante": Role.TEACHER, "prof": Role.TEACHER, "professeur": Role.TEACHER}
    return aliases.get(word)


def unknown_role(typed: str) -> str:
    shown = " ".join(typed.split())[:40]
    if shown:
        return _("Rôle inconnu « {role} » : direction, secretariat ou enseignant.").format(role=shown)
    return _("Rôle inconnu : direction, secretariat ou enseignant.")


def parse_classes(typed: str) -> list[str]:
    """« 3A, 3B » (commas or semicolons; a class name may hold a space): the class names
    typed, in order, each once."""
    return list(dict.fromkeys(" ".join(n.split()) for n in typed.replace(";", ",").split(",") if n.strip()))
