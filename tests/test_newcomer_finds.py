"""What a newcomer must find (issue 12, point 6): the demo's staff account, F2's ways in,
the staff password rule said first, a print confirmation that says what Entrée does,
and the identifier « Ajouter un élève » will create, before anything is written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import START, make_settings, student

from entkiosk.domain import errors
from entkiosk.domain.clock import FixedClock
from entkiosk.domain.passwords import STAFF_MAX_LENGTH, STAFF_MIN_LENGTH, policy_problem
from entkiosk.runtime import open_service
from entkiosk.service import AccountService

STAFF_LINE = re.compile(r"identifiant (\S+) et le mot de passe (\S+)")


def flat(text: str) -> str:
    """Spaces of any kind (French typography's non-breaking ones) as one plain space."""
    return " ".join(text.split())


def entkiosk(cwd: Path, *args: str, conf: Path | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The real installed ``entkiosk`` script of this virtual environment."""
    script = Path(sys.executable).parent / "entkiosk"
    assert script.exists(), f"entkiosk is not installed next to {sys.executable}"
    env = dict(os.environ, PYTHONUTF8="1", XDG_DATA_HOME=str(cwd / "xdg"), HOME=str(cwd))
    env.pop("ENTKIOSK_DEBUG", None)
    env.pop("ENTKIOSK_CONFIG", None)
    if conf is not None:
        env["ENTKIOSK_CONFIG"] = str(conf)
    proc = subprocess.run([str(script), *args], capture_output=True, text=True, encoding="utf-8", env=env,
                          cwd=cwd, input=stdin, timeout=180)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def demo_service(folder: Path) -> AccountService:
    from entkiosk.config import load_settings

    return open_service(load_settings(folder / "kiosk.conf"))


# ------------------------------------------------------------ the command line


def test_demo_creates_a_staff_account_and_prints_how_to_reach_the_console(tmp_path):
    folder = tmp_path / "demo"
    first = entkiosk(tmp_path, "demo", "--print", "--dir", str(folder))
    assert first.returncode == 0, first.stderr
    text = flat(first.stdout)
    assert "Console du personnel : « Se connecter », puis « Lycées et collèges » et « Personnel de " \
           "l'Éducation Nationale »" in text
    identifier, password = STAFF_LINE.search(text).groups()
    assert identifier == "prof.demo"
    assert policy_problem(password, identifier=identifier, min_length=STAFF_MIN_LENGTH,
                          max_length=STAFF_MAX_LENGTH) is None
    service = demo_service(folder)
    try:
        assert service.authenticate(identifier, password, kind="staff").kind == "staff"
        # Run again on the same folder: a new random password, the old one stops working.
        again = entkiosk(tmp_path, "demo", "--print", "--dir", str(folder))
        assert again.returncode == 0, again.stderr
        _, second = STAFF_LINE.search(flat(again.stdout)).groups()
        assert second != password
        assert service.authenticate(identifier, second, kind="staff").kind == "staff"
        with pytest.raises(errors.AuthenticationFailed):
            service.authenticate(identifier, password, kind="staff")
    finally:
        service.engine.dispose()


def test_staff_add_states_the_password_rule_before_asking(tmp_path):
    conf = tmp_path / "kiosk.conf"
    conf.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "k.db"}"\n\n[mail]\noutbox = "{tmp_path / "o"}"\n',
                    encoding="utf-8")
    proc = entkiosk(tmp_path, "staff", "add", "prof.martin", "--role", "direction", conf=conf, stdin="Court1ab\nCourt1ab\n")
    assert proc.returncode == 1
    assert flat(proc.stdout.splitlines()[0]) == (
        "Le mot de passe du personnel doit comporter entre 12 et 64 caractères, dont au moins un chiffre et une "
        "lettre ; il doit être différent de l'identifiant et ne pas être un mot de passe courant.")
    assert "trop court" in proc.stderr


# ------------------------------------------------------------ the kiosk


@pytest.fixture
def lab(tmp_path: Path):
    """Pilot tests drive screens: one SQLite database, a fixed clock."""
    settings = make_settings(f"sqlite:///{tmp_path / 'kiosk.db'}", tmp_path,
                             letters={"folder": str(tmp_path / "courriers")})
    svc = open_service(settings, clock=FixedClock(START))
    yield svc
    svc.engine.dispose()


DEMO_STAFF = ("prof.demo", "Kp7w-Qm3r-Xt8v")


async def test_f2_shows_the_staff_account_and_opens_both_logins(lab, tmp_path):
    service = lab
    from textual.widgets import Input
    from ui_support import settle, shows, submit, tab_to

    from entkiosk.ui.app import make_app
    from entkiosk.ui.screens.demo import DemoLettersScreen
    from entkiosk.ui.screens.first_connection import FirstConnectionScreen
    from entkiosk.ui.screens.login import LoginScreen
    from entkiosk.ui.screens.staff import StaffScreen

    service.add_staff(*DEMO_STAFF, DEMO_STAFF[1], actor="cli:demo")
    letters = service.import_class_list([student(), student("Zoé", "N'Diaye", line=3)], actor="cli:demo")
    app = make_app(service.settings, service, blink=False, state_path=tmp_path / "state.json",
                   demo_letters=letters, demo_staff=DEMO_STAFF)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await submit(app, pilot, "f2")
        assert isinstance(app.screen, DemoLettersScreen)
        assert shows(app, "Console du personnel : « Se connecter », profil « Personnel de l'Éducation Nationale », "
                          "identifiant prof.demo, mot de passe Kp7w-Qm3r-Xt8v")
        # « Choisissez un élève » works: Entrée on Zoé's row, her login is typed in.
        await pilot.press("down")
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen) and not app.screen.staff
        assert app.screen.query_one("#identifier", Input).value == "zoe.n-diaye"
        assert shows(app, "Zoé N'Diaye, né(e) le 14/03/2010")
        await submit(app, pilot)  # VALIDER has the focus
        assert isinstance(app.screen, FirstConnectionScreen)
        assert app.session is not None and app.session.identifier == "zoe.n-diaye"

        app.end_session()
        await settle(app, pilot)
        await submit(app, pilot, "f2")
        await tab_to(app, pilot, "staff")
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen) and app.screen.staff
        await submit(app, pilot)
        assert isinstance(app.screen, StaffScreen)
        assert app.session is not None and app.session.kind == "staff"


async def test_f2_without_a_staff_account_still_opens_a_students_login(lab, tmp_path):
    """A kiosk given letters but no staff account (an older demo folder): no console button
    or line, and « Choisissez un élève » still works."""
    from textual.widgets import Input
    from ui_support import kiosk, submit

    from entkiosk.ui.screens.login import LoginScreen

    service = lab
    letters = service.import_class_list([student()], actor="cli:demo")
    async with kiosk(service.settings, service, tmp_path, demo_letters=letters) as (app, pilot):
        await submit(app, pilot, "f2")
        assert not app.screen.query("#staff") and not app.screen.query("#demo-staff")
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen) and not app.screen.staff
        assert app.screen.query_one("#identifier", Input).value == "julie.baillet"
        assert app.screen.query_one("#password", Input).value == letters[0].provisional_password


async def test_a_refused_login_from_f2_puts_the_cursor_in_the_password(lab, tmp_path):
    """The letter shown by F2 no longer works (new letters printed from the command line):
    VALIDER had the focus, the refusal empties the password and the cursor goes there, so
    what the pupil types next lands in it."""
    from textual.widgets import Input
    from ui_support import kiosk, settle, shows, submit, type_text

    from entkiosk.ui.screens.login import LoginScreen

    service = lab
    letters = service.import_class_list([student()], actor="cli:demo")
    service.issue_letters(class_name="2nde 1", actor="cli:t")  # the letter F2 knows is void
    async with kiosk(service.settings, service, tmp_path, demo_letters=letters) as (app, pilot):
        await submit(app, pilot, "f2")
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen) and app.focused is not None and app.focused.id == "validate"
        await submit(app, pilot)
        assert shows(app, "Identifiant ou mot de passe incorrect.")
        assert app.focused is not None and app.focused.id == "password"
        await type_text(pilot, "abc")
        await settle(app, pilot)
        assert app.screen.query_one("#password", Input).value == "abc"


STAFF = ("prof.martin", "Craie7tableau26")


async def _console(app, pilot, service: AccountService) -> None:
    from test_ui_kiosk import log_in, to_login

    from entkiosk.ui.screens.staff import StaffScreen

    await to_login(app, pilot, staff=True)
    await log_in(app, pilot, *STAFF)
    assert isinstance(app.screen, StaffScreen)


async def test_print_confirmation_says_what_entree_does(lab, tmp_path):
    service = lab
    from ui_support import kiosk, settle, submit, tab_to
    from entkiosk.ui.screens.staff_actions import ConfirmScreen, JobScreen
    from entkiosk.ui.screens.staff_class import ClassScreen

    service.add_staff(*STAFF, STAFF[1], actor="cli:install")
    service.import_class_list([student()], actor="cli:test")
    folder = Path(service.settings.letters.folder)
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        await _console(app, pilot, service)
        await submit(app, pilot)  # Entrée: the class under the cursor
        assert isinstance(app.screen, ClassScreen)
        await tab_to(app, pilot, "letters")
        await submit(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)

        def hint() -> str:
            return flat(str(app.screen.query_one("#confirm-hint").render()))

        assert hint() == "Entrée : ANNULER, rien ne change. Pour IMPRIMER : Tab, puis Entrée."
        await submit(app, pilot)  # Entrée as the hint says: nothing printed
        assert isinstance(app.screen, ClassScreen)
        assert not folder.exists() or not any(folder.iterdir())

        await tab_to(app, pilot, "letters")
        await submit(app, pilot)
        await pilot.press("tab")
        await settle(app, pilot)
        assert app.focused is not None and app.focused.id == "confirm"
        assert hint() == "Entrée : IMPRIMER. Échap : ANNULER."
        await submit(app, pilot)
        assert isinstance(app.screen, JobScreen)
        assert len(list(folder.glob("*.pdf"))) == 1


async def test_f2_shows_the_letters_staff_printed_since(lab, tmp_path):
    """In the demo, staff print the class's letters again: F2 shows the new provisional
    passwords (the old ones no longer work), and Entrée on a pupil logs in with the new one.
    The confirmation says how many letters it will print."""
    from ui_support import settle, shows, submit, tab_to

    from entkiosk.ui.app import make_app
    from entkiosk.ui.screens.first_connection import FirstConnectionScreen
    from entkiosk.ui.screens.staff_actions import ConfirmScreen, JobScreen
    from entkiosk.ui.screens.staff_class import ClassScreen

    service = lab
    service.add_staff(*STAFF, STAFF[1], actor="cli:install")
    letters = service.import_class_list([student(), student("Zoé", "N'Diaye", line=3)], actor="cli:demo")
    app = make_app(service.settings, service, blink=False, state_path=tmp_path / "state.json", demo_letters=letters)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await _console(app, pilot, service)
        await submit(app, pilot)
        assert isinstance(app.screen, ClassScreen)
        await tab_to(app, pilot, "letters")
        await submit(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert shows(app, "2 courriers à imprimer, un par compte pas encore activé.")
        await pilot.press("tab")
        await submit(app, pilot)
        assert isinstance(app.screen, JobScreen)
        await submit(app, pilot)  # OK
        new = {letter.identifier: letter.provisional_password for letter in app.demo_letters}
        assert new.keys() == {"julie.baillet", "zoe.n-diaye"}
        assert all(new[old.identifier] != old.provisional_password for old in letters)
        app.end_session()
        await settle(app, pilot)
        await submit(app, pilot, "f2")
        assert shows(app, new["julie.baillet"])
        await submit(app, pilot)  # Entrée on Julie: her login with the new password
        await submit(app, pilot)
        assert isinstance(app.screen, FirstConnectionScreen)


# ------------------------------------------------------------ « Ajouter un élève »: the identifier first


def test_preview_identifier_follows_the_homonym_rule_of_a_creation(service):
    """On SQLite and PostgreSQL: the preview is what the creation then makes."""
    staff = service.add_staff(*STAFF, STAFF[1], actor="cli:install")
    token = service.authenticate(staff, STAFF[1], kind="staff").token
    before = service.audit_events()
    assert service.preview_identifier(token, first_name="Julie", last_name="Baillet") == "julie.baillet"
    service.import_class_list([student(), student(born=date(2009, 11, 2), line=3)], actor="cli:test")
    preview = service.preview_identifier(token, first_name=" julie ", last_name="BAILLET")
    assert preview == "julie.baillet2"
    assert service.preview_identifier(token, first_name="Gaëtan", last_name="Œuvray") == "gaetan.oeuvray"
    created = service.add_student(last_name="Baillet", first_name="Julie", birth_date="01/01/2011",
                                  class_name="2nde 1", actor=staff)
    assert created.identifier == preview
    assert len(service.audit_events()) == len(before) + 2  # the two imports: previews write nothing

    with pytest.raises(errors.InvalidInput) as empty:
        service.preview_identifier(token, first_name="", last_name="Baillet")
    assert "Saisissez le nom et le prénom" in flat(str(empty.value))
    with pytest.raises(errors.InvalidInput) as unusable:
        service.preview_identifier(token, first_name="123", last_name="Baillet")
    assert flat(str(unusable.value)) == "Le prénom ne contient aucune lettre utilisable pour l'identifiant."
    with pytest.raises(errors.SessionExpired):
        service.preview_identifier("not-a-session", first_name="Julie", last_name="Baillet")
    pupil = service.import_class_list([student("Zoé", "N'Diaye", line=4)], actor="cli:test")[0]
    pupil_token = service.authenticate(pupil.identifier, pupil.provisional_password).token
    with pytest.raises(errors.NotAllowed):
        service.preview_identifier(pupil_token, first_name="Julie", last_name="Baillet")


async def test_add_student_shows_the_identifier_before_anything_is_written(lab, tmp_path):
    from ui_support import kiosk, settle, shows, submit, tab_to, type_text

    from entkiosk.ui.screens.staff_add import AddStudentScreen

    service = lab
    service.add_staff(*STAFF, STAFF[1], actor="cli:install")
    service.import_class_list([student()], actor="cli:test")
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        await _console(app, pilot, service)
        await tab_to(app, pilot, "add")
        await submit(app, pilot)
        assert isinstance(app.screen, AddStudentScreen)
        assert shows(app, "Identifiant qui sera créé : saisissez le nom et le prénom.")
        await type_text(pilot, "Baillet")
        await settle(app, pilot)
        assert shows(app, "Identifiant qui sera créé : saisissez le nom et le prénom.")
        await tab_to(app, pilot, "first_name")
        await type_text(pilot, "Jul")
        await settle(app, pilot)
        assert shows(app, "Identifiant qui sera créé : jul.baillet")
        await type_text(pilot, "ie")
        await settle(app, pilot)
        assert shows(app, "Identifiant qui sera créé : julie.baillet1")  # julie.baillet is taken
        assert [s.identifier for s in service.class_students()] == ["julie.baillet"]  # nothing written yet
        await tab_to(app, pilot, "birth_day")
        await type_text(pilot, "01012011")
        await tab_to(app, pilot, "class_name")
        await type_text(pilot, "2nde 1")
        await submit(app, pilot)
        await submit(app, pilot)  # OK under the job's result
        assert sorted(s.identifier for s in service.class_students()) == ["julie.baillet", "julie.baillet1"]
