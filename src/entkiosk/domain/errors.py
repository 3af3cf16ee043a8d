"""Domain errors: each carries the French sentence the screen shows.

A screen catches :class:`DomainError` and shows ``str(error)`` (or the per-field
messages of :class:`InvalidInput`); anything else is a bug. Messages never contain a
password, a provisional password, a token or a code.
"""

from __future__ import annotations

from collections.abc import Mapping


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
        super().__init__({field: f"Élève déjà inscrit (identifiant {identifier})."})
        self.identifier = identifier


BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
UNKNOWN_RECOVERY = (
    "Les informations associées à votre compte ne permettent pas de répondre à votre "
    "demande. Merci de contacter votre établissement."
)
INVALID_CODE = "Ce code est incorrect ou n'est plus valable. Vérifiez-le ou faites une nouvelle demande."


class AuthenticationFailed(DomainError):
    """Wrong identifier or password; the same message whether the identifier exists or not."""

    def __init__(self) -> None:
        super().__init__(BAD_CREDENTIALS)


class Locked(DomainError):
    """Too many failures on one identifier (or address, or code): wait, or ask staff."""

    def __init__(self, seconds: int) -> None:
        minutes = max(1, -(-seconds // 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(
            "Trop de tentatives infructueuses. Réessayez dans "
            f"{minutes} {unit} ou adressez-vous à votre établissement."
        )
        self.seconds = seconds


class AccountExpired(DomainError):
    """The provisional password was not used before the activation deadline."""

    def __init__(self, months: int) -> None:
        super().__init__(
            f"Le délai de {months} mois pour activer votre compte est dépassé : votre compte "
            "va être supprimé. Un nouveau compte peut être créé à votre demande : "
            "adressez-vous à votre établissement."
        )


class AccountClosed(DomainError):
    """The pupil left the school (SIECLE update): the account is disabled, kept for a while."""

    def __init__(self) -> None:
        super().__init__("Ce compte est fermé : votre scolarité dans l'établissement est terminée. Si vous y êtes "
                         "de retour, adressez-vous au secrétariat.")


class SessionExpired(DomainError):
    def __init__(self) -> None:
        super().__init__("Votre session a expiré. Veuillez vous connecter à nouveau.")


class NotAllowed(DomainError):
    """The session does not allow this step (for example the profile before activation)."""


class PasswordNeeded(DomainError):
    """An action from a staff session left open (the supervised session) needs the staff
    member's password typed again first."""

    def __init__(self) -> None:
        super().__init__("Confirmez avec votre mot de passe avant d'agir.")


class WrongPassword(InvalidInput):
    """The password typed again by a staff member is not theirs."""

    def __init__(self) -> None:
        super().__init__({"password": "Mot de passe incorrect."})


class Conflict(DomainError):
    """The account changed under us (another terminal): start the step again."""

    def __init__(self, message: str = "Votre compte vient d'être modifié depuis un autre poste. Recommencez.") -> None:
        super().__init__(message)


class InvalidCode(DomainError):
    def __init__(self) -> None:
        super().__init__(INVALID_CODE)


class RecoveryRefused(DomainError):
    def __init__(self) -> None:
        super().__init__(UNKNOWN_RECOVERY)


class NotFound(DomainError):
    """Staff-side lookups only (students never learn whether an account exists)."""


class StorageUnavailable(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "Le service est momentanément indisponible. Vos informations n'ont pas été "
            "enregistrées : réessayez dans un instant."
        )


class ImportRejected(DomainError):
    """A class list with bad rows: nothing was written. ``problems`` lists (where, reason):
    a line number of a CSV file, or the record of a SIECLE export as named."""

    def __init__(self, problems: list[tuple[int | str, str]], *, update: bool = False,
                 guardians: bool = False) -> None:
        self.problems = problems
        lines = "\n".join(f"  {f'ligne {where}' if isinstance(where, int) else where} : {reason}"
                          for where, reason in problems)
        records = all(isinstance(where, str) for where, _ in problems)
        who = ("responsable en erreur", "responsables en erreur") if guardians else ("élève en erreur", "élèves en erreur")
        unit = (who[0] if len(problems) == 1 else who[1]) if records else (
            "ligne en erreur" if len(problems) == 1 else "lignes en erreur")
        what = "Mise à jour refusée, aucun compte n'a été modifié" if update else "Import refusé, aucun compte n'a été créé"
        super().__init__(f"{what} ({len(problems)} {unit}) :\n{lines}")


class FileRefused(DomainError):
    """A file that is not a class list or a SIECLE export entkiosk can read, or that is
    unsafe to read (zip bomb, entity expansion, too big): nothing was written."""


class MailNotSent(DomainError):
    """The request is kept; the mail could not leave. Resending works later."""
