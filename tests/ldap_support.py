"""A private OpenLDAP server per test: Debian's slapd, configured as a school's would be.

The server starts from Debian's own layout in ``cn=config`` (back_mdb as ``olcDatabase={1}mdb``,
the core, cosine, nis and inetorgperson schemas, Debian's default access rules, the local root
user allowed to manage the configuration over ``ldapi://``), and then the README's « slapd's
settings » are applied to it with ``ldapmodify -Y EXTERNAL``, exactly as the administrator
does: every directory test runs the README's LDIF, so the README cannot drift from what works.

The configured server is prepared once per test process (a template folder, slapd stopped:
~0.15 s); each test gets its own copy of it, started fresh (``slapd`` fixture: ~20 ms to copy
and start, ~10 ms to stop and remove). It listens on a socket in
its folder (``ldapi://``), on ``ldap://127.0.0.1:<port>`` (StartTLS possible) and on
``ldaps://127.0.0.1:<port>``, with a certificate for 127.0.0.1 and localhost signed by a CA
made here (``ca_file``).

The helper checks the directory with Debian's ldap-utils (ldapsearch, ldapmodify,
ldapwhoami), not with ldap3: the product's own client must not be what vouches for its writes.

Without slapd the tests that use it are skipped, saying how to install it; with ``CI`` set
(``.ci/run`` installs it) a missing slapd is a failure.
"""

from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from faults_support import free_port

from entkiosk.domain.passwords import Hasher, HashParameters

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {
    "slapd": "/usr/sbin/slapd",
    "slapadd": "/usr/sbin/slapadd",
    "ldapmodify": shutil.which("ldapmodify"),
    "ldapsearch": shutil.which("ldapsearch"),
    "ldapwhoami": shutil.which("ldapwhoami"),
    "ldapcompare": shutil.which("ldapcompare"),
}
ARGON2_MODULE = Path("/usr/lib/ldap/argon2.so")
SCHEMAS = Path("/etc/ldap/schema")
# Dies with the test process even if that one is killed (no slapd left behind).
SETPRIV = shutil.which("setpriv")

SUFFIX = "dc=lycee-exemple,dc=test"
BASE = f"ou=eleves,{SUFFIX}"
BIND_DN = f"cn=entkiosk,ou=services,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
README_HEADING = "### The LDAP directory: slapd's settings"

INVALID_CREDENTIALS = 49
UNWILLING_TO_PERFORM = 53  # a bind with a DN and an empty password
NO_SUCH_OBJECT = 32


def require_slapd() -> None:
    """Skip (or, in CI, fail) when Debian's slapd and ldap-utils are not installed."""
    absent = [name for name, path in TOOLS.items() if not (path and os.access(path, os.X_OK))]
    if not ARGON2_MODULE.exists():
        absent.append(str(ARGON2_MODULE))
    if absent:
        reason = (f"no OpenLDAP server ({', '.join(absent)} missing): install Debian's slapd and ldap-utils "
                  f"(bash .ci/install-slapd) to run the directory tests")
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs them", pytrace=False)
        pytest.skip(reason)


def readme_ldif() -> list[str]:
    """The ```ldif blocks of the README's « slapd's settings », in their order."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(README_HEADING)
    blocks: list[str] = []
    block: list[str] | None = None
    for line in lines[start + 1:]:
        if block is not None:
            if line.startswith("```"):
                blocks.append("\n".join(block) + "\n")
                block = None
            else:
                block.append(line)
        elif line.startswith("```ldif"):
            block = []
        elif line.startswith("```"):
            raise AssertionError(f"README, {README_HEADING}: a fenced block that is not ```ldif")
        elif line.startswith("#"):
            break  # the next heading
    assert blocks, f"README, {README_HEADING}: no ```ldif block"
    return blocks


def parse_ldif(text: str) -> dict[str, dict[str, list[str]]]:
    """ldapsearch's LDIF (unwrapped): {dn: {attribute name in lower case: [values]}}."""
    entries: dict[str, dict[str, list[str]]] = {}
    for record in text.strip().split("\n\n"):
        dn: str | None = None
        attributes: dict[str, list[str]] = {}
        for line in record.splitlines():
            name, sep, rest = line.partition(":")
            assert sep, f"not LDIF: {line!r}"
            if rest.startswith(":"):
                value = base64.b64decode(rest[1:].strip()).decode("utf-8")
            else:
                value = rest.lstrip(" ")
            if dn is None:
                assert name.lower() == "dn", f"an LDIF record starts with its dn: {line!r}"
                dn = value
            else:
                attributes.setdefault(name.lower(), []).append(value)
        if dn is not None:
            entries[dn] = attributes
    return entries


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _ssha(password: str) -> str:
    """Debian's olcRootPW form (what ``slappasswd`` writes)."""
    salt = secrets.token_bytes(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _certificates(folder: Path) -> None:
    """A throw-away CA (``ca.pem``) and the server's certificate for 127.0.0.1 and localhost.
    (ldap-utils check ``ldaps://localhost`` against the machine's own name, not « localhost »:
    the helper uses 127.0.0.1; Python's ssl, under ldap3, accepts either.)"""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entkiosk tests CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=2))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_secret(folder / "server.key", pem.decode("ascii"))


def _config_ldif(folder: Path, root_password: str) -> str:
    """Debian's ``cn=config`` as its package makes it (/usr/share/slapd/slapd.init.ldif), for
    this folder: no pid file, the test's user as the local root, TLS with the test's certificate,
    and ``cn eq`` where Debian has ``cn,uid eq``: no index on ``uid`` yet, so that the README's
    second block (for a directory without one) is run too."""
    local_root = f"gidNumber={os.getegid()}+uidNumber={os.geteuid()},cn=peercred,cn=external,cn=auth"
    schemas = "\n".join(f"include: file://{SCHEMAS / name}.ldif" for name in ("core", "cosine", "nis", "inetorgperson"))
    return f"""\
dn: cn=config
objectClass: olcGlobal
cn: config
olcLogLevel: none
olcToolThreads: 1
olcTLSCACertificateFile: {folder / "ca.pem"}
olcTLSCertificateFile: {folder / "server.pem"}
olcTLSCertificateKeyFile: {folder / "server.key"}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: 500
olcAccess: {{0}}to * by dn.exact={local_root} manage by * break
olcAccess: {{1}}to dn.exact="" by * read
olcAccess: {{2}}to dn.base="cn=Subschema" by * read

dn: olcDatabase=config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: config
olcAccess: to * by dn.exact={local_root} manage by * break
olcRootDN: cn=admin,cn=config

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {ARGON2_MODULE.parent}
olcModuleLoad: back_mdb

dn: olcDatabase=mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: mdb
olcLastMod: TRUE
olcSuffix: {SUFFIX}
olcDbDirectory: db
olcRootDN: {ROOT_DN}
olcRootPW: {_ssha(root_password)}
olcDbIndex: objectClass eq
olcDbIndex: cn eq
olcDbIndex: uidNumber,gidNumber eq
olcDbIndex: member,memberUid eq
olcAccess: to attrs=userPassword by self write by anonymous auth by * none
olcAccess: to attrs=shadowLastChange by self write by * read
olcAccess: to * by * read
"""


def _data_ldif(service_hash: str) -> str:
    """The school's tree before entkiosk: the suffix, the pupils' and services' branches and
    entkiosk's service account."""
    return f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: lycee-exemple
o: Lycee exemple

dn: {BASE}
objectClass: organizationalUnit
ou: eleves

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: {BIND_DN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: entkiosk
userPassword: {{ARGON2}}{service_hash}
"""


class Template:
    """The configured server of this test process, stopped: the README applied once."""

    def __init__(self) -> None:
        # Short: the ldapi:// socket's path must fit in sun_path (108 bytes).
        self.folder = Path(tempfile.mkdtemp(prefix="sl", dir="/tmp"))
        atexit.register(shutil.rmtree, self.folder, True)
        _certificates(self.folder)
        self.ca_file = self.folder / "ca.pem"
        self.password = secrets.token_urlsafe(18)
        _write_secret(self.folder / "service-password", self.password + "\n")
        root_password = secrets.token_urlsafe(18)
        self.root_password_file = self.folder / "root-password"
        _write_secret(self.root_password_file, root_password)  # ldap-utils' -y reads every byte
        # Only this file configures ldap-utils here (not /etc/ldap/ldap.conf nor ~/.ldaprc).
        self.ldap_conf = self.folder / "ldap.conf"
        self.ldap_conf.write_text(f"TLS_CACERT {self.ca_file}\nTLS_REQCERT demand\n", encoding="utf-8")
        (self.folder / "slapd.d").mkdir()
        (self.folder / "db").mkdir()
        made = subprocess.run([TOOLS["slapadd"], "-n0", "-F", "slapd.d"], cwd=self.folder, capture_output=True,
                              input=_config_ldif(self.folder, root_password), text=True, timeout=60)
        assert made.returncode == 0, f"slapadd -n0 failed: {made.stderr.strip()}"
        server = Slapd(self, self.folder)
        server.start()
        try:
            for block in readme_ldif():
                server.run("ldapmodify", "-Q", "-Y", "EXTERNAL", "-H", server.ldapi_url, input=block)
            service_hash = Hasher(HashParameters()).hash(self.password)
            server.run("ldapmodify", "-a", *server.as_root, input=_data_ldif(service_hash))
        finally:
            server.stop()


@functools.cache
def template() -> Template:
    return Template()


_running: set[Slapd] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.stop()


class Slapd:
    """One test's slapd: its own copy of the configured directory, its own socket and ports."""

    suffix = SUFFIX
    base = BASE
    bind_dn = BIND_DN
    root_dn = ROOT_DN

    def __init__(self, template: Template, folder: Path) -> None:
        self.folder = folder
        self.ldapi_url = "ldapi://" + quote(str(folder / "ldapi"), safe="")
        self.ldap_port, self.ldaps_port = self._two_ports()
        #: The service account's password, newline-terminated, 0600 (this copy's own file).
        self.password_file = folder / "service-password"
        #: The service account's password (what ``password_file`` holds).
        self.password = template.password
        self.ca_file = template.ca_file
        self._template = template
        self._process: subprocess.Popen | None = None
        self._started = False

    @classmethod
    def copy_of(cls, template: Template) -> Slapd:
        folder = Path(tempfile.mkdtemp(prefix="sl", dir="/tmp"))
        for name in ("slapd.d", "db"):
            shutil.copytree(template.folder / name, folder / name)
        shutil.copy2(template.folder / "service-password", folder / "service-password")
        return cls(template, folder)

    @staticmethod
    def _two_ports() -> tuple[int, int]:
        first = free_port()
        second = free_port()
        while second == first:
            second = free_port()
        return first, second

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def as_root(self) -> tuple[str, ...]:
        """ldap-utils' options that bind as the root DN over the socket."""
        return ("-x", "-H", self.ldapi_url, "-D", ROOT_DN, "-y", str(self._template.root_password_file))

    # ------------------------------------------------------------------ running

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        """Start slapd on this copy's data, with the same socket and ports as before."""
        assert self._process is None, "slapd is already running"
        for attempt in range(5):
            if self._spawn():
                self._started = True
                return
            # Another process took a port between free_port() and slapd's bind: new ports,
            # unless this server was already given to the test with them.
            assert not self._started, f"slapd cannot listen again on {self.ldap_port}/{self.ldaps_port}"
            self.ldap_port, self.ldaps_port = self._two_ports()
        raise AssertionError("slapd found no free port")

    def _spawn(self) -> bool:
        command = [TOOLS["slapd"], "-d", "0", "-F", "slapd.d", "-h",
                   f"{self.ldapi_url} {self.ldap_url} {self.ldaps_url}"]
        # The parent-death signal is tied to the thread that starts the child.
        if SETPRIV and threading.current_thread() is threading.main_thread():
            command = [SETPRIV, "--pdeathsig", "TERM", "--", *command]
        log = self.folder / "slapd.log"
        with log.open("ab") as out:
            process = subprocess.Popen(command, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT)
        self._process = process
        _running.add(self)
        socket_path = str(self.folder / "ldapi")
        deadline = time.monotonic() + 30
        waiting = [socket_path, ("127.0.0.1", self.ldap_port), ("127.0.0.1", self.ldaps_port)]
        while waiting:
            if process.poll() is not None:
                self._process = None
                _running.discard(self)
                output = log.read_text(encoding="utf-8", errors="replace")
                if "Address already in use" in output:
                    return False
                raise AssertionError(f"slapd stopped at start (exit {process.returncode}): {output[-2000:]}")
            address = waiting[0]
            family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(address)
                except OSError:
                    assert time.monotonic() < deadline, f"slapd did not listen on {address} within 30 s"
                    time.sleep(0.005)
                    continue
            waiting.pop(0)
        return True

    def stop(self) -> None:
        """Stop slapd (SIGTERM: the clean shutdown an administrator's ``systemctl stop`` does)."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ looking at it

    def run(self, tool: str, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """One of ldap-utils' commands, configured by this test's ldap.conf only."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("LDAP")}
        env.update(LDAPCONF=str(self._template.ldap_conf), LDAPRC="entkiosk-tests-no-ldaprc")
        result = subprocess.run([TOOLS[tool], *args], input=input, env=env, capture_output=True, text=True,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()}")
        return result

    def can_bind(self, dn: str, password: str, url: str | None = None, *, starttls: bool = False) -> bool:
        """Whether a simple bind as ``dn`` with ``password`` succeeds (over ``url``, the socket
        by default; ``ldaps_url``, or ``ldap_url`` with ``starttls``, checks the server's
        certificate with ``ca_file``). Raises when the answer is neither yes nor « invalid
        credentials » (slapd down, TLS refused…)."""
        tls = ("-ZZ",) if starttls else ()
        result = self.run("ldapwhoami", *tls, "-x", "-H", url or self.ldapi_url, "-D", dn, "-w", password,
                          check=False)
        if result.returncode == 0:
            return True
        if result.returncode == INVALID_CREDENTIALS or (result.returncode == UNWILLING_TO_PERFORM and not password):
            return False
        raise AssertionError(f"ldapwhoami {url or self.ldapi_url} (exit {result.returncode}): {result.stderr.strip()}")

    def entries(self, base: str | None = None) -> dict[str, dict[str, list[str]]]:
        """Every entry below ``base`` (the pupils' branch by default; ``base`` itself left out),
        read as the root DN: {DN as slapd returns it: {attribute in lower case: [values]}},
        user attributes only. A ``base`` that does not exist is an error, not « no entries »."""
        base = base or self.base
        result = self.run("ldapsearch", *self.as_root, "-LLL", "-o", "ldif-wrap=no", "-s", "children", "-b", base,
                          "(objectClass=*)", check=False)
        if result.returncode == NO_SUCH_OBJECT:
            raise AssertionError(f"no entry {base} in the directory")
        if result.returncode != 0:
            raise AssertionError(f"ldapsearch failed (exit {result.returncode}): {result.stderr.strip()}")
        return parse_ldif(result.stdout)

    def add(self, dn: str, attributes: dict[str, list[str] | str]) -> None:
        """Add an entry as the root DN (someone else's entry, for instance)."""
        lines = [f"dn:: {_b64(dn)}"]
        for name, values in attributes.items():
            lines += [f"{name}:: {_b64(value)}" for value in ([values] if isinstance(values, str) else values)]
        self.run("ldapmodify", "-a", *self.as_root, input="\n".join(lines) + "\n")

    def config(self, **over: object) -> str:
        """The ``[directory]`` block of kiosk.conf for this server; ``over`` sets or replaces
        keys (``url=slapd.ldaps_url, ca_file=slapd.ca_file``), and a key set to None is left out."""
        keys: dict[str, object] = {"url": self.ldapi_url, "base": self.base, "bind_dn": self.bind_dn,
                                   "password_file": self.password_file}
        keys.update(over)
        lines = ["[directory]"]
        for key, value in keys.items():
            if value is None:
                continue
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int | float):
                text = repr(value)
            else:
                text = json.dumps(str(value))  # a JSON string is a TOML basic string
            lines.append(f"{key} = {text}")
        return "\n".join(lines) + "\n"


@pytest.fixture
def slapd() -> Iterator[Slapd]:
    """A started slapd of the test's own, configured with the README's settings; stopped and
    removed afterwards, whatever the test did."""
    require_slapd()
    server = Slapd.copy_of(template())
    try:
        server.start()
        yield server
    finally:
        server.close()
