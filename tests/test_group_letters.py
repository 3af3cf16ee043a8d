"""Letters for a group of pupils chosen one by one, across classes, in one PDF (issue 15,
point 4, command line): all of them or none."""

from __future__ import annotations

import subprocess

import pytest
from conftest import activate, make_settings, student

from entkiosk.domain import errors
from entkiosk.runtime import open_service


def test_letters_for_a_group_across_classes_in_one_pdf(tmp_path, db_url):
    """entkiosk letters --students a,b: one PDF for pupils of two classes, each with a new
    provisional password; an unknown or activated pupil in the group prints nothing at all."""
    import io

    from pty_support import run_installed
    from pypdf import PdfReader
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    live = open_service(make_settings(db_url, tmp_path))
    try:
        old = {letter.identifier: letter for letter in live.import_class_list(
            [student("Julie", "Baillet", cls="2nde 1"), student("Zoé", "N'Diaye", cls="2nde 2", line=3),
             student("Paul", "Petit", cls="2nde 2", line=4)], actor="cli:t")}
        activate(live, old["paul.petit"])
    finally:
        live.engine.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_installed(conf, "letters", *args, cwd=tmp_path)

    refused = run("--students", "julie.baillet,inconnu,paul.petit", "-o", "groupe.pdf")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Erreur : Aucun élève n'a l'identifiant « inconnu » : aucun courrier")
    refused = run("--students", "julie.baillet,paul.petit", "-o", "groupe.pdf")
    assert refused.returncode == 1 and "paul.petit : compte(s) déjà activé(s)" in refused.stderr
    assert not (tmp_path / "groupe.pdf").exists()
    done = run("--students", "zoe.n-diaye, JULIE.BAILLET", "-o", "groupe.pdf")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 courriers écrits dans groupe.pdf")
    pages = PdfReader(io.BytesIO((tmp_path / "groupe.pdf").read_bytes())).pages
    texts = [page.extract_text() for page in pages]
    assert len(texts) == 2 and "julie.baillet" in texts[0] and "zoe.n-diaye" in texts[1]  # by name: Baillet, N'Diaye
    live = open_service(make_settings(db_url, tmp_path))
    try:  # the old letters no longer work: new provisional passwords
        with pytest.raises(errors.DomainError):
            live.authenticate("julie.baillet", old["julie.baillet"].provisional_password)
    finally:
        live.engine.dispose()


def test_a_group_reset_and_the_identifiers_for_the_ent(service, tmp_path):
    """reset_group: activated or not, across classes, one transaction, all or none; the CSV
    of identifiers issued has no password."""
    from entkiosk.letters.output import write_identifiers

    julie, zoe, paul = service.import_class_list(
        [student("Julie", "Baillet", cls="2nde 1"), student("Zoé", "N'Diaye", cls="2nde 2", line=3),
         student("Paul", "Petit", cls="2nde 2", line=4)], actor="cli:t")
    activate(service, paul)
    before = len(service.audit_events())
    with pytest.raises(errors.NotFound, match="inconnu"):
        service.reset_group([julie.identifier, "inconnu"], actor="cli:t")
    assert len(service.audit_events()) == before
    letters = service.reset_group([paul.identifier, julie.identifier], actor="cli:t")
    assert [le.identifier for le in letters] == [julie.identifier, paul.identifier]  # by name
    assert service.authenticate(paul.identifier, letters[1].provisional_password).next_step == "first_connection"
    path = write_identifiers(tmp_path / "identifiants.csv", letters)
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["identifiant;nom;prénom;classe;date limite d'activation",
                                 f"{julie.identifier};Baillet;Julie;2nde 1;{letters[0].deadline:%d/%m/%Y}",
                                 f"{paul.identifier};Petit;Paul;2nde 2;{letters[1].deadline:%d/%m/%Y}"]
    assert not any(le.provisional_password in text for le in letters)
    assert zoe.identifier not in text


def test_the_letters_command_writes_the_identifiers_csv(tmp_path, db_url):
    from pty_support import run_installed
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    live = open_service(make_settings(db_url, tmp_path))
    try:
        live.import_class_list([student("Julie", "Baillet", cls="2nde 1"),
                                student("Zoé", "N'Diaye", cls="2nde 2", line=3)], actor="cli:t")
    finally:
        live.engine.dispose()
    refused = run_installed(conf, "letters", "--students", "julie.baillet", "-o", "g.pdf", "--csv", "ids.txt",
                            cwd=tmp_path)
    assert refused.returncode == 1 and "s'écrit dans un fichier .csv" in refused.stderr
    assert not (tmp_path / "g.pdf").exists()
    done = run_installed(conf, "letters", "--students", "julie.baillet,zoe.n-diaye", "-o", "g.pdf", "--csv",
                         "ids.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "Identifiants (sans mot de passe) pour l'administrateur de l'ENT\u00a0: ids.csv"
    lines = (tmp_path / "ids.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines] == ["identifiant", "julie.baillet", "zoe.n-diaye"]
