"""The 13-digit reference of a forgotten-password request: staff find the request and its
student by the number a student reads out (service on SQLite and PostgreSQL, the real
``entkiosk request`` command, the staff console through the pilot)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code, student

from entkiosk.domain import errors
from entkiosk.mail import OutboxTransport
from entkiosk.service import AccountService, IssuedLetter

JULIE = "julie.baillet@example.org"


def flat(text: str) -> str:
    """Spaces of any kind (French typography's non-breaking ones) as one plain space."""
    return " ".join(text.split())


def _validated(service: AccountService, letter: IssuedLetter, outbox: OutboxTransport) -> None:
    token = activate(service, letter, email=JULIE)
    service.validate_email(last_code(outbox), token=token)


def spaced(reference: str) -> str:
    """As a student reads it out and staff type it: « n° 1425 047 142 092 »."""
    return f"n° {reference[:4]} {reference[4:7]} {reference[7:10]} {reference[10:]}"


# ------------------------------------------------------------ the service


def test_reference_is_typed_as_read_out():
    from entkiosk.domain.tokens import normalize_reference

    assert normalize_reference("1425047142092") == "1425047142092"
    assert normalize_reference(" N°1425-047-142-092 ") == "1425047142092"
    assert normalize_reference("n° 1425 047 142 092") == "1425047142092"
    for wrong in ("", "142504714209", "14250471420921", "1425O47142092", "abc"):
        assert normalize_reference(wrong) is None


def test_a_mailed_request_is_found_with_its_student_then_used(service, letter, outbox, clock):
    _validated(service, letter, outbox)
    clock.advance(minutes=5)
    reference = service.forgot_password(letter.identifier)
    found = service.find_reset_request(spaced(reference))
    assert (found.reference, found.state, found.state_label, found.mail) == (reference, "pending", "en cours", "sent")
    assert found.created_at == clock.now() and found.kiosk_id == "test-kiosk"
    assert found.identifier == letter.identifier
    assert found.student is not None and found.student.identifier == letter.identifier
    assert found.student.class_name == "2nde 1" and found.student.state == "ready"
    assert found.expires_at is not None and found.expires_at > clock.now()
    service.reset_password(letter.identifier, last_code(outbox), OTHER_PASSWORD, OTHER_PASSWORD)
    used = service.find_reset_request(reference)
    assert (used.state, used.state_label) == ("used", "utilisée")


def test_expired_and_voided_requests_say_so(service, letter, outbox, clock):
    _validated(service, letter, outbox)
    first = service.forgot_password(letter.identifier)
    clock.advance(minutes=service.settings.accounts.reset_code_minutes + 1)
    assert service.find_reset_request(first).state_label == "expirée"
    second = service.forgot_password(letter.identifier)
    third = service.forgot_password(letter.identifier)  # a newer request voids the older one
    assert service.find_reset_request(second).state_label == "annulée"
    assert service.find_reset_request(third).state_label == "en cours"
    service.staff_reset(letter.identifier, actor="cli:test")  # a staff reset voids pending codes
    assert service.find_reset_request(third).state_label == "annulée"


def test_requests_that_sent_no_mail_are_found_too(service, letter):
    unknown = service.forgot_password("personne.inconnue")
    found = service.find_reset_request(unknown)
    assert (found.state, found.mail, found.identifier, found.student) == ("void", "none", None, None)
    # An account without a validated address: no mail, but staff see whose request it was.
    activate(service, letter, password=GOOD_PASSWORD)
    without = service.find_reset_request(service.forgot_password(letter.identifier))
    assert (without.state, without.mail, without.identifier) == ("void", "none", letter.identifier)
    assert without.student is not None and without.student.last_name == "Baillet"


def test_a_request_whose_mail_failed_says_so(service, letter, outbox, clock, tmp_path):
    _validated(service, letter, outbox)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = AccountService(service.settings, service.engine, OutboxTransport(blocker / "outbox"),
                            clock=clock, hasher=service.hasher)
    reference = broken.forgot_password(letter.identifier)
    assert reference.mail_problem  # the kiosk said that no mail could leave
    found = broken.find_reset_request(reference)
    # No code was made, since none could be sent: nothing to complete.
    assert (found.state, found.mail) == ("void", "failed")
    assert "n'a pas pu être envoyé" in dict(found.rows(service.settings.timezone))["Mail"]


def test_unknown_or_malformed_references_are_refused_in_french(service, letter, outbox):
    _validated(service, letter, outbox)
    reference = service.forgot_password(letter.identifier)
    other = ("1" if reference[0] != "1" else "2") + reference[1:]
    with pytest.raises(errors.NotFound) as missing:
        service.find_reset_request(other)
    assert flat(str(missing.value)) == f"Aucune demande n'a le n° de référence {other}."
    with pytest.raises(errors.InvalidInput) as refused:
        service.find_reset_request("12345")
    assert list(refused.value.errors) == ["reference"]
    assert flat(refused.value.errors["reference"]) == "Un n° de référence compte 13 chiffres (par exemple 1425047142092)."


# ------------------------------------------------------------ the installed command


def entkiosk(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real installed ``entkiosk`` script of this virtual environment."""
    script = Path(sys.executable).parent / "entkiosk"
    assert script.exists(), f"entkiosk is not installed next to {sys.executable}"
    env = dict(os.environ, PYTHONUTF8="1", ENTKIOSK_CONFIG=str(conf), XDG_DATA_HOME=str(conf.parent / "xdg"))
    env.pop("ENTKIOSK_DEBUG", None)
    proc = subprocess.run([str(script), *args], capture_output=True, text=True, encoding="utf-8", env=env,
                          cwd=conf.parent, timeout=120)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_entkiosk_request_prints_the_request_and_its_student(service, outbox, clock, tmp_path):
    clock.set(datetime.now(UTC))  # the command reads the real clock: a request made now is still running
    letter = service.import_class_list([student()], actor="cli:test")[0]
    _validated(service, letter, outbox)
    reference = service.forgot_password(letter.identifier)
    conf = tmp_path / "kiosk.conf"
    conf.write_text(f'[database]\nurl = "{service.settings.database.url}"\n\n'
                    f'[mail]\noutbox = "{tmp_path / "outbox"}"\n', encoding="utf-8")
    proc = entkiosk(conf, "request", spaced(reference))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("N° de référence") and line.endswith(reference) for line in lines), proc.stdout
    assert any(line.startswith("État") and "en cours" in line for line in lines), proc.stdout
    assert any(line.startswith("Compte") and line.endswith(letter.identifier) for line in lines), proc.stdout
    assert any(line.startswith("Élève") and "Julie Baillet, 2nde 1" in line for line in lines), proc.stdout
    missing = entkiosk(conf, "request", "1000000000000")
    assert missing.returncode == 1
    assert flat(missing.stderr) == "Erreur : Aucune demande n'a le n° de référence 1000000000000."
    malformed = entkiosk(conf, "request", "12 34")
    assert malformed.returncode == 1 and "13 chiffres" in malformed.stderr


# ------------------------------------------------------------ the staff console


@pytest.fixture
def console(tmp_path: Path):
    """Pilot tests drive screens: one SQLite database, a fixed clock."""
    from conftest import START, make_settings

    from entkiosk.domain.clock import FixedClock
    from entkiosk.runtime import open_service

    settings = make_settings(f"sqlite:///{tmp_path / 'console.db'}", tmp_path,
                             letters={"folder": str(tmp_path / "courriers")})
    svc = open_service(settings, clock=FixedClock(START))
    svc.add_staff("prof.martin", "Craie7tableau26", "Craie7tableau26", actor="cli:install")
    yield svc
    svc.engine.dispose()


async def _retype(app, pilot, text: str) -> None:
    from ui_support import submit, tab_to, type_text

    field = await tab_to(app, pilot, "reference")
    field.value = ""
    await type_text(pilot, text)
    await submit(app, pilot)


async def test_console_finds_a_request_by_its_reference_and_opens_the_students_card(console, tmp_path):
    from test_ui_kiosk import log_in, to_login
    from ui_support import field_error, kiosk, shows, submit, tab_to

    from entkiosk.ui.screens.staff import StaffScreen
    from entkiosk.ui.screens.staff_request import RequestScreen
    from entkiosk.ui.screens.staff_student import StudentScreen

    outbox = OutboxTransport(console.settings.outbox_path())
    julie = console.import_class_list([student()], actor="cli:test")[0]
    _validated(console, julie, outbox)
    reference = console.forgot_password(julie.identifier)
    async with kiosk(console.settings, console, tmp_path) as (app, pilot):
        await to_login(app, pilot, staff=True)
        await log_in(app, pilot, "prof.martin", "Craie7tableau26")
        assert isinstance(app.screen, StaffScreen)

        await _retype(app, pilot, "12 345")
        assert isinstance(app.screen, StaffScreen)
        assert flat(field_error(app, "reference")) == "Un n° de référence compte 13 chiffres (par exemple 1425047142092)."
        await _retype(app, pilot, "1000000000000")
        assert isinstance(app.screen, StaffScreen)
        assert flat(field_error(app, "reference")) == "Aucune demande n'a le n° de référence 1000000000000."

        await _retype(app, pilot, spaced(reference))
        assert isinstance(app.screen, RequestScreen)
        assert shows(app, f"Demande de changement de mot de passe n° {reference}")
        assert shows(app, "01/09/2026 à 10:00 (poste test-kiosk)")
        assert shows(app, "en cours (code valable jusqu'au 01/09/2026 à 10:30)")
        assert shows(app, "envoyé à l'adresse mail validée du compte")
        assert shows(app, "Julie Baillet, 2nde 1")
        await submit(app, pilot)  # Entrée: « Fiche de l'élève » has the focus
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.student.identifier == julie.identifier
        assert shows(app, "Julie Baillet") and shows(app, julie.identifier)
        await submit(app, pilot, "escape")
        assert isinstance(app.screen, RequestScreen)
        assert shows(app, "en cours (code valable")

        # A reset from the card voids the request: back on it, it says so.
        await submit(app, pilot)
        await tab_to(app, pilot, "reset")
        await submit(app, pilot)
        await tab_to(app, pilot, "confirm")
        await submit(app, pilot)
        await submit(app, pilot)  # OK under the job's result
        assert isinstance(app.screen, RequestScreen)
        assert shows(app, "État annulée")
        assert app.focused is not None and app.focused.id == "student"
