"""Issue 20 across processes: twenty kiosks activating at once, each with its own service and
delivering worker, leave the directory equal to the database (SQLite file and PostgreSQL);
and the installed ``entkiosk`` command: configuration errors said at start-up in one French
line, ``entkiosk directory status`` and ``sync [--apply]`` against a real slapd.

The kiosks are processes, as in tests/test_lockout_race.py: threads of one process would
share a connection pool and hide the race for the delivery's lease. This module imports
nothing heavy at its top: each child imports it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest
from ldap_support import slapd  # noqa: F401 - the fixture

KIOSKS = 20
BORN = "14/03/2010"  # conftest's student()
SAMPLE = 5  # binds checked out of the twenty: each one is an ldapwhoami process
NBSP = "\u00a0"
COMMAND = Path(sys.executable).parent / "entkiosk"  # the installed command


def password_of(n: int) -> str:
    return f"Kiosque{chr(65 + n)}vert{n + 30}"


def _kiosk(n: int, phases: list, barrier, results) -> None:
    """Child process, a kiosk on each database in turn (``phases``: backend, settings, the
    pupil's identifier and provisional password): its own service and worker; activates its
    pupil with the others, then stays open until its pupil's updates have left the outbox
    (whichever kiosk sent them)."""
    from sqlalchemy import func, select

    from entkiosk.runtime import open_service
    from entkiosk.store.models import DirectoryUpdate

    for backend, settings, identifier, provisional in phases:
        try:
            service = open_service(settings, mail_after_answer=True)  # as the kiosk opens it
            service.start_directory_worker(poll=0.2)
            try:
                barrier.wait(timeout=120)
                login = service.authenticate(identifier, provisional)
                password = password_of(n)
                service.first_connection(login.token, birth_date=BORN, new_password=password,
                                         confirm_password=password)
                service.accept_charter(login.token, service.settings.charter.version)
                deadline = time.monotonic() + 60
                while True:
                    with service.engine.connect() as c:
                        left = c.execute(select(func.count()).select_from(DirectoryUpdate)
                                         .where(DirectoryUpdate.identifier == identifier)).scalar_one()
                    if not left:
                        break
                    assert time.monotonic() < deadline, f"{identifier}: {left} update(s) still waiting after 60 s"
                    time.sleep(0.2)
            finally:
                service.stop_directory_worker()
                service.engine.dispose()
            results.put(("ok", backend, identifier, ""))
        except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
            results.put(("crash", backend, identifier, traceback.format_exc()))
            barrier.abort()  # the others do not wait for this one
            return


def test_directory_twenty_kiosks_activating_at_once_leave_it_equal_to_the_database(tmp_path, slapd, pg_template):
    """20 processes, each its own ``open_service`` and worker thread, activate 20 pupils at
    once, on an SQLite file then on PostgreSQL (each its own branch of the directory):
    afterwards nothing waits, ``directory_sync`` finds no difference, every entry holds
    exactly its account's hash (read by ldapsearch), and pupils bind with their new password.
    One set of processes serves both databases: the processes' start is paid once."""
    import msgspec
    from conftest import PG_ENV, make_settings, student
    from sqlalchemy import select

    from entkiosk.runtime import open_service
    from entkiosk.store.models import Account, DirectoryUpdate

    databases = {"sqlite": f"sqlite:///{tmp_path / 'entkiosk.db'}"}
    if pg_template is not None:
        pg_name = pg_template.fresh()
        databases["postgresql"] = pg_template.url(pg_name)
    elif os.environ.get("CI"):
        pytest.fail(f"PostgreSQL not available: set {PG_ENV}")
    services, letters, phases = {}, {}, [[] for _n in range(KIOSKS)]
    try:
        for backend, url in databases.items():
            base = f"ou={backend},{slapd.base}"
            slapd.add(base, {"objectClass": "organizationalUnit", "ou": backend})
            (tmp_path / backend).mkdir()
            settings = make_settings(url, tmp_path / backend, directory={
                "url": slapd.ldapi_url, "base": base, "bind_dn": slapd.bind_dn,
                "password_file": str(slapd.password_file)})
            services[backend] = service = open_service(settings)  # the real clock: the children's
            letters[backend] = service.import_class_list(
                [student(f"Élève{chr(65 + n)}", f"Kiosque{chr(65 + n)}", line=n + 2) for n in range(KIOSKS)],
                actor="cli:test")
            for n, letter in enumerate(letters[backend]):
                kiosk = msgspec.structs.replace(settings, kiosk=msgspec.structs.replace(settings.kiosk,
                                                                                        id=f"kiosque-{n}"))
                phases[n].append((backend, kiosk, letter.identifier, letter.provisional_password))
        ctx = mp.get_context("forkserver")  # forked from one process that imported the product once
        ctx.set_forkserver_preload(["sqlalchemy", "ldap3", "argon2", "entkiosk.runtime", "entkiosk.service",
                                    "entkiosk.directory.client", __name__])
        barrier, results = ctx.Barrier(KIOSKS), ctx.Queue()
        procs = [ctx.Process(target=_kiosk, args=(n, phases[n], barrier, results)) for n in range(KIOSKS)]
        for p in procs:
            p.start()
        outcomes = []
        try:
            while len(outcomes) < KIOSKS * len(databases):
                outcomes.append(results.get(timeout=180))
                assert outcomes[-1][0] == "ok", outcomes[-1]
        finally:
            for p in procs:
                p.join(timeout=30)
                if p.is_alive():
                    p.kill()

        for backend, service in services.items():
            mine = letters[backend]
            assert sorted(o[2] for o in outcomes if o[1] == backend) == sorted(letter.identifier for letter in mine)
            with service.engine.connect() as c:
                assert c.execute(select(DirectoryUpdate)).all() == [], backend
                hashes = dict(c.execute(select(Account.identifier, Account.password_hash)).all())
            report = service.directory_sync()
            assert (report.checked, report.differences, report.foreign) == (KIOSKS, 0, []), backend
            base = service.settings.directory.base
            assert {dn: e["userpassword"] for dn, e in slapd.entries(base).items()} == {
                f"uid={uid},{base}": ["{ARGON2}" + h] for uid, h in hashes.items()}, backend
            for n, letter in list(enumerate(mine))[:: KIOSKS // SAMPLE]:
                assert slapd.can_bind(f"uid={letter.identifier},{base}", password_of(n)), backend
            assert not slapd.can_bind(f"uid={mine[0].identifier},{base}", mine[0].provisional_password)
    finally:
        for service in services.values():
            service.engine.dispose()
        if "postgresql" in databases:
            pg_template.drop(pg_name)
    if "postgresql" not in databases:
        pytest.skip(f"the SQLite half passed; PostgreSQL not available: set {PG_ENV}")


# ================================================================ the installed command


def run(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``entkiosk --config CONF ARGS``, the installed command; never a traceback."""
    env = dict(os.environ, PYTHONUTF8="1", XDG_DATA_HOME=str(conf.parent / "xdg-data"))
    env.pop("ENTKIOSK_CONFIG", None)
    env.pop("ENTKIOSK_DEBUG", None)
    proc = subprocess.run([str(COMMAND), "--config", str(conf), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=conf.parent, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc


def write_conf(tmp_path: Path, directory: str) -> Path:
    conf = tmp_path / "kiosk.conf"
    conf.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "entkiosk.db"}"\n\n'
                    f'[mail]\noutbox = "{tmp_path / "outbox"}"\npublic_url = "https://services.example.org"\n\n'
                    f'[kiosk]\nid = "test-kiosk"\n\n{directory}', encoding="utf-8")
    return conf


def password_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "annuaire.secret"
    path.write_text("Cle7annuaire\n", encoding="utf-8")
    path.chmod(mode)
    return path


CONFIG_ERRORS = {
    # case: (the [directory] keys, the message after « Erreur : <conf> : »)
    "password file missing": (
        lambda tmp: {"url": "ldaps://annuaire.lycee.test", "password_file": str(tmp / "absent.secret")},
        lambda tmp: f"clé «{NBSP}directory.password_file{NBSP}»{NBSP}: le fichier {tmp / 'absent.secret'} est "
                    f"introuvable."),
    "password file 0644": (
        lambda tmp: {"url": "ldaps://annuaire.lycee.test", "password_file": str(password_file(tmp, 0o644))},
        lambda tmp: f"clé «{NBSP}directory.password_file{NBSP}»{NBSP}: le fichier {tmp / 'annuaire.secret'} peut "
                    f"être lu par d'autres comptes (droits 644){NBSP}: il doit être réservé à son propriétaire "
                    f"(chmod 600 {tmp / 'annuaire.secret'})."),
    "tls none over the network": (
        lambda tmp: {"url": "ldap://annuaire.lycee.test", "tls": "none",
                     "password_file": str(password_file(tmp, 0o600))},
        lambda tmp: f"clé «{NBSP}directory.tls{NBSP}»{NBSP}: «{NBSP}none{NBSP}» enverrait le mot de passe de "
                    f"l'annuaire et les empreintes des mots de passe en clair sur le réseau{NBSP}; il n'est permis "
                    f"qu'avec ldapi:// ou un annuaire sur cette machine (127.0.0.1)."),
    "ca_file missing": (
        lambda tmp: {"url": "ldaps://annuaire.lycee.test", "password_file": str(password_file(tmp, 0o600)),
                     "ca_file": str(tmp / "absente.pem")},
        lambda tmp: f"clé «{NBSP}directory.ca_file{NBSP}»{NBSP}: le certificat {tmp / 'absente.pem'} ne peut pas "
                    f"être lu (No such file or directory)."),
    "bad url scheme": (
        lambda tmp: {"url": "http://annuaire.lycee.test", "password_file": str(password_file(tmp, 0o600))},
        lambda tmp: f"clé «{NBSP}directory.url{NBSP}»{NBSP}: adresse d'annuaire attendue, ldap://serveur, "
                    f"ldaps://serveur ou ldapi:// (par exemple ldaps://annuaire.lycee.fr)."),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_directory_command_refuses_a_bad_configuration_at_start_up(case, tmp_path):
    """Configuration errors of ``[directory]`` stop the command before anything is done: exit
    1, one French line naming the file and the key, no traceback, no database made."""
    keys, message = CONFIG_ERRORS[case]
    directory = {"base": "ou=eleves,dc=lycee,dc=test", "bind_dn": "cn=entkiosk,dc=lycee,dc=test", **keys(tmp_path)}
    conf = write_conf(tmp_path, "[directory]\n" + "".join(f'{k} = "{v}"\n' for k, v in directory.items()))
    done = run(conf, "directory", "status")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Erreur{NBSP}: {conf}{NBSP}: {message(tmp_path)}\n"
    assert not (tmp_path / "entkiosk.db").exists()


def test_directory_command_status_and_sync_against_slapd(tmp_path, slapd):
    """``status`` shows the backlog and answers 0 while the server answers; ``sync`` lists
    what is missing and changes nothing; ``--apply`` writes it; with slapd stopped ``status``
    says why and answers 1."""
    from conftest import GOOD_PASSWORD, activate, student

    from entkiosk.config import load_settings
    from entkiosk.runtime import open_service

    conf = write_conf(tmp_path, slapd.config())
    service = open_service(load_settings(conf))
    try:
        julie, paul = service.import_class_list([student(), student("Paul", "Petit", line=3)], actor="cli:test")
        activate(service, julie)
    finally:
        service.engine.dispose()
    where = f"Annuaire{NBSP}: {slapd.ldapi_url}, branche des élèves {slapd.base}."
    julie_dn = f"uid={julie.identifier},{slapd.base}"

    status = run(conf, "directory", "status")
    lines = status.stdout.splitlines()
    assert (status.returncode, status.stderr) == (0, "")
    assert lines[:2] == [where, "Il répond."]
    assert lines[2].startswith("4 mises à jour en attente (2 élèves), la plus ancienne du ")
    assert lines[2].endswith(f"{NBSP}: 2 × compte créé, 1 × compte activé, 1 × charte acceptée.")
    assert lines[3] == f"Dernière livraison{NBSP}: —."

    compared = run(conf, "directory", "sync")
    assert (compared.returncode, compared.stderr) == (0, "")
    assert compared.stdout.splitlines() == [
        f"Annuaire {slapd.ldapi_url}{NBSP}: 2 élèves comparés.", f"À ajouter (2){NBSP}:", f"  {julie.identifier}",
        f"  {paul.identifier}", f"Rien n'a été modifié{NBSP}: relancez avec --apply pour réparer l'annuaire."]
    assert slapd.entries() == {}

    applied = run(conf, "directory", "sync", "--apply")
    assert (applied.returncode, applied.stderr) == (0, "")
    assert applied.stdout.splitlines() == [
        f"Annuaire {slapd.ldapi_url}{NBSP}: 2 élèves comparés.", f"Ajoutées (2){NBSP}:", f"  {julie.identifier}",
        f"  {paul.identifier}", "L'annuaire est réparé."]
    assert slapd.can_bind(julie_dn, GOOD_PASSWORD)
    assert not slapd.can_bind(f"uid={paul.identifier},{slapd.base}", paul.provisional_password)

    slapd.stop()
    down = run(conf, "directory", "status")
    assert down.returncode == 1
    assert down.stdout.splitlines()[:2] == [where, (
        f"L'annuaire {slapd.ldapi_url} ne répond pas{NBSP}: serveur arrêté ou injoignable. Les mises à jour "
        f"attendent et partiront dès son retour.")]
