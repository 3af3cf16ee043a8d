"""The yearly update from SIECLE, on both databases: what an export changes is previewed
without writing, then applied in one transaction; pupils are matched by INE then
ELEVE_ID, never by name; leavers are closed at once and deleted after the retention;
a pupil who comes back gets the same account. And the school's code (UAJ) guards it all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, last_code, make_settings
from siecle_support import (
    UAJ,
    Pupil,
    division_csv,
    first_year,
    pupils_xml,
    pupils_zip,
    second_year,
)
from sqlalchemy import select

from entkiosk.domain import errors
from entkiosk.runtime import open_service
from entkiosk.store.models import Account, AuditEvent, Establishment

YEAR1 = pupils_zip(pupils_xml(first_year()))
YEAR2 = pupils_xml(second_year(), year="2027", exported="31/08/2027")


def import_export(service, data: bytes = YEAR1):
    preview = service.preview_class_list(data)
    assert preview.problems == []
    return {letter.identifier: letter for letter in service.import_class_list(preview.rows, actor="cli:test",
                                                                              uaj=preview.uaj)}


def snapshot(service) -> list[tuple]:
    """Every pupil's account as stored (hash, address, keys, class, state): to see what changed."""
    with service.engine.connect() as c:
        return sorted(tuple(r) for r in c.execute(
            select(Account.identifier, Account.last_name, Account.first_name, Account.birth_date, Account.class_id,
                   Account.password_hash, Account.email, Account.state, Account.ine, Account.eleve_id,
                   Account.left_at, Account.activated_at)))


def activate_zoe(service, letters, outbox) -> None:
    """Zoé activates with a validated address, before the summer."""
    login = service.authenticate("zoe.ndiaye", letters["zoe.ndiaye"].provisional_password)
    service.first_connection(login.token, birth_date="14/02/2012", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD, email="zoe@example.org", confirm_email="zoe@example.org")
    service.accept_charter(login.token, service.settings.charter.version)
    service.validate_email(last_code(outbox), token=login.token)
    service.logout(login.token)


def test_import_keeps_the_siecle_keys_and_records_the_school(service):
    letters = import_export(service)
    assert sorted(letters) == ["agca.yildiz", "cecile.oeuvrard", "julie.baillet", "julie.baillet1", "lucas.martin",
                               "zoe.ndiaye"]
    with service.engine.connect() as c:
        keys = dict(c.execute(select(Account.identifier, Account.ine)).all())
        assert keys["zoe.ndiaye"] == "1234567890A" and keys["agca.yildiz"] is None
        assert c.execute(select(Establishment.uai)).scalar_one() == UAJ
    # The same export again: every pupil is already enrolled, found by key.
    again = service.preview_class_list(YEAR1)
    assert again.rows == [] and len(again.enrolled) == 6 and again.uaj == UAJ


def test_second_year_preview_groups_every_change_and_writes_nothing(service, outbox):
    letters = import_export(service)
    activate_zoe(service, letters, outbox)
    before = snapshot(service)
    plan = service.preview_update(YEAR2)
    assert snapshot(service) == before
    assert plan.problems == []
    assert list(zip(plan.identifiers, [(r.last_name, r.class_name) for r in plan.newcomers], strict=True)) == [
        ("ines.roux", ("ROUX", "3A")), ("nathan.lefebvre", ("LEFEBVRE", "6C")), ("julie.baillet2", ("BAILLET", "6C"))]
    assert {(c.identifier, c.before, c.after) for c in plan.moves} == {
        ("zoe.ndiaye", "4A", "3A"), ("lucas.martin", "4A", "3A"), ("julie.baillet", "4A", "3B"),
        ("agca.yildiz", "4B", "3B")}
    assert [(c.identifier, c.why) for c in plan.leaving] == [("julie.baillet1", "absent de l'export")]
    assert [(c.identifier, c.after) for c in plan.renamed] == [
        ("cecile.oeuvrard", "ŒUVRARD-LEROY Çécile")]  # the birth date, unchanged, is not repeated
    assert plan.returning == [] and plan.linked == [] and plan.unchanged == 0 and plan.changes == 9
    assert plan.ines_received == 1 and plan.counts.endswith(", 0 élève inchangé, 1 INE reçu")  # Ağça's


def test_second_year_applied_keeps_password_address_and_activation(service, outbox, clock):
    letters = import_export(service)
    activate_zoe(service, letters, outbox)
    kept = {r[0]: r for r in snapshot(service)}
    clock.advance(days=365)
    done = service.apply_update(YEAR2, actor="cli:test")
    assert sorted(letter.identifier for letter in done.letters) == ["ines.roux", "julie.baillet2", "nathan.lefebvre"]
    after = {r[0]: r for r in snapshot(service)}
    zoe_before, zoe = kept["zoe.ndiaye"], after["zoe.ndiaye"]
    assert zoe[4] != zoe_before[4]  # another class…
    assert zoe[5:8] == zoe_before[5:8] == (zoe_before[5], "zoe@example.org", "active")  # …same hash, address, state
    assert zoe[11] == zoe_before[11] is not None
    assert service.authenticate("zoe.ndiaye", GOOD_PASSWORD).identifier == "zoe.ndiaye"  # logs in as before
    assert after["agca.yildiz"][8:10] == ("1234567894E", "4105")  # her INE, come at last
    assert after["cecile.oeuvrard"][1] == "ŒUVRARD-LEROY"
    assert after["julie.baillet1"][10] is not None  # left
    classes = {st.identifier: (st.class_name, st.state) for st in service.class_students()}
    assert classes["zoe.ndiaye"] == ("3A", "ready") and classes["julie.baillet1"] == ("4B", "left")
    # Nobody has two accounts: 6 + 3 newcomers.
    assert len(after) == 9
    # Every change is an audit event.
    with service.engine.connect() as c:
        events = sorted((e, i) for e, i in c.execute(select(AuditEvent.event, AuditEvent.identifier))
                        if e.startswith("sync."))
    assert events == sorted([
        ("sync.applied", None), ("sync.class_changed", "agca.yildiz"), ("sync.class_changed", "julie.baillet"),
        ("sync.class_changed", "lucas.martin"), ("sync.class_changed", "zoe.ndiaye"),
        ("sync.created", "ines.roux"), ("sync.created", "julie.baillet2"), ("sync.created", "nathan.lefebvre"),
        ("sync.keys", "agca.yildiz"), ("sync.left", "julie.baillet1"), ("sync.renamed", "cecile.oeuvrard")])
    # Applied twice: nothing more to do.
    assert service.preview_update(YEAR2).changes == 0


def test_a_leaver_cannot_log_in_nor_recover_and_is_deleted_after_the_retention(service, outbox, clock):
    letters = import_export(service)
    activate_zoe(service, letters, outbox)
    mails = len(outbox.entries())
    gone = [p for p in first_year() if p.eleve_id != "4101"]  # Zoé is no longer in the export
    service.apply_update(pupils_xml(gone), actor="cli:test")
    with pytest.raises(errors.AccountClosed) as caught:
        service.authenticate("zoe.ndiaye", GOOD_PASSWORD)
    assert "Ce compte est fermé" in str(caught.value)
    service.forgot_password("zoe.ndiaye")  # the same answer as for anyone, and no mail
    with pytest.raises(errors.RecoveryRefused):
        service.forgot_identifier("zoe@example.org")
    service.wait_for_mail(5)
    assert len(outbox.entries()) == mails
    with pytest.raises(errors.NotAllowed):
        service.staff_reset("zoe.ndiaye", actor="cli:test")
    clock.advance(days=89)
    assert "zoe.ndiaye" not in service.purge_expired(actor="cli:test")
    clock.advance(days=2)
    assert service.purge_expired(actor="cli:test") == ["zoe.ndiaye"]


def test_a_pupil_who_comes_back_within_the_retention_gets_the_same_account(service, outbox, clock):
    letters = import_export(service)
    activate_zoe(service, letters, outbox)
    service.apply_update(pupils_xml([p for p in first_year() if p.eleve_id != "4101"]), actor="cli:test")
    clock.advance(days=30)
    back = pupils_xml(first_year()[:1] + [p for p in first_year() if p.eleve_id != "4101"])
    plan = service.preview_update(back)
    assert [c.identifier for c in plan.returning] == ["zoe.ndiaye"] and plan.newcomers == []
    service.apply_update(back, actor="cli:test", expected=plan.fingerprint)
    assert service.authenticate("zoe.ndiaye", GOOD_PASSWORD).identifier == "zoe.ndiaye"


def test_date_de_sortie_closes_the_account(service):
    import_export(service)
    pupils = first_year()
    pupils[0].left = "20/10/2026"
    plan = service.preview_update(pupils_xml(pupils))
    assert [(c.identifier, c.why) for c in plan.leaving] == [("zoe.ndiaye", "date de sortie dans SIECLE")]


def test_matching_is_by_ine_then_eleve_id_never_by_name(service):
    import_export(service)
    pupils = first_year()
    # 4103 Julie BAILLET of 4A gets another ELEVE_ID (a new school year's export) but keeps her INE;
    # a new pupil with exactly the names and birth date of 4104 Julie arrives with her own keys.
    pupils[2].eleve_id = "9103"
    twin = Pupil("9999", "BAILLET", "Julie", "02/06/2011", "4C", ine="9999999999Z")
    plan = service.preview_update(pupils_xml(pupils + [twin]))
    assert plan.problems == [] and plan.moves == [] and plan.leaving == []
    assert [(r.eleve_id, i) for r, i in zip(plan.newcomers, plan.identifiers, strict=True)] == [("9999", "julie.baillet2")]


def test_accounts_made_before_siecle_are_linked_once_not_doubled(service):
    from conftest import student

    service.import_class_list([student("Zoé", "NDIAYE", born=__import__("datetime").date(2012, 2, 14), cls="4A")],
                              actor="cli:test")
    plan = service.preview_update(YEAR1)
    assert [c.identifier for c in plan.linked] == ["zoe.ndiaye"]
    assert "zoe.ndiaye" not in plan.identifiers and len(plan.newcomers) == 5
    service.apply_update(YEAR1, actor="cli:test")
    assert service.preview_update(YEAR1).changes == 0
    assert len([st for st in service.class_students() if st.last_name == "NDIAYE"]) == 1


def test_update_refuses_a_csv_export_and_a_bad_record_changes_nothing(service):
    import_export(service)
    with pytest.raises(errors.FileRefused) as caught:
        service.preview_update(division_csv(first_year()[:4]))
    assert "ne dit pas quels élèves ont quitté l'établissement" in str(caught.value)
    before = snapshot(service)
    pupils = second_year()
    pupils[-1].born = "31/02/2014"
    with pytest.raises(errors.ImportRejected) as caught:
        service.apply_update(pupils_xml(pupils), actor="cli:test")
    assert str(caught.value).startswith("Mise à jour refusée, aucun compte n'a été modifié (1 élève en erreur)")
    assert "élève 4110 (BAILLET Julie) : la date de naissance « 31/02/2014 » n'existe pas" in str(caught.value)
    assert snapshot(service) == before


def test_apply_refuses_when_the_accounts_changed_since_the_preview(service):
    import_export(service)
    plan = service.preview_update(YEAR2)
    # Meanwhile another kiosk imports a pupil with SIECLE keys (absent from YEAR2: she would leave).
    new = service.preview_class_list(pupils_xml([Pupil("5000", "NEW", "Léa", "01/01/2012", "3A", ine="5555555555L")]))
    service.import_class_list(new.rows, actor="cli:test", uaj=new.uaj)
    before = snapshot(service)
    with pytest.raises(errors.Conflict):
        service.apply_update(YEAR2, actor="cli:test", expected=plan.fingerprint)
    assert snapshot(service) == before


def test_export_of_another_school_is_refused_naming_both_codes(service):
    import_export(service)
    before = snapshot(service)
    other = pupils_xml(second_year(), uaj="0591234A")
    for attempt in (lambda: service.preview_update(other), lambda: service.apply_update(other, actor="cli:test"),
                    lambda: service.preview_class_list(other)):
        with pytest.raises(errors.FileRefused) as caught:
            attempt()
        assert str(caught.value) == (
            "Cet export SIECLE est celui de l'établissement 0591234A, et ce kiosque sert l'établissement 0599999Z "
            "(code enregistré par le premier import SIECLE) : il est refusé en entier, rien n'a été enregistré.")
    assert snapshot(service) == before


def test_configured_uai_wins_from_the_first_import(db_url, tmp_path, clock):
    settings = make_settings(db_url, tmp_path, establishment={"uai": "0590000x"})
    service = open_service(settings, clock=clock)
    try:
        with pytest.raises(errors.FileRefused) as caught:
            service.preview_class_list(YEAR1)
        assert "celui de l'établissement 0599999Z, et ce kiosque sert l'établissement 0590000X ([establishment] uai" \
               in str(caught.value)
        preview = service.preview_class_list(pupils_xml(first_year(), uaj="0590000X"))
        service.import_class_list(preview.rows, actor="cli:test", uaj=preview.uaj)
    finally:
        service.engine.dispose()


# ---------------------------------------------------------------- the real installed command


def entkiosk(conf: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script pip installed (``.venv/bin/entkiosk``), as a secretariat runs it."""
    from pty_support import run_installed

    return run_installed(conf, *args, cwd=cwd)


@pytest.fixture
def school(db_url: str, tmp_path: Path) -> Path:
    from test_cli import write_conf

    (tmp_path / "ExportXML_ElevesSansAdresses.zip").write_bytes(YEAR1)
    (tmp_path / "ElevesSansAdresses.xml").write_bytes(YEAR2)
    return write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")


def test_cli_import_then_september_sync_then_students(school, tmp_path, settings):
    proc = entkiosk(school, "import", "ExportXML_ElevesSansAdresses.zip", "--letters", "lettres.pdf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:4] == [
        "Export XML de SIECLE (ElevesSansAdresses) de l'établissement 0599999Z.",
        "1 élève sorti de l'établissement (date de sortie dans SIECLE) : pas de compte.",
        "1 élève sans division dans SIECLE, pas encore importé : élève 4108 (ROUX Inès)",
        "6 compte(s) créé(s) (4A, 4B)."]
    assert (tmp_path / "lettres-4a.pdf").is_file() and (tmp_path / "lettres-4b.pdf").is_file()
    live = open_service(settings)
    try:
        before = snapshot(live)
        preview = entkiosk(school, "sync", "ElevesSansAdresses.xml", cwd=tmp_path)
        assert preview.returncode == 0, preview.stderr
        assert snapshot(live) == before  # a preview writes nothing
        out = preview.stdout
        for line in ("Nouveaux élèves (comptes et courriers à créer) : 3",
                     "  julie.baillet2   BAILLET Julie (6C)",
                     "Changements de classe (compte, mot de passe et adresse gardés) : 4",
                     "  4A → 3A : 2 élèves", "  4A → 3B : 1 élève", "  4B → 3B : 1 élève",
                     "Départs (comptes fermés aussitôt, supprimés après le délai de conservation) : 1",
                     "  julie.baillet1   BAILLET Julie (4B, absent de l'export)",
                     "Noms corrigés (l'identifiant ne change pas) : 1",
                     "Inchangés : 0",
                     "Aperçu seulement : rien n'a été enregistré. Pour appliquer ces changements :"):
            assert line in out.splitlines(), (line, out)
        applied = entkiosk(school, "sync", "ElevesSansAdresses.xml", "--apply", "--letters", "rentree.pdf",
                           cwd=tmp_path)
        assert applied.returncode == 0, applied.stderr
        assert ("Mise à jour appliquée : 3 nouveaux élèves, 4 changements de classe, 1 départ, 0 retour, "
                "1 nom corrigé, 0 élève inchangé, 1 INE reçu.") in applied.stdout
        assert (tmp_path / "rentree-3a.pdf").is_file() and (tmp_path / "rentree-6c.pdf").is_file()
        assert snapshot(live) != before
    finally:
        live.engine.dispose()
    again = entkiosk(school, "sync", "ElevesSansAdresses.xml", "--apply", cwd=tmp_path)
    assert not (tmp_path / "xdg-data" / "entkiosk" / "courriers").exists()  # no newcomer, no letters
    assert again.returncode == 0 and "La base est déjà à jour : rien n'a été modifié." in again.stdout
    listed = entkiosk(school, "students", "--csv", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "identifiant;nom;prénom;date de naissance;classe;état"
    assert "julie.baillet1;BAILLET;Julie;02/06/2011;4B;sorti" in lines
    assert "cecile.oeuvrard;ŒUVRARD-LEROY;Çécile;30/01/2012;4B;en attente" in lines
    assert len(lines) == 1 + 9
    table = entkiosk(school, "students", "--class", "4B", cwd=tmp_path)
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == ["Identifiant", "Nom", "Prénom", "Né(e)", "le", "Classe", "État"]
    assert table.stdout.rstrip().endswith("2 élèves, dont 1 sorti.")


def test_cli_refusals_are_french_and_write_nothing(school, tmp_path, settings):
    assert entkiosk(school, "import", "ExportXML_ElevesSansAdresses.zip", cwd=tmp_path).returncode == 0
    (tmp_path / "autre.xml").write_bytes(pupils_xml(second_year(), uaj="0591234A"))
    (tmp_path / "division.csv").write_bytes(division_csv(first_year()[:3]))
    big = tmp_path / "gros.zip"
    with big.open("wb") as file:
        file.truncate(200 * 1024 * 1024)
    live = open_service(settings)
    try:
        before = snapshot(live)
        for args, message in (
            (("sync", "autre.xml", "--apply"), "Erreur : Cet export SIECLE est celui de l'établissement 0591234A, et ce "
                                               "kiosque sert l'établissement 0599999Z"),
            (("import", "autre.xml"), "Erreur : Cet export SIECLE est celui de l'établissement 0591234A"),
            (("sync", "division.csv", "--apply"), "Erreur : La mise à jour annuelle se fait avec l'export XML de SIECLE"),
            (("import", "gros.zip"), f"Erreur : {big.name} fait 200 Mo"),
            (("import", "ExportXML_ElevesSansAdresses.zip"), "Erreur : Import refusé, aucun compte n'a été créé "
                                                              "(6 élèves en erreur) :\n  élève 4101 (NDIAYE Zoé) : élève "
                                                              "déjà inscrit (identifiant zoe.ndiaye)"),
        ):
            proc = entkiosk(school, *args, cwd=tmp_path)
            assert proc.returncode == 1 and proc.stderr.startswith(message), (args, proc.stderr)
        assert snapshot(live) == before
    finally:
        live.engine.dispose()
    assert "sync FICHIER" in proc.stderr and "--skip-enrolled" in proc.stderr


def test_cli_sync_always_writes_the_newcomers_letters(school, tmp_path):
    """Their provisional passwords exist only while the update runs: without --letters, the
    letters go to a PDF in the letters folder, and the command says where."""
    assert entkiosk(school, "import", "ExportXML_ElevesSansAdresses.zip", cwd=tmp_path).returncode == 0
    proc = entkiosk(school, "sync", "ElevesSansAdresses.xml", "--apply", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "xdg-data" / "entkiosk" / "courriers"
    files = sorted(folder.glob("courriers-rentree-*.pdf"))
    assert len(files) == 2  # one per class: 3A, 6C
    assert f"Courriers écrits dans 2 fichiers, un par classe, dans {folder}" in proc.stdout


def test_an_older_export_than_the_last_one_is_refused(service):
    """Last year's export left in the downloads folder must not undo this year's update."""
    import_export(service)
    service.apply_update(pupils_xml(second_year(), year="2027", exported="31/08/2027"), actor="cli:test")
    before = snapshot(service)
    for attempt in (lambda: service.preview_update(YEAR1), lambda: service.apply_update(YEAR1, actor="cli:test"),
                    lambda: service.preview_class_list(YEAR1)):
        with pytest.raises(errors.FileRefused) as caught:
            attempt()
        assert str(caught.value).startswith(
            "Cet export SIECLE date du 01/09/2026, et les comptes ont déjà été mis à jour avec un export plus récent, "
            "du 31/08/2027 : il est refusé, rien n'a été enregistré.")
    assert snapshot(service) == before
    # The same export again is fine (nothing to do).
    assert service.preview_update(pupils_xml(second_year(), year="2027", exported="31/08/2027")).changes == 0


def test_an_export_of_part_of_the_school_must_be_confirmed(service):
    """Two pupils of six in the export: four would leave. Refused unless staff confirm."""
    import_export(service)
    part = pupils_xml(first_year()[:2])
    plan = service.preview_update(part)
    assert plan.mass_departure and len(plan.leaving) == 4 and plan.followed == 6
    assert plan.departure_warning.startswith("Attention : 4 des 6 élèves suivis par SIECLE quitteraient")
    before = snapshot(service)
    with pytest.raises(errors.NotAllowed):
        service.apply_update(part, actor="cli:test")
    assert snapshot(service) == before
    service.apply_update(part, actor="cli:test", many_departures=True)
    assert sum(st.state == "left" for st in service.class_students()) == 4


def test_force_change_and_letters_say_a_leaver_left(service):
    import_export(service)
    service.apply_update(pupils_xml([p for p in first_year() if p.eleve_id != "4101"]), actor="cli:test")
    for attempt in (lambda: service.force_password_change(identifier="zoe.ndiaye", actor="cli:test"),
                    lambda: service.issue_letters(identifier="zoe.ndiaye", actor="cli:test")):
        with pytest.raises(errors.NotAllowed) as caught:
            attempt()
        assert str(caught.value).startswith("zoe.ndiaye a quitté l'établissement (mise à jour SIECLE)")
    assert [st.identifier for st in service.class_students("4a")] == ["julie.baillet", "lucas.martin", "zoe.ndiaye"]
    [zoe] = [st for st in service.class_students("4A") if st.identifier == "zoe.ndiaye"]
    assert zoe.state == "left" and zoe.deleted_on is not None
