"""Outgoing e-mail: message builders and delivery transports."""

from entkiosk.mail.messages import (
    Sender,
    change_notice_message,
    email_validation_message,
    identifier_reminder_message,
    password_reset_message,
    guardian_reset_message,
)
from entkiosk.mail.transports import (
    MailDeliveryError,
    OutboxEntry,
    OutboxTransport,
    SmtpTransport,
    Transport,
)

__all__ = [
    "MailDeliveryError",
    "OutboxEntry",
    "OutboxTransport",
    "Sender",
    "SmtpTransport",
    "Transport",
    "change_notice_message",
    "email_validation_message",
    "identifier_reminder_message",
    "password_reset_message",
    "guardian_reset_message",
]
