"""Builders of the plain-text e-mails sent by the kiosk.

Every builder returns a fully formed :class:`email.message.EmailMessage`
(``email.policy.default``) so that transports only have to deliver it.
Headers are set through :class:`email.headerregistry.Address` and the
policy's header machinery rather than string concatenation, which gives
proper RFC 2047 encoding of French display names and closes the door to
header injection.  All user-visible text is French in the code, translated (``_()``) when
the mail is composed: in the language of the session in use.
"""

from __future__ import annotations

import email.errors
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from ..domain.i18n import N_, _, ngettext

__all__ = [
    "Sender",
    "change_notice_message",
    "email_validation_message",
    "identifier_reminder_message",
    "password_reset_message",
]

#: The one closing of every mail (SPEC §5): the sender signs, no full stop after a signature.
#: Marked with ``N_``: every mail is composed in its reader's language, ``_(_CLOSING)``.
_CLOSING = N_("Cordialement,\nL'administrateur des services en ligne")


@dataclass(frozen=True)
class Sender:
    """Identity the kiosk mails are sent from (display name + address)."""

    name: str
    address: str


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _has_control_chars(value: str) -> bool:
    """True if *value* holds C0/C1 control characters (CR, LF, NUL, DEL...)."""
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value)


def _check_single_line(field: str, value: str) -> str:
    """Reject values that could break a header or the body layout.

    Only the field name is reported, never the value: it may be a code or
    a token.
    """
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str")
    if _has_control_chars(value):
        raise ValueError(f"{field} must not contain control characters")
    if not value.strip():
        raise ValueError(f"{field} must not be empty")
    return value


def _address(field: str, addr_spec: str, display_name: str = "") -> Address:
    """Parse a bare ``local@domain`` address, refusing anything else.

    Control characters are checked explicitly first so that header
    injection is refused whatever the ``email`` package version does.
    """
    _check_single_line(field, addr_spec)
    if display_name and _has_control_chars(display_name):
        raise ValueError(f"{field} display name must not contain control characters")
    try:
        address = Address(display_name=display_name, addr_spec=addr_spec.strip())
    except (ValueError, IndexError, email.errors.MessageError):
        # The parser raises a zoo of exception types; normalise them.
        raise ValueError(f"{field} is not a valid address") from None
    if not address.username or not address.domain:
        raise ValueError(f"{field} is not a valid address")
    return address


def _check_positive(field: str, value: int) -> int:
    """Lifetimes are printed to the user, so they must be sensible."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{field} must be a positive integer")
    return value


def _closing() -> str:
    return _(_CLOSING) + "\n"


def _validity(has_link: bool, count: int, unit: Literal["heure", "minute"]) -> str:
    """Sentence about the lifetime (``count`` hours or minutes, 0 is excluded upstream),
    agreeing with what the mail contains."""
    if has_link and unit == "heure":
        sentence = ngettext("Ce lien et ce code sont valables {count} heure et ne servent qu'une fois.",
                            "Ce lien et ce code sont valables {count} heures et ne servent qu'une fois.", count)
    elif has_link:
        sentence = ngettext("Ce lien et ce code sont valables {count} minute et ne servent qu'une fois.",
                            "Ce lien et ce code sont valables {count} minutes et ne servent qu'une fois.", count)
    elif unit == "heure":
        sentence = ngettext("Ce code est valable {count} heure et ne sert qu'une fois.",
                            "Ce code est valable {count} heures et ne sert qu'une fois.", count)
    else:
        sentence = ngettext("Ce code est valable {count} minute et ne sert qu'une fois.",
                            "Ce code est valable {count} minutes et ne sert qu'une fois.", count)
    return sentence.format(count=count)


def _build(sender: Sender, to: str, subject: str, body: str, when: datetime) -> EmailMessage:
    """Assemble headers and a UTF-8 plain-text body.

    Quoted-printable keeps the message 7-bit clean, so it survives SMTP
    servers that do not announce 8BITMIME.
    """
    if not isinstance(sender, Sender):
        raise TypeError("sender must be a Sender")
    if not isinstance(when, datetime):
        raise TypeError("when must be a datetime")
    if when.tzinfo is None or when.utcoffset() is None:
        # A naive datetime would produce a "-0000" (unknown zone) Date header.
        raise ValueError("when must be a timezone-aware datetime")
    from_addr = _address("sender address", sender.address, sender.name)
    to_addr = _address("recipient address", to)
    _check_single_line("subject", subject)

    msg = EmailMessage(policy=policy.default)
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=from_addr.domain)
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    return msg


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------


def email_validation_message(
    sender: Sender,
    to: str,
    *,
    code: str,
    link: str | None,
    lifetime_hours: int,
    when: datetime,
    first_address: bool = False,
) -> EmailMessage:
    """Mail asking the user to confirm a new e-mail address.

    The code can always be typed on the kiosk; the link is optional
    (e.g. when no public URL is configured). ``first_address``: the account had no
    address yet (the first connection), so nothing was « modifié ». The mail names the
    buttons the student presses: « MON COMPTE » on the home screen, then « SAISIR LE
    CODE REÇU » on the profile.
    """
    _check_single_line("code", code)
    _check_positive("lifetime_hours", lifetime_hours)
    if first_address:
        intro = _("Bonjour,\n\n"
                  "vous avez indiqué cette adresse mail pour votre espace de services "
                  "en ligne de l'éducation nationale.")
    else:
        intro = _("Bonjour,\n\n"
                  "vous avez modifié votre adresse mail dans votre espace de services "
                  "en ligne de l'éducation nationale.")
    if link is not None:
        _check_single_line("link", link)
        if first_address:
            action = _("Pour la valider, cliquez sur le lien ci-dessous :\n"
                       "{link}\n\n"
                       "Vous pouvez aussi saisir ce code sur la borne : connectez-vous, choisissez "
                       "« MON COMPTE » puis « SAISIR LE CODE REÇU » :")
        else:
            action = _("Pour valider ce changement, cliquez sur le lien ci-dessous :\n"
                       "{link}\n\n"
                       "Vous pouvez aussi saisir ce code sur la borne : connectez-vous, choisissez "
                       "« MON COMPTE » puis « SAISIR LE CODE REÇU » :")
        action = action.format(link=link)
    elif first_address:
        action = _("Pour la valider, saisissez ce code sur la borne : connectez-vous, choisissez "
                   "« MON COMPTE » puis « SAISIR LE CODE REÇU » :")
    else:
        action = _("Pour valider ce changement, saisissez ce code sur la borne : connectez-vous, choisissez "
                   "« MON COMPTE » puis « SAISIR LE CODE REÇU » :")
    body = (
        intro + "\n\n"
        + action + "\n\n"
        + f"    {code}\n\n"
        + _validity(link is not None, lifetime_hours, "heure") + " "
        + _("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.") + "\n\n"
        + _closing()
    )
    return _build(
        sender,
        to,
        _("Message des services en ligne - Mise à jour de votre adresse mail"),
        body,
        when,
    )


def identifier_reminder_message(
    sender: Sender, to: str, *, identifier: str, when: datetime
) -> EmailMessage:
    """Mail reminding the account identifier linked to this address."""
    _check_single_line("identifier", identifier)
    body = (
        _("Bonjour,\n\n"
          "vous avez demandé le rappel de l'identifiant de votre compte de "
          "services en ligne de l'éducation nationale associé à cette adresse "
          "mail.") + "\n\n"
        + _("Votre identifiant est : {identifier}").format(identifier=identifier) + "\n\n"
        + _("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.") + "\n\n"
        + _closing()
    )
    return _build(
        sender,
        to,
        _("Message des services en ligne - Rappel de votre identifiant"),
        body,
        when,
    )


def password_reset_message(
    sender: Sender,
    to: str,
    *,
    reference: str,
    code: str,
    link: str | None,
    lifetime_minutes: int,
    when: datetime,
) -> EmailMessage:
    """Mail carrying the password-reset code (and optional link).

    The reference goes in the subject so that support staff and the user
    can match the mail with the request shown on the kiosk.
    """
    _check_single_line("reference", reference)
    _check_single_line("code", code)
    _check_positive("lifetime_minutes", lifetime_minutes)
    # The button of the accueil that leads to « MODIFIEZ VOTRE MOT DE PASSE ».
    if link is not None:
        _check_single_line("link", link)
        action = _("Bonjour,\n\n"
                   "pour réinitialiser votre mot de passe permettant d'accéder aux "
                   "services en ligne de l'éducation nationale, cliquez sur le lien ci-dessous :\n"
                   "{link}\n\n"
                   "Vous pouvez aussi saisir ce code sur la borne, avec le bouton "
                   "« J'ai reçu un code de réinitialisation » de l'accueil :").format(link=link)
    else:
        action = _("Bonjour,\n\n"
                   "pour réinitialiser votre mot de passe permettant d'accéder aux "
                   "services en ligne de l'éducation nationale, saisissez ce code sur la borne, avec le bouton "
                   "« J'ai reçu un code de réinitialisation » de l'accueil :")
    body = (
        action + "\n\n"
        + f"    {code}\n\n"
        + _validity(link is not None, lifetime_minutes, "minute") + " "
        + _("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste "
            "inchangé.") + "\n\n"
        + _closing()
    )
    return _build(
        sender,
        to,
        _("Demande de changement de mot de passe n° {reference}").format(reference=reference),
        body,
        when,
    )


def guardian_reset_message(
    sender: Sender,
    to: str,
    *,
    child: str,
    kiosk_id: str,
    reference: str,
    code: str,
    lifetime_minutes: int,
    when: datetime,
) -> EmailMessage:
    """Mail to a legal guardian carrying the reset code their child asked for, naming the
    child and the kiosk the request came from (so a request nobody made is noticed)."""
    for name, value in (("child", child), ("kiosk_id", kiosk_id), ("reference", reference), ("code", code)):
        _check_single_line(name, value)
    _check_positive("lifetime_minutes", lifetime_minutes)
    body = (
        _("Bonjour,\n\n"
          "{child} a oublié le mot de passe de son compte des services en ligne de l'éducation nationale "
          "et a demandé, sur la borne « {kiosk} » de l'établissement, que le code pour en choisir un "
          "nouveau vous soit envoyé, en tant que responsable légal :").format(child=child, kiosk=kiosk_id) + "\n\n"
        + f"    {code}\n\n"
        + _("Ce code se saisit sur la borne, avec le bouton « J'ai reçu un code de réinitialisation » de "
            "l'accueil.") + " "
        + _validity(False, lifetime_minutes, "minute") + " "
        + _("Ne le communiquez qu'à votre enfant, en personne. Si votre enfant n'a rien demandé, ignorez ce "
            "message et prévenez l'établissement : le mot de passe reste inchangé.") + "\n\n"
        + _closing()
    )
    subject = _("Code pour le compte de {child} (demande n° {reference})").format(child=child, reference=reference)
    return _build(sender, to, subject, body, when)


def change_notice_message(
    sender: Sender,
    to: str,
    *,
    change: Literal["password", "email"],
    when: datetime,
    local_time: datetime,
) -> EmailMessage:
    """Security notice sent after a password or e-mail change.

    ``local_time`` is printed as is (already converted to the school's
    time zone); ``when`` only feeds the Date header.
    """
    if change not in ("password", "email"):
        raise ValueError("change must be 'password' or 'email'")
    if not isinstance(local_time, datetime):
        raise TypeError("local_time must be a datetime")
    if change == "password":
        notice = _("Bonjour,\n\n"
                   "Votre mot de passe a été modifié le {date} à {time}. "
                   "Si vous n'êtes pas à l'origine de cette modification, contactez "
                   "votre établissement.")
    else:
        notice = _("Bonjour,\n\n"
                   "Votre adresse mail a été modifiée le {date} à {time}. "
                   "Si vous n'êtes pas à l'origine de cette modification, contactez "
                   "votre établissement.")
    body = (
        notice.format(date=f"{local_time:%d/%m/%Y}", time=f"{local_time:%H:%M}") + "\n\n"
        + _closing()
    )
    return _build(
        sender,
        to,
        _("Message des services en ligne - Modification de votre compte"),
        body,
        when,
    )
