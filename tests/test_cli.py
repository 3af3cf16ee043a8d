"""The ``entkiosk`` command line, run as a real subprocess on SQLite and PostgreSQL.

Every run goes through :func:`run`, which also checks that nothing printed a traceback.
A few refusals that never touch the database are checked in-process with ``cli.main``.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate, from_template, last_code, student
from sqlalchemy import create_engine, func, inspect, select, text

from entkiosk import cli
from entkiosk.domain import errors
from entkiosk.domain.clock import FixedClock
from entkiosk.runtime import open_service
from entkiosk.service import AccountService
from entkiosk.store.db import current_revision
from entkiosk.store.models import Account

HEADER = "nom;prénom;date de naissance;classe"
LAST_NAMES = ["Baillet", "Martin", "Bernard", "Petit", "Durand", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel",
              "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier"]
FIRST_NAMES = ["Julie", "Lucas", "Zoé", "Noah", "Léa", "Inès", "Gaëtan", "Chloé", "Hugo", "Manon"]
LETTER_PASSWORD = re.compile(r"^\s*Mot de passe \* : (\S+)\s*$", re.MULTILINE)
LETTER_IDENTIFIER = re.compile(r"^\s*Identifiant : (\S+)\s*$", re.MULTILINE)
STAFF_PASSWORD = "Craie7tableau26"  # staff: 12 to 64 characters


# ------------------------------------------------------------ helpers


def toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def write_conf(path: Path, db_url: str, outbox: Path, mail_extra: str = "") -> Path:
    path.write_text(
        f"[database]\nurl = {toml_str(db_url)}\n\n"
        f"[mail]\noutbox = {toml_str(str(outbox))}\npublic_url = \"https://services.example.org\"\n{mail_extra}\n"
        "[kiosk]\nid = \"test-kiosk\"\n",
        encoding="utf-8",
    )
    return path


def run(conf: Path | None, *args: str, input: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``entkiosk ARGS`` in a fresh interpreter; never a traceback, whatever the outcome."""
    env = dict(os.environ, PYTHONUTF8="1")
    env.pop("ENTKIOSK_CONFIG", None)
    env.pop("ENTKIOSK_DEBUG", None)  # it turns the catch-all message back into a traceback
    if conf is not None:
        env["ENTKIOSK_CONFIG"] = str(conf)
    workdir = cwd or (conf.parent if conf else Path.cwd())
    env["XDG_DATA_HOME"] = str(workdir / "xdg-data")  # never the real user folder
    proc = subprocess.run([sys.executable, "-m", "entkiosk.cli", *args], input=input, capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=workdir, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc


def call(capsys: pytest.CaptureFixture[str], conf: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """``entkiosk --config CONF ARGS`` in-process: (status, stdout, stderr)."""
    capsys.readouterr()
    status = cli.main(["--config", str(conf), *args], stdin=io.StringIO(stdin))
    out, err = capsys.readouterr()
    return status, out, err


def class_csv(n: int, *, replace: dict[int, str] | None = None) -> str:
    """A class list of ``n`` distinct students; ``replace`` swaps whole physical lines (header = 1)."""
    lines = [HEADER]
    for i in range(n):
        last, first = LAST_NAMES[i % len(LAST_NAMES)], FIRST_NAMES[i // len(LAST_NAMES)]
        born = date(2009, 1, 1) + timedelta(days=i)
        lines.append(f"{last};{first};{born:%d/%m/%Y};{'2nde 1' if i < n // 2 else '2nde 2'}")
    for line, content in (replace or {}).items():
        lines[line - 1] = content
    return "\n".join(lines) + "\n"


def identifiers(service: AccountService) -> list[str]:
    with service.core.tx() as s:
        return sorted(s.scalars(select(Account.identifier)))


def count_accounts(service: AccountService) -> int:
    with service.core.tx() as s:
        return s.scalar(select(func.count()).select_from(Account))


def letter_passwords(textual: str) -> dict[str, str]:
    ids, passwords = LETTER_IDENTIFIER.findall(textual), LETTER_PASSWORD.findall(textual)
    assert len(ids) == len(passwords)
    return dict(zip(ids, passwords, strict=True))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------ fixtures


@pytest.fixture
def conf(db_url: str, tmp_path: Path) -> Path:
    """kiosk.conf for the subprocess: same database and outbox as the ``settings`` fixture."""
    return write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")


@pytest.fixture
def sqlite_conf(tmp_path: Path) -> Path:
    """For refusals that come before any database work: one backend is enough."""
    return write_conf(tmp_path / "kiosk.conf", f"sqlite:///{tmp_path / 'entkiosk.db'}", tmp_path / "outbox")


@pytest.fixture
def live(settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountService]:
    """The service on the same database, with the real clock (and argon2 parameters) like the subprocess."""
    from_template(settings.database.url, tmp_path_factory)
    svc = open_service(settings)
    yield svc
    svc.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_template) -> Iterator[str]:
    """A database without any table (SQLite: not even the file nor its folder)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vide' / 'entkiosk.db'}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL not available: set ENTKIOSK_TEST_PG_URL")
    name = f"entkiosk_vide_{uuid.uuid4().hex[:10]}"
    with pg_template.admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_template.url(name)
    pg_template.drop(name)


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# ------------------------------------------------------------ import


def test_import_with_one_bad_row_in_200_creates_nothing(conf, live, tmp_path):
    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(200, replace={137: "Simon;Hugo;31/02/2010;2nde 2"}), encoding="utf-8")
    out = tmp_path / "lettres.txt"
    proc = run(conf, "import", str(csv), "--letters", str(out))
    assert proc.returncode == 1
    assert "Import refusé, aucun compte n'a été créé (1 ligne en erreur)" in proc.stderr
    assert "ligne 137 : la date de naissance « 31/02/2010 » n'existe pas" in proc.stderr
    assert "ligne 136" not in proc.stderr and "ligne 138" not in proc.stderr
    assert count_accounts(live) == 0
    assert not out.exists()


def test_import_refuses_markup_in_a_name_or_a_class_naming_line_and_field(conf, live, tmp_path):
    """A name or a class holding markup (« [bold red]Rouge[/] », « [b]3A[/b] ») is no name:
    the list is refused whole, each line and field named with what is allowed, nothing created."""
    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(4, replace={3: "[bold red]Rouge[/];Zoé;07/07/2010;2nde 1",
                                         4: "Martin;[@click=app.quit]Quit[/];05/05/2010;[b]3A[/b]"}), encoding="utf-8")
    proc = run(conf, "import", str(csv))
    assert proc.returncode == 1
    nbsp = "\u00a0"
    said = proc.stderr.replace(nbsp, " ")
    assert "Import refusé, aucun compte n'a été créé (2 lignes en erreur)" in said
    assert ("ligne 3 : nom : caractère « [ » non permis (lettres, espaces, traits d'union et apostrophes "
            "seulement)") in said
    assert "ligne 4 : prénom : caractère « [ » non permis" in said
    assert count_accounts(live) == 0


def test_import_refuses_student_already_on_file_at_line_137(conf, live, tmp_path):
    content = class_csv(200)
    last, first, born, cls = content.splitlines()[136].split(";")  # physical line 137
    day, month, year = (int(x) for x in born.split("/"))
    [existing] = live.import_class_list([student(first, last, date(year, month, day), cls)], actor="cli:t")
    csv = tmp_path / "classe.csv"
    csv.write_text(content, encoding="utf-8")
    proc = run(conf, "import", str(csv))
    assert proc.returncode == 1
    assert f"ligne 137 : élève déjà inscrit (identifiant {existing.identifier})" in proc.stderr
    assert "aucun compte n'a été créé" in proc.stderr
    assert identifiers(live) == [existing.identifier]


def test_import_200_students_writes_private_letters_then_refuses_reimport(conf, live, tmp_path):
    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(200), encoding="utf-8")
    out = tmp_path / "lettres.txt"
    proc = run(conf, "import", str(csv), "--letters", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "200 compte(s) créé(s) (2nde 1, 2nde 2)." in proc.stdout
    assert f"Courriers écrits dans {out}." in proc.stdout
    assert count_accounts(live) == 200

    assert mode(out) == 0o600
    letters = out.read_text(encoding="utf-8")
    assert letters.count("\f") == 199
    by_id = letter_passwords(letters)
    assert sorted(by_id) == identifiers(live)
    assert len(set(by_id.values())) == 200
    assert "julie.baillet" in by_id and "zoe.lefevre" in by_id
    assert live.authenticate("zoe.lefevre", by_id["zoe.lefevre"]).next_step == "first_connection"
    assert not list(tmp_path.glob(".lettres.txt.tmp"))

    again = run(conf, "import", str(csv))
    assert again.returncode == 1
    assert "ligne 2 : élève déjà inscrit (identifiant julie.baillet)" in again.stderr
    assert "ligne 201 : élève déjà inscrit" in again.stderr
    assert "(200 lignes en erreur)" in again.stderr
    assert count_accounts(live) == 200


def test_import_without_letters_says_how_to_print_them(conf, live, tmp_path):
    csv = tmp_path / "classe.csv"
    csv.write_bytes(("\ufeff" + HEADER + "\r\nN'Diaye;Zoé;07/07/2010;2nde 1\r\n").encode("utf-8"))
    proc = run(conf, "import", str(csv))
    assert proc.returncode == 0, proc.stderr
    assert "1 compte(s) créé(s) (2nde 1)." in proc.stdout
    assert 'entkiosk letters --class "2nde 1" -o courriers-2nde-1.pdf' in proc.stdout
    assert identifiers(live) == ["zoe.n-diaye"]


def test_import_of_cp1252_file_names_line_and_utf8(conf, live, tmp_path, capsys):
    csv = tmp_path / "classe.csv"
    csv.write_bytes("nom;prenom;date;classe\nBaillet;Julie;14/03/2010;2nde 1\nŒuvray;Gaëtan;12/12/2009;2nde 1\n"
                    .encode("cp1252"))
    status, _, err = call(capsys, conf, "import", str(csv))
    assert status == 1
    assert "ligne 3 : le fichier n'est pas encodé en UTF-8" in err
    assert count_accounts(live) == 0


def test_import_with_unknown_letters_format_is_refused_before_anything(conf, live, tmp_path, capsys):
    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(3), encoding="utf-8")
    assert cli.main(["--config", str(conf), "import", str(csv), "--letters", str(tmp_path / "l.doc")]) == 1
    err = capsys.readouterr().err
    assert "Erreur : Format de courrier inconnu « .doc » : utilisez un fichier .pdf ou .txt." in err
    assert count_accounts(live) == 0
    assert not list(tmp_path.glob("l.doc*")) and not list(tmp_path.glob(".l.doc*"))


def test_import_with_pdf_letters(conf, live, tmp_path):
    """The real command: a list of two classes asked as lettres.PDF gives one PDF per class
    beside it, named in the message, private, each with its class's pages."""
    from pypdf import PdfReader

    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(4), encoding="utf-8")
    out = tmp_path / "lettres.PDF"
    proc = run(conf, "import", str(csv), "--letters", str(out))
    assert proc.returncode == 0, proc.stderr
    files = [tmp_path / "lettres-2nde-1.PDF", tmp_path / "lettres-2nde-2.PDF"]
    assert (f"Courriers écrits dans 2 fichiers, un par classe, dans {tmp_path}\u00a0: "
            "lettres-2nde-1.PDF, lettres-2nde-2.PDF.") in proc.stdout
    assert "Mise en page 4/4" in proc.stderr
    assert not out.exists()
    pages = []
    for path in files:
        assert mode(path) == 0o600
        pages.append([page.extract_text() for page in PdfReader(path).pages])
    assert [len(p) for p in pages] == [2, 2]
    assert all("Objet\u00a0: mise à disposition de services en ligne" in page for p in pages for page in p)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".lettres")] == []


# ------------------------------------------------------------ letters


def test_letters_for_a_class_renew_passwords_of_pending_students_only(conf, live, tmp_path):
    julie, paul = live.import_class_list([student("Julie", "Baillet"), student("Paul", "Petit", line=3)], actor="cli:t")
    [zoe] = live.import_class_list([student("Zoé", "N'Diaye", cls="2nde 2")], actor="cli:t")
    activate(live, paul)
    out = tmp_path / "x.txt"
    proc = run(conf, "letters", "--class", "2nde 1", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"1 courrier écrit dans {out}" in proc.stdout
    assert "ne sont plus valables" in proc.stdout
    assert mode(out) == 0o600
    textual = out.read_text(encoding="utf-8")
    assert "Classe : 2nde 1" in textual
    new = letter_passwords(textual)
    assert list(new) == ["julie.baillet"]
    assert new["julie.baillet"] != julie.provisional_password
    with pytest.raises(errors.AuthenticationFailed):
        live.authenticate("julie.baillet", julie.provisional_password)
    assert live.authenticate("julie.baillet", new["julie.baillet"]).next_step == "first_connection"
    # Other classes and activated accounts are untouched.
    assert live.authenticate(zoe.identifier, zoe.provisional_password).next_step == "first_connection"
    assert live.authenticate(paul.identifier, GOOD_PASSWORD).next_step == "home"


def test_letters_for_one_student(conf, live, tmp_path):
    julie, paul = live.import_class_list([student("Julie", "Baillet"), student("Paul", "Petit", line=3)], actor="cli:t")
    out = tmp_path / "julie.txt"
    proc = run(conf, "letters", "--student", " Julie.Baillet ", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    new = letter_passwords(out.read_text(encoding="utf-8"))
    assert list(new) == ["julie.baillet"]
    with pytest.raises(errors.AuthenticationFailed):
        live.authenticate("julie.baillet", julie.provisional_password)
    assert live.authenticate(paul.identifier, paul.provisional_password).next_step == "first_connection"


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(path).pages]


def test_letters_for_a_class_to_pdf(conf, live, tmp_path):
    """One private page per pending student of the class, each with its new password."""
    old = live.import_class_list([student("Julie", "Baillet"), student("Paul", "Petit", line=3),
                                  student("Zoé", "N'Diaye", line=4)], actor="cli:t")
    [other] = live.import_class_list([student("Léa", "Martin", cls="2nde 2")], actor="cli:t")
    out = tmp_path / "classe.pdf"
    proc = run(conf, "letters", "--class", "2nde 1", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"3 courriers écrits dans {out}" in proc.stdout
    assert "Mise en page 3/3" in proc.stderr
    assert mode(out) == 0o600
    pages = pdf_pages(out)
    assert len(pages) == 3
    # Pages in the order of the class list: by name (Baillet, N'Diaye, Petit).
    for letter, page in zip(sorted(old, key=lambda x: x.last_name), pages, strict=True):
        [password] = re.findall(r"Mot de passe \* : (\S+)", page)
        assert f"Identifiant : {letter.identifier}" in page
        assert sum(f"Identifiant : {o.identifier}" in page for o in old) == 1
        assert password != letter.provisional_password
        assert live.authenticate(letter.identifier, password).next_step == "first_connection"
        with pytest.raises(errors.AuthenticationFailed):
            live.authenticate(letter.identifier, letter.provisional_password)
    assert live.authenticate(other.identifier, other.provisional_password).next_step == "first_connection"


@pytest.mark.parametrize("name", ["lettres.doc", "lettres", "lettres.pdf.bak"])
def test_letters_to_an_unknown_format_change_no_password(conf, live, tmp_path, name):
    [julie] = live.import_class_list([student()], actor="cli:t")
    proc = run(conf, "letters", "--class", "2nde 1", "-o", str(tmp_path / name))
    assert proc.returncode == 1
    assert proc.stderr.startswith("Erreur : Format de courrier inconnu « ")
    assert proc.stderr.strip().endswith(" : utilisez un fichier .pdf ou .txt.")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("lettres", ".lettres"))) == []
    assert live.authenticate(julie.identifier, julie.provisional_password).next_step == "first_connection"


def test_letters_to_a_missing_folder_change_no_password(conf, live, tmp_path):
    [julie] = live.import_class_list([student()], actor="cli:t")
    out = tmp_path / "absent" / "lettres.pdf"
    proc = run(conf, "letters", "--all", "-o", str(out))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"Erreur : Impossible d'écrire les courriers dans {out} : le dossier "
                                   f"{out.parent} n'existe pas ou n'est pas accessible en écriture.")
    assert live.authenticate(julie.identifier, julie.provisional_password).next_step == "first_connection"


def test_letters_to_unknown_format_is_refused(conf, tmp_path, capsys):
    assert cli.main(["--config", str(conf), "letters", "-o", str(tmp_path / "x.docx")]) == 1
    assert "Format de courrier inconnu « .docx » : utilisez un fichier .pdf ou .txt." in capsys.readouterr().err


def test_letters_for_unknown_student_or_class(conf, live, tmp_path, capsys):
    live.import_class_list([student()], actor="cli:t")
    proc = run(conf, "letters", "--student", "inconnu", "-o", str(tmp_path / "x.txt"))
    assert proc.returncode == 1
    assert "Erreur : Aucun élève n'a l'identifiant « inconnu »." in proc.stderr
    assert not (tmp_path / "x.txt").exists()
    status, _, err = call(capsys, conf, "letters", "--class", "Terminale 3", "-o", str(tmp_path / "x.txt"))
    assert status == 1
    assert "Erreur : Aucun élève dans la classe « Terminale 3 »." in err


def test_letters_for_activated_student_points_to_reset(conf, live, tmp_path, capsys):
    [julie] = live.import_class_list([student()], actor="cli:t")
    activate(live, julie)
    assert cli.main(["--config", str(conf), "letters", "--student", "julie.baillet", "-o", str(tmp_path / "x.txt")]) == 1
    err = capsys.readouterr().err
    assert "déjà activé" in err and "entkiosk reset" in err
    assert live.authenticate("julie.baillet", GOOD_PASSWORD).next_step == "home"


def test_letters_with_nothing_pending(conf, live, tmp_path):
    [julie] = live.import_class_list([student()], actor="cli:t")
    activate(live, julie)
    out = tmp_path / "x.txt"
    proc = run(conf, "letters", "--all", "-o", str(out))
    assert proc.returncode == 0
    assert "Aucun compte en attente d'activation : aucun courrier à imprimer." in proc.stdout
    assert not out.exists()


# ------------------------------------------------------------ staff, unlock, reset


def test_staff_add_reads_password_twice_from_stdin(conf, live, capsys):
    proc = run(conf, "staff", "add", "prof.martin", "--role", "direction", "--first-name", "Anne", "--last-name", "Martin",
               input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert proc.returncode == 0, proc.stderr
    assert "Compte du personnel « prof.martin » créé." in proc.stdout
    assert STAFF_PASSWORD not in proc.stdout + proc.stderr
    login = live.authenticate("prof.martin", STAFF_PASSWORD, kind="staff")
    assert login.kind == "staff" and login.first_name == "Anne" and login.next_step == "home"
    with pytest.raises(errors.AuthenticationFailed):
        live.authenticate("prof.martin", STAFF_PASSWORD)  # not a student account

    status, _, err = call(capsys, conf, "staff", "add", "Prof.Martin", "--role", "direction", stdin=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert status == 1
    assert "L'identifiant « prof.martin » existe déjà." in err


def test_staff_add_with_mismatched_confirmation_creates_nothing(conf, live):
    proc = run(conf, "staff", "add", "prof.martin", "--role", "direction", input=f"{STAFF_PASSWORD}\nProf2martiN2026\n")
    assert proc.returncode == 1
    assert "Erreur : Les deux mots de passe saisis sont différents." in proc.stderr
    assert identifiers(live) == []


@pytest.mark.parametrize(
    ("identifier", "typed", "expected"),
    [
        ("prof.martin", "Court1ab\nCourt1ab\n", "Le mot de passe est trop court : 12 caractères minimum."),
        ("prof.martin", "", "Saisissez un nouveau mot de passe."),
        ("prof martin", f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n", "Identifiant invalide"),
    ],
)
def test_staff_add_refusals_in_process(conf, live, capsys, identifier, typed, expected):
    assert cli.main(["--config", str(conf), "staff", "add", identifier, "--role", "direction"], stdin=io.StringIO(typed)) == 1
    assert expected in capsys.readouterr().err
    assert identifiers(live) == []


def test_unlock_unknown_identifier(conf):
    proc = run(conf, "unlock", "Inconnu")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Erreur : Aucun compte n'a l'identifiant « inconnu »."


def test_unlock_lifts_a_lockout(conf, live):
    [julie] = live.import_class_list([student()], actor="cli:t")
    for _ in range(live.settings.accounts.lockout_threshold - 1):
        with pytest.raises(errors.AuthenticationFailed):
            live.authenticate(julie.identifier, "Mauvais123")
    with pytest.raises(errors.Locked):
        live.authenticate(julie.identifier, "Mauvais123")
    with pytest.raises(errors.Locked):
        live.authenticate(julie.identifier, julie.provisional_password)
    proc = run(conf, "unlock", "JULIE.BAILLET")
    assert proc.returncode == 0, proc.stderr
    assert "Identifiant « julie.baillet » débloqué." in proc.stdout
    assert live.authenticate(julie.identifier, julie.provisional_password).next_step == "first_connection"


def test_reset_prints_a_letter_with_a_new_password(conf, live):
    [julie] = live.import_class_list([student()], actor="cli:t")
    activate(live, julie, email="julie.baillet@example.org")
    proc = run(conf, "reset", "julie.baillet")
    assert proc.returncode == 0, proc.stderr
    assert "Objet : mise à disposition de services en ligne" in proc.stdout
    new = letter_passwords(proc.stdout)
    assert list(new) == ["julie.baillet"]
    with pytest.raises(errors.AuthenticationFailed):
        live.authenticate("julie.baillet", GOOD_PASSWORD)
    assert live.authenticate("julie.baillet", new["julie.baillet"]).next_step == "first_connection"


def test_reset_to_a_private_file(conf, live, tmp_path):
    live.import_class_list([student()], actor="cli:t")
    out = tmp_path / "reset.txt"
    proc = run(conf, "reset", "julie.baillet", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"Nouveau courrier de « julie.baillet » écrit dans {out}." in proc.stdout
    assert "Mot de passe" not in proc.stdout
    assert mode(out) == 0o600
    new = letter_passwords(out.read_text(encoding="utf-8"))
    assert live.authenticate("julie.baillet", new["julie.baillet"]).next_step == "first_connection"


def test_reset_to_a_pdf(conf, live, tmp_path):
    [julie] = live.import_class_list([student()], actor="cli:t")
    out = tmp_path / "reset.pdf"
    proc = run(conf, "reset", "julie.baillet", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Mot de passe" not in proc.stdout
    assert mode(out) == 0o600
    [page] = pdf_pages(out)
    [password] = re.findall(r"Mot de passe \* : (\S+)", page)
    assert live.authenticate("julie.baillet", password).next_step == "first_connection"
    with pytest.raises(errors.AuthenticationFailed):
        live.authenticate("julie.baillet", julie.provisional_password)


def test_reset_unknown_or_staff_identifier(conf, live, capsys):
    live.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:t")
    proc = run(conf, "reset", "inconnu")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Erreur : Aucun élève n'a l'identifiant « inconnu »."
    status, out, err = call(capsys, conf, "reset", "prof.martin")
    assert status == 1
    assert err.strip() == "Erreur : Aucun élève n'a l'identifiant « prof.martin »."
    assert "Mot de passe" not in out
    assert live.authenticate("prof.martin", STAFF_PASSWORD, kind="staff").kind == "staff"


# ------------------------------------------------------------ purge


def test_purge_deletes_accounts_past_their_deadline(conf, settings, live, capsys):
    past = open_service(settings, clock=FixedClock(datetime(2020, 1, 10, 9, 0, tzinfo=UTC)))
    try:
        old = past.import_class_list([student("Julie", "Baillet"), student("Paul", "Petit", line=3)], actor="cli:t")
        activated = past.import_class_list([student("Léa", "Durand", line=4)], actor="cli:t")[0]
        activate(past, activated)
    finally:
        past.engine.dispose()
    [fresh] = live.import_class_list([student("Zoé", "N'Diaye")], actor="cli:t")
    proc = run(conf, "purge")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "2 compte(s) supprimé(s) (non activés à temps, ou élèves sortis depuis plus de 90 jours). julie.baillet, "
        "paul.petit",
        # The events of 2020 (two imports, Léa's login, activation and charter) are past [audit] retention_days.
        "5 événements du journal d'audit de plus de 365 jours supprimés."]
    assert identifiers(live) == sorted([activated.identifier, fresh.identifier])
    assert {o.identifier for o in old}.isdisjoint(identifiers(live))

    status, out, _ = call(capsys, conf, "purge")
    assert status == 0 and out.strip() == ("0 compte(s) supprimé(s) (non activés à temps, ou élèves sortis depuis "
                                           "plus de 90 jours).")


# ------------------------------------------------------------ outbox


def test_outbox_lists_mails_with_subject_and_code(conf, service, letter, outbox, capsys):
    activate(service, letter, email="julie.baillet@example.org")
    code = last_code(outbox)
    [paul] = service.import_class_list([student("Paul", "Petit", line=3)], actor="cli:t")
    activate(service, paul, email="paul.petit@example.org")
    second_code = last_code(outbox)

    proc = run(conf, "outbox")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Objet : Message des services en ligne - Mise à jour de votre adresse mail") == 2
    assert "=== 01/09/2026 10:00 — à : julie.baillet@example.org" in proc.stdout
    assert code in proc.stdout and second_code in proc.stdout
    assert proc.stdout.index("julie.baillet@example.org") < proc.stdout.index("paul.petit@example.org")

    status, out, _ = call(capsys, conf, "outbox", "--last", "1")
    assert status == 0
    assert "paul.petit@example.org" in out and second_code in out
    assert "julie.baillet@example.org" not in out


def test_outbox_empty_and_smtp(db_url, tmp_path, capsys):
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "boite")
    assert cli.main(["--config", str(conf), "outbox"]) == 0
    assert f"Boîte d'envoi vide ({tmp_path / 'boite'})." in capsys.readouterr().out
    smtp = write_conf(tmp_path / "smtp.conf", db_url, tmp_path / "boite", mail_extra='transport = "smtp"\n')
    assert cli.main(["--config", str(smtp), "outbox"]) == 1
    assert "il n'y a pas de boîte d'envoi locale" in capsys.readouterr().err


# ------------------------------------------------------------ schema


def test_db_upgrade_creates_the_schema_on_an_empty_database(empty_db_url, tmp_path, capsys):
    if not empty_db_url.startswith("sqlite"):
        assert tables(empty_db_url) == set()
    conf = write_conf(tmp_path / "kiosk.conf", empty_db_url, tmp_path / "outbox")
    proc = run(conf, "db", "upgrade")
    assert proc.returncode == 0, proc.stderr
    engine = create_engine(empty_db_url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    assert revision
    assert proc.stdout.strip() == f"Schéma à jour (révision {revision})."
    assert {"accounts", "classes", "audit_events", "alembic_version"} <= tables(empty_db_url)
    assert call(capsys, conf, "db", "upgrade")[:2] == (0, proc.stdout)  # idempotent


@pytest.mark.parametrize(
    ("argv", "stdin", "status"),
    [
        (["purge"], "", 0),
        (["unlock", "julie.baillet"], "", 1),
        (["reset", "julie.baillet"], "", 1),
        (["letters", "--all", "-o", "{tmp}/l.txt"], "", 0),
        (["staff", "add", "prof.martin", "--role", "direction"], f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n", 0),
        (["import", "{tmp}/classe.csv"], "", 0),
    ],
    ids=["purge", "unlock", "reset", "letters", "staff", "import"],
)
def test_every_command_upgrades_an_empty_database_by_itself(empty_db_url, tmp_path, capsys, argv, stdin, status):
    (tmp_path / "classe.csv").write_text(class_csv(1), encoding="utf-8")
    conf = write_conf(tmp_path / "kiosk.conf", empty_db_url, tmp_path / "outbox")
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(["--config", str(conf), *args], stdin=io.StringIO(stdin)) == status
    err = capsys.readouterr().err
    assert "Erreur : Base de données" not in err and "StorageUnavailable" not in err
    assert {"accounts", "alembic_version"} <= tables(empty_db_url)


# ------------------------------------------------------------ never a traceback


def test_missing_csv_file(sqlite_conf, tmp_path):
    proc = run(sqlite_conf, "import", str(tmp_path / "absent.csv"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Erreur : Impossible de lire {tmp_path / 'absent.csv'} (fichier ou dossier introuvable)."


def test_csv_that_is_a_folder(sqlite_conf, tmp_path):
    proc = run(sqlite_conf, "import", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"Erreur : {tmp_path} est un dossier : indiquez le fichier lui-même.")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[mail]\nsmtp_hots = \"x\"\n", "clé inconnue « mail.smtp_hots »"),
        ("[accounts]\nargon2_memory_cost = 1000\n", "au moins 19456"),
        ("[mail\n", "syntaxe TOML invalide"),
        ('[establishment]\ntimezone = "Mars/Olympus"\n', "fuseau horaire inconnu"),
        (None, "lecture impossible"),  # a folder where the file should be
        (b'[establishment]\nname = "Lyc\xe9e"\n', "n'est pas encodé en UTF-8"),
    ],
    ids=["unknown-key", "argon2-minimum", "toml", "timezone", "unreadable", "latin1"],
)
def test_bad_config_is_one_french_sentence(tmp_path, content, expected):
    path = tmp_path / "kiosk.conf"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    proc = run(path, "purge")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"Erreur : {path}")
    assert expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "xdg-data").exists()  # nothing was opened


def test_missing_config_given_with_option(tmp_path):
    proc = run(None, "--config", str(tmp_path / "absent.conf"), "purge", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Erreur : Fichier de configuration introuvable : {tmp_path / 'absent.conf'}"


def test_unreachable_database_is_one_french_sentence(tmp_path):
    conf = write_conf(tmp_path / "kiosk.conf", "postgresql+psycopg://postgres@127.0.0.1:1/entkiosk", tmp_path / "o")
    proc = run(conf, "purge")
    assert proc.returncode == 1
    assert proc.stderr.startswith("Erreur : Base de données inaccessible (postgresql+psycopg://postgres@127.0.0.1:1/entkiosk")
    assert str(conf) in proc.stderr


def test_demo_runs_without_traceback_and_twice(tmp_path):
    folder = tmp_path / "demo"
    proc = run(None, "demo", "--print", "--dir", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # Wrapped to the terminal between words (a long folder goes on a line of its own); each
    # command on a line of its own, whole, to be copied into another terminal.
    assert f"Démonstration prête dans {folder}" in proc.stdout.replace("\n", " ")
    assert all(len(line) < 80 or line.startswith("  ") or " " not in line for line in proc.stdout.splitlines())
    assert f"  export ENTKIOSK_CONFIG={folder / 'kiosk.conf'}" in proc.stdout.splitlines()
    first = letter_passwords((folder / "lettres.txt").read_text(encoding="utf-8"))
    assert {"julie.baillet", "julie.baillet1", "zoe.n-diaye", "gaetan.oeuvray"} <= set(first)
    assert mode(folder / "lettres.txt") == 0o600
    assert mode(folder / "lettres.pdf") == 0o600
    assert mode(folder / "demo.db") == 0o600  # password hashes: its owner's only
    pages = pdf_pages(folder / "lettres.pdf")
    assert len(pages) == len(first)
    assert all(f"Mot de passe * : {first[i]}" in page for i, page in zip(first, pages, strict=True))
    again = run(None, "demo", "--print", "--dir", str(folder), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    second = letter_passwords((folder / "lettres.txt").read_text(encoding="utf-8"))
    assert sorted(second) == sorted(first)  # same students, not imported twice
    assert all(second[i] != first[i] for i in first)


def test_sqlite_folder_that_cannot_be_created_names_the_database(tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier")
    database = blocker / "sous" / "entkiosk.db"
    conf = write_conf(tmp_path / "kiosk.conf", f"sqlite:///{database}", tmp_path / "o")
    proc = run(conf, "purge")
    assert proc.returncode == 1
    assert proc.stderr.startswith("Erreur : ") and "inattendue" not in proc.stderr
    assert str(database.parent) in proc.stderr or str(conf) in proc.stderr


def test_usage_errors_are_french_with_status_2(tmp_path):
    proc = run(None, "import", cwd=tmp_path)
    assert proc.returncode == 2
    assert "entkiosk import : erreur :" in proc.stderr
    proc = run(None, "envoyer", cwd=tmp_path)
    assert proc.returncode == 2 and "erreur" in proc.stderr


def test_no_command_without_a_terminal_says_so_in_french(tmp_path):
    proc = run(None, cwd=tmp_path)
    assert proc.returncode == 1
    assert "Le kiosque s'affiche dans un terminal" in proc.stderr


def test_console_script_help_is_french():
    script = Path(sys.executable).parent / "entkiosk"
    if not script.exists():
        pytest.skip("entkiosk console script not installed next to the interpreter")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0
    assert "Kiosque d'activation des comptes ENT" in proc.stdout
    for command in ("import", "letters", "staff", "unlock", "reset", "purge", "outbox", "db"):
        assert command in proc.stdout


def test_letters_without_a_selection_is_refused(conf, live, tmp_path):
    """New letters void old ones: the whole school must be asked for explicitly (--all)."""
    [julie] = live.import_class_list([student()], actor="cli:t")
    out = tmp_path / "x.txt"
    proc = run(conf, "letters", "-o", str(out))
    assert proc.returncode == 1
    assert "--class" in proc.stderr and "--all" in proc.stderr
    assert not out.exists()
    assert live.authenticate(julie.identifier, julie.provisional_password).next_step == "first_connection"


# ------------------------------------------------------------ forced password change


def test_force_change_for_a_class(conf, live):
    julie, zoe, paul = live.import_class_list(
        [student("Julie", "Baillet"), student("Zoé", "N'Diaye"), student("Paul", "Martin", cls="1re 2")], actor="cli:t")
    activate(live, julie)
    activate(live, paul)
    proc = run(conf, "force-change", "--class", "2nde 1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 compte(s) activé(s) devront choisir un nouveau mot de passe")
    assert live.authenticate(julie.identifier, GOOD_PASSWORD).next_step == "change_password"
    assert live.authenticate(paul.identifier, GOOD_PASSWORD).next_step == "home"
    assert live.authenticate(zoe.identifier, zoe.provisional_password).next_step == "first_connection"
    [event] = [e for e in live.audit_events() if e.event == "staff.force_change"]
    assert event.identifier == julie.identifier and event.actor.startswith("cli")


def test_force_change_needs_to_be_told_whom(conf, live):
    [julie] = live.import_class_list([student()], actor="cli:t")
    activate(live, julie)
    proc = run(conf, "force-change")
    assert proc.returncode == 2
    assert "un de ces arguments est obligatoire : --class --student --all" in proc.stderr
    proc = run(conf, "force-change", "--student", "nobody.here")
    assert proc.returncode == 1
    assert "Aucun élève n'a l'identifiant « nobody.here »" in proc.stderr
    assert live.authenticate(julie.identifier, GOOD_PASSWORD).next_step == "home"
    proc = run(conf, "force-change", "--all")
    assert proc.returncode == 0, proc.stderr
    assert live.authenticate(julie.identifier, GOOD_PASSWORD).next_step == "change_password"


def test_an_updated_class_list_with_skip_enrolled(conf, live, tmp_path):
    csv = tmp_path / "classe.csv"
    csv.write_text(class_csv(4), encoding="utf-8")
    assert run(conf, "import", str(csv)).returncode == 0
    csv.write_text(class_csv(6), encoding="utf-8")  # two newcomers at the end
    proc = run(conf, "import", str(csv))
    assert proc.returncode == 1
    assert "élève déjà inscrit" in proc.stderr and "--skip-enrolled" in proc.stderr
    assert count_accounts(live) == 4
    proc = run(conf, "import", str(csv), "--skip-enrolled")
    assert proc.returncode == 0, proc.stderr
    assert "4 élève(s) de la liste déjà inscrit(s) : inchangé(s)." in proc.stdout
    assert "2 compte(s) créé(s)" in proc.stdout
    assert count_accounts(live) == 6
    proc = run(conf, "import", str(csv), "--skip-enrolled")
    assert proc.returncode == 0 and "Aucun nouvel élève dans cette liste" in proc.stdout
    assert count_accounts(live) == 6


def test_an_unsupported_or_driverless_database_url_is_one_sentence_naming_the_key(tmp_path):
    """Another backend, a driver that is not installed, an address that does not parse: the
    installed command says the same French sentence, naming the file, the key and what works
    (not « Erreur inattendue (ModuleNotFoundError) »), exits like the other configuration
    errors, and creates nothing. (The runs go side by side: one interpreter start each.)"""
    from pty_support import installed_command

    env = dict(os.environ, PYTHONUTF8="1", XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    env.pop("ENTKIOSK_DEBUG", None)
    urls = ("pas-une-url", "nosuchdb://x/y", "mysql://kiosque@db/ent", "postgresql+asyncpg://kiosque@db/ent",
            "postgresql://[", f"sqlite+aiosqlite:///{tmp_path / 'dossier' / 'ent.db'}")
    confs = [write_conf(tmp_path / f"kiosk{n}.conf", url, tmp_path / "outbox") for n, url in enumerate(urls)]
    procs = [subprocess.Popen([str(installed_command()), "--config", str(conf), "purge"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env, cwd=tmp_path)
             for conf in confs]
    for url, conf, proc in zip(urls, confs, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, (url, err)
        assert (out, err) == ("", (
            f"Erreur\u00a0: {conf}\u00a0: clé «\u00a0database.url\u00a0»\u00a0: adresse de base de données invalide ou "
            "non prise en charge\u00a0; entkiosk fonctionne avec SQLite (sqlite:////chemin/entkiosk.db) ou PostgreSQL "
            "(postgresql+psycopg://utilisateur@serveur/base, entkiosk[postgresql] installé).\n")), url
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(c.name for c in confs)  # nothing created
