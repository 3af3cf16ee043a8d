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


class Role(StrEnum):
    DIRECTION = "direction"
    SECRETARIAT = "secretariat"
    TEACHER = "enseignant"


ROLE_LABELS = {Role.DIRECTION: "Direction", Role.SECRETARIAT: "Secrétariat", Role.TEACHER: "Enseignant"}


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


#: What each right is, for the sentence that refuses it: « Votre rôle ne permet pas de … ».
RIGHT_LABELS = {
    Right.READ: "consulter les classes",
    Right.LETTERS: "imprimer des courriers",
    Right.UNLOCK: "débloquer des comptes",
    Right.APPROVE: "approuver des demandes de nouveau mot de passe",
    Right.RESET: "donner un nouveau mot de passe provisoire",
    Right.FORCE_CHANGE: "imposer un changement de mot de passe",
    Right.ADD_STUDENT: "ajouter des élèves",
    Right.IMPORT: "importer des listes d'élèves",
    Right.SYNC: "faire la mise à jour SIECLE",
    Right.PURGE: "supprimer des comptes",
    Right.STAFF: "gérer les comptes du personnel",
    Right.AUDIT: "lire le journal d'audit",
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
    return f"Rôle inconnu{f' « {shown} »' if shown else ''} : direction, secretariat ou enseignant."


def parse_classes(typed: str) -> list[str]:
    """« 3A, 3B » (commas or semicolons; a class name may hold a space): the class names
    typed, in order, each once."""
    return list(dict.fromkeys(" ".join(n.split()) for n in typed.replace(";", ",").split(",") if n.strip()))
