"""The outbox folder missing, read-only or full, as a student and as staff meet it.

Students read one coherent page (no sentence that assumes a mail was received, no server
path); the account is in the state the page says; nothing is lost: once the folder works
again, « RENVOYER UN EMAIL DE VALIDATION » or a new request delivers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, make_settings, student
from sqlalchemy import select
from test_ui_activation import accept_charter, fill_first_connection, log_in, to_login
from test_ui_recovery import open_from_welcome
from ui_support import kiosk, screen_content, settle, submit, tab_to, type_text

from entkiosk.config import ConfigError
from entkiosk.mail import OutboxTransport
from entkiosk.runtime import check_files, open_service
from entkiosk.store.models import Account, AuditEvent, ResetRequest
from entkiosk.ui.screens.message import MessageScreen
from entkiosk.ui.screens.profile import ProfileScreen

ADDRESS = "julie@example.org"


class BrokenOutbox:
    """A Maildir folder made unusable in one of the ways a lab machine breaks it, and mended."""

    def __init__(self, path: Path, fault: str) -> None:
        self.path, self.fault = path, fault
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)

    def break_(self) -> None:
        if self.fault == "read-only":
            # Root ignores modes: an immutable folder refuses root too.
            for sub in ("tmp", "new"):
                subprocess.run(["chattr", "+i", str(self.path / sub)], check=True)
        elif self.fault == "full":
            fd = os.open(self.path / "remplissage", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass  # ENOSPC: the disk is full
            finally:
                os.close(fd)

    def mend(self) -> None:
        if self.fault == "read-only":
            for sub in ("tmp", "new"):
                subprocess.run(["chattr", "-i", str(self.path / sub)], check=True)
        elif self.fault == "full":
            (self.path / "remplissage").unlink()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


@pytest.fixture(params=["read-only", "full"])
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokenOutbox]:
    """``read-only``: tmp/ and new/ immutable (chattr); ``full``: a 256 KiB tmpfs filled up."""
    folder = tmp_path / "envoi"
    mounted = False
    if request.param == "full":
        folder.mkdir()
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(folder)],
                               capture_output=True, text=True)
        if mount.returncode != 0:
            if os.environ.get("CI"):
                pytest.fail(f"CI runs as root and must mount a small tmpfs: {mount.stderr}")
            pytest.skip(f"a full disk needs a tmpfs mount (root): {mount.stderr.strip()}")
        mounted = True
    elif shutil.which("chattr") is None:
        pytest.fail("chattr (e2fsprogs) is needed to make a folder read-only for root")
    outbox = BrokenOutbox(folder, request.param)
    try:
        yield outbox
    finally:
        outbox.mend() if request.param == "read-only" else None
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def service_on(db_url: str, tmp_path: Path, outbox: Path):
    settings = make_settings(db_url, tmp_path, mail={"outbox": str(outbox)})
    return settings, open_service(settings)


def assert_no_path(content: str, outbox: Path) -> None:
    assert str(outbox) not in content and "envoi/" not in content and "/tmp" not in content, content


async def test_first_connection_with_a_broken_outbox_reads_right_and_loses_nothing(db_url, tmp_path, broken):
    settings, svc = service_on(db_url, tmp_path, broken.path)
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    broken.break_()
    async with kiosk(settings, svc, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        await fill_first_connection(app, pilot, email=ADDRESS)
        assert isinstance(app.screen, MessageScreen)
        content = screen_content(app)
        assert "Compte activé, adresse mail en attente" in content
        assert "Le mail n'a pas pu être envoyé (dossier d'envoi des mails inutilisable)." in content
        assert "« RENVOYER UN MAIL DE VALIDATION »" in content
        assert "ouvrez maintenant le mail" not in content and "venez de recevoir" not in content
        assert_no_path(content, broken.path)
        with svc.core.tx() as s:
            account = s.scalar(select(Account).where(Account.identifier == letter.identifier))
            assert (account.state, account.email, account.pending_email) == ("active", None, ADDRESS)
            failed = s.scalars(select(AuditEvent).where(AuditEvent.event == "mail.failed")).all()
            assert [e.identifier for e in failed] == [letter.identifier]

        # The folder mended, RENVOYER in MON COMPTE delivers at once (nothing left waiting a minute).
        await submit(app, pilot)
        await accept_charter(app, pilot)
        broken.mend()
        await tab_to(app, pilot, "account")
        await submit(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        await tab_to(app, pilot, "resend")
        await submit(app, pilot)
        await settle(app, pilot)
        assert "Le mail a été envoyé" in screen_content(app)
    [mail] = OutboxTransport(broken.path).entries()
    assert mail.to == ADDRESS


async def test_forgotten_password_with_a_broken_outbox_says_so_alike_for_everyone(db_url, tmp_path, broken):
    """Known identifier with a validated address, or unknown: the same page, which says that
    no mail can leave now (a fact about the kiosk, not the account); the known one's request
    is kept as ``mail_failed`` for staff, and a new request once mended is mailed."""
    settings, svc = service_on(db_url, tmp_path, broken.path)
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    token = svc.authenticate(letter.identifier, letter.provisional_password).token
    svc.first_connection(token, birth_date="14/03/2010", new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD,
                         email=ADDRESS, confirm_email=ADDRESS)
    svc.accept_charter(token, svc.settings.charter.version)
    body = OutboxTransport(broken.path).entries()[-1].body
    svc.validate_email(re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b", body).group(0), token=token)
    svc.logout(token)
    broken.break_()
    pages = {}
    async with kiosk(settings, svc, tmp_path) as (app, pilot):
        for identifier in (letter.identifier, "personne.inconnue"):
            await open_from_welcome(app, pilot, "forgot-password")
            await type_text(pilot, identifier)
            await submit(app, pilot)
            assert isinstance(app.screen, MessageScreen)
            content = screen_content(app)
            reference = re.search(r"n°\s(\d{13})", content).group(1)
            pages[identifier] = content.replace(reference, "REF")
            assert "Aucun mail ne peut partir pour le moment" in content
            assert "va vous être envoyé" not in content
            assert_no_path(content, broken.path)
            await submit(app, pilot)
            await settle(app, pilot)
    assert pages[letter.identifier] == pages["personne.inconnue"]
    with svc.core.tx() as s:
        statuses = [r.status for r in s.scalars(select(ResetRequest).order_by(ResetRequest.id))]
    assert statuses == ["mail_failed", "void"]
    broken.mend()
    reference = svc.forgot_password(letter.identifier)
    assert reference.mail_problem is None
    assert OutboxTransport(broken.path).entries()[-1].subject.endswith(reference)


def test_the_start_up_check_names_the_folder_to_staff(db_url, tmp_path, broken):
    """Staff starting the kiosk read which folder and why, in French, before any student does."""
    settings = make_settings(db_url, tmp_path, mail={"outbox": str(broken.path)})
    broken.break_()
    with pytest.raises(ConfigError) as info:
        check_files(settings)
    message = str(info.value)
    assert str(broken.path) in message and "clé « mail.outbox »" in message
    assert ("disque plein" if broken.fault == "full" else "opération non permise") in message, message


def test_a_missing_outbox_folder_is_made_again(db_url, tmp_path):
    """Deleted while the kiosk runs (a clean-up script): the next mail makes it again."""
    folder = tmp_path / "envoi"
    settings, svc = service_on(db_url, tmp_path, folder)
    check_files(settings)
    shutil.rmtree(folder)
    letter = svc.import_class_list([student()], actor="cli:test")[0]
    token = svc.authenticate(letter.identifier, letter.provisional_password).token
    outcome = svc.first_connection(token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                   confirm_password=GOOD_PASSWORD, email=ADDRESS, confirm_email=ADDRESS)
    assert outcome.mail_problem is None
    assert [m.to for m in OutboxTransport(folder).entries()] == [ADDRESS]
