"""Legal guardians (« Parent »), on both databases: SIECLE's guardians' export imported and
synced (all or nothing, one account per PERSONNE_ID with RESP_LEGAL 1 or 2), listed, their
letters sent by post with the address in the envelope's window, their first connection with
a child's birth date, their home, and a pupil's reset code sent to a guardian."""

from __future__ import annotations

import re

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, last_code, make_settings
from siecle_support import Person, families, first_year, guardians_xml, pupils_xml, pupils_zip
from sqlalchemy import func, select
from test_reset_reference import entkiosk

from entkiosk.domain import errors
from entkiosk.mail import OutboxTransport
from entkiosk.runtime import open_service
from entkiosk.store.models import Account, AuditEvent, Guardianship

PUPILS = pupils_zip(pupils_xml(first_year()))
GUARDIANS = pupils_zip(guardians_xml(families()), "ResponsablesAvecAdresses.xml")


def import_pupils(service) -> dict:
    preview = service.preview_class_list(PUPILS)
    return {x.identifier: x for x in service.import_class_list(preview.rows, actor="cli:t", uaj=preview.uaj)}


def import_guardians(service, data: bytes = GUARDIANS) -> dict:
    done = service.apply_guardians(data, mode="import", actor="cli:t")
    return {x.identifier: x for x in done.letters}


def counts(service) -> tuple[int, int]:
    with service.engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(Account)), c.scalar(select(func.count()).select_from(Guardianship)))


def activate(service, letter, born: str, *, email: str = "") -> str:
    login = service.authenticate(letter.identifier, letter.provisional_password, kind="parent")
    service.first_connection(login.token, birth_date=born, new_password=GOOD_PASSWORD, confirm_password=GOOD_PASSWORD,
                             email=email, confirm_email=email)
    service.accept_charter(login.token, service.settings.charter.version)
    return login.token


# ------------------------------------------------------------ the export


def test_one_account_per_legal_guardian_linked_to_each_child(service):
    import_pupils(service)
    letters = import_guardians(service)
    assert sorted(letters) == ["awa.ndiaye", "claire.oeuvrard", "dogan.yildiz", "moussa.ndiaye", "sophie.lemaire"]
    # Rousseau is a contact (RESP_LEGAL 0): no account. Lemaire, mother of two with another surname: one account.
    by_id = {g.identifier: g for g in service.guardians()}
    assert [c.identifier for c in by_id["sophie.lemaire"].children] == ["julie.baillet", "lucas.martin"]
    assert [c.identifier for c in by_id["dogan.yildiz"].children] == ["agca.yildiz"]  # 4199 is not on file
    assert letters["dogan.yildiz"].postal_address == ("KÖNIGSTRASSE 14", "70173 STUTTGART", "ALLEMAGNE")
    assert letters["dogan.yildiz"].first_name == "Doğan"  # a character reference outside latin-9
    assert letters["awa.ndiaye"].addressee == "Mme Awa NDIAYE"
    assert letters["sophie.lemaire"].children == ("Julie BAILLET (4A)", "Lucas MARTIN (4A)")
    with service.engine.connect() as c:
        stored = c.execute(select(Account.password_hash, Account.birth_date, Account.class_id, Account.email,
                                  Account.export_email).where(Account.identifier == "awa.ndiaye")).one()
    assert stored.password_hash.startswith("$argon2id$") and stored.birth_date is None and stored.class_id is None
    assert stored.email is None and stored.export_email == "awa.ndiaye@example.org"  # offered, not trusted
    # A second import creates nobody.
    assert import_guardians(service) == {}
    assert [g.identifier for g in service.guardians("4a")] == ["sophie.lemaire", "awa.ndiaye", "moussa.ndiaye"]


@pytest.mark.parametrize("case, data, named", [
    ("another school", guardians_xml(families(), uaj="0591234A"), "établissement 0591234A"),
    ("RESP_LEGAL 3", guardians_xml(families(), extra_links=[("7002", "4102", "3")]), "RESP_LEGAL « 3 »"),
    ("linked twice", guardians_xml(families(), extra_links=[("7001", "4101", "2")]), "lié deux fois à l'élève 4101"),
    ("six lines", guardians_xml([Person("7009", "MARTIN", "Léa", [("4101", "1")], lines=[f"L{n}" for n in range(1, 7)])]),
     "de 6 lignes"),
])
def test_bad_exports_are_refused_whole_naming_the_record(service, case, data, named):
    import_pupils(service)
    before = counts(service)
    with pytest.raises(errors.DomainError) as refused:
        service.apply_guardians(data, mode="import", actor="cli:t")
    assert named.replace(" ", "\u00a0") in str(refused.value).replace(" ", "\u00a0"), str(refused.value)
    assert counts(service) == before


def test_a_guardians_export_before_any_pupil_is_refused(service):
    with pytest.raises(errors.FileRefused, match="importez d'abord l'export des élèves"):
        service.apply_guardians(GUARDIANS, mode="import", actor="cli:t")
    assert counts(service) == (0, 0)


def test_sync_links_new_guardians_and_closes_unlinked_ones(service):
    import_pupils(service)
    first = import_guardians(service)
    people = [p for p in families() if p.personne_id != "7002"]  # Moussa is no longer a guardian
    people[0].lines = ["5 PLACE DU MARCHÉ"]  # Awa moved
    people.append(Person("7010", "ROUX", "Paul", [("4103", "2")], civility="M."))  # Julie's father, new
    data = guardians_xml(people, exported="15/09/2026")
    plan = service.preview_guardians(data)
    assert [c.identifier for c in plan.leaving] == ["moussa.ndiaye"]
    assert [c.identifier for c in plan.updated] == ["awa.ndiaye"] and plan.identifiers == ["paul.roux"]
    before = counts(service)
    assert counts(service) == before  # the preview wrote nothing
    done = service.apply_guardians(data, actor="cli:t", expected=plan.fingerprint("sync"))
    assert [x.identifier for x in done.letters] == ["paul.roux"]
    states = {g.identifier: g.state for g in service.guardians()}
    assert states["moussa.ndiaye"] == "left" and states["paul.roux"] == "waiting"
    with pytest.raises(errors.DomainError, match="aucun de vos enfants"):  # closed like a leaver's
        service.authenticate("moussa.ndiaye", first["moussa.ndiaye"].provisional_password, kind="parent")
    with pytest.raises(errors.NotAllowed, match="n'est plus responsable"):
        service.issue_guardian_letters(identifier="moussa.ndiaye", actor="cli:t")


# ------------------------------------------------------------ letters by post


def test_letters_by_post_put_the_address_in_the_window(service, tmp_path):
    import pypdfium2

    from entkiosk.letters.output import write_letters
    from entkiosk.letters.pdf import WINDOW_H, WINDOW_W, WINDOW_X, WINDOW_Y

    import_pupils(service)
    import_guardians(service)
    letters = service.issue_guardian_letters(class_name="4B", actor="cli:t")
    assert [x.identifier for x in letters] == ["claire.oeuvrard", "dogan.yildiz"]
    [pdf] = write_letters(tmp_path / "parents.pdf", letters, service.settings, one_file=True)
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 2
    mm = 72 / 25.4
    page = document[1]
    height = page.get_height()
    text = page.get_textpage()
    inside = text.get_text_bounded(left=WINDOW_X * mm, right=(WINDOW_X + WINDOW_W) * mm,
                                   top=height - WINDOW_Y * mm, bottom=height - (WINDOW_Y + WINDOW_H) * mm)
    assert [line.strip() for line in inside.splitlines() if line.strip()] == [
        "M. Doğan YILDIZ", "KÖNIGSTRASSE 14", "70173 STUTTGART", "ALLEMAGNE"]
    whole = text.get_text_range()
    assert "dogan.yildiz" in whole and letters[1].provisional_password in whole and "Ağça YILDIZ (4B)" in whole
    assert "3 mois" in whole and "Parent" in whole
    (tmp_path / "parents.txt").unlink(missing_ok=True)
    [txt] = write_letters(tmp_path / "parents.txt", letters, service.settings)
    assert "M. Doğan YILDIZ" in txt.read_text(encoding="utf-8")


# ------------------------------------------------------------ the guardian's own account


def test_first_connection_asks_a_childs_birth_date_then_home_lists_the_children(service, settings):
    import_pupils(service)
    letters = import_guardians(service)
    sophie = letters["sophie.lemaire"]
    with pytest.raises(errors.AuthenticationFailed):  # a guardian's account is not a pupil's
        service.authenticate("sophie.lemaire", sophie.provisional_password)
    login = service.authenticate("sophie.lemaire", sophie.provisional_password, kind="parent")
    assert login.next_step == "first_connection" and login.offered_email == "s.lemaire@example.net"
    with pytest.raises(errors.InvalidInput) as wrong:
        service.first_connection(login.token, birth_date="14/02/2012", new_password=GOOD_PASSWORD,
                                 confirm_password=GOOD_PASSWORD)  # Zoé's, not one of hers
    assert "aucun de vos enfants" in wrong.value.errors["birth_date"]
    # Julie (4103) was born on 21/11/2012: one of her children's dates is enough.
    service.first_connection(login.token, birth_date="21/11/2012", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD, email="s.lemaire@example.net",
                             confirm_email="s.lemaire@example.net")
    with pytest.raises(errors.NotAllowed):
        service.my_children(login.token)  # the charter first
    service.accept_charter(login.token, settings.charter.version)
    children = service.my_children(login.token)
    assert [(c.identifier, c.state_label) for c in children] == [
        ("julie.baillet", "en attente d'activation"), ("lucas.martin", "en attente d'activation")]
    assert service.account(login.token).email is None  # not validated until the code is typed


def test_a_pupil_without_address_gets_the_code_through_a_guardian(service, settings, outbox):
    pupils = import_pupils(service)
    letters = import_guardians(service)
    token = activate(service, letters["sophie.lemaire"], "03/05/2012", email="s.lemaire@example.net")
    service.validate_email(last_code(outbox), token=token)
    julie = pupils["julie.baillet"]
    login = service.authenticate("julie.baillet", julie.provisional_password)
    service.first_connection(login.token, birth_date="21/11/2012", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD)
    with pytest.raises(errors.DomainError, match="Impossible d'envoyer le code"):
        service.guardians_to_ask("julie.baillet", "01/01/2012")  # wrong birth date: nothing said
    assert service.guardians_to_ask("julie.baillet", "21/11/2012") == ["Mme L."]
    reference = service.mail_code_to_guardian("julie.baillet", "21/11/2012", 0)
    service.wait_for_mail(10)
    mail = outbox.entries()[-1]
    assert mail.to == "s.lemaire@example.net"
    assert "Julie BAILLET" in mail.body and "test-kiosk" in mail.body and reference in mail.subject
    service.reset_password("julie.baillet", last_code(outbox), OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate("julie.baillet", OTHER_PASSWORD).next_step == "charter"
    with service.engine.connect() as c:
        event = c.execute(select(AuditEvent).where(AuditEvent.event == "recovery.guardian")).one()
    assert event.identifier == "julie.baillet" and event.details["guardian"] == "sophie.lemaire"
    assert "lemaire@" not in str(event.details)


def test_guardian_recovery_can_be_turned_off(db_url, tmp_path):
    service = open_service(make_settings(db_url, tmp_path, accounts={"guardian_recovery": False}))
    try:
        with pytest.raises(errors.NotAllowed, match="n'est pas proposé"):
            service.guardians_to_ask("julie.baillet", "21/11/2012")
    finally:
        service.engine.dispose()


def test_a_teacher_sees_the_guardians_of_their_classes_only(service):
    import_pupils(service)
    import_guardians(service)
    service.add_staff("prof.a", "Un mot de passe long 1", "Un mot de passe long 1", role="enseignant", classes=["4A"],
                      actor="cli:t")
    assert [g.identifier for g in service.guardians(actor="prof.a")] == ["sophie.lemaire", "awa.ndiaye",
                                                                          "moussa.ndiaye"]
    with pytest.raises(errors.NotAllowed):
        service.guardian_card("dogan.yildiz", actor="prof.a")
    assert service.guardian_card("awa.ndiaye", actor="prof.a").children[0].identifier == "zoe.ndiaye"
    summary = {c.name: c for c in service.class_summaries(actor="prof.a")}
    assert (summary["4A"].guardians, summary["4A"].guardians_activated) == (3, 0)


# ------------------------------------------------------------ the installed command


def test_the_installed_command_imports_lists_and_prints_by_post(db_url, tmp_path):
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    (tmp_path / "ExportXML_ElevesSansAdresses.zip").write_bytes(PUPILS)
    (tmp_path / "ResponsablesAvecAdresses.zip").write_bytes(GUARDIANS)
    early = entkiosk(conf, "import", str(tmp_path / "ResponsablesAvecAdresses.zip"))
    assert early.returncode == 1 and "importez d'abord l'export des élèves" in early.stderr
    assert entkiosk(conf, "import", str(tmp_path / "ExportXML_ElevesSansAdresses.zip")).returncode == 0
    done = entkiosk(conf, "import", str(tmp_path / "ResponsablesAvecAdresses.zip"), "--letters",
                    str(tmp_path / "parents.pdf"))
    assert done.returncode == 0, done.stderr
    assert "  sophie.lemaire   Mme LEMAIRE Sophie (2 enfants)" in done.stdout.splitlines()
    assert "responsable 7004 (YILDIZ Doğan) : élève 4199 absent" in done.stdout.replace("\u00a0", " ")
    assert "5 comptes de responsables créés." in done.stdout and (tmp_path / "parents.pdf").is_file()
    listed = entkiosk(conf, "parents", "--class", "4A", "--csv")
    assert listed.stdout.splitlines() == ["identifiant;nom;prénom;enfants;état",
                                          "sophie.lemaire;LEMAIRE;Sophie;julie.baillet,lucas.martin;en attente",
                                          "awa.ndiaye;NDIAYE;Awa;zoe.ndiaye;en attente",
                                          "moussa.ndiaye;NDIAYE;Moussa;zoe.ndiaye;en attente"]
    september = tmp_path / "ResponsablesAvecAdresses.xml"
    september.write_bytes(guardians_xml([p for p in families() if p.personne_id != "7002"], exported="15/09/2026"))
    preview = entkiosk(conf, "sync", str(september))
    assert preview.returncode == 0, preview.stderr
    assert re.search(r"^  moussa\.ndiaye +NDIAYE Moussa \(absent de l'export des responsables\)$", preview.stdout, re.M)
    assert "Aperçu seulement" in preview.stdout.replace("\u00a0", " ")
    assert "moussa.ndiaye;NDIAYE;Moussa;zoe.ndiaye;en attente" in entkiosk(conf, "parents", "--csv").stdout
    applied = entkiosk(conf, "sync", str(september), "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "1 départ" in applied.stdout
    assert "moussa.ndiaye;NDIAYE;Moussa;zoe.ndiaye;sorti" in entkiosk(conf, "parents", "--csv").stdout
    printed = entkiosk(conf, "letters", "--parents", "--class", "4B", "-o", str(tmp_path / "4b.txt"))
    assert printed.returncode == 0, printed.stderr
    text = (tmp_path / "4b.txt").read_text(encoding="utf-8")
    assert text.count("\f") == 1 and "ALLEMAGNE" in text
    assert re.search(r"Mot de passe \*\s?: \S{8,}", text.replace("\u00a0", " "))


def test_a_guardian_activates_at_the_installed_kiosk(tmp_path):
    """« Parent » on the portal, the letter received by post, a child's birth date, the
    address SIECLE holds already typed, the charter: the home lists the children."""
    from pty_support import Terminal, installed_command, newcomer_env
    from test_cli import write_conf

    db_url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    service = open_service(make_settings(db_url, tmp_path))
    try:
        import_pupils(service)
        sophie = import_guardians(service)["sophie.lemaire"]
    finally:
        service.engine.dispose()
    env = dict(newcomer_env(tmp_path / "home"), ENTKIOSK_CONFIG=str(conf))
    with Terminal([str(installed_command())], env=env, cwd=tmp_path) as kiosk:
        kiosk.wait_for("ACCUEIL", "Se connecter")
        kiosk.press("enter")
        kiosk.wait_for("Connectez-vous en fonction de votre établissement", "Parent")
        kiosk.press("tab", "down", "tab", "tab", "enter")
        kiosk.wait_for("responsables légaux", "courrier reçu par la poste")
        kiosk.type(sophie.identifier)
        kiosk.press("tab")
        kiosk.type(sophie.provisional_password)
        kiosk.press("enter")
        kiosk.wait_for("date de naissance d'un enfant*", "s.lemaire@example.net")
        kiosk.type("14022012")  # Zoé's: not one of her children
        kiosk.press("tab")
        kiosk.type(GOOD_PASSWORD)
        kiosk.press("tab")
        kiosk.type(GOOD_PASSWORD)
        kiosk.press("enter")
        kiosk.wait_for("Cette date n'est celle d'aucun de vos enfants")
        kiosk.press("escape")  # ANNULER: nothing activated, back to the accueil
        kiosk.wait_for("ACCUEIL", "Se connecter")
        kiosk.press("enter")
        kiosk.wait_for("Connectez-vous en fonction de votre établissement")
        kiosk.press("tab", "down", "tab", "tab", "enter")
        kiosk.wait_for("responsables légaux")
        kiosk.type(sophie.identifier)
        kiosk.press("tab")
        kiosk.type(sophie.provisional_password)
        kiosk.press("enter")
        kiosk.wait_for("date de naissance d'un enfant*")
        kiosk.type("03052012")  # Lucas's
        kiosk.press("tab")
        kiosk.type(GOOD_PASSWORD)
        kiosk.press("tab")
        kiosk.type(GOOD_PASSWORD)
        kiosk.press("enter")
        kiosk.wait_for("Compte en attente de validation")
        kiosk.press("enter")
        kiosk.wait_for("J'accepte la charte")
        kiosk.press("tab", "space", "tab", "enter")
        screen = kiosk.wait_for("Bienvenue Sophie", "Vos enfants", "Lucas MARTIN (4A)")
        assert "Julie BAILLET (4A)" in screen and "en attente d'activation" in screen
        assert sophie.provisional_password not in screen
    mails = OutboxTransport(tmp_path / "outbox").entries()
    assert [m.to for m in mails] == ["s.lemaire@example.net"]  # the offered address, to be validated


def test_the_demo_has_guardians_to_try(tmp_path):
    """« entkiosk demo » links invented guardians to the sample class: a newcomer can try « Parent »."""
    from test_newcomer_finds import entkiosk as run_fresh

    proc = run_fresh(tmp_path, "demo", "--dir", str(tmp_path / "demo"), "--print")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.replace("\u00a0", " ")
    assert "3 responsables légaux (profil « Parent » du portail" in " ".join(out.split())
    assert re.search(r"^sophie\.martin +\S{8} +Léa Durand \(2nde 1\), Lucas Martin \(2nde 1\)$", out, re.M)
    assert (tmp_path / "demo" / "lettres-parents.pdf").is_file()
