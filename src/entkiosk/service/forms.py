"""Checks of what a form sends, shared by the use cases: an e-mail address typed twice,
a new password typed twice. Each problem is the French sentence shown under its field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from ..config import AccountSettings, Settings
from ..domain.i18n import N_, _
from ..domain.passwords import STAFF_MAX_LENGTH, STAFF_MIN_LENGTH, Person, School, policy_problem
from ..store.models import Account

BAD_ADDRESS = N_("Cette adresse mail n'est pas valide.")


def check_email(address: str, confirm: str, field_name: str, errs: dict[str, str]) -> str | None:
    """The normalized address, or None (nothing typed, or a problem put in ``errs``)."""
    address, confirm = address.strip(), confirm.strip()
    if not address and not confirm:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in address) or len(address) > 254:
        errs[field_name] = _(BAD_ADDRESS)
        return None
    # Imported here, not with the module: a command or a kiosk that checks no address starts
    # ~15 ms sooner (every use case imports this module).
    from email_validator import EmailNotValidError, validate_email

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


def school_of(settings: Settings, now: datetime) -> School:
    """The establishment's name and city and the school's day (its school years): words
    no password of the school may be made of."""
    return School((settings.establishment.name, settings.establishment.city), now.astimezone(settings.timezone).date())


def person_of(account: Account, births: Iterable[date] | None = None) -> Person:
    """What ``account``'s password may not be made of: its names, its identifier and
    ``births`` (its stored birth date when None). Built inside the transaction: the row's
    attributes are gone after it."""
    if births is None:
        births = (account.birth_date,) if account.birth_date else ()
    return Person((account.first_name, account.last_name), account.identifier, tuple(births))


def check_new_password(accounts: AccountSettings, new: str, confirm: str, identifier: str, errs: dict[str, str],
                       field_name: str = "new_password", *, staff: bool = False, person: Person | None = None,
                       school: School | None = None) -> None:
    """Puts in ``errs`` what is wrong with a new password typed twice, if anything.

    ``person`` and ``school`` (:func:`person_of`, :func:`school_of`) are the words the
    password may not be made of; without ``person``, the identifier's alone."""
    low, high = staff_password_bounds(accounts) if staff else (accounts.password_min_length,
                                                                accounts.password_max_length)
    if not new:
        errs[field_name] = _("Saisissez un nouveau mot de passe.")
    elif problem := policy_problem(new, identifier=identifier, min_length=low, max_length=high, person=person,
                                   school=school):
        errs[field_name] = problem
    elif not confirm:
        errs[f"{field_name}_confirm"] = _("Saisissez à nouveau le mot de passe pour le confirmer.")
    elif new != confirm:
        errs[f"{field_name}_confirm"] = _("Les deux mots de passe saisis sont différents.")
