"""The staff console, driven like a staff member at the keyboard, on a real database.

Staff log in through the portal (or, where the login is not the point, the app opens
the session from a real ``authenticate``), read the classes and their students, and
act: import, letters, reset, re-create, unlock, forced change, add a student, follow
a live session. Every effect is checked on the database through the service (and the
letters through the PDF written, read back with pypdf), and every action in the audit.
"""

from __future__ import annotations

import contextlib
import io
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate, last_code, make_settings, student
from pypdf import PdfReader
from test_ui_kiosk import log_in, to_login
from textual.widgets import Button, DataTable, Static
from textual.worker import WorkerFailed
from ui_support import (IdleClock, field_error, flat, kiosk, screen_content, screen_text, settle, shows, submit,
                        tab_to, tour, type_text)

from entkiosk.config import Settings
from entkiosk.domain.classlist import StudentRow
from entkiosk.mail import OutboxTransport
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.app import KioskApp
from entkiosk.ui.screens.staff import StaffScreen

STAFF = "prof.martin"
STAFF_PASSWORD = "Craie7tableau26"
#: Fresh letters for the students who must still be waiting after T2.
T1 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
#: Past the deadline (1 December) of every letter issued at START.
T2 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
PASSWORD = re.compile(r"Mot de passe \* : (\S+)")

#: Forty pupils of one class, in the alphabetical order the console lists them.
FORTY = [
    ("Inès", "Adam"), ("Lucas", "Barbier"), ("Chloé", "Benoît"), ("Hugo", "Bertrand"), ("Léa", "Blanc"),
    ("Nathan", "Bonnet"), ("Manon", "Boyer"), ("Louis", "Brun"), ("Camille", "Caron"), ("Théo", "Chevalier"),
    ("Emma", "Colin"), ("Jules", "Dubois"), ("Sarah", "Dufour"), ("Raphaël", "Durand"), ("Jade", "Fabre"),
    ("Gabriel", "Faure"), ("Louise", "Fournier"), ("Arthur", "Garnier"), ("Alice", "Gauthier"), ("Adam", "Girard"),
    ("Lina", "Guérin"), ("Noah", "Henry"), ("Rose", "Lambert"), ("Mathis", "Laurent"), ("Anna", "Lefèvre"),
    ("Tom", "Legrand"), ("Mila", "Lemoine"), ("Paul", "Marchand"), ("Julia", "Martin"), ("Ethan", "Masson"),
    ("Zoé", "N'Diaye"), ("Léo", "Nicolas"), ("Lou", "Perrin"), ("Sacha", "Petit"), ("Ambre", "Renaud"),
    ("Maël", "Robin"), ("Agathe", "Rousseau"), ("Yanis", "Roux"), ("Clara", "Vidal"), ("Enzo", "Vincent"),
]


# ------------------------------------------------------------------ the database and the app


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'console.db'}"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return console_settings(db_url, tmp_path)


def console_settings(db_url: str, tmp_path: Path, **sections: dict) -> Settings:
    """Letters go to a folder of the test; the live view reads the class every 0.3 s."""
    sections.setdefault("letters", {"folder": str(tmp_path / "courriers")})
    sections.setdefault("kiosk", {"live_refresh": 0.3})
    return make_settings(db_url, tmp_path, **sections)


@pytest.fixture
def staff(service: AccountService) -> str:
    return service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")


def rows(names: Iterable[tuple[str, str]], class_name: str) -> list[StudentRow]:
    """One row per (first, last) name, all born 14/03/2010 (the date :func:`activate` types)."""
    return [student(first, last, cls=class_name, line=i + 2) for i, (first, last) in enumerate(names)]


@dataclass
class Pupils:
    """A class seeded by :func:`seed_class`, its letters and the states asked for."""

    letters: dict[str, IssuedLetter]
    states: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def having(self, codes: str) -> list[str]:
        return [ident for ident, state in self.states.items() if state in codes]


def seed_class(service: AccountService, class_name: str, names: Iterable[tuple[str, str]], states: str,
               outbox: OutboxTransport | None = None) -> Pupils:
    """Import a class at the service's current time and bring each student to a state.

    One code per student: ``r`` activated and charter accepted (« Prêt »), ``a`` activated
    without the charter, ``e`` ready with a validated e-mail (needs ``outbox``), ``f`` ready
    and then forced to change password, ``l`` ready and later locked (:func:`age_and_lock`),
    ``w`` waiting (a fresh letter at T1), ``k`` waiting and later locked, ``x`` left to expire.
    """
    letters = service.import_class_list(rows(names, class_name), actor="cli:seed")
    pupils = Pupils({letter.identifier: letter for letter in letters},
                    {letter.identifier: state for letter, state in zip(letters, states, strict=True)})
    for letter in letters:
        state = pupils.states[letter.identifier]
        if state in "raelf":
            email = f"{letter.identifier}@example.org" if state == "e" else ""
            token = activate(service, letter, email=email, accept=state != "a")
            pupils.tokens[letter.identifier] = token
            if state == "e":
                assert outbox is not None
                service.validate_email(last_code(outbox), token=token)
        if state == "f":
            service.force_password_change(identifier=letter.identifier, actor="cli:seed")
    return pupils


def refresh_letters(service: AccountService, *classes: Pupils) -> None:
    """At T1: new letters for the students who must still be waiting at T2."""
    for pupils in classes:
        for ident in pupils.having("wk"):
            [pupils.letters[ident]] = service.issue_letters(identifier=ident, actor="cli:seed")


def lock_out(service: AccountService, identifier: str) -> None:
    """Fail the login as many times as the lockout threshold."""
    from entkiosk.domain.errors import AuthenticationFailed, Locked

    for _ in range(service.settings.accounts.lockout_threshold):
        with pytest.raises((AuthenticationFailed, Locked)):
            service.authenticate(identifier, "Mauvais123x")


def age_and_lock(service: AccountService, clock, *classes: Pupils) -> None:
    """At T2 (the kiosk started, so its start-up purge is done): ``x`` have expired, ``l`` and ``k`` locked."""
    clock.set(T2)
    for pupils in classes:
        for ident in pupils.having("lk"):
            lock_out(service, ident)


def open_console(app: KioskApp, service: AccountService) -> None:
    """The staff session, from a real login (when the login screens are not what is tested)."""
    app.open_session(service.authenticate(STAFF, STAFF_PASSWORD, kind="staff"))


def says(app: KioskApp, words: str) -> bool:
    """``words`` are in the texts of the screen on top (a dialog's too, whatever its frame)."""
    return flat(words) in screen_content(app)


def cells(table: DataTable) -> list[list[str]]:
    """The rows of a table as the staff member reads them."""
    return [[str(c.plain if hasattr(c, "plain") else c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def keys(table: DataTable) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


# ------------------------------------------------------------------ 1. the console's counts


async def test_staff_login_shows_each_class_with_its_counts(settings: Settings, service: AccountService, clock,
                                                            outbox: OutboxTransport, staff: str,
                                                            tmp_path: Path) -> None:
    seconde = seed_class(service, "2nde 3", FORTY[:10], "rrrealfwwx", outbox)
    premiere = seed_class(service, "1ère 2", FORTY[10:14], "rakw")
    clock.set(T1)
    refresh_letters(service, seconde, premiere)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        age_and_lock(service, clock, seconde, premiere)
        await to_login(app, pilot, staff=True)
        await log_in(app, pilot, STAFF, STAFF_PASSWORD)
        assert isinstance(app.screen, StaffScreen)
        await settle(app, pilot)
        table = app.screen.query_one("#classes", DataTable)
        #                  Classe   Élèves Activés Charte Mail validé Bloqués Expirés
        assert cells(table) == [["1ère 2", "4", "2", "1", "0", "1", "0", ""],
                                ["2nde 3", "10", "7", "6", "1", "1", "1", ""]]
        assert shows(app, "2 classes, 14 élèves ; 9 ont activé leur compte.")
        assert app.focused is table


# ------------------------------------------------------------------ 2. staff logins lock like students'


async def test_failed_staff_logins_lock_the_staff_identifier(settings: Settings, service: AccountService, clock,
                                                             staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.login import LoginScreen

    threshold = settings.accounts.lockout_threshold
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot, staff=True)
        await log_in(app, pilot, STAFF, "Mauvais2026x")
        assert shows(app, "Identifiant ou mot de passe incorrect.")
        for _ in range(threshold - 1):
            await tab_to(app, pilot, "password")
            await type_text(pilot, "Mauvais2026x")
            await submit(app, pilot)
        assert shows(app, "Trop de tentatives infructueuses. Réessayez dans 1 minute")

        # The right password is refused too while the lock lasts, and says why.
        await tab_to(app, pilot, "password")
        await type_text(pilot, STAFF_PASSWORD)
        await submit(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert shows(app, "Trop de tentatives infructueuses.")
        assert app.session is None
        lockouts = [e for e in service.audit_events() if e.event == "lockout"]
        assert [e.identifier for e in lockouts] == [STAFF]

        # The lock ends: the same password opens the console.
        clock.advance(seconds=settings.accounts.lockout_base_seconds + 1)
        await tab_to(app, pilot, "password")
        await type_text(pilot, STAFF_PASSWORD)
        await submit(app, pilot)
        assert isinstance(app.screen, StaffScreen)


# ------------------------------------------------------------------ 3. a class, searched


async def open_class(app: KioskApp, pilot, class_name: str) -> None:
    """On the console: ↓ to the class, Entrée."""
    from entkiosk.ui.screens.staff_class import ClassScreen

    table = app.screen.query_one("#classes", DataTable)
    assert app.focused is table
    for _ in range(table.row_count):
        if table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == class_name:
            break
        await pilot.press("down")
    await submit(app, pilot)
    assert isinstance(app.screen, ClassScreen) and app.screen.class_name == class_name


async def search(app: KioskApp, pilot, text: str) -> DataTable:
    """Type ``text`` in « rechercher un élève » (replacing what it held); the list it leaves."""
    await tab_to(app, pilot, "search")
    await pilot.press("ctrl+u")
    await type_text(pilot, text)
    return app.screen.query_one("#students", DataTable)


async def open_student(app: KioskApp, pilot, identifier: str) -> None:
    """On a class: search the identifier, Tab to the list, Entrée on the student."""
    from entkiosk.ui.screens.staff_student import StudentScreen

    table = await search(app, pilot, identifier)
    assert identifier in keys(table)
    await pilot.press("tab")
    assert app.focused is table
    while table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value != identifier:
        await pilot.press("down")
    await submit(app, pilot)
    assert isinstance(app.screen, StudentScreen) and app.screen.student.identifier == identifier


async def test_a_class_of_forty_lists_everyone_and_the_search_filters(settings: Settings, service: AccountService,
                                                                       staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_student import StudentScreen

    letters = service.import_class_list(rows(FORTY, "2nde 3"), actor="cli:seed")
    zoe = next(letter for letter in letters if letter.first_name == "Zoé")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 3")
        table = app.screen.query_one("#students", DataTable)
        assert keys(table) == [letter.identifier for letter in letters]  # the CSV was in alphabetical order
        assert shows(app, "40 élèves : 0 activé (0 avec la charte), 40 en attente, 0 expiré.")
        assert cells(table)[0] == ["Adam Inès", "ines.adam", "En attente", "", "", "01/12/2026"]

        # Accents and case do not matter; a word matching nobody empties the list.
        table = await search(app, pilot, "zoe")
        assert keys(table) == [zoe.identifier]
        assert cells(table) == [["N'Diaye Zoé", "zoe.n-diaye", "En attente", "", "", "01/12/2026"]]
        table = await search(app, pilot, "Zoé DIAYE")
        assert keys(table) == [zoe.identifier]
        table = await search(app, pilot, "personne")
        assert table.row_count == 0
        await pilot.press("ctrl+u")
        assert table.row_count == 40

        # Tab from the search to the list, Entrée on the row opens the card.
        await type_text(pilot, "zoe")
        await pilot.press("tab")
        assert app.focused is table
        await submit(app, pilot)
        assert isinstance(app.screen, StudentScreen)
        assert app.screen.student.identifier == zoe.identifier
        assert shows(app, "Zoé N'Diaye")
        assert shows(app, f"Identifiant {zoe.identifier}")

        # Échap: back to the class, the search kept.
        await submit(app, pilot, "escape")
        assert keys(app.screen.query_one("#students", DataTable)) == [zoe.identifier]


async def test_entree_in_the_search_goes_to_the_list_without_opening_a_card(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    """« Entrée in the search field: to the list, on the first student found » (and no further:
    with several students found, staff still have to choose one)."""
    from entkiosk.ui.screens.staff_class import ClassScreen

    service.import_class_list(rows(FORTY, "2nde 3"), actor="cli:seed")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 3")
        table = await search(app, pilot, "ma")  # Manon, Mathis, Marchand, Martin, Masson, Maël…
        assert table.row_count > 1
        await submit(app, pilot)
        assert isinstance(app.screen, ClassScreen)
        assert app.focused is table and table.cursor_row == 0


# ------------------------------------------------------------------ 4. import


def letter_files(settings: Settings) -> list[Path]:
    folder = settings.letters_folder()
    return sorted(folder.glob("*.pdf")) if folder.is_dir() else []


def printed(path: Path) -> dict[str, str]:
    """identifier → provisional password, one page per student, as the printer gets them."""
    found: dict[str, str] = {}
    for page in PdfReader(io.BytesIO(path.read_bytes())).pages:
        text = page.extract_text()
        [ident] = re.findall(r"Identifiant : (\S+)", text)
        [password] = PASSWORD.findall(text)
        assert ident not in found
        found[ident] = password
    return found


def new_letter_file(settings: Settings, before: list[Path]) -> Path:
    """The one PDF a job added to the letters folder: private to its owner."""
    [path] = [p for p in letter_files(settings) if p not in before]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path


def audited(service: AccountService, event: str, identifier: str | None = None) -> list:
    """The audit records of ``event`` (for ``identifier``) that staff actions left."""
    return [e for e in service.audit_events()
            if e.event == event and (identifier is None or e.identifier == identifier) and e.actor != "cli:seed"]


def assert_authenticates(service: AccountService, letters: dict[str, str], step: str = "first_connection") -> None:
    for ident, password in letters.items():
        assert service.authenticate(ident, password).next_step == step, ident


async def press_button(app: KioskApp, pilot, button_id: str) -> None:
    """Tab to the button, Entrée, and wait for what it started."""
    await tab_to(app, pilot, button_id)
    await submit(app, pilot)


async def to_import(app: KioskApp, pilot, path: Path) -> None:
    """Console → « Importer une liste », the file's path typed, Entrée for the preview."""
    from entkiosk.ui.screens.staff_import import ImportScreen

    await press_button(app, pilot, "import")
    assert isinstance(app.screen, ImportScreen)
    assert app.focused.id == "path"
    await type_text(pilot, str(path))
    await submit(app, pilot)


async def finish_job(app: KioskApp, pilot) -> str:
    """A JobScreen ran to its end: what it says; Entrée closes it."""
    from entkiosk.ui.screens.staff_actions import JobScreen

    assert isinstance(app.screen, JobScreen)
    await settle(app, pilot)
    assert app.screen.finished
    error = app.screen.query_one("#job-error", Static)
    assert not error.display or not str(error.render()), str(error.render())
    result = str(app.screen.query_one("#job-result", Static).render())
    assert app.focused.id == "job-done"
    await submit(app, pilot)
    return result


BAD_LIST = """\ufeffnom;prénom;date de naissance;classe
Adam;Inès;14/03/2010;2nde 3
Durand;Raphaël;31/02/2010;2nde 4
Roux;Yanis;2nde 4
Vidal;Clara;14/03/2010;2nde 4
Vidal;Clara;14/03/2010;2nde 4
;Enzo;14/03/2010;2nde 4
"""


async def test_an_import_with_bad_rows_names_each_and_imports_nobody(settings: Settings, service: AccountService,
                                                                     staff: str, tmp_path: Path) -> None:
    service.import_class_list(rows(FORTY[:3], "2nde 3"), actor="cli:seed")
    csv = tmp_path / "2nde-4.csv"
    csv.write_text(BAD_LIST, encoding="utf-8")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_import(app, pilot, csv)
        # Line 2 is a student already enrolled: not a mistake, it would be left alone.
        assert shows(app, "4 lignes refusées : aucun élève ne sera importé.")
        problems = app.screen.query_one("#preview-problems", DataTable)
        assert cells(problems) == [
            ["3", "la date de naissance « 31/02/2010 » n'existe pas"],
            ["4", "3 colonne(s) au lieu de 4 (nom;prénom;date de naissance;classe)"],
            ["6", "élève en double (déjà à la ligne 5)"],
            ["7", "nom manquant"],
        ]
        assert app.focused is problems
        assert not app.screen.query_one("#import", Button).display
        assert not app.screen.query_one("#preview-rows", DataTable).display
        # Entrée again (from the list of problems) changes nothing either.
        await submit(app, pilot)
        assert not app.screen.query_one("#import", Button).display

    assert len(service.class_students()) == 3
    assert audited(service, "accounts.imported") == []
    assert letter_files(settings) == []


GOOD_LIST = """nom;prénom;date de naissance;classe
Baillet;Julie;14/03/2010;2nde 4
Baillet;Julie;02/11/2009;2nde 4
N'Diaye;Zoé;07/07/2010;2nde 4
Lefèvre;Jean Pierre;21/01/2010;2nde 4
"""


async def test_a_clean_import_creates_the_accounts_and_one_pdf_of_their_letters(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    service.import_class_list([student("Julie", "Baillet", born=date(2011, 5, 2))], actor="cli:seed")
    csv = tmp_path / "2nde-4.csv"
    csv.write_text(GOOD_LIST, encoding="utf-8")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_import(app, pilot, csv)
        assert shows(app, "4 élève(s) à créer") and shows(app, "2nde 4 (4).")
        preview = app.screen.query_one("#preview-rows", DataTable)
        # julie.baillet is taken (a homonym already on file): the new ones get the next suffixes.
        assert cells(preview) == [
            ["2", "Baillet Julie", "14/03/2010", "2nde 4", "julie.baillet1"],
            ["3", "Baillet Julie", "02/11/2009", "2nde 4", "julie.baillet2"],
            ["4", "N'Diaye Zoé", "07/07/2010", "2nde 4", "zoe.n-diaye"],
            ["5", "Lefèvre Jean Pierre", "21/01/2010", "2nde 4", "jean-pierre.lefevre"],
        ]
        assert not app.screen.query_one("#preview-problems", DataTable).display
        assert len(service.class_students()) == 1  # nothing written by the preview

        assert app.focused.id == "import"
        await submit(app, pilot)
        said = await finish_job(app, pilot)
        path = new_letter_file(settings, [])
        assert said.startswith(f"4 courriers enregistrés dans le fichier :\n{path}\n")
        assert isinstance(app.screen, StaffScreen)
        await settle(app, pilot)
        assert ["2nde 4", "4", "0", "0", "0", "0", "0", ""] in cells(app.screen.query_one("#classes", DataTable))

    letters = printed(path)
    assert list(letters) == ["julie.baillet1", "julie.baillet2", "zoe.n-diaye", "jean-pierre.lefevre"]
    assert {s.identifier for s in service.class_students("2nde 4")} == set(letters)
    assert_authenticates(service, letters)
    [event] = audited(service, "accounts.imported")
    assert event.actor == STAFF and event.details["count"] == 4


# ------------------------------------------------------------------ 5. letters of a class


async def answer_confirmation(app: KioskApp, pilot, *, confirm: bool) -> None:
    """The confirmation opens on ANNULER (a stray Entrée changes nothing); Tab to confirm."""
    from entkiosk.ui.screens.staff_actions import ConfirmScreen

    assert isinstance(app.screen, ConfirmScreen)
    assert app.focused.id == "cancel"
    if confirm:
        await tab_to(app, pilot, "confirm")
    await submit(app, pilot)
    assert not isinstance(app.screen, ConfirmScreen)


async def test_letters_of_a_class_void_the_old_passwords(settings: Settings, service: AccountService, staff: str,
                                                         tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_class import ClassScreen

    pupils = seed_class(service, "2nde 3", FORTY[:4], "wwwr")
    old = {ident: pupils.letters[ident].provisional_password for ident in pupils.having("w")}
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 3")

        # ANNULER: nothing printed, nothing changed.
        await press_button(app, pilot, "letters")
        assert says(app, "Imprimer les courriers de la classe « 2nde 3 »")
        await answer_confirmation(app, pilot, confirm=False)
        assert isinstance(app.screen, ClassScreen)
        await press_button(app, pilot, "letters")
        await submit(app, pilot, "escape")  # Échap is ANNULER too
        assert isinstance(app.screen, ClassScreen)
        assert letter_files(settings) == []
        assert audited(service, "letters.issued") == []
        assert_authenticates(service, old)

        await press_button(app, pilot, "letters")
        await answer_confirmation(app, pilot, confirm=True)
        said = await finish_job(app, pilot)
        path = new_letter_file(settings, [])
        assert said.startswith(f"3 courriers enregistrés dans le fichier :\n{path}\n")
        assert "les courriers précédents ne sont plus valables" in said
        assert isinstance(app.screen, ClassScreen)

    new = printed(path)
    assert sorted(new) == sorted(old)  # the activated student gets no letter
    for ident, password in old.items():
        assert new[ident] != password
        with pytest.raises(Exception, match="incorrect"):
            service.authenticate(ident, password)
    assert_authenticates(service, new)
    assert sorted(e.identifier for e in audited(service, "letters.issued")) == sorted(old)
    assert {e.actor for e in audited(service, "letters.issued")} == {STAFF}



# ------------------------------------------------------------------ 6. a student's card


def card_buttons(app: KioskApp) -> list[str]:
    return [b.id for b in app.screen.query(Button) if b.display]


async def to_card(app: KioskApp, pilot, service: AccountService, class_name: str, identifier: str) -> None:
    open_console(app, service)
    await settle(app, pilot)
    await open_class(app, pilot, class_name)
    await open_student(app, pilot, identifier)


def state_of(app: KioskApp, identifier: str) -> str:
    """The « État » cell of a student in the class list on screen."""
    table = app.screen.query_one("#students", DataTable)
    return str(table.get_row(identifier)[2])


async def test_reset_gives_an_activated_student_a_new_letter_and_ends_their_sessions(
        settings: Settings, service: AccountService, outbox: OutboxTransport, staff: str, tmp_path: Path) -> None:
    from entkiosk.domain.errors import SessionExpired
    from entkiosk.domain.lifecycle import EmailState
    from entkiosk.ui.screens.staff_class import ClassScreen

    pupils = seed_class(service, "2nde 3", FORTY[:2], "ew", outbox)
    [ident] = pupils.having("e")
    token = pupils.tokens[ident]
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_card(app, pilot, service, "2nde 3", ident)
        assert shows(app, "État du compte Prêt")
        assert card_buttons(app) == ["reset", "force", "back-button"]
        assert app.focused.id == "reset"
        await submit(app, pilot)
        assert says(app, "Réinitialiser le compte « ines.adam »")
        await answer_confirmation(app, pilot, confirm=True)
        said = await finish_job(app, pilot)
        path = new_letter_file(settings, [])
        assert said.startswith(f"1 courrier enregistré dans le fichier :\n{path}\n")
        # Back to the class, which shows the new state.
        assert isinstance(app.screen, ClassScreen)
        assert state_of(app, ident) == "En attente"

    letters = printed(path)
    assert list(letters) == [ident]
    with pytest.raises(Exception, match="incorrect"):
        service.authenticate(ident, GOOD_PASSWORD)
    with pytest.raises(SessionExpired):
        service.account(token)
    assert_authenticates(service, letters)
    [status] = service.class_students(search=ident)
    assert status.state == "waiting" and status.email_state == EmailState.VALIDATED  # the address is kept
    [event] = audited(service, "staff.reset", ident)
    assert event.actor == STAFF


async def test_unlock_lets_a_locked_out_student_log_in_again(settings: Settings, service: AccountService,
                                                             staff: str, tmp_path: Path) -> None:
    from entkiosk.domain.errors import Locked

    pupils = seed_class(service, "2nde 3", FORTY[:1], "r")
    [ident] = pupils.letters
    lock_out(service, ident)
    with pytest.raises(Locked):
        service.authenticate(ident, GOOD_PASSWORD)
    # (At 80×24 the « Débloquer » button is cut: test_a_locked_students_card_fits_80_columns.)
    async with kiosk(settings, service, tmp_path, size=(120, 40)) as (app, pilot):
        await to_card(app, pilot, service, "2nde 3", ident)
        assert shows(app, "Blocage trop d'essais infructueux : compte bloqué")
        assert card_buttons(app) == ["reset", "force", "unlock", "back-button"]
        await press_button(app, pilot, "unlock")
        said = await finish_job(app, pilot)
        assert said == f"L'identifiant « {ident} » est débloqué : l'élève peut se connecter à nouveau."
        assert state_of(app, ident) == "Prêt"
    assert service.authenticate(ident, GOOD_PASSWORD).next_step == "home"
    [event] = audited(service, "staff.unlock", ident)
    assert event.actor == STAFF


async def test_an_expired_account_is_recreated_with_a_new_letter(settings: Settings, service: AccountService, clock,
                                                                 staff: str, tmp_path: Path) -> None:
    from entkiosk.domain.errors import AccountExpired

    pupils = seed_class(service, "2nde 3", FORTY[:2], "xr")
    [ident] = pupils.having("x")
    old = pupils.letters[ident].provisional_password
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        clock.set(T2)  # after the start-up purge: expired, not deleted yet
        with pytest.raises(AccountExpired):
            service.authenticate(ident, old)
        await to_card(app, pilot, service, "2nde 3", ident)
        assert shows(app, "État du compte Expiré")
        assert shows(app, "Activation avant le 01/12/2026")
        assert card_buttons(app) == ["recreate", "back-button"]
        assert str(app.screen.query_one("#recreate", Button).label) == "Recréer le compte"
        await submit(app, pilot)
        assert says(app, f"Recréer le compte « {ident} »")
        await answer_confirmation(app, pilot, confirm=True)
        await finish_job(app, pilot)
        path = new_letter_file(settings, [])
        assert state_of(app, ident) == "En attente"
        assert str(app.screen.query_one("#students", DataTable).get_row(ident)[5]) == "05/03/2027"

    letters = printed(path)
    assert list(letters) == [ident]
    with pytest.raises(Exception, match="incorrect"):
        service.authenticate(ident, old)
    assert_authenticates(service, letters)
    [event] = audited(service, "staff.recreate", ident)
    assert event.actor == STAFF


async def test_a_locked_students_card_fits_80_columns(settings: Settings, service: AccountService, staff: str,
                                                     tmp_path: Path) -> None:
    """Every button of the card can be reached with Tab and is wholly on screen at 80×24."""
    pupils = seed_class(service, "2nde 3", FORTY[:1], "r")
    [ident] = pupils.letters
    lock_out(service, ident)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_card(app, pilot, service, "2nde 3", ident)
        await tour(app, pilot)


# ------------------------------------------------------------------ forced password change


def next_steps(service: AccountService, pupils: Pupils) -> dict[str, str]:
    """Where each student's next login leads (activated ones log in with their own password)."""
    return {ident: service.authenticate(ident, GOOD_PASSWORD if pupils.states[ident] in "raelf"
                                        else pupils.letters[ident].provisional_password).next_step
            for ident in pupils.letters}


async def test_forced_change_for_one_student_leads_their_next_login_to_the_profile(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    from entkiosk.domain.errors import SessionExpired
    from entkiosk.ui.screens.profile import ProfileScreen
    from entkiosk.ui.screens.welcome import WelcomeScreen

    pupils = seed_class(service, "2nde 3", FORTY[:2], "rr")
    ident, other = pupils.letters
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_card(app, pilot, service, "2nde 3", ident)
        await press_button(app, pilot, "force")
        assert says(app, f"L'élève « {ident} » devra choisir un nouveau mot de passe à sa prochaine connexion")
        await answer_confirmation(app, pilot, confirm=True)
        said = await finish_job(app, pilot)
        assert said.startswith(f"L'élève « {ident} » devra choisir un nouveau mot de passe")
        assert state_of(app, ident) == "À changer"
        assert [s.must_change_password for s in service.class_students("2nde 3")] == [True, False]
        with pytest.raises(SessionExpired):
            service.account(pupils.tokens[ident])
        service.account(pupils.tokens[other])

        # The staff member leaves (Échap, Échap); the student logs in at the same kiosk.
        await submit(app, pilot, "escape")
        await submit(app, pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)
        await to_login(app, pilot)
        await log_in(app, pilot, ident, GOOD_PASSWORD)
        assert isinstance(app.screen, ProfileScreen) and app.screen.forced

    assert next_steps(service, pupils) == {ident: "change_password", other: "home"}
    [event] = audited(service, "staff.force_change")
    assert (event.identifier, event.actor) == (ident, STAFF)


async def test_forced_change_for_a_class_marks_its_activated_students_only(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    seconde = seed_class(service, "2nde 3", FORTY[:4], "rawr")
    premiere = seed_class(service, "1ère 2", FORTY[4:6], "rr")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 3")
        await press_button(app, pilot, "force-class")
        assert says(app, "Les comptes activés des élèves de la classe « 2nde 3 » devront choisir")
        await answer_confirmation(app, pilot, confirm=True)
        said = await finish_job(app, pilot)
        assert said.startswith("3 compte(s) activé(s) devront choisir un nouveau mot de passe")
        assert [state_of(app, i) for i in seconde.letters] == ["À changer", "À changer", "En attente", "À changer"]

    inès, lucas, chloé, hugo = seconde.letters
    # Lucas has not accepted the charter yet: that comes first, then the new password.
    assert next_steps(service, seconde) == {inès: "change_password", lucas: "charter", chloé: "first_connection",
                                            hugo: "change_password"}
    assert set(next_steps(service, premiere).values()) == {"home"}
    events = audited(service, "staff.force_change")
    assert sorted(e.identifier for e in events) == sorted([inès, lucas, hugo])
    assert {e.actor for e in events} == {STAFF}


async def test_forced_change_for_everyone_from_the_console(settings: Settings, service: AccountService, staff: str,
                                                           tmp_path: Path) -> None:
    seconde = seed_class(service, "2nde 3", FORTY[:3], "rwr")
    premiere = seed_class(service, "1ère 2", FORTY[3:5], "ar")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await press_button(app, pilot, "force-all")
        assert says(app, "Les comptes activés de tous les élèves de l'établissement devront choisir")
        await answer_confirmation(app, pilot, confirm=True)
        said = await finish_job(app, pilot)
        assert said.startswith("4 compte(s) activé(s) devront choisir un nouveau mot de passe")
        assert isinstance(app.screen, StaffScreen)

    assert list(next_steps(service, seconde).values()) == ["change_password", "first_connection", "change_password"]
    assert list(next_steps(service, premiere).values()) == ["charter", "change_password"]
    events = audited(service, "staff.force_change")
    assert len(events) == 4 and {e.actor for e in events} == {STAFF}


# ------------------------------------------------------------------ 7. adding a student


async def type_into(app: KioskApp, pilot, field_id: str, text: str) -> None:
    """Tab to the field, empty it, type ``text``."""
    await tab_to(app, pilot, field_id)
    await pilot.press("ctrl+u")
    await type_text(pilot, text)


async def test_adding_a_student_checks_the_form_then_creates_the_account_and_its_letter(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_add import AddStudentScreen

    service.import_class_list(rows(FORTY[:1], "2nde 3"), actor="cli:seed")  # Inès Adam, born 14/03/2010
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await press_button(app, pilot, "add")
        assert isinstance(app.screen, AddStudentScreen)

        # Nothing typed but a name and a date that does not exist.
        await type_into(app, pilot, "last_name", "Roux")
        await type_into(app, pilot, "birth_day", "31022010")
        await submit(app, pilot)
        assert field_error(app, "last_name") == ""
        assert field_error(app, "first_name") == "Saisissez le prénom."
        assert "n'existe pas" in field_error(app, "birth_date")
        assert field_error(app, "class_name") == "Saisissez la classe."
        assert app.focused.id == "first_name"  # the first field in error

        # A pupil already on file is refused beside the name.
        await type_into(app, pilot, "last_name", "Adam")
        await type_into(app, pilot, "first_name", "Inès")
        await type_into(app, pilot, "birth_day", "14032010")
        await type_into(app, pilot, "class_name", "2nde 4")
        await submit(app, pilot)
        assert field_error(app, "last_name") == "Élève déjà inscrit (identifiant ines.adam)."
        assert [field_error(app, f) for f in ("first_name", "birth_date", "class_name")] == ["", "", ""]
        # The identifier preview no longer promises a new account.
        assert shows(app, "Aucun compte ne sera créé\u00a0: le compte ines.adam existe déjà.")
        assert not shows(app, "Identifiant qui sera créé")
        assert isinstance(app.screen, AddStudentScreen)
        assert len(service.class_students()) == 1 and letter_files(settings) == []

        await type_into(app, pilot, "last_name", "Roux")
        await type_into(app, pilot, "first_name", "Yanis")
        await submit(app, pilot)
        said = await finish_job(app, pilot)
        path = new_letter_file(settings, [])
        assert said.startswith(f"1 courrier enregistré dans le fichier :\n{path}\n")
        assert isinstance(app.screen, StaffScreen)
        await settle(app, pilot)
        assert ["2nde 4", "1", "0", "0", "0", "0", "0", ""] in cells(app.screen.query_one("#classes", DataTable))

    letters = printed(path)
    assert list(letters) == ["yanis.roux"]
    [added] = service.class_students("2nde 4")
    assert (added.first_name, added.last_name, added.birth_date) == ("Yanis", "Roux", date(2010, 3, 14))
    assert_authenticates(service, letters)
    [event] = audited(service, "accounts.imported")
    assert event.actor == STAFF and event.details["count"] == 1


# ------------------------------------------------------------------ 9. the live view of a session


def _activate_elsewhere(settings: Settings, now: datetime, identifier: str, provisional: str, go, results) -> None:
    """Another terminal of the lab (a process with its own service): when told, a student
    activates their account and accepts the charter."""
    import traceback

    from entkiosk.domain.clock import FixedClock
    from entkiosk.runtime import open_service

    try:
        service = open_service(settings, clock=FixedClock(now))
        if not go.wait(timeout=60):
            raise TimeoutError("never told to go")
        login = service.authenticate(identifier, provisional)
        service.first_connection(login.token, birth_date="14/03/2010", new_password=GOOD_PASSWORD,
                                 confirm_password=GOOD_PASSWORD)
        service.accept_charter(login.token, settings.charter.version)
        service.engine.dispose()
        results.put(("ok", ""))
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put(("crash", traceback.format_exc()))


def live_text(app: KioskApp) -> str:
    return str(app.screen.query_one("#live-count", Static).render())


async def open_live(app: KioskApp, pilot, service: AccountService, class_name: str) -> None:
    from entkiosk.ui.screens.live_session import LiveSessionScreen

    open_console(app, service)
    await settle(app, pilot)
    await open_class(app, pilot, class_name)
    await press_button(app, pilot, "live")
    assert isinstance(app.screen, LiveSessionScreen)
    await settle(app, pilot)


@pytest.mark.slow
async def test_the_live_view_follows_an_activation_on_another_terminal(
        settings: Settings, service: AccountService, clock, staff: str, tmp_path: Path) -> None:
    import multiprocessing as mp

    pupils = seed_class(service, "2nde 3", FORTY[:5], "rawwx")
    ready, activated, chloe, hugo, lea = pupils.letters
    clock.set(T1)
    refresh_letters(service, pupils)
    # The other terminal starts before the kiosk (which takes over stdout and stderr, where a
    # process cannot be spawned from), and waits to be told to activate.
    ctx = mp.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    other = ctx.Process(target=_activate_elsewhere,
                        args=(settings, T2, chloe, pupils.letters[chloe].provisional_password, go, results))
    other.start()
    try:
        async with kiosk(settings, service, tmp_path) as (app, pilot):
            age_and_lock(service, clock, pupils)
            await open_live(app, pilot, service, "2nde 3")
            assert live_text(app) == "2 / 5 élèves ont activé leur compte — 1 a aussi accepté la charte"
            missing = app.screen.query_one("#live-missing", DataTable)
            assert cells(missing) == [
                ["Barbier Lucas", activated, "Charte à accepter"],
                ["Benoît Chloé", chloe, "Pas encore activé"],
                ["Bertrand Hugo", hugo, "Pas encore activé"],
                ["Blanc Léa", lea, "Délai dépassé"],
            ]

            go.set()
            # The other terminal's activation first (a spawned interpreter on a loaded machine
            # takes its time), then the live view's next readings: never a race on the clock.
            import asyncio

            outcome = await asyncio.to_thread(results.get, True, 120)
            assert outcome[0] == "ok", outcome[1]
            for _ in range(50):
                await pilot.pause(0.2)
                if live_text(app).startswith("3 / 5"):
                    break
            assert live_text(app) == "3 / 5 élèves ont activé leur compte — 2 ont aussi accepté la charte"
            assert keys(missing) == [activated, hugo, lea]
            assert shows(app, "Il manque encore 3 élèves :")
    finally:
        if not go.is_set():
            other.terminate()
        other.join(timeout=30)


async def test_the_live_view_stays_when_idle_and_escape_logs_the_staff_member_out(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    from entkiosk.domain.errors import SessionExpired
    from entkiosk.ui.screens.live_session import LiveSessionScreen
    from entkiosk.ui.screens.welcome import WelcomeScreen

    seed_class(service, "2nde 3", FORTY[:2], "rw")
    idle = IdleClock()
    async with kiosk(settings, service, tmp_path, idle=idle) as (app, pilot):
        await open_live(app, pilot, service, "2nde 3")
        token = app.token
        idle.advance(settings.kiosk.idle_timeout * 3)
        app.check_inactivity()
        await settle(app, pilot)
        assert isinstance(app.screen, LiveSessionScreen)
        assert service.staff_member(token) == STAFF

        # Entrée does nothing here; Échap ends the session.
        await submit(app, pilot)
        assert isinstance(app.screen, LiveSessionScreen)
        await submit(app, pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)
        assert len(app.screen_stack) == 2 and app.session is None
        with pytest.raises(SessionExpired):
            service.staff_member(token)
        # A reading of the live view still on its way meets the ended session: the accueil
        # does not then say « Votre session a expiré » (the staff member ended it).
        from types import SimpleNamespace

        from entkiosk.ui.screens.base import worker_failure

        assert worker_failure(app, SimpleNamespace(error=SessionExpired(), name="live-refresh")) is None
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert not shows(app, "Votre session a expiré")


# ------------------------------------------------------------------ 10. layout and keys


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_console_class_and_live_screens_cut_nothing_and_speak_french(
        settings: Settings, service: AccountService, clock, outbox: OutboxTransport, staff: str, tmp_path: Path,
        size: tuple[int, int]) -> None:
    """Each screen toured with Tab: every stop wholly on screen, nothing cut, the footer in French."""
    from entkiosk.ui.screens.staff_class import ClassScreen

    pupils = seed_class(service, "2nde 3", FORTY, "rrreafwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwxxxk", outbox)
    seed_class(service, "Terminale générale 12", [("Gaëtan", "Œuvray")], "w")
    clock.set(T1)
    refresh_letters(service, pupils)
    async with kiosk(settings, service, tmp_path, size=size) as (app, pilot):
        age_and_lock(service, clock, pupils)
        open_console(app, service)
        await settle(app, pilot)
        stops = [w.id for w in await tour(app, pilot) if w.id != "body"]
        assert stops == ["classes", "reference", "import", "sync", "add", "force-all", "audit", "team", "approve", "close", "logout"]

        await open_class(app, pilot, "2nde 3")
        assert app.screen.query_one("#students", DataTable).row_count == 40
        stops = [w.id for w in await tour(app, pilot) if w.id != "body"]  # (at 80×24 the body scrolls)
        assert stops == ["students", "live", "letters", "group", "guardians", "force-class", "back-button", "search"]

        await open_student(app, pilot, pupils.having("w")[0])
        assert [w.id for w in await tour(app, pilot) if w.id != "body"] == ["letter", "back-button"]
        await submit(app, pilot, "escape")
        assert isinstance(app.screen, ClassScreen)

        await press_button(app, pilot, "live")
        await settle(app, pilot)
        assert [w.id for w in await tour(app, pilot) if w.id != "body"] == ["live-missing"]



async def test_names_of_120_characters_are_cut_in_the_class_list_and_whole_on_the_card(
        settings: Settings, service: AccountService, staff: str, tmp_path: Path) -> None:
    """At 80×24, a pupil whose names have 120 characters each (the import's limit), the last
    with no space: her row in the class list ends its name in « … » and still shows her
    identifier, state and deadline; her card shows the whole name."""
    from rich.cells import cell_len

    last = ("Delacroix-Fontaine-" * 7)[:119] + "e"
    first = ("Marie-Éléonore Anne-Charlotte " * 5)[:120]
    [letter] = service.import_class_list([student(first, last, cls="2nde 4")], actor="cli:seed")
    seed_class(service, "2nde 4", FORTY[:2], "ww")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 4")
        table = app.screen.query_one("#students", DataTable)
        assert table.max_scroll_x == 0
        lines = screen_text(app).splitlines()
        heading = next(line for line in lines if "Élève" in line)
        assert "État" in heading and "Échéance" in heading
        row = next(line for line in lines if "Delacroix" in line)
        name_cell = str(table.get_row(letter.identifier)[0])
        assert name_cell.endswith("…") and cell_len(name_cell) < 40
        assert "…" in row and "En attente" in row and "01/12/2026" in row and cell_len(row) <= 80
        assert any("Adam Inès" in line and "ines.adam" in line for line in lines)  # short names whole
        await open_student(app, pilot, letter.identifier)
        on_card = re.sub(r"\s+", "", screen_text(app))
        assert re.sub(r"\s+", "", f"{first} {last}") in on_card


async def test_import_and_add_screens_cut_nothing_at_80x24(settings: Settings, service: AccountService, staff: str,
                                                          tmp_path: Path) -> None:
    """The import with its preview, and the add form with its errors, toured with Tab at 80×24."""
    csv = tmp_path / "2nde-4.csv"
    csv.write_text(GOOD_LIST, encoding="utf-8")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await to_import(app, pilot, csv)
        stops = [w.id for w in await tour(app, pilot) if w.id != "body"]
        assert stops == ["import", "path", "preview", "back-button", "preview-rows"]
        await submit(app, pilot, "escape")

        await press_button(app, pilot, "add")
        await submit(app, pilot)  # nothing typed: an error beside each field
        assert field_error(app, "last_name") == "Saisissez le nom."
        stops = [w.id for w in await tour(app, pilot) if w.id != "body"]
        assert stops == ["last_name", "first_name", "birth_day", "birth_month", "birth_year", "class_name", "create",
                         "cancel"]


async def test_the_live_footer_offers_only_what_works(settings: Settings, service: AccountService, staff: str,
                                                      tmp_path: Path) -> None:
    from ui_support import footer_keys

    seed_class(service, "2nde 3", FORTY[:1], "w")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await open_live(app, pilot, service, "2nde 3")
        assert ("Échap", "Terminer la séance") in footer_keys(app)
        assert "Entrée" not in {key for key, _ in footer_keys(app)}

async def test_the_confirmation_footer_names_its_own_keys(settings: Settings, service: AccountService, staff: str,
                                                          tmp_path: Path) -> None:
    from ui_support import footer_keys

    seed_class(service, "2nde 3", FORTY[:1], "w")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 3")
        await press_button(app, pilot, "letters")
        assert ("Échap", "Annuler") in footer_keys(app)


# ------------------------------------------------------------------ 11. staff use cases need a staff session


async def test_a_student_session_cannot_reach_the_console(settings: Settings, service: AccountService,
                                                          tmp_path: Path) -> None:
    from entkiosk.domain.errors import NotAllowed

    pupils = seed_class(service, "2nde 3", FORTY[:2], "rw")
    ident = pupils.having("r")[0]
    login = service.authenticate(ident, GOOD_PASSWORD)
    with pytest.raises(NotAllowed, match="Réservé au personnel de l'établissement."):
        service.staff_member(login.token)

    # Even if a bug put the console on screen during a student's session, it would read nothing.
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        app.open_session(login)
        await settle(app, pilot)
        await app.push_screen(StaffScreen())
        for _ in range(3):  # settle(), but the refused call is an error the screen handles
            with contextlib.suppress(WorkerFailed):
                await app.workers.wait_for_complete()
            await pilot.pause()
        assert app.screen.query_one("#classes", DataTable).row_count == 0
        assert shows(app, "Réservé au personnel de l'établissement.")
        assert not shows(app, "2nde 3")
        service.account(login.token)  # the student's own session is untouched
    from entkiosk.domain.errors import SessionExpired

    with pytest.raises(SessionExpired):  # the kiosk that stopped logged its session out
        service.account(login.token)


async def test_a_staff_session_ended_elsewhere_closes_the_console(settings: Settings, service: AccountService,
                                                                  staff: str, tmp_path: Path) -> None:
    from entkiosk.ui.screens.welcome import WelcomeScreen

    seed_class(service, "2nde 3", FORTY[:1], "w")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await open_class(app, pilot, "2nde 3")
        service.logout(app.token)  # e.g. « Fermer le kiosque » on the staff member's other session
        await submit(app, pilot, "escape")  # back to the console, which reads the classes again
        assert isinstance(app.screen, WelcomeScreen)
        assert app.session is None
        assert shows(app, "Votre session a expiré. Veuillez vous connecter à nouveau.")
