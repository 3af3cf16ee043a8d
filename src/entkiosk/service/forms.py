"""Checks of what a form sends, shared by the use cases: an e-mail address typed twice,
a new password typed twice. Each problem is the French sentence shown under its field."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from ..config import AccountSettings
from ..domain.i18n import N_, _
from ..domain.passwords import STAFF_MAX_LENGTH, STAFF_MIN_LENGTH, policy_problem

BAD_ADDRESS = N_("Cette adresse mail n'est pas valide.")


def check_email(address: str, confirm: str, field_name: str, errs: dict[str, str]) -> str | None:
    """The normalized address, or None (nothing typed, or a problem put in ``errs``)."""
    address, confirm = address.strip(), confirm.strip()
    if not address and not confirm:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in address) or len(address) > 254:
        errs[field_name] = _(BAD_ADDRESS)
        return None
    try:
        # ASCII before the @: many mail servers still refuse anything else.
        normalized = validate_email(address, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        errs[field_name] = _(BAD_ADDRESS)
        return None
    if address.casefold() != confirm.casefold():
        errs[f"{field_name}_confirm"] = _("Les deux adresses mail saisies sont différentes.")
        return None
    return normalized.lower()


def staff_password_bounds(accounts: AccountSettings) -> tuple[int, int]:
    """(shortest, longest) staff password: never weaker than the students' rule."""
    return max(STAFF_MIN_LENGTH, accounts.password_min_length), max(STAFF_MAX_LENGTH, accounts.password_max_length)


def check_new_password(accounts: AccountSettings, new: str, confirm: str, identifier: str, errs: dict[str, str],
                       field_name: str = "new_password", *, staff: bool = False) -> None:
    """Puts in ``errs`` what is wrong with a new password typed twice, if anything."""
    low, high = staff_password_bounds(accounts) if staff else (accounts.password_min_length,
                                                                accounts.password_max_length)
    if not new:
        errs[field_name] = _("Saisissez un nouveau mot de passe.")
    elif problem := policy_problem(new, identifier=identifier, min_length=low, max_length=high):
        errs[field_name] = problem
    elif not confirm:
        errs[f"{field_name}_confirm"] = _("Saisissez à nouveau le mot de passe pour le confirmer.")
    elif new != confirm:
        errs[f"{field_name}_confirm"] = _("Les deux mots de passe saisis sont différents.")
