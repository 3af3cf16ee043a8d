"""Domain errors: each carries the French sentence the screen shows.

A screen catches :class:`DomainError` and shows ``str(error)`` (or the per-field
messages of :class:`InvalidInput`); anything else is a bug. Messages never contain a
password, a provisional password, a token or a code.
"""

from __future__ import annotations

from collections.abc import Mapping

from .i18n import N_, _, ngettext


class DomainError(Exception):
    """A refusal the user can act on. ``str(error)`` is French and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """One or more fields are wrong; ``errors`` maps each field name to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class AlreadyEnrolled(InvalidInput):
    """A pupil typed by staff who already has an account (same names and birth date)."""

    def __init__(self, field: str, identifier: str) -> None:
        super().__init__({field: _("Élève déjà inscrit (identifiant {identifier}).").format(identifier=identifier)})
        self.identifier = identifier


BAD_CREDENTIALS = N_("Identifiant ou mot de passe incorrect.")
UNKNOWN_RECOVERY = N_(
    "Les informations associées à votre compte ne permettent pas de répondre à votre "
    "demande. Merci de contacter votre établissement."
)
INVALID_CODE = N_("Ce code est incorrect ou n'est plus valable. Vérifiez-le ou faites une nouvelle demande.")


class AuthenticationFailed(DomainError):
    """Wrong identifier or password; the same message whether the identifier exists or not."""

    def __init__(self) -> None:
        super().__init__(_(BAD_CREDENTIALS))


class Locked(DomainError):
    """Too many failures on one identifier (or address, or code): wait, or ask staff."""

    def __init__(self, seconds: int) -> None:
        minutes = max(1, -(-seconds // 60))
        super().__init__(ngettext(
            "Trop de tentatives infructueuses. Réessayez dans {minutes} minute ou adressez-vous à votre établissement.",
            "Trop de tentatives infructueuses. Réessayez dans {minutes} minutes ou adressez-vous à votre établissement.",
            minutes,
        ).format(minutes=minutes))
        self.seconds = seconds


class AccountExpired(DomainError):
    """The provisional password was not used before the activation deadline."""

    def __init__(self, months: int) -> None:
        # French « mois » has one form; other languages need the plural.
        super().__init__(ngettext(
            "Le délai de {months} mois pour activer votre compte est dépassé : votre compte "
            "va être supprimé. Un nouveau compte peut être créé à votre demande : "
            "adressez-vous à votre établissement.",
            "Le délai de {months} mois pour activer votre compte est dépassé : votre compte "
            "va être supprimé. Un nouveau compte peut être créé à votre demande : "
            "adressez-vous à votre établissement.",
            months,
        ).format(months=months))


class AccountClosed(DomainError):
    """The pupil left the school (SIECLE update): the account is disabled, kept for a while."""

    def __init__(self) -> None:
        super().__init__(_("Ce compte est fermé : votre scolarité dans l'établissement est terminée. Si vous y êtes "
                           "de retour, adressez-vous au secrétariat."))


class SessionExpired(DomainError):
    def __init__(self) -> None:
        super().__init__(_("Votre session a expiré. Veuillez vous connecter à nouveau."))


class NotAllowed(DomainError):
    """The session does not allow this step (for example the profile before activation)."""


class PasswordNeeded(DomainError):
    """An action from a staff session left open (the supervised session) needs the staff
    member's password typed again first."""

    def __init__(self) -> None:
        super().__init__(_("Confirmez avec votre mot de passe avant d'agir."))


class WrongPassword(InvalidInput):
    """The password typed again by a staff member is not theirs."""

    def __init__(self) -> None:
        super().__init__({"password": _("Mot de passe incorrect.")})


class Conflict(DomainError):
    """The account changed under us (another terminal): start the step again."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message if message is not None
                         else _("Votre compte vient d'être modifié depuis un autre poste. Recommencez."))


class InvalidCode(DomainError):
    def __init__(self) -> None:
        super().__init__(_(INVALID_CODE))


class RecoveryRefused(DomainError):
    def __init__(self) -> None:
        super().__init__(_(UNKNOWN_RECOVERY))


class NotFound(DomainError):
    """Staff-side lookups only (students never learn whether an account exists)."""


class StorageUnavailable(DomainError):
    def __init__(self) -> None:
        super().__init__(_(
            "Le service est momentanément indisponible. Vos informations n'ont pas été "
            "enregistrées : réessayez dans un instant."
        ))


class ImportRejected(DomainError):
    """A class list with bad rows: nothing was written. ``problems`` lists (where, reason):
    a line number of a CSV file, or the record of a SIECLE export as named."""

    def __init__(self, problems: list[tuple[int | str, str]], *, update: bool = False,
                 guardians: bool = False) -> None:
        self.problems = problems
        lines = "\n".join(
            "  " + _("{place} : {reason}").format(
                place=_("ligne {number}").format(number=where) if isinstance(where, int) else where,
                reason=reason)
            for where, reason in problems)
        records = all(isinstance(where, str) for where, _reason in problems)
        count = len(problems)
        if update and records and guardians:
            head = ngettext("Mise à jour refusée, aucun compte n'a été modifié ({count} responsable en erreur) :",
                            "Mise à jour refusée, aucun compte n'a été modifié ({count} responsables en erreur) :",
                            count)
        elif update and records:
            head = ngettext("Mise à jour refusée, aucun compte n'a été modifié ({count} élève en erreur) :",
                            "Mise à jour refusée, aucun compte n'a été modifié ({count} élèves en erreur) :",
                            count)
        elif update:
            head = ngettext("Mise à jour refusée, aucun compte n'a été modifié ({count} ligne en erreur) :",
                            "Mise à jour refusée, aucun compte n'a été modifié ({count} lignes en erreur) :",
                            count)
        elif records and guardians:
            head = ngettext("Import refusé, aucun compte n'a été créé ({count} responsable en erreur) :",
                            "Import refusé, aucun compte n'a été créé ({count} responsables en erreur) :",
                            count)
        elif records:
            head = ngettext("Import refusé, aucun compte n'a été créé ({count} élève en erreur) :",
                            "Import refusé, aucun compte n'a été créé ({count} élèves en erreur) :",
                            count)
        else:
            head = ngettext("Import refusé, aucun compte n'a été créé ({count} ligne en erreur) :",
                            "Import refusé, aucun compte n'a été créé ({count} lignes en erreur) :",
                            count)
        super().__init__(head.format(count=count) + "\n" + lines)


class FileRefused(DomainError):
    """A file that is not a class list or a SIECLE export entkiosk can read, or that is
    unsafe to read (zip bomb, entity expansion, too big): nothing was written."""


class MailNotSent(DomainError):
    """The request is kept; the mail could not leave. Resending works later."""
