"""Issue 20 with a real OpenLDAP server: what a pupil's password opens in the school's
directory, through the kiosk's own use cases (``open_service``), on SQLite and PostgreSQL
where the outbox's storage matters.

Every check of the directory goes through Debian's ldap-utils (``tests/ldap_support.py``):
a simple bind with the pupil's DN (``ldapwhoami``), the entries as the root DN reads them
(``ldapsearch``). The product's own client never vouches for its writes. Deliveries are
explicit (``deliver_directory``) except where the worker thread is what is shown.
"""

from __future__ import annotations

import logging
import os
import time

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code, make_settings, student
from faults_support import free_port
from ldap_support import parse_ldif, slapd  # noqa: F401 - the fixture
from siecle_support import Pupil, pupils_xml
from sqlalchemy import insert, select

from entkiosk.directory.client import DirectoryError
from entkiosk.runtime import open_service
from entkiosk.store.models import Account, AuditEvent, DirectoryUpdate, DirectoryWorker

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
HOLDER = "test"
JULIE = "julie@example.org"
NBSP = "\u00a0"
UNREACHABLE = ("L'annuaire {url} ne répond pas\u00a0: serveur arrêté ou injoignable. Les mises à jour attendent et "
               "partiront dès son retour.")


def directory_keys(slapd, **over) -> dict:
    """``[directory]`` for this test's slapd (over its socket unless ``over`` says otherwise)."""
    keys = {"url": slapd.ldapi_url, "base": slapd.base, "bind_dn": slapd.bind_dn,
            "password_file": str(slapd.password_file)}
    keys.update(over)
    return {key: value for key, value in keys.items() if value is not None}


@pytest.fixture
def settings(db_url, tmp_path, slapd):
    """conftest's ``service`` and ``outbox`` fixtures, with this test's directory."""
    return make_settings(db_url, tmp_path, directory=directory_keys(slapd))


@pytest.fixture
def opened():
    """Other services a test opens (another configuration on the same database): closed after."""
    services = []
    yield services
    for service in services:
        service.stop_directory_worker()
        service.engine.dispose()


def reopen(opened, db_url, tmp_path, clock, directory: dict):
    service = open_service(make_settings(db_url, tmp_path, directory=directory), clock=clock)
    opened.append(service)
    return service


def dn(slapd, uid: str, class_name: str | None = None) -> str:
    return f"uid={uid}," + (f"ou={class_name}," if class_name else "") + slapd.base


def deliver(service):
    """One round, then the lease given back, as a command does (``cli._deliver_directory``)."""
    try:
        return service.deliver_directory(HOLDER)
    finally:
        service.directory.release(HOLDER)


def csns(slapd) -> dict[str, str]:
    """Each pupil entry's ``entryCSN``: it changes with every write slapd applies to the entry."""
    found = slapd.run("ldapsearch", *slapd.as_root, "-LLL", "-o", "ldif-wrap=no", "-s", "sub", "-b", slapd.base,
                      "(uid=*)", "entryCSN").stdout
    return {name: attributes["entrycsn"][0] for name, attributes in parse_ldif(found).items()}


def hash_of(service, identifier: str) -> str:
    with service.engine.connect() as c:
        return c.execute(select(Account.password_hash).where(Account.identifier == identifier)).scalar_one()


def waiting_rows(service) -> list:
    """The directory's outbox: the updates not delivered yet."""
    with service.engine.connect() as c:
        return list(c.execute(select(DirectoryUpdate).order_by(DirectoryUpdate.id)))


def activate_as(service, letter, born: str, password: str = GOOD_PASSWORD) -> None:
    login = service.authenticate(letter.identifier, letter.provisional_password)
    service.first_connection(login.token, birth_date=born, new_password=password, confirm_password=password)
    service.accept_charter(login.token, service.settings.charter.version)


def until(condition, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)
    return found


def import_siecle(service, pupils: list[Pupil]) -> dict:
    preview = service.preview_class_list(pupils_xml(pupils))
    assert preview.problems == []
    return {letter.identifier: letter for letter in
            service.import_class_list(preview.rows, actor="cli:test", uaj=preview.uaj)}


ZOE = Pupil("4101", "NDIAYE", "Zoé", "14/02/2012", "4A", ine="1234567890A")
LUCAS = Pupil("4102", "DURAND", "Lucas", "03/05/2012", "4A", ine="1234567891B")
INES = Pupil("4103", "ROUX", "Inès", "11/10/2012", "4B", ine="1234567892C")


# ================================================================ point 4: what a bind proves


def test_directory_bind_follows_activation_a_reset_by_code_and_a_staff_reset(service, slapd, outbox):
    """Before activation the entry has no password (the provisional one does not bind); after
    the first connection the new password binds and the provisional one does not; after a
    reset by the mailed code the new one binds and the old one does not; after a staff reset
    no password binds at all."""
    letter = service.import_class_list([student()], actor="cli:test")[0]
    julie = dn(slapd, letter.identifier)
    assert deliver(service).sent == 1
    assert "userpassword" not in slapd.entries()[julie]
    assert not slapd.can_bind(julie, letter.provisional_password)

    token = activate(service, letter, email=JULIE)
    service.validate_email(last_code(outbox), token=token)
    assert deliver(service).sent == 1
    assert slapd.entries()[julie]["userpassword"] == ["{ARGON2}" + hash_of(service, letter.identifier)]
    assert slapd.can_bind(julie, GOOD_PASSWORD)
    assert not slapd.can_bind(julie, letter.provisional_password)

    service.forgot_password(letter.identifier)
    service.reset_password(letter.identifier, last_code(outbox), OTHER_PASSWORD, OTHER_PASSWORD)
    assert deliver(service).sent == 1
    assert slapd.can_bind(julie, OTHER_PASSWORD)
    assert not slapd.can_bind(julie, GOOD_PASSWORD)

    again = service.staff_reset(letter.identifier, actor="cli:test")
    assert deliver(service).sent == 1
    assert "userpassword" not in slapd.entries()[julie]
    for password in (OTHER_PASSWORD, again.provisional_password, letter.provisional_password):
        assert not slapd.can_bind(julie, password)


@SQLITE_ONLY
def test_directory_password_opens_the_services_once_the_charter_is_accepted(service, slapd):
    """The usage charter governs the services the directory opens: a pupil who chose a password
    but declined the charter binds nowhere; accepting it (at a later login) opens them."""
    letter = service.import_class_list([student()], actor="cli:test")[0]
    julie = dn(slapd, letter.identifier)
    token = activate(service, letter, accept=False)
    service.decline_charter(token)
    deliver(service)
    assert "userpassword" not in slapd.entries()[julie]
    assert not slapd.can_bind(julie, GOOD_PASSWORD)
    login = service.authenticate(letter.identifier, GOOD_PASSWORD)
    service.accept_charter(login.token, service.settings.charter.version)
    assert deliver(service).sent == 1
    assert slapd.can_bind(julie, GOOD_PASSWORD)


@SQLITE_ONLY
def test_directory_force_password_change_removes_the_usable_password(service, slapd):
    """Staff force a change after a leak: the leaked password stops opening the school's
    services at once, and the one the pupil then chooses opens them."""
    letter = service.import_class_list([student()], actor="cli:test")[0]
    julie = dn(slapd, letter.identifier)
    activate(service, letter)
    deliver(service)
    assert slapd.can_bind(julie, GOOD_PASSWORD)
    assert service.force_password_change(identifier=letter.identifier, actor="cli:test") == 1
    assert deliver(service).sent == 1
    assert "userpassword" not in slapd.entries()[julie]
    assert not slapd.can_bind(julie, GOOD_PASSWORD)
    login = service.authenticate(letter.identifier, GOOD_PASSWORD)
    service.change_password(login.token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
    assert deliver(service).sent == 1
    assert slapd.can_bind(julie, OTHER_PASSWORD)
    assert not slapd.can_bind(julie, GOOD_PASSWORD)


def test_directory_leaver_cannot_bind_and_purge_deletes_the_entry(service, slapd, clock):
    """The yearly update closes a leaver's account: the entry loses its password (no bind);
    the purge after the retention deletes the entry (a bulk delete, recorded explicitly)."""
    letters = import_siecle(service, [ZOE, LUCAS, INES])
    activate_as(service, letters["zoe.ndiaye"], ZOE.born)
    activate_as(service, letters["lucas.durand"], LUCAS.born)
    deliver(service)
    zoe, lucas = dn(slapd, "zoe.ndiaye"), dn(slapd, "lucas.durand")
    assert slapd.can_bind(zoe, GOOD_PASSWORD)
    service.apply_update(pupils_xml([LUCAS, INES]), actor="cli:test")  # Zoé is no longer in the export
    assert deliver(service).sent == 1
    assert "userpassword" not in slapd.entries()[zoe]
    assert not slapd.can_bind(zoe, GOOD_PASSWORD)
    assert slapd.can_bind(lucas, GOOD_PASSWORD)
    clock.advance(days=service.settings.accounts.leaver_retention_days + 1)
    assert service.purge_expired(actor="cli:test") == ["zoe.ndiaye"]
    assert deliver(service).sent == 1
    assert sorted(slapd.entries()) == sorted([lucas, dn(slapd, "ines.roux")])


@SQLITE_ONLY
def test_directory_per_class_moves_a_pupil_to_the_new_class_branch(db_url, tmp_path, slapd, clock, opened):
    """With ``per_class``, entries live under their class's branch, and the yearly update's
    class change moves the entry (same password) to the new branch."""
    service = reopen(opened, db_url, tmp_path, clock, directory_keys(slapd, per_class=True))
    letters = import_siecle(service, [ZOE, LUCAS, INES])
    activate_as(service, letters["zoe.ndiaye"], ZOE.born)
    deliver(service)
    assert sorted(slapd.entries()) == sorted([
        f"ou=4A,{slapd.base}", f"ou=4B,{slapd.base}", dn(slapd, "zoe.ndiaye", "4A"), dn(slapd, "lucas.durand", "4A"),
        dn(slapd, "ines.roux", "4B")])
    moved = Pupil(**{**ZOE.__dict__, "division": "3A"})
    service.apply_update(pupils_xml([moved, LUCAS, INES]), actor="cli:test")
    assert deliver(service).sent == 1
    entries = slapd.entries()
    assert dn(slapd, "zoe.ndiaye", "4A") not in entries
    assert entries[dn(slapd, "zoe.ndiaye", "3A")]["ou"] == ["3A"]
    assert slapd.can_bind(dn(slapd, "zoe.ndiaye", "3A"), GOOD_PASSWORD)


# ================================================================ point 4: slapd stopped, then back


def test_directory_down_pupils_activate_and_the_worker_delivers_once_back(service, slapd, clock):
    """slapd stopped: pupils activate and change passwords as usual, without error; the
    status shows the backlog and why; once slapd is back (and the back-off over) the worker
    thread delivers everything, and an update delivered again writes nothing."""
    service.start_directory_worker(poll=0.2)
    try:
        julie, paul = service.import_class_list([student(), student("Paul", "Petit", line=3)], actor="cli:test")
        until(lambda: len(slapd.entries()) == 2 and not waiting_rows(service), "the new entries")
        token = activate(service, paul)
        until(lambda: slapd.can_bind(dn(slapd, paul.identifier), GOOD_PASSWORD) and not waiting_rows(service),
              "Paul's password, and his charter's row delivered too")

        slapd.stop()
        started = time.monotonic()
        activate(service, julie)
        service.change_password(token, GOOD_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD)
        assert time.monotonic() - started < 4  # argon2 only: no wait for the directory (its timeout is 5 s)
        status = until(lambda: (s := service.directory_status()).problem and s, "the problem")
        assert status.problem == UNREACHABLE.format(url=slapd.ldapi_url)
        assert (status.waiting, status.pupils, status.changes) == (3, 2, {"activated": 1, "charter": 1, "password": 1})
        assert status.blocked == []
        assert service.authenticate(julie.identifier, GOOD_PASSWORD).next_step == "home"

        slapd.start()
        clock.advance(seconds=61)  # the back-off is over
        until(lambda: not waiting_rows(service), "the updates kept while slapd was down")
        assert slapd.can_bind(dn(slapd, julie.identifier), GOOD_PASSWORD)
        assert slapd.can_bind(dn(slapd, paul.identifier), OTHER_PASSWORD)
        assert not slapd.can_bind(dn(slapd, paul.identifier), GOOD_PASSWORD)
        status = service.directory_status()
        assert (status.waiting, status.problem) == (0, None)

        # A delivery cut between the directory's write and the row's deletion is done again:
        # it must write nothing the second time.
        written = csns(slapd)
        with service.engine.begin() as c:
            c.execute(insert(DirectoryUpdate).values(identifier=julie.identifier, change="activated",
                                                     created_at=clock.now(), kiosk_id="test-kiosk", attempts=0))
        until(lambda: not waiting_rows(service), "the repeated update")
        assert csns(slapd) == written
    finally:
        service.stop_directory_worker()
    assert service.directory_sync().differences == 0


# ================================================================ issue 20, point 3: the comparison and its repair


@SQLITE_ONLY
def test_directory_sync_apply_does_not_wait_for_a_kiosk_that_has_delivered(service, slapd, db_url, tmp_path, clock,
                                                                            opened):
    """A kiosk's worker that has delivered everything gives the delivery back: a repair run
    from another machine starts at once (it used to wait for the kiosk's 60-second lease),
    and the kiosk delivers again after it."""
    service.start_directory_worker(poll=0.2)
    try:
        julie, paul = service.import_class_list([student(), student("Paul", "Petit", line=3)], actor="cli:test")
        activate(service, julie)
        until(lambda: slapd.can_bind(dn(slapd, julie.identifier), GOOD_PASSWORD), "Julie's password")
        repair = reopen(opened, db_url, tmp_path, clock, directory_keys(slapd))
        started = time.monotonic()
        assert repair.directory_sync(apply=True).differences == 0
        assert time.monotonic() - started < 5
        activate(service, paul)
        until(lambda: slapd.can_bind(dn(slapd, paul.identifier), GOOD_PASSWORD), "Paul's password, after the repair")
    finally:
        service.stop_directory_worker()


@SQLITE_ONLY
def test_directory_sync_apply_repairs_missing_stale_moved_and_extra_entries(db_url, tmp_path, slapd, clock, opened):
    """Entries deleted, rewritten or moved by hand and an entkiosk entry of a pupil the
    database no longer has: ``directory_sync`` lists them and changes nothing; with
    ``apply`` it repairs them; someone else's entry is never touched."""
    service = reopen(opened, db_url, tmp_path, clock, directory_keys(slapd, per_class=True))
    letters = service.import_class_list([student(), student("Paul", "Petit", line=3),
                                         student("Léa", "Roux", cls="1re 2", line=4)], actor="cli:test")
    julie, paul, lea = (letter.identifier for letter in letters)
    for letter in letters:
        activate(service, letter)
    deliver(service)
    branch = f"ou=2nde 1,{slapd.base}"
    slapd.run("ldapmodify", *slapd.as_root, input=(
        f"dn: uid={julie},{branch}\nchangetype: delete\n\n"
        f"dn: uid={paul},{branch}\nchangetype: modify\nreplace: userPassword\n"
        f"userPassword: {{ARGON2}}{service.hasher.hash('Pirate5cle')}\n\n"
        f"dn: uid={lea},ou=1re 2,{slapd.base}\nchangetype: modrdn\nnewrdn: uid={lea}\ndeleteoldrdn: 1\n"
        f"newsuperior: {slapd.base}\n"))
    ghost = f"uid=fantome.eleve,{branch}"
    slapd.add(ghost, {"objectClass": ["inetOrgPerson"], "uid": "fantome.eleve", "cn": "Fantôme", "sn": "Fantôme",
                      "description": "entkiosk"})
    teacher = f"uid=prof.martin,{slapd.base}"
    slapd.add(teacher, {"objectClass": ["inetOrgPerson"], "uid": "prof.martin", "cn": "Paul Martin", "sn": "Martin"})
    before = slapd.entries()

    report = service.directory_sync()
    assert (report.missing, report.stale, report.moved, report.extra, report.foreign, report.checked) == (
        [julie], [(paul, ["userPassword"])], [(lea, f"ou=1re 2,{slapd.base}")], [ghost], [], 3)
    assert slapd.entries() == before

    repaired = service.directory_sync(apply=True)
    assert (repaired.missing, repaired.stale, repaired.moved, repaired.extra) == (
        report.missing, report.stale, report.moved, report.extra)
    after = slapd.entries()
    assert ghost not in after and after[teacher] == before[teacher]
    assert slapd.can_bind(dn(slapd, julie, "2nde 1"), GOOD_PASSWORD)
    assert slapd.can_bind(dn(slapd, paul, "2nde 1"), GOOD_PASSWORD)
    assert not slapd.can_bind(dn(slapd, paul, "2nde 1"), "Pirate5cle")
    assert slapd.can_bind(dn(slapd, lea, "1re 2"), GOOD_PASSWORD)
    assert service.directory_sync().differences == 0
    assert [e.details for e in service.audit_events() if e.event == "directory.sync"] == [
        {"checked": 3, "added": 1, "rewritten": 1, "moved": 1, "deleted": 1, "foreign": 0}]


# ================================================================ bad input


@SQLITE_ONLY
def test_directory_foreign_entry_with_a_pupil_uid_blocks_only_that_pupil(service, slapd):
    """An entry someone else made with a pupil's ``uid`` is never changed: that pupil's
    update waits with a French sentence naming the entry, the others are delivered, the
    pupil activates as usual, and the repair leaves it too."""
    foreign = f"uid=julie.baillet,{slapd.base}"
    slapd.add(foreign, {"objectClass": ["inetOrgPerson"], "uid": "julie.baillet", "cn": "Julie Baillet (Moodle)",
                        "sn": "Baillet", "userPassword": "secret-de-moodle"})
    before = csns(slapd)[foreign]
    julie, paul = service.import_class_list([student(), student("Paul", "Petit", line=3)], actor="cli:test")
    activate(service, julie)
    activate(service, paul)
    assert julie.identifier == "julie.baillet"
    assert deliver(service).sent == 1
    assert slapd.can_bind(dn(slapd, paul.identifier), GOOD_PASSWORD)
    sentence = (f"L'annuaire a déjà une entrée {foreign} que entkiosk n'a pas créée (sans «{NBSP}description: "
                f"entkiosk{NBSP}»){NBSP}: elle n'est pas modifiée. Renommez-la ou retirez-la{NBSP}; la mise à jour "
                f"de julie.baillet attend.")
    status = service.directory_status()
    assert status.blocked == [("julie.baillet", sentence)]
    kept = waiting_rows(service)
    assert [(row.identifier, row.change) for row in kept] == [("julie.baillet", "created"), ("julie.baillet", "activated"),
                                                              ("julie.baillet", "charter")]
    assert all(row.problem for row in kept)
    assert service.authenticate(julie.identifier, GOOD_PASSWORD).next_step == "home"
    report = service.directory_sync(apply=True)
    assert report.foreign == [("julie.baillet", foreign)]
    assert csns(slapd)[foreign] == before
    assert slapd.can_bind(foreign, "secret-de-moodle")
    assert not slapd.can_bind(foreign, GOOD_PASSWORD)


BAD_SETTINGS = {
    "closed port": lambda slapd, tmp: dict(url=f"ldap://127.0.0.1:{free_port()}", ca_file=str(slapd.ca_file)),
    "wrong bind password": lambda slapd, tmp: dict(password_file=str(secret_file(tmp / "wrong", "Faux7mdp\n"))),
    "absent base": lambda slapd, tmp: dict(base=f"ou=absents,{slapd.suffix}"),
    "unverified certificate": lambda slapd, tmp: dict(url=slapd.ldaps_url),
}


def secret_file(path, text: str):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def bad_sentence(case: str, keys: dict) -> str:
    return {
        "closed port": UNREACHABLE.format(url=keys["url"]),
        "wrong bind password": (f"L'annuaire {keys['url']} refuse le mot de passe de {keys['bind_dn']}{NBSP}: "
                                f"vérifiez le fichier {keys['password_file']} ([directory] password_file)."),
        "absent base": (f"La branche {keys['base']} n'existe pas dans l'annuaire {keys['url']}{NBSP}: créez-la, ou "
                        f"corrigez [directory] base."),
        "unverified certificate": (f"Le certificat de l'annuaire {keys['url']} n'a pas pu être vérifié{NBSP}: il "
                                   f"n'est pas signé par une autorité connue de cette machine, ou pas pour ce nom. "
                                   f"Indiquez le certificat de l'autorité dans [directory] ca_file."),
    }[case]


@SQLITE_ONLY
@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_directory_bad_setting_tells_staff_and_keeps_the_update(case, db_url, tmp_path, slapd, clock, opened):
    """A closed port, a wrong bind password, a base that does not exist, an ldaps certificate
    that does not verify: one French sentence for staff (delivery, status), the pupil
    activates as usual, the updates wait; the right setting then delivers them (for ldaps:
    the same URL with ``ca_file``)."""
    keys = directory_keys(slapd, **BAD_SETTINGS[case](slapd, tmp_path))
    service = reopen(opened, db_url, tmp_path, clock, keys)
    letter = service.import_class_list([student()], actor="cli:test")[0]
    activate(service, letter)
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "home"
    sentence = bad_sentence(case, keys)
    done = deliver(service)
    assert (done.sent, done.waiting, done.problem) == (0, 1, sentence)
    status = service.directory_status(check=True)
    assert (status.problem, status.answer, status.waiting, status.changes) == (
        sentence, sentence, 3, {"created": 1, "activated": 1, "charter": 1})
    with pytest.raises(DirectoryError) as refused, service.directory.connect() as directory:
        directory.reachable()
    assert str(refused.value) == sentence

    clock.advance(seconds=2)  # the back-off after the first failure
    fixed = {"unverified certificate": dict(url=slapd.ldaps_url, ca_file=str(slapd.ca_file))}.get(case, {})
    repaired = reopen(opened, db_url, tmp_path, clock, directory_keys(slapd, **fixed))
    assert deliver(repaired).sent == 1
    assert slapd.can_bind(dn(slapd, letter.identifier), GOOD_PASSWORD)
    assert waiting_rows(repaired) == [] and repaired.directory_status().problem is None


# ================================================================ point 5: secrets


@SQLITE_ONLY
def test_directory_no_secret_in_logs_audit_outbox_or_error_messages(service, slapd, outbox, clock, caplog, tmp_path,
                                                                    opened, db_url):
    """Activation, a reset by code, a staff reset and a failure while slapd is down, then a
    wrong bind password: no password, provisional password, argon2 hash or ``{ARGON2}``
    value in a log record (every logger at DEBUG, ldap3's too), an audit event, the
    directory's outbox or worker rows, or a message the directory code raised."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ldap3")
    from ldap3.utils.log import BASIC, get_library_log_detail_level, set_library_log_detail_level

    detail = get_library_log_detail_level()
    set_library_log_detail_level(BASIC)  # ldap3's own lines about connections and binds
    try:
        julie, paul = service.import_class_list([student(), student("Paul", "Petit", line=3)], actor="cli:test")
        deliver(service)
        token = activate(service, julie, email=JULIE)
        service.validate_email(last_code(outbox), token=token)
        deliver(service)
        service.forgot_password(julie.identifier)
        service.reset_password(julie.identifier, last_code(outbox), OTHER_PASSWORD, OTHER_PASSWORD)
        deliver(service)
        hashes = {hash_of(service, julie.identifier)}
        slapd.stop()
        activate(service, paul)
        hashes.add(hash_of(service, paul.identifier))
        again = service.staff_reset(julie.identifier, actor="cli:test")
        raised = [deliver(service).problem, service.directory_status(check=True).problem]
        slapd.start()
        clock.advance(seconds=2)
        wrong = reopen(opened, db_url, tmp_path, clock, directory_keys(
            slapd, password_file=str(secret_file(tmp_path / "wrong", "Faux7mdp\n"))))
        raised.append(deliver(wrong).problem)
        with pytest.raises(DirectoryError) as refused, wrong.directory.connect() as directory:
            directory.reachable()
        raised.append(str(refused.value))
        clock.advance(seconds=3)  # the back-off after the second failure
        assert deliver(service).sent == 2
    finally:
        set_library_log_detail_level(detail)

    assert all(raised) and len(raised) == 4
    secrets = [GOOD_PASSWORD, OTHER_PASSWORD, julie.provisional_password, paul.provisional_password,
               again.provisional_password, slapd.password, "Faux7mdp", "$argon2", "{ARGON2}", *hashes,
               *(h.rsplit("$", 1)[-1] for h in hashes)]  # the digest alone too
    logged = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert any(r.name.startswith("ldap3") for r in caplog.records)  # ldap3's own loggers were heard
    with service.engine.connect() as c:
        stored = [repr(tuple(row)) for model in (AuditEvent, DirectoryUpdate, DirectoryWorker)
                  for row in c.execute(select(model.__table__))]
    assert len(stored) > 10
    for where, texts in (("log", logged), ("database", stored), ("exception", raised)):
        for text in texts:
            for secret in secrets:
                assert secret not in text, f"{where}: {secret!r} in {text!r}"


# ================================================================ what the server answers besides success


def slapd_config(slapd, ldif: str) -> None:
    """A change of slapd's own configuration (cn=config), as its administrator makes it."""
    slapd.run("ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", slapd.ldapi_url, input=ldif)


@SQLITE_ONLY
def test_directory_sync_reads_past_the_size_limit_and_refuses_a_partial_answer(service, slapd):
    """slapd answers at most ``olcSizeLimit`` entries: with the README's ``olcLimits`` for
    entkiosk's account the comparison reads every entry; without it, entkiosk says so in one
    French sentence instead of taking the first entries for the whole directory."""
    service.import_class_list([student(), student("Paul", "Petit", line=3), student("Zoé", "Roux", line=4)],
                              actor="cli:test")
    deliver(service)
    slapd_config(slapd, "dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\nreplace: olcSizeLimit\n"
                        "olcSizeLimit: 2\n")
    assert service.directory_sync().differences == 0  # three entries read, none missing
    slapd_config(slapd, "dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\ndelete: olcLimits\n")
    with pytest.raises(Exception) as refused:
        service.directory_sync()
    assert str(refused.value) == (f"L'annuaire {slapd.ldapi_url} limite le nombre d'entrées qu'il rend à "
                                  f"{slapd.bind_dn}{NBSP}: levez cette limite pour ce compte (olcLimits, voir "
                                  f"«{NBSP}Mettre en service{NBSP}» dans le README).")


@SQLITE_ONLY
def test_directory_referral_is_not_followed_with_the_bind_password(db_url, tmp_path, clock, opened, slapd):
    """A referral in the pupils' branch (a replica's update referral, or a planted one) is an
    answer entkiosk does not follow: the bind password never goes to the server it names; the
    update waits with a French sentence."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    slapd.run("ldapmodify", *slapd.as_root, "-M", "-a",
              input=f"dn: ou=2nde 1,{slapd.base}\nobjectClass: referral\nobjectClass: extensibleObject\n"
                    f"ou: 2nde 1\nref: ldap://127.0.0.1:{port}/ou=2nde%201,{slapd.base}\n")
    service = reopen(opened, db_url, tmp_path, clock, directory_keys(slapd, per_class=True))
    service.import_class_list([student()], actor="cli:test")
    done = deliver(service)
    assert (done.sent, done.waiting) == (0, 1)
    assert "ne peut pas faire les mises à jour pour le moment" in done.problem
    with pytest.raises(TimeoutError):
        listener.accept()  # nobody came with entkiosk's DN and password
    listener.close()
    assert len(waiting_rows(service)) == 1
