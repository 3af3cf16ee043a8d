"""The directory tests' own slapd (tests/ldap_support.py) and the README's slapd settings it
runs: a pupil binds with the very argon2id hash entkiosk stores, over the socket, plain LDAP
and LDAPS; entkiosk's account writes under the pupils' branch and reads no password; ``uid``
is indexed. Run with ``pytest -k directory``."""

from __future__ import annotations

import functools
import stat
import tomllib
from pathlib import Path

from conftest import GOOD_PASSWORD, OTHER_PASSWORD
from ldap_support import Slapd, parse_ldif, slapd  # noqa: F401 - slapd is the fixture

from entkiosk.domain.passwords import Hasher, HashParameters

COMPARE_TRUE, COMPARE_FALSE, INSUFFICIENT_ACCESS = 6, 5, 50


@functools.cache
def hasher() -> Hasher:
    """entkiosk's hasher with its default parameters (argon2id, m=19 MiB, t=2, p=1)."""
    return Hasher(HashParameters())


def plant_pupil(server: Slapd, uid: str, password: str | None, *, branch: str | None = None) -> str:
    """A pupil's entry as root, with ``{ARGON2}`` and entkiosk's hash of ``password`` (none: no password)."""
    dn = f"uid={uid},{branch or server.base}"
    attributes: dict[str, list[str] | str] = {"objectClass": ["inetOrgPerson"], "uid": uid, "givenName": "Éloïse",
                                              "sn": "Dupré", "cn": "Éloïse Dupré"}
    if password is not None:
        attributes["userPassword"] = "{ARGON2}" + hasher().hash(password)
    server.add(dn, attributes)
    return dn


def test_a_pupil_binds_with_entkiosks_argon2id_hash_over_ldapi_ldap_and_ldaps(slapd: Slapd) -> None:
    """The README's ``argon2`` module checks the hash entkiosk stores: the pupil's password binds
    over the socket, plain LDAP, LDAP with StartTLS and LDAPS (the server's certificate checked
    against the test's CA); another password, or none, does not."""
    dn = plant_pupil(slapd, "eloise.dupre", GOOD_PASSWORD)
    for url in (slapd.ldapi_url, slapd.ldap_url, slapd.ldaps_url):
        assert slapd.can_bind(dn, GOOD_PASSWORD, url), url
    assert slapd.can_bind(dn, GOOD_PASSWORD, slapd.ldap_url, starttls=True)
    assert not slapd.can_bind(dn, OTHER_PASSWORD)
    assert not slapd.can_bind(dn, OTHER_PASSWORD, slapd.ldaps_url)
    assert not slapd.can_bind(dn, "")


def test_an_entry_without_a_password_cannot_bind(slapd: Slapd) -> None:
    """A pupil's entry before activation (no ``userPassword``) opens nothing, whatever is tried."""
    dn = plant_pupil(slapd, "eloise.dupre", None)
    assert not slapd.can_bind(dn, GOOD_PASSWORD)
    assert not slapd.can_bind(dn, "")


def test_stop_and_start_keep_the_entries_the_socket_and_the_ports(slapd: Slapd) -> None:
    """A stopped slapd answers neither yes nor no; started again it serves the same entries
    at the same addresses. ``entries()`` reads them as slapd holds them: attribute names in
    lower case, accented values decoded, the base itself left out."""
    dn = plant_pupil(slapd, "eloise.dupre", GOOD_PASSWORD)
    before = slapd.entries()
    assert list(before) == [dn]
    assert before[dn]["cn"] == ["Éloïse Dupré"] and before[dn]["objectclass"] == ["inetOrgPerson"]
    assert before[dn]["userpassword"][0].startswith("{ARGON2}$argon2id$v=19$m=19456,t=2,p=1$")
    urls = (slapd.ldapi_url, slapd.ldap_url, slapd.ldaps_url)
    slapd.stop()
    try:
        slapd.can_bind(dn, GOOD_PASSWORD)
    except AssertionError as refused:
        assert "Can't contact LDAP server" in str(refused)
    else:
        raise AssertionError("a stopped slapd answered a bind")
    slapd.start()
    assert (slapd.ldapi_url, slapd.ldap_url, slapd.ldaps_url) == urls
    assert slapd.entries() == before
    assert slapd.can_bind(dn, GOOD_PASSWORD, slapd.ldaps_url)


def test_the_service_account_writes_under_the_pupils_branch_and_reads_no_password(slapd: Slapd) -> None:
    """The README's access rules, as entkiosk's account (its password from ``password_file``):
    it makes a class branch, adds, moves, re-hashes and deletes pupils, compares a stored hash
    (for ``sync``), but never reads nor searches a password and cannot write outside its
    branch; a pupil cannot change the password entkiosk published."""
    secret = slapd.password_file.read_text(encoding="utf-8")
    assert secret.endswith("\n") and stat.S_IMODE(slapd.password_file.stat().st_mode) == 0o600
    service = ("-x", "-H", slapd.ldapi_url, "-D", slapd.bind_dn, "-w", secret.removesuffix("\n"))
    kept = plant_pupil(slapd, "eloise.dupre", GOOD_PASSWORD)
    branch = f"ou=2nde 1,{slapd.base}"
    new_hash = "{ARGON2}" + hasher().hash(OTHER_PASSWORD)
    slapd.run("ldapmodify", *service, input=f"""\
dn: {branch}
changetype: add
objectClass: organizationalUnit
ou: 2nde 1

dn: uid=lucas.martin,{branch}
changetype: add
objectClass: inetOrgPerson
uid: lucas.martin
cn: Lucas Martin
sn: Martin
userPassword: {new_hash}

dn: {kept}
changetype: modify
replace: userPassword
userPassword: {new_hash}

dn: {kept}
changetype: modrdn
newrdn: uid=eloise.dupre
deleteoldrdn: 1
newsuperior: {branch}

dn: uid=lucas.martin,{branch}
changetype: delete
""")
    moved = f"uid=eloise.dupre,{branch}"
    assert set(slapd.entries()) == {branch, moved}
    assert slapd.can_bind(moved, OTHER_PASSWORD) and not slapd.can_bind(moved, GOOD_PASSWORD)

    seen = parse_ldif(slapd.run("ldapsearch", *service, "-LLL", "-o", "ldif-wrap=no", "-b", slapd.base,
                                "(uid=eloise.dupre)", "*").stdout)
    assert list(seen) == [moved] and seen[moved]["uid"] == ["eloise.dupre"] and "userpassword" not in seen[moved]
    searched = slapd.run("ldapsearch", *service, "-LLL", "-b", slapd.base, "(userPassword=*)", "dn")
    assert searched.stdout.strip() == ""
    compare = ("ldapcompare", *service, moved)
    assert slapd.run(*compare, f"userPassword:{new_hash}", check=False).returncode == COMPARE_TRUE
    assert slapd.run(*compare, f"userPassword:{OTHER_PASSWORD}", check=False).returncode == COMPARE_FALSE

    outside = slapd.run("ldapmodify", *service, check=False, input=f"""\
dn: uid=intrus,ou=services,{slapd.suffix}
changetype: add
objectClass: inetOrgPerson
uid: intrus
cn: Intrus
sn: Intrus
""")
    assert outside.returncode == INSUFFICIENT_ACCESS, outside.stderr
    by_pupil = slapd.run("ldapmodify", "-x", "-H", slapd.ldapi_url, "-D", moved, "-w", OTHER_PASSWORD, check=False,
                         input=f"dn: {moved}\nchangetype: modify\nreplace: userPassword\nuserPassword: {{ARGON2}}x\n")
    assert by_pupil.returncode == INSUFFICIENT_ACCESS, by_pupil.stderr


def test_the_readme_settings_are_in_cn_config_uid_indexed_and_argon2_loaded(slapd: Slapd) -> None:
    """Read back from ``cn=config`` as the local root: the ``argon2`` module is loaded and
    ``uid`` has an equality index (the README's second block); and Debian's stock database,
    which the README says already indexes ``uid``, does."""
    found = parse_ldif(slapd.run("ldapsearch", "-Q", "-Y", "EXTERNAL", "-H", slapd.ldapi_url, "-LLL", "-o",
                                 "ldif-wrap=no", "-b", "cn=config", "(|(cn=module{0})(olcSuffix=*))", "olcModuleLoad",
                                 "olcDbIndex").stdout)
    modules = [value.split("}", 1)[1] for value in found["cn=module{0},cn=config"]["olcmoduleload"]]
    assert modules == ["back_mdb", "argon2"]
    assert "uid eq" in found["olcDatabase={1}mdb,cn=config"]["olcdbindex"]
    debian = Path("/usr/share/slapd/slapd.init.ldif")
    if debian.exists():
        assert "olcDbIndex: cn,uid eq" in debian.read_text(encoding="utf-8").splitlines()


def test_config_is_the_directory_block_for_this_server(slapd: Slapd) -> None:
    """``slapd.config()``: the kiosk.conf ``[directory]`` block for this server, keys set,
    replaced or left out (None) by its arguments."""
    default = tomllib.loads(slapd.config())["directory"]
    assert default == {"url": slapd.ldapi_url, "base": "ou=eleves,dc=lycee-exemple,dc=test",
                       "bind_dn": "cn=entkiosk,ou=services,dc=lycee-exemple,dc=test",
                       "password_file": str(slapd.password_file)}
    over = tomllib.loads(slapd.config(url=slapd.ldaps_url, ca_file=slapd.ca_file, per_class=True, timeout=2.5,
                                      bind_dn=None))["directory"]
    assert over == {"url": slapd.ldaps_url, "base": slapd.base, "password_file": str(slapd.password_file),
                    "ca_file": str(slapd.ca_file), "per_class": True, "timeout": 2.5}
