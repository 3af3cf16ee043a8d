"""Typed settings from ``kiosk.conf`` (TOML). The only place that reads the file.

Lookup order: ``--config PATH``, ``$ENTKIOSK_CONFIG``, ``./kiosk.conf``, built-in
defaults. Unknown keys and bad values are refused with a French message naming the
key and the file.
"""

from __future__ import annotations

import builtins
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from .domain.i18n import N_, _
from .domain.passwords import LONGEST_ALLOWED, MAX_LENGTH, MIN_LENGTH, OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST

ENV_VAR = "ENTKIOSK_CONFIG"
#: Set by « entkiosk serve » for each browser tab's kiosk process: that kiosk's ``[kiosk] id``
#: (the serving instance's plus the tab's).
SERVED_ENV = "ENTKIOSK_SERVED"
APP_NAME = "entkiosk"

Positive = Annotated[int, msgspec.Meta(ge=1)]


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


def _masked(section: msgspec.Struct, *secret_fields: str):
    """(name, value) pairs with passwords masked: settings end up in logs and crash reports."""
    for name in section.__struct_fields__:
        value = getattr(section, name)
        if name in secret_fields and value:
            value = "***"
        elif name == "url" and value:
            from sqlalchemy.engine import make_url

            try:
                value = make_url(value).render_as_string(hide_password=True)
            except Exception:  # noqa: BLE001 - an unparsable URL is reported elsewhere
                value = "***"
        yield name, value


def _hidden(section: msgspec.Struct, *secret_fields: str) -> str:
    parts = ", ".join(f"{name}={value!r}" for name, value in _masked(section, *secret_fields))
    return f"{type(section).__name__}({parts})"


class DatabaseSettings(_Section):
    #: SQLAlchemy URL; empty means an SQLite file in the user data folder.
    url: str = ""

    def __repr__(self) -> str:
        return _hidden(self)

    def __rich_repr__(self):
        yield from _masked(self)
    #: Seconds an SQLite writer waits for another before giving up.
    busy_timeout: Annotated[float, msgspec.Meta(ge=0, le=600)] = 15.0


class EstablishmentSettings(_Section):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] = "Lycée de démonstration"
    address: str = "1 rue de l'École\n59000 LILLE"
    phone: str = "03 20 00 00 00"
    email: str = "ce.0590000a@ac-lille.fr"
    city: str = "Lille"
    academy: str = "Académie de LILLE"
    head: str = "Le chef d'établissement"
    #: The address printed on letters: where students activate their account.
    services_url: str = "https://teleservices.ac-lille.fr"
    #: The message shown on the student home screen.
    message: str = ""
    timezone: str = "Europe/Paris"
    #: The school's code (UAI, « UAJ » in SIECLE's exports): an export of another school
    #: is refused. Empty: the first SIECLE export imported records it.
    uai: Annotated[str, msgspec.Meta(pattern=r"^(\d{7}[A-Za-z])?$")] = ""


class KioskSettings(_Section):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] = "kiosque-1"
    idle_timeout: Annotated[int, msgspec.Meta(ge=10, le=3600)] = 120
    #: The kiosk's language at start and after each session, and the command line's (a
    #: language code: ``fr``, ``en``, ``uk``…). One without a catalog is said at start-up
    #: and French is used instead.
    language: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}$")] = "fr"
    #: The colours at start and after each session: ``standard``, ``contraste`` (high
    #: contrast, 7:1 or more) or ``ansi`` (the terminal's own 16 colours). An unknown name is
    #: said at start-up and the standard colours are used.
    theme: Annotated[str, msgspec.Meta(max_length=40)] = "standard"
    #: Seconds between two readings of the database by the supervised session's live view.
    live_refresh: Annotated[float, msgspec.Meta(ge=0.2, le=60)] = 3.0


class AccountSettings(_Section):
    activation_months: Annotated[int, msgspec.Meta(ge=1, le=24)] = 3
    lockout_threshold: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    lockout_base_seconds: Annotated[int, msgspec.Meta(ge=1, le=86400)] = 60
    lockout_max_seconds: Annotated[int, msgspec.Meta(ge=1, le=86400)] = 900
    code_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    email_token_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 30)] = 72
    #: Minutes a password reset code (and its link) can be used. Read under its old name,
    #: ``reset_token_minutes``, when this one is absent (:data:`RENAMED_KEYS`).
    reset_code_minutes: Annotated[int, msgspec.Meta(ge=5, le=24 * 60)] = 30
    session_timeout: Annotated[int, msgspec.Meta(ge=60, le=24 * 3600)] = 1800
    #: Seconds a session lasts at most, however busy (ASVS 7.3.2): a pupil's or a guardian's
    #: visit to the kiosk, then a staff member's (a supervised session lasts a lesson, within
    #: a working day). Past it the session is refused like an expired one.
    session_max_age: Annotated[int, msgspec.Meta(ge=300, le=24 * 3600)] = 1800
    staff_session_max_age: Annotated[int, msgspec.Meta(ge=300, le=24 * 3600)] = 8 * 3600
    argon2_time_cost: Annotated[int, msgspec.Meta(ge=OWASP_MIN_TIME_COST, le=50)] = 2
    argon2_memory_cost: Annotated[int, msgspec.Meta(ge=OWASP_MIN_MEMORY_KIB, le=4 * 1024 * 1024)] = OWASP_MIN_MEMORY_KIB
    argon2_parallelism: Annotated[int, msgspec.Meta(ge=1, le=16)] = 1
    #: Students' password length: the guide's 8 to 14 by default; an establishment may ask
    #: for more (never fewer than 8). Staff passwords take at least 12 and up to 64 anyway.
    password_min_length: Annotated[int, msgspec.Meta(ge=MIN_LENGTH, le=64)] = MIN_LENGTH
    password_max_length: Annotated[int, msgspec.Meta(ge=MIN_LENGTH, le=LONGEST_ALLOWED)] = MAX_LENGTH
    #: Days a leaver's account (SIECLE yearly update) is kept, disabled, before ``entkiosk
    #: purge`` deletes it; a pupil who comes back within them gets the same account back.
    leaver_retention_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 90
    #: « Mot de passe oublié ? » offers a pupil without a validated address to have the
    #: reset code mailed to one of their legal guardians' validated addresses.
    guardian_recovery: bool = True


class MailSettings(_Section):
    transport: Literal["outbox", "smtp"] = "outbox"
    #: Maildir folder; empty means ``outbox`` in the user data folder.
    outbox: str = ""
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: Annotated[float, msgspec.Meta(gt=0, le=120)] = 10.0
    sender_name: str = "Administrateur des services en ligne"
    sender_address: str = "administrateur-teleservices@ac-lille.fr"
    #: Base of the links in mails (``{public_url}/...?code=``); empty: codes only.
    public_url: str = ""

    def __repr__(self) -> str:
        return _hidden(self, "smtp_password")

    def __rich_repr__(self):
        yield from _masked(self, "smtp_password")


class GuideSettings(_Section):
    url: str = "https://ent.example.org/guide-eleves/"


class CharterSettings(_Section):
    #: Text file of the charter; empty means the sample that ships with entkiosk.
    file: str = ""
    version: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] = "2026-1"


class ServicesSettings(_Section):
    #: The services the pupil's home lists; the defaults are translated where shown (a
    #: school's own names are shown as written).
    list: builtins.list[str] = msgspec.field(
        default_factory=lambda: [N_("Absences"), N_("Notes"), N_("Cahier de textes"), N_("Orientation")]
    )


class LetterSettings(_Section):
    #: Template of the letter's wording (UTF-8 text); empty means the bundled one.
    template: str = ""
    #: Where the staff console saves letter files; empty means ``courriers`` in the
    #: user data folder.
    folder: str = ""
    #: A language for the letters of some classes (``{ "UPE2A" = "uk" }``); the others are
    #: written in ``[kiosk] language``.
    languages: dict[str, Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}$")]] = msgspec.field(default_factory=dict)


class AuditSettings(_Section):
    #: Days an audit event is kept before ``entkiosk purge`` deletes it (the CNIL
    #: recommends 6 to 12 months for such logs).
    retention_days: Annotated[int, msgspec.Meta(ge=30, le=3650)] = 365


class ServeSettings(_Section):
    #: « entkiosk serve »: the browser's character size in pixels (a tablet or a projector
    #: wants 20 to 28); a link may still set it with ``?fontsize=``.
    font_size: Annotated[int, msgspec.Meta(ge=10, le=48)] = 16
    #: Seconds without a key or a click after which a tab back on the accueil closes its
    #: kiosk (the page then offers to reopen it); 0: never. A session in the tab ends first,
    #: at ``[kiosk] idle_timeout``.
    idle_close: Annotated[int, msgspec.Meta(ge=0, le=86400)] = 900


class DirectorySettings(_Section):
    """The school's LDAP directory, which learns each pupil's password hash once the account
    is activated (``entkiosk directory``). No ``url``: no directory."""

    #: ``ldap://host``, ``ldaps://host`` or ``ldapi://`` (the local socket, URL-encoded path).
    url: str = ""
    #: Where the pupils' entries live (``ou=eleves,dc=…``); entkiosk writes nowhere else.
    base: str = ""
    #: Whom entkiosk binds as: write rights under ``base``, nothing more.
    bind_dn: str = ""
    #: The file holding that account's password (one line), readable by its owner only: the
    #: password is never written in kiosk.conf.
    password_file: str = ""
    #: One branch per class under ``base`` (``ou=3A,ou=eleves,…``), made by entkiosk.
    per_class: bool = False
    #: ``verify``: TLS with the server's certificate checked (``ldaps://``, or StartTLS on
    #: ``ldap://``); ``none``: no TLS, for ``ldapi://`` or a server on this machine only.
    tls: Literal["verify", "none"] = "verify"
    #: The certificates (PEM) that sign the server's; empty: the system's.
    ca_file: str = ""
    #: Seconds to wait for the server: to connect, then for each answer.
    timeout: Annotated[int, msgspec.Meta(ge=1, le=60)] = 5

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    establishment: EstablishmentSettings = msgspec.field(default_factory=EstablishmentSettings)
    kiosk: KioskSettings = msgspec.field(default_factory=KioskSettings)
    accounts: AccountSettings = msgspec.field(default_factory=AccountSettings)
    mail: MailSettings = msgspec.field(default_factory=MailSettings)
    guide: GuideSettings = msgspec.field(default_factory=GuideSettings)
    charter: CharterSettings = msgspec.field(default_factory=CharterSettings)
    services: ServicesSettings = msgspec.field(default_factory=ServicesSettings)
    letters: LetterSettings = msgspec.field(default_factory=LetterSettings)
    audit: AuditSettings = msgspec.field(default_factory=AuditSettings)
    serve: ServeSettings = msgspec.field(default_factory=ServeSettings)
    directory: DirectorySettings = msgspec.field(default_factory=DirectorySettings)
    #: Where the settings came from (None: built-in defaults). Not a key of the file.
    source: str | None = None

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.establishment.timezone)

    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{data_dir() / 'entkiosk.db'}"

    def outbox_path(self) -> Path:
        return Path(self.mail.outbox).expanduser() if self.mail.outbox else data_dir() / "outbox"

    def charter_path(self) -> Path:
        if self.charter.file:
            return Path(self.charter.file).expanduser()
        return Path(__file__).parent / "data" / "charte.txt"

    def letters_folder(self) -> Path:
        """Where the staff console saves letter files (``letters.folder``)."""
        return Path(self.letters.folder).expanduser() if self.letters.folder else data_dir() / "courriers"


#: Keys renamed since a release: (section, old name, new name). A file written for an older
#: release keeps working: the old name is read when the new one is absent, and start-up
#: says it was renamed (:class:`RenamedKey`).
RENAMED_KEYS = (("accounts", "reset_token_minutes", "reset_code_minutes"),)


@dataclass(frozen=True)
class RenamedKey:
    """A key of the file under the name it had before (``section.key``); ``used``: its value
    counts (False: the new name is in the file too, and wins)."""

    source: str
    old: str
    new: str
    used: bool

    def notice(self) -> str:
        """The start-up warning, in the language in use."""
        if self.used:
            text = _("Attention : {source} : la clé « {old} » s'appelle désormais « {new} » ; sa valeur est "
                     "utilisée, mais renommez la clé.")
        else:
            text = _("Attention : {source} : la clé « {old} » s'appelle désormais « {new} », qui est aussi dans "
                     "le fichier : « {old} » est ignorée, supprimez-la.")
        return text.format(source=self.source, old=self.old, new=self.new)


def _read_renamed(raw: dict, source: str) -> tuple[dict, list[RenamedKey]]:
    """``raw`` with each renamed key under its new name (unless the new one is there too),
    and the keys found under an old name."""
    found: list[RenamedKey] = []
    for section, old, new in RENAMED_KEYS:
        values = raw.get(section)
        if not isinstance(values, dict) or old not in values:
            continue
        values = dict(values)
        value = values.pop(old)
        used = new not in values
        if used:
            values[new] = value
        raw = {**raw, section: values}
        found.append(RenamedKey(source, f"{section}.{old}", f"{section}.{new}", used))
    return raw, found


class ConfigError(Exception):
    """A bad configuration file; ``str()`` is French and names the file and the key.

    Values echoed from the file are shown with their control characters (line breaks
    included, and lone surrogates) as ``?``: an escape sequence in a value must not
    drive the terminal, and the message stays on one line.
    """

    def __init__(self, message: str) -> None:
        import unicodedata

        super().__init__("".join("?" if unicodedata.category(c) in ("Cc", "Cs") else c for c in message))


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def private_folder(path: Path) -> Path:
    """``path``, created with each missing parent for its owner only (0700), whatever the
    umask: the database, the outbox's mails (their codes) and the log live in such folders,
    on lab machines other accounts log in to. A folder that exists is left as it is (one an
    administrator chose, such as ``/var/lib/entkiosk``, is theirs to set up)."""
    missing = []
    folder = path
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another kiosk starting at the same time made it
        if os.name == "posix":
            os.chmod(folder, 0o700)
    return path


def private_data_dir() -> Path:
    """The user data folder (:func:`data_dir`), for its owner only: created so, or made so
    when it is ours and others may enter it (entkiosk 0.1 created it with the umask's
    0755). It holds entkiosk's own files only, so nobody else needs it."""
    import stat

    folder = private_folder(data_dir())
    if os.name == "posix":
        found = folder.stat()
        if found.st_uid == os.geteuid() and stat.S_IMODE(found.st_mode) & 0o077:
            os.chmod(folder, 0o700)
    return folder


def private_log() -> Path:
    """The log file, ``entkiosk.log`` in the private data folder, for its owner only (0600):
    it names pupils (identifiers, never a secret), and other accounts of a lab machine must
    not read it; one created before with the umask's 0644 is made so too."""
    path = private_data_dir() / "entkiosk.log"
    if os.name == "posix":
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        if path.stat().st_uid == os.geteuid():
            os.chmod(path, 0o600)
    return path


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    if env := os.environ.get(ENV_VAR):
        return Path(env)
    local = Path("kiosk.conf")
    return local if local.is_file() else None


def load_settings(explicit: str | os.PathLike[str] | None = None, *, check_sender: bool = True,
                  renamed: list[RenamedKey] | None = None) -> Settings:
    """Settings from the first configuration file found, else the defaults.

    ``check_sender=False`` leaves :func:`check_sender_address` to the caller: the kiosk
    runs it with its database start-up, after the first paint, since the e-mail
    validator's patterns take longer to load than the rest of the settings.
    ``renamed`` receives the keys found under an old name, for start-up to say so.
    """
    path = find_config(explicit)
    if path is None:
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(_("Fichier de configuration introuvable : {path}").format(path=path)) from None
    except UnicodeDecodeError:
        raise ConfigError(_("{path} : le fichier n'est pas encodé en UTF-8.").format(path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        if where:
            raise ConfigError(_("{path} : syntaxe TOML invalide ligne {line}, colonne {column}.")
                              .format(path=path, line=where[1], column=where[2])) from None
        raise ConfigError(_("{path} : syntaxe TOML invalide.").format(path=path)) from None
    except OSError as exc:
        raise ConfigError(_("{path} : lecture impossible ({reason}).").format(path=path, reason=exc.strerror)) from None
    return settings_from_dict(raw, source=str(path), check_sender=check_sender, renamed=renamed)


def check_sender_address(settings: Settings, source: str = "kiosk.conf") -> None:
    """``[mail] sender_address`` is an address a mail server will take."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(settings.mail.sender_address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ConfigError(
            _("{source} : clé « mail.sender_address » : adresse mail invalide « {address} ».")
            .format(source=source, address=settings.mail.sender_address)
        ) from None


def settings_from_dict(raw: dict, *, source: str = "kiosk.conf", check_sender: bool = True,
                       renamed: list[RenamedKey] | None = None) -> Settings:
    if "source" in raw:
        raise ConfigError(_("{source} : clé inconnue « {key} ».").format(source=source, key="source"))
    raw, found = _read_renamed(raw, source)
    try:
        settings = msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:
        # A bad value is refused under the name the file gives it.
        problem = _french(str(exc), names={key.new: key.old for key in found if key.used})
        raise ConfigError(_("{source} : {problem}").format(source=source, problem=problem)) from None
    try:
        settings.timezone
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _("{source} : clé « establishment.timezone » : fuseau horaire inconnu « {timezone} ».")
            .format(source=source, timezone=settings.establishment.timezone)
        ) from None
    if check_sender:
        check_sender_address(settings, source)
    accounts = settings.accounts
    if accounts.lockout_max_seconds < accounts.lockout_base_seconds:
        raise ConfigError(
            _("{source} : clé « accounts.lockout_max_seconds » : doit être au moins égale à "
              "accounts.lockout_base_seconds.").format(source=source)
        )
    if accounts.password_max_length < accounts.password_min_length:
        raise ConfigError(
            _("{source} : clé « accounts.password_max_length » : doit être au moins égale à "
              "accounts.password_min_length.").format(source=source)
        )
    if settings.letters.template:
        from .domain.letter_template import TemplateError, read_template

        try:
            read_template(Path(settings.letters.template).expanduser())
        except TemplateError as exc:
            raise ConfigError(_("{source} : clé « letters.template » : {problem}").format(source=source, problem=exc)) from None
    if settings.directory.url or settings.directory != DirectorySettings():
        check_directory(settings.directory, source)
    if renamed is not None:
        renamed.extend(found)
    return msgspec.structs.replace(settings, source=source)


def check_directory(directory: DirectorySettings, source: str) -> None:
    """``[directory]``: the keys that must go together, an address entkiosk can use, and no
    password sent in the clear over a network. The password file itself is read at start-up
    (:func:`entkiosk.directory.bind_password`)."""
    from urllib.parse import urlsplit

    for key in ("url", "base", "bind_dn", "password_file"):
        if not getattr(directory, key).strip():
            raise ConfigError(_("{source} : section [directory] : la clé « directory.{key} » manque (url, base, "
                                "bind_dn et password_file vont ensemble).").format(source=source, key=key))
    try:
        address = urlsplit(directory.url)
        address.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        address = None
    if address is None or address.scheme not in ("ldap", "ldaps", "ldapi") or (
            address.scheme != "ldapi" and not address.hostname) or address.path not in ("", "/"):
        raise ConfigError(_("{source} : clé « directory.url » : adresse d'annuaire attendue, ldap://serveur, "
                            "ldaps://serveur ou ldapi:// (par exemple ldaps://annuaire.lycee.fr).").format(source=source))
    for key in ("base", "bind_dn"):
        if not _is_dn(getattr(directory, key)):
            raise ConfigError(_("{source} : clé « directory.{key} » : nom LDAP (DN) invalide, par exemple "
                                "ou=eleves,dc=lycee,dc=fr.").format(source=source, key=key))
    local = address.scheme == "ldapi" or address.hostname in ("127.0.0.1", "::1", "localhost")
    if directory.tls == "none" and not local:
        raise ConfigError(_("{source} : clé « directory.tls » : « none » enverrait le mot de passe de l'annuaire et "
                            "les empreintes des mots de passe en clair sur le réseau ; il n'est permis qu'avec "
                            "ldapi:// ou un annuaire sur cette machine (127.0.0.1).").format(source=source))


def _is_dn(text: str) -> bool:
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    try:
        return bool(text.strip()) and bool(parse_dn(text))
    except (LDAPInvalidDnError, ValueError, IndexError, TypeError):
        return False


#: msgspec's type names: the refusal of a value of another type, as a whole sentence.
_TYPES = {
    "int": N_("clé « {key} » : la valeur doit être un nombre entier."),
    "float": N_("clé « {key} » : la valeur doit être un nombre."),
    "str": N_("clé « {key} » : la valeur doit être un texte."),
    "bool": N_("clé « {key} » : la valeur doit être vrai ou faux."),
    "array": N_("clé « {key} » : la valeur doit être une liste."),
    "object": N_("clé « {key} » : la valeur doit être une section."),
}
#: msgspec's bounds: the refusal of a value past one, as a whole sentence.
_BOUNDS = {
    ">=": N_("clé « {key} » : la valeur doit être au moins {bound}."),
    "<=": N_("clé « {key} » : la valeur doit être au plus {bound}."),
    ">": N_("clé « {key} » : la valeur doit être plus que {bound}."),
    "<": N_("clé « {key} » : la valeur doit être moins que {bound}."),
}
_LENGTHS = {
    ">=": N_("clé « {key} » : le texte doit faire au moins {bound} caractère(s)."),
    "<=": N_("clé « {key} » : le texte doit faire au plus {bound} caractère(s)."),
}


def _french(message: str, names: dict[str, str] | None = None) -> str:
    """msgspec's validation message, in French, with the key spelled ``section.key`` — as
    ``names`` says for a key the file gives under another (older) name."""
    # The last one: a key of the file may itself hold " - at `$".
    text, _at, where = message.rpartition(" - at `$") if " - at `$" in message else (message, "", "")
    # "[...]": a value of a table whose keys the file chooses (letters.languages): named by the table.
    key = where.rstrip("`").lstrip(".").replace("[...]", "").replace("[", ".").replace("]", "")
    key = (names or {}).get(key, key)
    if m := re.match(r"Object contains unknown field `(.*)`", text, re.DOTALL):  # `[""]`, `["\n"]`: valid TOML
        full = f"{key}.{m[1]}" if key else m[1]
        return _("clé inconnue « {key} ».").format(key=full)
    if m := re.match(r"Expected `(\w+)`, got `(\w+)`", text):
        if m[1] in _TYPES:
            return _(_TYPES[m[1]]).format(key=key)
        return _("clé « {key} » : la valeur doit être {type}.").format(key=key, type=m[1])
    if m := re.match(r"Expected `(\w+)` (>=|<=|>|<) ([\d.]+)", text):
        return _(_BOUNDS[m[2]]).format(key=key, bound=m[3])
    if m := re.match(r"Invalid enum value (.+)", text):
        return _("clé « {key} » : valeur non reconnue {value}.").format(key=key, value=m[1])
    if key == "establishment.uai" and text.startswith("Expected `str` matching regex"):
        return _("clé « {key} » : code UAI attendu, 7 chiffres et une lettre (par exemple 0590000X).").format(key=key)
    if text.startswith("Expected `str` matching regex '^[a-z]{2,3}$'"):  # kiosk.language, letters.languages
        return _("clé « {key} » : code de langue attendu, 2 ou 3 lettres minuscules (par exemple fr ou en).").format(key=key)
    if text.startswith("Expected `str` matching regex"):
        return _("clé « {key} » : la valeur n'a pas la forme attendue.").format(key=key)
    if m := re.match(r"Expected `\w+` of length (>=|<=) (\d+)", text):
        return _(_LENGTHS[m[1]]).format(key=key, bound=m[2])
    return _("clé « {key} » : {problem}.").format(key=key, problem=text) if key else f"{text}."
