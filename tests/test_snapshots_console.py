"""Snapshots of the staff console, at 80×24 and at 120×40.

One school for every picture, built once (a template database, copied for each
test): « 2nde 3 », forty students in every state, « 1ère 2 », where everyone is
ready, and « Terminale générale 12 ». The pictures are stable from run to run: a
fixed clock (5 December 2026, 10:00 in Paris: the letters of 1 September have
expired), a seeded generator, no cursor blink, a frozen idle clock, and the letters
and class lists in fixed folders under /tmp (their paths are on screen), cleared
before each test and locked against a second run at the same time.

Each test's docstring says what the picture must show; a snapshot is updated
(``--snapshot-update``) only after looking at it.
"""

from __future__ import annotations

import fcntl
import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import START, open_test_service
from test_snapshots import Frozen, click, fill, push, steps
from test_ui_console import (FORTY, STAFF, STAFF_PASSWORD, T1, Pupils, age_and_lock, console_settings, open_console,
                             refresh_letters, seed_class)
from textual.pilot import Pilot

from entkiosk.config import Settings
from entkiosk.domain.clock import FixedClock
from entkiosk.mail import OutboxTransport
from entkiosk.runtime import open_service
from entkiosk.service import AccountService
from entkiosk.ui.app import KioskApp, make_app

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])

FIXED = Path("/tmp/entkiosk-snapshots")
LETTERS = FIXED / "courriers"
LISTS = FIXED / "listes"

#: One code per student of FORTY (see :func:`test_ui_console.seed_class`): every state
#: of the guide among the first rows, which are the ones on screen at 80×24.
SECONDE = "rawlxfekrwrw" + "rwrwxrrwawrrwwrfrwrwrwwrxrww"
PREMIERE = [("Gaëtan", "Œuvray"), ("Maëlys", "Da Silva"), ("Kylian", "Lopez"), ("Margaux", "Dupont")]
TERMINALE = [("Aurélien", "Morel"), ("Chaïma", "Benali"), ("Jérémy", "Fontaine"), ("Océane", "Mercier"),
             ("Quentin", "Leroy"), ("Salomé", "Rey")]


def school(service: AccountService, clock: FixedClock, outbox: OutboxTransport) -> list[Pupils]:
    """The school of every picture, at T1, and its staff member; :func:`later` brings it to T2."""
    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    classes = [seed_class(service, "2nde 3", FORTY, SECONDE, outbox),
               seed_class(service, "1ère 2", PREMIERE, "rrer", outbox),
               seed_class(service, "Terminale générale 12", TERMINALE, "rawkxw")]
    clock.set(T1)
    refresh_letters(service, *classes)
    return classes


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> tuple[Path, list[Pupils]]:
    """The school, built once: its database file and its classes."""
    folder = tmp_path_factory.mktemp("school")
    settings = console_settings(f"sqlite:///{folder / 'school.db'}", folder)
    clock = FixedClock(START)
    service = open_test_service(settings, request, clock=clock, rng=random.Random(20260901))
    classes = school(service, clock, OutboxTransport(settings.outbox_path()))
    service.engine.dispose()
    return folder / "school.db", classes


@pytest.fixture
def fixed_folders() -> Iterator[None]:
    """The letters and lists folders, empty, and ours alone while the test runs."""
    FIXED.mkdir(exist_ok=True)
    with open(FIXED / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for folder in (LETTERS, LISTS):
            shutil.rmtree(folder, ignore_errors=True)
        LISTS.mkdir()
        yield
        shutil.rmtree(LETTERS, ignore_errors=True)  # letters hold provisional passwords


@pytest.fixture
def db_url(tmp_path: Path, template: tuple[Path, list[Pupils]]) -> str:
    """Pictures do not depend on the database: SQLite, a copy of the school."""
    target = tmp_path / "snap.db"
    with sqlite3.connect(template[0]) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, fixed_folders: None) -> Settings:
    return console_settings(db_url, tmp_path, letters={"folder": str(LETTERS)}, kiosk={"live_refresh": 3})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T1)


@pytest.fixture
def service(settings: Settings, clock: FixedClock, request: pytest.FixtureRequest) -> Iterator[AccountService]:
    svc = open_test_service(settings, request, clock=clock, rng=random.Random(20261205))
    yield svc
    svc.engine.dispose()


@pytest.fixture
def pupils(template: tuple[Path, list[Pupils]]) -> dict[str, Pupils]:
    return {p.letters[next(iter(p.letters))].class_name: p for p in template[1]}


def kiosk(service: AccountService, tmp_path: Path) -> KioskApp:
    return make_app(service.settings, service, blink=False, state_path=tmp_path / "state.json", idle_clock=Frozen())


Action = Callable[[Pilot], object]


def later(service: AccountService, clock: FixedClock, pupils: dict[str, Pupils]) -> Action:
    """T2, once the kiosk has started (its purge done): letters of September expired, lockouts fresh;
    then the staff member logs in."""

    def action(pilot: Pilot) -> None:
        age_and_lock(service, clock, *pupils.values())
        open_console(pilot.app, service)

    return action


def console(service, clock, pupils, *actions: Action):
    """``run_before``: the console at T2, then ``actions``, each followed by its workers."""
    return steps(later(service, clock, pupils), *actions)


def class_screen(name: str) -> Action:
    from entkiosk.ui.screens.staff_class import ClassScreen

    return push(lambda: ClassScreen(name))


def card(service: AccountService, identifier: str) -> Action:
    from entkiosk.ui.screens.staff_student import StudentScreen

    def status():
        [found] = service.class_students(search=identifier)
        return StudentScreen(found)

    return push(status)


# ------------------------------------------------------------------ the console and a class


@SIZES
def test_console_home(snap_compare, service, clock, pupils, tmp_path, size):
    """Console du personnel: « Connecté(e) : prof.martin », the three classes in order with their
    counts (Élèves, Activés, Charte, Mail, Bloqués, Expirés) — 1ère 2: 4 4 4 1 0 0; 2nde 3:
    40 21 19 1 2 3; « Terminale génér… » (the long name shortened so that every column fits):
    6 2 1 0 1 1 —, « 3 classes, 50 élèves ; 27 ont activé leur compte. », the field « Retrouver
    une demande (n° de référence) » with its placeholder, the buttons in
    two rows, all in view, the class table focused on 1ère 2 and taking the room left; footer
    Entrée Ouvrir, ↑↓ Choisir, Tab Suivant, Échap Se déconnecter."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(service, clock, pupils))


@SIZES
def test_class_of_forty(snap_compare, service, clock, pupils, tmp_path, size):
    """Classe 2nde 3: « 40 élèves : 21 activés (19 avec la charte), 16 en attente, 3 expirés. » on
    one line, the empty search field, then the list by name with every state among the
    first rows — Adam Inès Prêt, Barbier Lucas Activé (no charter), Benoît Chloé En attente
    (25/02/2027), Bertrand Hugo Bloqué, Blanc Léa Expiré (01/12/2026), Bonnet Nathan À changer,
    Boyer Manon Prêt with « validé » mail, Brun Louis Bloqué with a deadline —, the first row
    highlighted; the list takes the room left (10 rows at 80×24, more at 120×40) and scrolls
    with a thin vertical bar, no horizontal one; the four buttons stay in view below it."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size,
                        run_before=console(service, clock, pupils, class_screen("2nde 3")))


def search(text: str) -> Action:
    """Typed key by key in the search field, as staff do (no selection left on screen)."""

    async def action(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#search").focus()
        await pilot.pause()
        await pilot.press(*text)

    return action


@SIZES
def test_class_search(snap_compare, service, clock, pupils, tmp_path, size):
    """« ma » typed in « rechercher un élève » (focused, label in bold): only the students whose
    name or identifier holds « ma » — Boyer Manon, Colin Emma, Laurent Mathis, Marchand Paul,
    Martin Julia, Masson Ethan, Robin Maël —; the counts above still speak of the whole class."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size,
                        run_before=console(service, clock, pupils, class_screen("2nde 3"), search("ma")))


# ------------------------------------------------------------------ a student's card


@SIZES
def test_card_waiting(snap_compare, service, clock, pupils, tmp_path, size):
    """Chloé Benoît, waiting: identifier chloe.benoit, classe 2nde 3, né(e) le 14/03/2010, État
    En attente, charte non acceptée, adresse aucune, « Activation avant le 25/02/2027 »; one
    action, « Imprimer un nouveau courrier » (focused), then RETOUR."""
    [ident] = [i for i in pupils["2nde 3"].having("w") if i.startswith("chloe")]
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, class_screen("2nde 3"), card(service, ident)))


@SIZES
def test_card_activated_and_locked(snap_compare, service, clock, pupils, tmp_path, size):
    """Hugo Bertrand, activated and locked out: État Prêt, charte acceptée, « Activé le
    01/09/2026 à 10:00 », « Blocage : trop d'essais infructueux : compte bloqué »; actions
    « Réinitialiser le compte » (focused) and « Changement de mot de passe imposé » on one row,
    « Débloquer » and RETOUR on the next: nothing past the edge at 80×24."""
    [ident] = pupils["2nde 3"].having("l")
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, class_screen("2nde 3"), card(service, ident)))


@SIZES
def test_card_expired(snap_compare, service, clock, pupils, tmp_path, size):
    """Léa Blanc, expired: État Expiré, « Activation avant le 01/12/2026 » (passed); one action,
    « Recréer le compte » (focused), then RETOUR; no reset, no forced change."""
    [ident] = [i for i in pupils["2nde 3"].having("x") if i.startswith("lea")]
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, class_screen("2nde 3"), card(service, ident)))


# ------------------------------------------------------------------ confirmation and job


@SIZES
def test_confirm_class_letters(snap_compare, service, clock, pupils, tmp_path, size):
    """Over the dimmed class, the yellow-framed dialog « Imprimer les courriers de la classe
    « 2nde 3 » »: « 19 courriers à imprimer, un par compte pas encore activé », each letter
    carries a new provisional password, the letters already handed out
    stop working, activated accounts get none; IMPRIMER in red and ANNULER focused in orange (the
    safe choice under Entrée), and under them what Entrée does: « Entrée : ANNULER, rien ne
    change. Pour IMPRIMER : Tab, puis Entrée. »; the dialog's own footer: Entrée Choisir, Tab
    Suivant, Échap Annuler."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, class_screen("2nde 3"), click("#letters")))


@SIZES
def test_job_letters_written(snap_compare, service, clock, pupils, tmp_path, size):
    """The letters of 2nde 3 done: « Courriers de la classe « 2nde 3 » », « 19 courriers
    enregistrés dans le fichier : /tmp/entkiosk-snapshots/courriers/courriers-2nde-3-20261205-
    100000.pdf », the advice to print it (the earlier letters no longer work), no progress bar
    left, OK focused; the dialog's own footer: Entrée Choisir, Échap Fermer. At 80×24 the path
    is longer than the dialog and wraps before « .pdf »; at 120×40 it fits on one line."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, class_screen("2nde 3"), click("#letters"), click("#confirm")))


# ------------------------------------------------------------------ import and add


BAD_LIST = """nom;prénom;date de naissance;classe
Adam;Inès;14/03/2010;2nde 4
Durand;Raphaëlle;31/02/2010;2nde 4
Roux;Yanis;2nde 4
Morin;Clarisse;14/03/2010;2nde 4
Morin;Clarisse;14/03/2010;2nde 4
;Enzo;14/03/2010;2nde 4
"""

GOOD_LIST = """nom;prénom;date de naissance;classe
Adam;Inès;02/11/2009;2nde 4
N'Diaye;Zoé;07/07/2010;2nde 4
Lefèvre;Jean Pierre;21/01/2010;2nde 4
Œuvray;Gaëtan;30/06/2010;2nde 4
Morin;Clarisse;14/03/2010;2nde 4
"""


def preview(name: str, content: str) -> list[Action]:
    from entkiosk.ui.screens.staff_import import ImportScreen

    path = LISTS / name
    path.write_text(content, encoding="utf-8")
    return [push(ImportScreen), fill(path=str(path)), click("#preview")]


@SIZES
def test_import_preview_bad_rows(snap_compare, service, clock, pupils, tmp_path, size):
    """Importer une liste de classe, /tmp/entkiosk-snapshots/listes/2nde-4-erreurs.csv: in red
    « 4 lignes refusées : aucun élève ne sera importé. Corrigez le fichier puis relancez
    l'aperçu. », then each refused line with its reason (3 the date does not exist, 4 three
    columns, 6 a double of line 5, 7 no last name; line 2, ines.adam already enrolled, is not a
    mistake), the first one highlighted; no import button. At 80×24 the path field shows the
    start of the path."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, *preview("2nde-4-erreurs.csv", BAD_LIST)))


@SIZES
def test_import_preview_clean(snap_compare, service, clock, pupils, tmp_path, size):
    """The preview of a clean list: « 5 élève(s) à créer dans 1 classe(s) : 2nde 4 (5). Vérifiez, puis
    importez… », each line with name, birth date, class and the identifier it will get —
    ines.adam1 and zoe.n-diaye1 (homonyms, born another day, of students of 2nde 3),
    jean-pierre.lefevre, gaetan.oeuvray1 (a homonym in 1ère 2), clarisse.morin —, then
    « IMPORTER ET IMPRIMER LES COURRIERS » focused (orange); no list of refusals."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, *preview("2nde-4.csv", GOOD_LIST)))


def sync_preview(service: AccountService) -> list[Action]:
    """Last year's SIECLE export imported (4A, 4B), then « Mise à jour SIECLE » with this year's."""
    from siecle_support import first_year, pupils_xml, pupils_zip, second_year

    from entkiosk.ui.screens.staff_sync import SyncScreen

    def imported(_pilot: Pilot) -> None:
        first = service.preview_class_list(pupils_zip(pupils_xml(first_year())))
        service.import_class_list(first.rows, actor="cli:seed", uaj=first.uaj)

    path = LISTS / "ElevesSansAdresses.xml"
    path.write_bytes(pupils_xml(second_year(), year="2027"))
    return [imported, push(SyncScreen), fill(path=str(path)), click("#preview")]


@SIZES
def test_sync_preview(snap_compare, service, clock, pupils, tmp_path, size):
    """Mise à jour annuelle depuis SIECLE, /tmp/entkiosk-snapshots/listes/ElevesSansAdresses.xml:
    « Export SIECLE de l'établissement 0599999Z, année 2027-2028 : 3 nouveaux élèves, 4 changements
    de classe, 1 départ, 0 retour, 1 nom corrigé, 0 élève inchangé, 1 INE reçu. 50 comptes créés hors
    SIECLE restent tels quels. Vérifiez, puis appliquez (les courriers… PDF à imprimer). », then
    APPLIQUER focused (orange) above the changes grouped (Nouvel élève ×3 with their identifiers,
    Classe 4A → 3A…, Départ of julie.baillet1 « absent de l'export », Nom corrigé → ŒUVRARD-LEROY
    Çécile); at 80×24 the list goes on below the fold."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, *sync_preview(service)))


@SIZES
def test_audit_screen(snap_compare, service, clock, pupils, tmp_path, size):
    """Journal d'audit: the four criteria (compte, classe, genre d'événement, depuis le), FILTRER,
    EXPORTER EN CSV, RETOUR, « N événements, du plus récent au plus ancien. », then the events
    newest first — « connexion » of prof.martin at the top —, each with its date, its French label,
    the account and who acted; the « compte » field focused."""
    from entkiosk.ui.screens.staff_audit import AuditScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, push(AuditScreen)))


@SIZES
def test_add_student_errors(snap_compare, service, clock, pupils, tmp_path, size):
    """Ajouter un élève with only « Roux » and 31/02/2010: in red beside their fields « Saisissez le
    prénom. », the date that does not exist, « Saisissez la classe. »; under the form « Identifiant
    qui sera créé : saisissez le nom et le prénom. »; the prénom field focused."""
    from entkiosk.ui.screens.staff_add import AddStudentScreen

    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, push(AddStudentScreen),
        fill(last_name="Roux", birth_day="31", birth_month="02", birth_year="2010"), click("#create")))


# ------------------------------------------------------------------ live session


def live(name: str) -> list[Action]:
    from entkiosk.ui.screens.live_session import LiveSessionScreen

    return [class_screen(name), push(lambda: LiveSessionScreen(name))]


@SIZES
def test_live_session_in_progress(snap_compare, service, clock, pupils, tmp_path, size):
    """SÉANCE D'ACTIVATION, Classe 2nde 3: « 21 / 40 élèves ont activé leur compte — 19 ont aussi
    accepté la charte », the bar a little over half full, « Il manque encore 21 élèves : » and
    the list of who and why (Charte à accepter, Pas encore activé, Bloqué (trop d'essais), Délai
    dépassé), « Mis à jour à 10:00:00 ; actualisation automatique toutes les 3 s. D et C pour l'élève
    choisi, A pour une demande ; Échap termine la séance. »; the list takes the room
    left; footer ↑↓ Choisir, D Débloquer, C Courrier, A Approuver and Échap « Terminer la
    séance », nothing else."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, *live("2nde 3")))


@SIZES
def test_live_session_everyone_ready(snap_compare, service, clock, pupils, tmp_path, size):
    """Classe 1ère 2, everyone done: « 4 / 4 élèves ont activé leur compte — 4 ont aussi accepté
    la charte », the bar full, « Tous les élèves de la classe ont activé leur compte et accepté la
    charte. », no list, the time of the last reading."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, *live("1ère 2")))


@SIZES
def test_live_session_with_a_request(snap_compare, service, clock, pupils, tmp_path, size):
    """Classe 1ère 2, everyone done, and Gaëtan Œuvray asked « Je n'ai pas d'adresse mail »:
    « 1 demande sans adresse mail (A pour approuver) : », its code, « ŒUVRAY Gaëtan » and « en
    attente, expire à 10:15 »."""

    def ask(_pilot: Pilot) -> None:
        service.ask_for_help("gaetan.oeuvray", "14/03/2010")

    assert snap_compare(kiosk(service, tmp_path), terminal_size=size, run_before=console(
        service, clock, pupils, ask, *live("1ère 2")))


#: Names as long as a school's list has them (« 2nde 3 »'s are short).
LONG_NAMES = [("Delacroix-Fontaine de Saint-Exupéry", "Marie-Éléonore"), ("Van der Berghe-Lefebvre", "Jean-Baptiste"),
              ("Bourdon-Lacroix", "Anne-Charlotte")]


def long_names_class(service: AccountService) -> Action:
    """« Terminale générale 13 »: three pupils with long names, their letters just issued."""
    from datetime import date

    from entkiosk.domain.classlist import StudentRow

    def action(pilot: Pilot) -> None:
        service.import_class_list([StudentRow(i + 2, last, first, date(2009, 2, 1 + i), "Terminale générale 13")
                                   for i, (last, first) in enumerate(LONG_NAMES)], actor="cli:test")

    return action


def test_class_with_long_names(snap_compare, service, clock, pupils, tmp_path):
    """Classe Terminale générale 13 at 80×24: « 3 élèves : 0 activé (0 avec la charte), 3 en
    attente, 0 expiré. », then Bourdon-Lacroix Ann…, Delacroix-Fontaine …, Van der Berghe-Lefe…
    in that order: each name keeps 20 cells ending in « … », each identifier keeps its start
    and its end around « … » (« anne-c…acroix »), while État (En attente), Charte, Mail and
    Échéance (05/03/2027) are whole, all within 80 columns, with no horizontal scroll bar."""
    assert snap_compare(kiosk(service, tmp_path), terminal_size=(80, 24), run_before=console(
        service, clock, pupils, long_names_class(service), class_screen("Terminale générale 13")))


# ------------------------------------------------------------------ the LDAP directory's backlog


def test_console_directory_backlog(snap_compare, db_url, tmp_path, fixed_folders, clock, pupils):
    """The console of a direction member with a ``[directory]`` whose server does not answer (a
    closed loopback port): under « 4 classes, 53 élèves ; 27 ont activé leur compte. », in grey
    « Annuaire : 3 mises à jour en attente (la plus ancienne depuis 12 min). » and under it, in
    the warning colour (orange), the product's sentence « L'annuaire ldap://127.0.0.1:1 ne répond
    pas : serveur arrêté ou injoignable. Les mises à jour attendent et partiront dès son
    retour. » on two lines; the class table (« 2nde 4 » added, 3 0 0 0 0 0) shrinks to its
    header and four rows, and the reference field, the three rows of buttons and the footer stay
    in view at 80×24."""
    from datetime import timedelta

    from test_ui_console import T2, rows

    password = tmp_path / "annuaire.secret"
    password.write_text("secret\n", encoding="utf-8")
    password.chmod(0o600)
    settings = console_settings(db_url, tmp_path, letters={"folder": str(LETTERS)}, kiosk={"live_refresh": 3},
                                directory={"url": "ldap://127.0.0.1:1", "base": "ou=eleves,dc=lycee-exemple,dc=test",
                                           "bind_dn": "cn=entkiosk,ou=services,dc=lycee-exemple,dc=test",
                                           "password_file": str(password), "tls": "none"})
    service = open_service(settings, clock=clock, rng=random.Random(20261205))

    def backlog(pilot: Pilot) -> None:
        """Three pupils added 12 minutes before T2, their delivery tried at once; then as :func:`later`."""
        clock.set(T2 - timedelta(minutes=12))
        service.import_class_list(rows([("Nina", "Aubert"), ("Malo", "Carpentier"), ("Lyna", "Deschamps")], "2nde 4"),
                                  actor="cli:seed")
        assert service.deliver_directory("snapshot").problem  # the server is out of reach: recorded
        age_and_lock(service, clock, *pupils.values())
        open_console(pilot.app, service)

    try:
        assert snap_compare(kiosk(service, tmp_path), terminal_size=(80, 24), run_before=steps(backlog))
    finally:
        service.engine.dispose()
