"""Talking to the directory with ldap3: bind, find a pupil's entry, write it, remove it.

Every failure becomes a :class:`DirectoryError` whose text is one French sentence for staff
(the console, ``entkiosk directory status``, the log) — never a password or a hash: the
server's own words are reduced to the name of its result code.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from ldap3 import BASE, LEVEL, MODIFY_REPLACE, NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from ..config import DirectorySettings
from ..domain.i18n import N_, _
from .entries import BRANCH_CLASSES, MARKER, MARKER_ATTRIBUTE, OWNED, PERSON_CLASSES, Found, Layout, Pupil, same_dn

log = logging.getLogger(__name__)

#: What entkiosk reads of an entry (``userPassword`` is compared by the server, never read).
READ = ["uid", MARKER_ATTRIBUTE, *(name for name in OWNED if name != "userPassword")]


class DirectoryError(Exception):
    """A refusal or an absence of the directory. ``entry``: the trouble is this entry's
    (someone else's entry with the same ``uid``…), the other updates can go on; otherwise the
    server itself is out of reach and every update waits.

    It keeps its sentence as the French message and its values, so that it is said in the
    language of whoever reads it — the console's, a command's — rather than in the language
    a pupil had chosen at the kiosk when the delivering thread met it (:meth:`stored`,
    :func:`said`)."""

    def __init__(self, message: str, *, entry: bool = False, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values
        self.entry = entry

    def __str__(self) -> str:
        return _(self.message).format(**self.values)

    def stored(self) -> str:
        """What the outbox keeps: the message and its values (no secret: URLs, DNs, a uid)."""
        return json.dumps({"message": self.message, "values": self.values}, ensure_ascii=False)


def said(stored: str | None) -> str | None:
    """A problem the outbox kept (:meth:`DirectoryError.stored`), in the language in use."""
    if not stored:
        return stored
    try:
        found = json.loads(stored)
        return _(found["message"]).format(**found["values"])
    except (ValueError, KeyError, TypeError, IndexError):
        return stored  # cut at the column's length, or written by hand: shown as it is


def connector(settings_source: str, directory: DirectorySettings) -> Callable[[], Directory]:
    """What opens a connection, the password read once now (at start-up, where a missing or
    readable-by-all file is said)."""
    from .password import bind_password

    password = bind_password(directory, settings_source)
    return lambda: Directory(directory, password)


class Directory:
    """One bound connection (a context manager)."""

    def __init__(self, settings: DirectorySettings, password: str) -> None:
        self.settings = settings
        self.layout = Layout(settings.base, settings.per_class)
        self._password = password
        self._conn: Connection | None = None

    # ------------------------------------------------------------ connection

    def __enter__(self) -> Directory:
        s = self.settings
        address = urlsplit(s.url)
        tls = conn = None
        try:
            if address.scheme != "ldapi" and s.tls == "verify":
                tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=s.ca_file or None, sni=address.hostname,
                          valid_names=[address.hostname] if address.hostname else None)
            server = Server(s.url, use_ssl=address.scheme == "ldaps", tls=tls, get_info=NONE,
                            connect_timeout=s.timeout)
            # No referrals followed: ldap3 would bind to whatever server a referral names with
            # this password (a replica's update referral), over a connection nobody checked.
            conn = Connection(server, user=s.bind_dn, password=self._password, authentication=SIMPLE,
                              receive_timeout=s.timeout, raise_exceptions=True, read_only=False,
                              auto_referrals=False)
            conn.open()
            if address.scheme == "ldap" and tls is not None:
                conn.start_tls()
            conn.bind()
        except Exception as exc:  # noqa: BLE001 - every way of failing becomes one sentence
            if conn is not None:
                with _quietly():
                    conn.unbind()
            raise self._problem(exc) from None
        self._conn = conn
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._conn is not None:
            with _quietly():
                self._conn.unbind()
            self._conn = None

    def _call(self, what: Callable[[Connection], object], *, uid: str | None = None,
              answers: tuple[int, ...] = ()) -> object:
        """``what`` on the connection; any failure, or a result that is not an answer (besides
        ``answers``, which ``what`` handled), as a :class:`DirectoryError`."""
        assert self._conn is not None, "use the Directory as a context manager"
        try:
            done = what(self._conn)
            _answered(self._conn, answers)
        except Exception as exc:  # noqa: BLE001
            raise self._problem(exc, uid=uid) from None
        return done

    # ------------------------------------------------------------ reading

    def find(self, uid: str) -> list[Found]:
        """Every entry under the base whose ``uid`` is ``uid`` (ours or not)."""
        def search(conn: Connection) -> list[Found]:
            conn.search(self.settings.base, f"(uid={escape_filter_chars(uid)})", SUBTREE, attributes=READ)
            return [_found(e) for e in conn.response or [] if e.get("type") == "searchResEntry"]

        # Not the uid's trouble if it fails: a search of the base that does not find the base
        # (noSuchObject) means [directory] base is wrong, and every update waits for it.
        return self._call(search)  # type: ignore[return-value]

    def entries(self) -> Iterator[Found]:
        """Every entry with a ``uid`` under the base, a page at a time."""
        assert self._conn is not None
        try:
            for entry in self._conn.extend.standard.paged_search(
                    self.settings.base, "(uid=*)", SUBTREE, attributes=READ, paged_size=500, generator=True):
                if entry.get("type") == "searchResEntry":
                    yield _found(entry)
            _answered(self._conn)  # a size limit ends a search without an exception: not every entry came
        except Exception as exc:  # noqa: BLE001
            raise self._problem(exc) from None

    def reachable(self) -> None:
        """The base is there and readable (raises :class:`DirectoryError` otherwise)."""
        self._call(lambda conn: conn.search(self.settings.base, "(objectClass=*)", BASE, attributes=["1.1"]))

    # ------------------------------------------------------------ writing

    def put(self, pupil: Pupil) -> bool:
        """Make ``pupil``'s entry what it must be; True if something was written. Refuses to
        touch an entry with that ``uid`` that entkiosk did not create."""
        found = self.find(pupil.uid)
        foreign = [f for f in found if not f.ours]
        if foreign:
            raise _foreign(foreign[0].dn, pupil.uid)
        wanted = self.layout.dn(pupil)
        attributes = pupil.attributes()
        if not found:
            self._branch(pupil.class_name)
            values = {name: v for name, v in attributes.items() if v}
            self._call(lambda conn: conn.add(wanted, list(PERSON_CLASSES),
                                             {"uid": pupil.uid, MARKER_ATTRIBUTE: MARKER, **values}), uid=pupil.uid)
            return True
        current = found[0]
        changes = self.differences(current, pupil)
        if not changes:
            return False
        if "dn" in changes:
            self._branch(pupil.class_name)
            superior = self.layout.branch(pupil.class_name)
            rdn = f"uid={escape_rdn(pupil.uid)}"
            self._call(lambda conn: conn.modify_dn(current.dn, rdn, new_superior=superior), uid=pupil.uid)
        modifications = {name: [(MODIFY_REPLACE, attributes[name])] for name in changes if name != "dn"}
        if modifications:
            self._call(lambda conn: conn.modify(wanted, modifications), uid=pupil.uid)
        return True

    def differences(self, found: Found, pupil: Pupil) -> list[str]:
        """What differs between ``found`` and what ``pupil`` needs (:meth:`Found.differences`),
        ``userPassword`` compared by the server."""
        return found.differences(pupil, self.layout, password_same=self._password_same(found, pupil))

    def _password_same(self, found: Found, pupil: Pupil) -> bool:
        """The entry's ``userPassword`` is the one ``pupil`` needs, or absent when it needs none:
        an LDAP compare (compareTrue/compareFalse; noSuchAttribute when there is none)."""
        wanted = pupil.attributes()["userPassword"]

        def compare(conn: Connection) -> bool:
            try:
                same = conn.compare(found.dn, "userPassword", wanted[0] if wanted else "{ARGON2}-")
            except ldap_errors.LDAPNoSuchAttributeResult:
                return not wanted
            return bool(same) and bool(wanted)

        return bool(self._call(compare, uid=pupil.uid, answers=(NO_SUCH_ATTRIBUTE,)))

    def remove(self, uid: str) -> bool:
        """Delete ``uid``'s entry if entkiosk created it; an entry someone else made stays."""
        removed = False
        for found in self.find(uid):
            if found.ours:
                self._call(lambda conn, dn=found.dn: conn.delete(dn), uid=uid)
                removed = True
        return removed

    def delete(self, found: Found) -> None:
        """Delete one of entkiosk's entries found by :meth:`entries`."""
        if found.ours:
            self._call(lambda conn: conn.delete(found.dn), uid=found.uid)

    def _branch(self, class_name: str | None) -> None:
        """The class's branch, made (and marked) when missing."""
        branch = self.layout.branch(class_name)
        if same_dn(branch, self.settings.base):
            return

        def ensure(conn: Connection) -> None:
            try:
                conn.search(branch, "(objectClass=*)", BASE, attributes=["1.1"])
            except ldap_errors.LDAPNoSuchObjectResult:
                conn.add(branch, list(BRANCH_CLASSES), {"ou": class_name, MARKER_ATTRIBUTE: MARKER})

        self._call(ensure)

    def empty_branches(self) -> list[str]:
        """entkiosk's class branches that no entry is left in."""
        def read(conn: Connection) -> list[str]:
            conn.search(self.settings.base, f"(&(objectClass=organizationalUnit)({MARKER_ATTRIBUTE}={MARKER}))",
                        LEVEL, attributes=["1.1"])
            branches = [e["dn"] for e in conn.response or [] if e.get("type") == "searchResEntry"]
            empty = []
            for branch in branches:
                conn.search(branch, "(objectClass=*)", LEVEL, attributes=["1.1"], size_limit=1)
                _answered(conn, (SIZE_LIMIT,))  # one child is enough to know: the limit asked for it
                if not [e for e in conn.response or [] if e.get("type") == "searchResEntry"]:
                    empty.append(branch)
            return empty

        return self._call(read, answers=(SIZE_LIMIT,))  # type: ignore[return-value]

    def delete_branch(self, dn: str) -> None:
        self._call(lambda conn: conn.delete(dn))

    # ------------------------------------------------------------ errors

    def _problem(self, exc: BaseException, *, uid: str | None = None) -> DirectoryError:
        """``exc`` as a sentence for staff (and the log's line: the kind, never a value)."""
        s = self.settings
        log.info("directory %s: %s%s", s.url, type(exc).__name__,
                 f" ({getattr(exc, 'description', '')})" if getattr(exc, "description", None) else "")
        if isinstance(exc, DirectoryError):
            return exc
        text = str(exc)
        if (isinstance(exc, ldap_errors.LDAPCertificateError) or "CERTIFICATE_VERIFY_FAILED" in text
                or "certificate verify failed" in text):
            return DirectoryError(N_("Le certificat de l'annuaire {url} n'a pas pu être vérifié : il n'est pas "
                                     "signé par une autorité connue de cette machine, ou pas pour ce nom. Indiquez le "
                                     "certificat de l'autorité dans [directory] ca_file."), url=s.url)
        if isinstance(exc, ldap_errors.LDAPInvalidCredentialsResult):
            return DirectoryError(N_("L'annuaire {url} refuse le mot de passe de {bind_dn} : vérifiez le fichier "
                                     "{file} ([directory] password_file)."), url=s.url, bind_dn=s.bind_dn,
                                  file=s.password_file)
        if isinstance(exc, ldap_errors.LDAPNoSuchObjectResult) and uid is None:
            return DirectoryError(N_("La branche {base} n'existe pas dans l'annuaire {url}\u00a0: créez-la, ou corrigez "
                                     "[directory] base."), base=s.base, url=s.url)
        if isinstance(exc, ldap_errors.LDAPInsufficientAccessRightsResult):
            return DirectoryError(N_("L'annuaire {url} ne permet pas à {bind_dn} d'écrire sous {base}\u00a0: "
                                     "donnez-lui ce droit dans les ACL de l'annuaire."), url=s.url, bind_dn=s.bind_dn,
                                  base=s.base)
        result = getattr(exc, "result", None)
        description = str(getattr(exc, "description", None) or result)
        if result == SIZE_LIMIT:  # sizeLimitExceeded: a comparison would miss entries
            return DirectoryError(N_("L'annuaire {url} limite le nombre d'entrées qu'il rend à {bind_dn}\u00a0: "
                                     "levez cette limite pour ce compte (olcLimits, voir «\u00a0Mettre en "
                                     "service\u00a0» dans le README)."), url=s.url, bind_dn=s.bind_dn)
        if result in ENTRY_RESULTS and uid is not None:
            return DirectoryError(N_("L'annuaire {url} a refusé la mise à jour de {uid} ({result})."), url=s.url,
                                  uid=uid, result=description, entry=True)
        if isinstance(exc, ldap_errors.LDAPOperationResult | Unanswered):
            # busy, unavailable, unwillingToPerform (a read-only replica), a referral, a time
            # limit…: the server's, not one entry's — every update waits for it.
            return DirectoryError(N_("L'annuaire {url} ne peut pas faire les mises à jour pour le moment "
                                     "({result})\u00a0: elles attendent et partiront dès qu'il le pourra."),
                                  url=s.url, result=description)
        if isinstance(exc, ldap_errors.LDAPResponseTimeoutError):
            return DirectoryError(N_("L'annuaire {url} ne répond pas\u00a0: serveur arrêté ou injoignable. Les mises "
                                     "à jour attendent et partiront dès son retour."), url=s.url)
        if isinstance(exc, ldap_errors.LDAPSSLConfigurationError):
            return DirectoryError(N_("Le certificat de l'autorité de l'annuaire ne peut pas être lu\u00a0: "
                                     "vérifiez [directory] ca_file ({file})."), file=s.ca_file)
        if isinstance(exc, ldap_errors.LDAPSocketOpenError | ldap_errors.LDAPSocketReceiveError
                      | ldap_errors.LDAPSocketSendError | ldap_errors.LDAPSessionTerminatedByServerError
                      | ldap_errors.LDAPCommunicationError | ldap_errors.LDAPStartTLSError | OSError):
            if isinstance(exc, ldap_errors.LDAPStartTLSError) or "ssl" in text.lower():
                return DirectoryError(N_("L'annuaire {url} n'a pas pu établir de connexion chiffrée (TLS) : "
                                         "vérifiez son certificat et [directory] tls."), url=s.url)
            return DirectoryError(N_("L'annuaire {url} ne répond pas : serveur arrêté ou injoignable. Les mises "
                                     "à jour attendent et partiront dès son retour."), url=s.url)
        return DirectoryError(N_("L'annuaire {url} a répondu de façon inattendue ({kind})."), url=s.url,
                              kind=type(exc).__name__)


def _foreign(dn: str, uid: str) -> DirectoryError:
    return DirectoryError(N_("L'annuaire a déjà une entrée {dn} que entkiosk n'a pas créée (sans « description: "
                             "entkiosk ») : elle n'est pas modifiée. Renommez-la ou retirez-la ; la mise "
                             "à jour de {uid} attend."), dn=dn, uid=uid, entry=True)


#: Results that are answers: success, compareFalse, compareTrue.
ANSWERS = (0, 5, 6)
NO_SUCH_ATTRIBUTE, SIZE_LIMIT = 16, 4
#: Results that concern one entry (its values, its name, its place): the others' updates go on.
ENTRY_RESULTS = (16, 17, 18, 19, 20, 21, 32, 34, 64, 65, 66, 67, 68, 69)


class Unanswered(Exception):
    """A result ldap3 does not raise for (a size or time limit, a referral): the operation was
    not done, or not wholly."""

    def __init__(self, result: int, description: str) -> None:
        super().__init__(description)
        self.result = result
        self.description = description


def _answered(conn: Connection, answers: tuple[int, ...] = ()) -> None:
    result = (conn.result or {}).get("result", 0)
    if result not in ANSWERS and result not in answers:
        raise Unanswered(result, str((conn.result or {}).get("description") or result))


def _found(entry: dict) -> Found:
    attributes: dict[str, list[str]] = {}
    for name, values in (entry.get("raw_attributes") or {}).items():
        attributes[name.lower()] = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]
    return Found(entry["dn"], attributes)


class _quietly:
    """Closing a connection that failed: nothing more to say."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True
