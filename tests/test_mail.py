"""Tests of entkiosk.mail: French message builders, Maildir outbox and SMTP.

SMTP tests run against real aiosmtpd servers bound to 127.0.0.1.
"""

from __future__ import annotations

import email
import ipaddress
import logging
import mailbox
import os
import shutil
import socket
import ssl
import subprocess
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from entkiosk.mail import (
    MailDeliveryError,
    OutboxTransport,
    Sender,
    SmtpTransport,
    Transport,
    change_notice_message,
    email_validation_message,
    identifier_reminder_message,
    password_reset_message,
)

SENDER = Sender("Administrateur des services en ligne", "ne-pas-repondre@ac-exemple.fr")
TO = "eleve.dupre@example.fr"
WHEN = datetime(2025, 3, 5, 13, 7, 9, tzinfo=timezone.utc)
CODE = "483-921"
LINK = "https://ent.ac-exemple.fr/valider?jeton=abc123"

# --------------------------------------------------------------------------
# Expected bodies, written out in full
# --------------------------------------------------------------------------

VALIDATION_WITH_LINK = (
    "Bonjour,\n\n"
    "vous avez modifié votre adresse mail dans votre espace de services en ligne "
    "de l'éducation nationale.\n\n"
    "Pour valider ce changement, cliquez sur le lien ci-dessous :\n"
    f"{LINK}\n\n"
    "Vous pouvez aussi saisir ce code sur la borne : connectez-vous, choisissez « MON COMPTE » puis « SAISIR LE CODE REÇU » :\n\n"
    f"    {CODE}\n\n"
    "Ce lien et ce code sont valables 48 heures et ne servent qu'une fois. "
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n"
    "Cordialement,\n"
    "L'administrateur des services en ligne\n"
)

VALIDATION_NO_LINK = (
    "Bonjour,\n\n"
    "vous avez modifié votre adresse mail dans votre espace de services en ligne "
    "de l'éducation nationale.\n\n"
    "Pour valider ce changement, saisissez ce code "
    "sur la borne : connectez-vous, choisissez « MON COMPTE » puis « SAISIR LE CODE REÇU » :\n\n"
    f"    {CODE}\n\n"
    "Ce code est valable 48 heures et ne sert qu'une fois. "
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n"
    "Cordialement,\n"
    "L'administrateur des services en ligne\n"
)

REMINDER = (
    "Bonjour,\n\n"
    "vous avez demandé le rappel de l'identifiant de votre compte de services en "
    "ligne de l'éducation nationale associé à cette adresse mail.\n\n"
    "Votre identifiant est : e.dupre7\n\n"
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n"
    "Cordialement,\n"
    "L'administrateur des services en ligne\n"
)

RESET_WITH_LINK = (
    "Bonjour,\n\n"
    "pour réinitialiser votre mot de passe permettant d'accéder aux services en "
    "ligne de l'éducation nationale, cliquez sur le lien ci-dessous :\n"
    f"{LINK}\n\n"
    "Vous pouvez aussi saisir ce code sur la borne, avec le bouton « J'ai reçu un code de réinitialisation » de l'accueil :\n\n"
    f"    {CODE}\n\n"
    "Ce lien et ce code sont valables 30 minutes et ne servent qu'une fois. "
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : "
    "votre mot de passe reste inchangé.\n\n"
    "Cordialement,\n"
    "L'administrateur des services en ligne\n"
)

RESET_NO_LINK = (
    "Bonjour,\n\n"
    "pour réinitialiser votre mot de passe permettant d'accéder aux services en "
    "ligne de l'éducation nationale, saisissez ce code "
    "sur la borne, avec le bouton « J'ai reçu un code de réinitialisation » de l'accueil :\n\n"
    f"    {CODE}\n\n"
    "Ce code est valable 30 minutes et ne sert qu'une fois. "
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : "
    "votre mot de passe reste inchangé.\n\n"
    "Cordialement,\n"
    "L'administrateur des services en ligne\n"
)


def validation(**overrides: Any) -> EmailMessage:
    kwargs: dict[str, Any] = dict(code=CODE, link=LINK, lifetime_hours=48, when=WHEN)
    kwargs.update(overrides)
    to = kwargs.pop("to", TO)
    sender = kwargs.pop("sender", SENDER)
    return email_validation_message(sender, to, **kwargs)


def reset(**overrides: Any) -> EmailMessage:
    kwargs: dict[str, Any] = dict(
        reference="2025-000417", code=CODE, link=LINK, lifetime_minutes=30, when=WHEN
    )
    kwargs.update(overrides)
    return password_reset_message(SENDER, TO, **kwargs)


def reparse(msg: EmailMessage) -> EmailMessage:
    """Round-trip through bytes, as a mail client would see it."""
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------


def test_validation_with_link_exact_subject_and_body() -> None:
    msg = validation()
    assert msg["Subject"] == "Message des services en ligne - Mise à jour de votre adresse mail"
    assert msg.get_content() == VALIDATION_WITH_LINK
    assert reparse(msg).get_content() == VALIDATION_WITH_LINK


def test_validation_without_link_does_not_mention_a_link() -> None:
    msg = validation(link=None)
    body = msg.get_content()
    assert body == VALIDATION_NO_LINK
    assert "lien" not in body
    assert "aussi" not in body


def test_identifier_reminder() -> None:
    msg = identifier_reminder_message(SENDER, TO, identifier="e.dupre7", when=WHEN)
    assert msg["Subject"] == "Message des services en ligne - Rappel de votre identifiant"
    assert reparse(msg).get_content() == REMINDER


def test_password_reset_with_and_without_link() -> None:
    msg = reset()
    assert msg["Subject"] == "Demande de changement de mot de passe n° 2025-000417"
    assert reparse(msg)["Subject"] == "Demande de changement de mot de passe n° 2025-000417"
    assert reparse(msg).get_content() == RESET_WITH_LINK
    no_link = reset(link=None)
    assert no_link.get_content() == RESET_NO_LINK
    assert "lien" not in no_link.get_content()


def test_singular_lifetimes() -> None:
    assert "valables 1 heure et" in validation(lifetime_hours=1).get_content()
    assert "valable 1 minute et" in reset(link=None, lifetime_minutes=1).get_content()


@pytest.mark.parametrize("bad", [0, -3])
def test_non_positive_lifetime_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        validation(lifetime_hours=bad)
    with pytest.raises(ValueError):
        reset(lifetime_minutes=bad)


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ("password", "Votre mot de passe a été modifié le 05/03/2025 à 14:07."),
        ("email", "Votre adresse mail a été modifiée le 05/03/2025 à 14:07."),
    ],
)
def test_change_notice(change: Any, sentence: str) -> None:
    local = datetime(2025, 3, 5, 14, 7, 9, tzinfo=timezone(timedelta(hours=1)))
    msg = change_notice_message(SENDER, TO, change=change, when=WHEN, local_time=local)
    assert msg["Subject"] == "Message des services en ligne - Modification de votre compte"
    assert reparse(msg).get_content() == (
        "Bonjour,\n\n"
        f"{sentence} Si vous n'êtes pas à l'origine de cette modification, "
        "contactez votre établissement.\n\n"
        "Cordialement,\n"
        "L'administrateur des services en ligne\n"
    )
    # The Date header comes from `when`, not from the printed local time.
    assert msg["Date"] == format_datetime(WHEN)


def test_change_notice_unknown_kind() -> None:
    with pytest.raises(ValueError):
        change_notice_message(SENDER, TO, change="phone", when=WHEN, local_time=WHEN)  # type: ignore[arg-type]


def test_common_headers() -> None:
    for msg in (
        validation(),
        validation(link=None),
        reset(),
        identifier_reminder_message(SENDER, TO, identifier="x", when=WHEN),
        change_notice_message(SENDER, TO, change="email", when=WHEN, local_time=WHEN),
    ):
        parsed = reparse(msg)
        assert parsed["From"].addresses[0].display_name == "Administrateur des services en ligne"
        assert parsed["From"].addresses[0].addr_spec == "ne-pas-repondre@ac-exemple.fr"
        assert parsed["To"].addresses[0].addr_spec == TO
        assert parsed["Date"] == format_datetime(WHEN)
        assert parsed["Date"].datetime == WHEN
        assert parsed["Message-ID"].startswith("<")
        assert parsed["Message-ID"].endswith("@ac-exemple.fr>")
        assert parsed.get_content_type() == "text/plain"
        assert parsed.get_content_charset() == "utf-8"
        assert not parsed.is_multipart()


def test_message_ids_are_unique() -> None:
    assert validation()["Message-ID"] != validation()["Message-ID"]


def test_headers_are_ascii_and_non_ascii_names_encoded() -> None:
    sender = Sender("Équipe numérique – Académie", "ne-pas-repondre@ac-exemple.fr")
    msg = validation(sender=sender)
    raw = msg.as_bytes()
    head, _, body = raw.partition(b"\n\n")
    head.decode("ascii")  # RFC 2047 encoded words only
    body.decode("ascii")  # quoted-printable body: 7-bit clean
    assert b"=?utf-8?" in head
    parsed = reparse(msg)
    assert parsed["From"].addresses[0].display_name == "Équipe numérique – Académie"
    assert parsed["Subject"] == "Message des services en ligne - Mise à jour de votre adresse mail"


@pytest.mark.parametrize(
    "to",
    [
        "a@b.fr\r\nBcc: x@y.fr",
        "a@b.fr\nBcc: x@y.fr",
        "a@b.fr\rBcc: x@y.fr",
        "a@b.fr\x00",
        "a@b.fr\tx",
        "a@b.fr\x85",
    ],
)
def test_header_injection_in_recipient_refused(to: str) -> None:
    with pytest.raises(ValueError):
        validation(to=to)
    with pytest.raises(ValueError):
        identifier_reminder_message(SENDER, to, identifier="x", when=WHEN)
    with pytest.raises(ValueError):
        change_notice_message(SENDER, to, change="email", when=WHEN, local_time=WHEN)


@pytest.mark.parametrize(
    "to", ["", "pas-une-adresse", "a@b.fr, c@d.fr", "Jean <a@b.fr>", "@b.fr", "a@"]
)
def test_invalid_recipient_refused(to: str) -> None:
    with pytest.raises(ValueError):
        validation(to=to)


def test_header_injection_elsewhere_refused() -> None:
    with pytest.raises(ValueError):
        reset(reference="1\r\nBcc: x@y.fr")
    with pytest.raises(ValueError):
        validation(sender=Sender("Admin\r\nBcc: x@y.fr", "a@b.fr"))
    with pytest.raises(ValueError):
        validation(sender=Sender("Admin", "a@b.fr\r\nBcc: x@y.fr"))
    with pytest.raises(ValueError):
        validation(link="https://x/\r\nBcc: x@y.fr")


def test_code_with_newline_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as info:
        validation(code="SECRET\n42")
    assert "SECRET" not in str(info.value)


def test_naive_date_refused() -> None:
    with pytest.raises(ValueError):
        validation(when=datetime(2025, 3, 5, 13, 7))


# --------------------------------------------------------------------------
# Maildir outbox
# --------------------------------------------------------------------------


def test_outbox_round_trip(tmp_path: Path) -> None:
    outbox_dir = tmp_path / "outbox"
    outbox = OutboxTransport(outbox_dir)
    transport: Transport = outbox  # structural typing check
    transport.send(validation())
    transport.send(reset(when=WHEN + timedelta(minutes=1)))

    for sub in ("cur", "new", "tmp"):
        assert (outbox_dir / sub).is_dir()
    assert len(os.listdir(outbox_dir / "new")) == 2
    assert len(mailbox.Maildir(outbox_dir, create=False)) == 2

    first, second = outbox.entries()
    assert first.subject == "Message des services en ligne - Mise à jour de votre adresse mail"
    assert first.body == VALIDATION_WITH_LINK
    assert first.to == TO
    assert first.date == WHEN
    assert second.subject == "Demande de changement de mot de passe n° 2025-000417"
    assert second.body == RESET_WITH_LINK
    assert second.date == WHEN + timedelta(minutes=1)
    assert first.key != second.key


def test_outbox_lists_oldest_first(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path / "outbox")
    # Same Date header for all: order must come from delivery order.
    for n in range(8):
        outbox.send(reset(reference=f"REF-{n}"))
    subjects = [e.subject for e in outbox.entries()]
    assert subjects == [f"Demande de changement de mot de passe n° REF-{n}" for n in range(8)]
    # A fresh transport on the same folder sees the same order.
    assert [e.subject for e in OutboxTransport(tmp_path / "outbox").entries()] == subjects


def test_outbox_accepts_foreign_mail(tmp_path: Path) -> None:
    outbox_dir = tmp_path / "outbox"
    outbox = OutboxTransport(outbox_dir)
    outbox.send(validation())
    foreign = outbox_dir / "new" / "1.foreign-mta"
    foreign.write_bytes(
        b"To: prof@example.fr\nSubject: =?utf-8?q?D=C3=A9j=C3=A0?=\n"
        b"Content-Type: text/plain; charset=latin-1\n"
        b"Content-Transfer-Encoding: 8bit\n\n\xe9t\xe9\n"
    )
    os.utime(foreign, (1_000_000, 1_000_000))  # delivered long ago
    entries = outbox.entries()
    assert [e.key for e in entries][0] == "1.foreign-mta"
    assert entries[0].date is None
    assert entries[0].subject == "Déjà"
    assert entries[0].body == "été\n"
    assert entries[1].body == VALIDATION_WITH_LINK


def test_outbox_missing_folder_lists_empty(tmp_path: Path) -> None:
    outbox_dir = tmp_path / "nope"
    assert OutboxTransport(outbox_dir).entries() == []
    assert not outbox_dir.exists()


def test_outbox_unwritable_folder(tmp_path: Path) -> None:
    regular_file = tmp_path / "plain.txt"
    regular_file.write_text("x")
    outbox = OutboxTransport(regular_file / "outbox")
    with pytest.raises(MailDeliveryError) as info:
        outbox.send(validation())
    text = str(info.value)
    # The student reads that mail cannot leave, without the server's paths; staff and the
    # log read the folder and why.
    assert "dossier d'envoi" in text and "/" not in text and "plain.txt" not in text
    assert "réessayez plus tard" in text
    assert str(regular_file / "outbox") in info.value.detail
    assert "un élément du chemin n'est pas un dossier" in info.value.detail
    assert CODE not in text and CODE not in info.value.reason and CODE not in info.value.detail
    assert "maildir" in info.value.reason
    assert outbox.entries() == []


@pytest.mark.parametrize("missing", [("tmp", "new", "cur"), ("tmp",), ("new",), ("cur",), ("new", "cur")])
def test_outbox_repairs_a_folder_that_is_not_yet_a_maildir(tmp_path: Path, missing: tuple[str, ...]) -> None:
    """An outbox folder that exists (made by hand, by an older start-up check, or a
    sub-folder deleted meanwhile) is completed into a Maildir by the next send."""
    outbox_dir = tmp_path / "outbox"
    for sub in ("tmp", "new", "cur"):
        if sub not in missing:
            (outbox_dir / sub).mkdir(parents=True)
    outbox_dir.mkdir(exist_ok=True)
    outbox = OutboxTransport(outbox_dir)
    outbox.send(validation())
    assert all((outbox_dir / sub).is_dir() for sub in ("tmp", "new", "cur"))
    assert [e.body for e in outbox.entries()] == [VALIDATION_WITH_LINK]
    # Deleted while the kiosk runs: the same transport repairs it again.
    import shutil
    shutil.rmtree(outbox_dir / "new")
    outbox.send(validation())
    assert [e.body for e in OutboxTransport(outbox_dir).entries()] == [VALIDATION_WITH_LINK]


def test_outbox_check_sends_nothing_and_leaves_a_maildir(tmp_path: Path) -> None:
    outbox_dir = tmp_path / "outbox"
    outbox_dir.mkdir()
    OutboxTransport(outbox_dir).check()
    assert sorted(p.name for p in outbox_dir.iterdir()) == ["cur", "new", "tmp"]
    assert OutboxTransport(outbox_dir).entries() == []
    assert not any((outbox_dir / "tmp").iterdir())



# --------------------------------------------------------------------------
# SMTP helpers
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool


@dataclass
class Collector:
    """aiosmtpd handler keeping every accepted envelope."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Like a local delivery agent: wire CRLF back to Unix line endings.
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        msg = email.message_from_bytes(raw, policy=policy.default)
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg, tls))
        return "250 Message accepted for delivery"


class RefusingCollector(Collector):
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        return "550 5.1.1 Destinataire inconnu"


GOOD_USER = "borne-cdi"
GOOD_PASSWORD = "Tr3s-S3cret!Mot"
BAD_PASSWORD = "MauvaisMotDePasse-4271"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == GOOD_USER.encode()
        and auth_data.password == GOOD_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def run_server() -> Iterator[Any]:
    """Start aiosmtpd controllers on 127.0.0.1 and stop them afterwards."""
    controllers: list[Controller] = []

    def start(handler: Any, **kwargs: Any) -> int:
        port = free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, ready_timeout=5, **kwargs
        )
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def assert_no_secret(err: MailDeliveryError, *secrets: str) -> None:
    rendered = "".join(traceback.format_exception(err))
    for secret in secrets:
        assert secret not in str(err)
        assert secret not in err.reason
        assert secret not in rendered


# --------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------


def test_smtp_delivers(run_server: Any) -> None:
    handler = Collector()
    port = run_server(handler)
    SmtpTransport("127.0.0.1", port, security="none", timeout=5).send(validation())

    (got,) = handler.received
    assert got.rcpt_tos == [TO]
    assert got.mail_from == "ne-pas-repondre@ac-exemple.fr"
    assert got.tls is False
    sender = got.message["From"].addresses[0]
    assert sender.display_name == "Administrateur des services en ligne"
    assert got.message["Subject"] == "Message des services en ligne - Mise à jour de votre adresse mail"
    body = got.message.get_content()
    assert f"    {CODE}\n" in body
    assert body == VALIDATION_WITH_LINK


def test_smtp_auth_good_credentials(run_server: Any) -> None:
    handler = Collector()
    port = run_server(handler, authenticator=authenticator, auth_require_tls=False)
    transport = SmtpTransport(
        "127.0.0.1", port, security="none", username=GOOD_USER, password=GOOD_PASSWORD, timeout=5
    )
    assert GOOD_PASSWORD not in repr(transport)
    transport.send(reset())
    (got,) = handler.received
    assert got.message["Subject"] == "Demande de changement de mot de passe n° 2025-000417"


def test_smtp_auth_bad_credentials(run_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    handler = Collector()
    port = run_server(handler, authenticator=authenticator, auth_require_tls=False)
    transport = SmtpTransport(
        "127.0.0.1", port, security="none", username=GOOD_USER, password=BAD_PASSWORD, timeout=5
    )
    with pytest.raises(MailDeliveryError) as info:
        transport.send(reset())
    assert "authentification refusée" in str(info.value)
    assert "login" in info.value.reason
    assert_no_secret(info.value, BAD_PASSWORD, CODE)
    assert BAD_PASSWORD not in caplog.text
    assert handler.received == []


def test_smtp_recipient_refused(run_server: Any) -> None:
    handler = RefusingCollector()
    port = run_server(handler)
    with pytest.raises(MailDeliveryError) as info:
        SmtpTransport("127.0.0.1", port, security="none", timeout=5).send(validation())
    assert "a refusé le message" in str(info.value)
    assert "550" in info.value.reason
    assert_no_secret(info.value, CODE)
    assert TO not in str(info.value) and TO not in info.value.reason
    assert handler.received == []


def test_smtp_nothing_listening() -> None:
    port = free_port()  # bound then released: nothing listens there now
    with pytest.raises(MailDeliveryError) as info:
        SmtpTransport("127.0.0.1", port, security="none", timeout=2).send(validation())
    assert "injoignable" in str(info.value)
    assert "réessayez plus tard" in str(info.value)


def test_smtp_silent_server_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # the kernel completes the handshake; we never greet
        port = listener.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(MailDeliveryError) as info:
            SmtpTransport("127.0.0.1", port, security="none", timeout=0.5).send(validation())
        assert time.monotonic() - start < 3
    assert "délai dépassé" in str(info.value)
    assert "timeout" in info.value.reason


def test_smtp_starttls_not_offered(run_server: Any) -> None:
    port = run_server(Collector())
    with pytest.raises(MailDeliveryError) as info:
        SmtpTransport("127.0.0.1", port, security="starttls", timeout=5).send(validation())
    assert "connexion sécurisée" in str(info.value)
    assert "starttls" in info.value.reason


def test_transport_argument_checks() -> None:
    with pytest.raises(ValueError):
        SmtpTransport("127.0.0.1", 25, security="tls")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SmtpTransport("127.0.0.1", 25, username="u")
    with pytest.raises(ValueError):
        SmtpTransport("127.0.0.1", 0)


# --------------------------------------------------------------------------
# TLS (self-signed certificate generated on the fly)
# --------------------------------------------------------------------------


def _self_signed_with_cryptography(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _self_signed_with_openssl(cert: Path, key: Path) -> None:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=20,
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Self-signed cert for 127.0.0.1: cryptography if present, else openssl."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        import cryptography  # noqa: F401
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl tool is available")
        try:
            _self_signed_with_openssl(cert, key)
        except (OSError, subprocess.SubprocessError):
            pytest.skip("openssl could not generate a self-signed certificate")
    else:
        _self_signed_with_cryptography(cert, key)
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_smtp_starttls(run_server: Any, certificate: tuple[Path, Path]) -> None:
    handler = Collector()
    port = run_server(
        handler,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,  # AUTH over TLS only (aiosmtpd default)
    )
    client_context = ssl.create_default_context(cafile=str(certificate[0]))
    SmtpTransport(
        "127.0.0.1",
        port,
        security="starttls",
        username=GOOD_USER,
        password=GOOD_PASSWORD,
        timeout=5,
        ssl_context=client_context,
    ).send(validation())
    (got,) = handler.received
    assert got.tls is True
    assert got.message.get_content() == VALIDATION_WITH_LINK


def test_smtp_starttls_untrusted_certificate(run_server: Any, certificate: tuple[Path, Path]) -> None:
    handler = Collector()
    port = run_server(handler, tls_context=_server_context(certificate), require_starttls=True)
    with pytest.raises(MailDeliveryError) as info:
        # Default context: the self-signed certificate is not trusted.
        SmtpTransport("127.0.0.1", port, security="starttls", timeout=5).send(validation())
    assert "connexion sécurisée" in str(info.value)
    assert handler.received == []


def test_smtp_implicit_tls(run_server: Any, certificate: tuple[Path, Path]) -> None:
    handler = Collector()
    port = run_server(handler, ssl_context=_server_context(certificate))
    client_context = ssl.create_default_context(cafile=str(certificate[0]))
    SmtpTransport(
        "127.0.0.1", port, security="ssl", timeout=5, ssl_context=client_context
    ).send(identifier_reminder_message(SENDER, TO, identifier="e.dupre7", when=WHEN))
    (got,) = handler.received
    assert got.tls is True
    assert got.message.get_content() == REMINDER
