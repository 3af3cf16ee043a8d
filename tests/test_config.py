"""kiosk.conf: defaults, validation with French messages, lookup order, default folders."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import msgspec
import pytest

from entkiosk.config import ENV_VAR, ConfigError, Settings, find_config, load_settings, settings_from_dict
from entkiosk.domain.passwords import OWASP_MIN_MEMORY_KIB

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "kiosk.conf.example"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $ENTKIOSK_CONFIG, an empty working folder and a private data folder for every test."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return work


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> tuple[str, Path]:
    path = write(tmp_path / "kiosk.conf", text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    return str(err.value), path


# ------------------------------------------------------------ defaults


def test_defaults_without_any_file():
    settings = load_settings()
    assert settings.source is None
    assert settings == Settings()
    assert settings.accounts.activation_months == 3
    assert settings.accounts.lockout_threshold == 5
    assert settings.accounts.argon2_memory_cost == OWASP_MIN_MEMORY_KIB == 19456
    assert settings.accounts.argon2_time_cost == 2
    assert settings.mail.transport == "outbox"
    assert settings.kiosk.language == "fr"
    assert settings.establishment.timezone == "Europe/Paris"
    assert str(settings.timezone) == "Europe/Paris"
    assert settings.charter.version == "2026-1"
    assert settings.services.list == ["Absences", "Notes", "Cahier de textes", "Orientation"]
    assert settings.charter_path().is_file()


def test_empty_file_gives_defaults_and_remembers_its_path(tmp_path):
    path = write(tmp_path / "kiosk.conf", "")
    settings = load_settings(path)
    assert settings.source == str(path)
    assert msgspec.structs.replace(settings, source=None) == Settings()


def test_values_of_a_file_are_read(tmp_path):
    path = write(tmp_path / "kiosk.conf", """
[database]
url = "sqlite:///tmp/x.db"
busy_timeout = 5
[establishment]
name = "Lycée Jean Bart"
timezone = "America/Cayenne"
[accounts]
activation_months = 6
argon2_memory_cost = 65536
[mail]
transport = "smtp"
smtp_security = "ssl"
outbox = "~/boite"
[services]
list = ["Notes"]
""")
    settings = load_settings(path)
    assert settings.database_url() == "sqlite:///tmp/x.db"
    assert settings.database.busy_timeout == 5.0
    assert settings.establishment.name == "Lycée Jean Bart"
    assert str(settings.timezone) == "America/Cayenne"
    assert settings.accounts.activation_months == 6
    assert settings.accounts.argon2_memory_cost == 65536
    assert settings.mail.transport == "smtp" and settings.mail.smtp_security == "ssl"
    assert settings.outbox_path() == Path("~/boite").expanduser()
    assert settings.services.list == ["Notes"]
    assert settings.kiosk.id == "kiosque-1"  # untouched sections keep their defaults


# ------------------------------------------------------------ the example file


def _example() -> str:
    if not EXAMPLE.is_file():
        pytest.skip("kiosk.conf.example does not exist at the repository root (yet)")
    return EXAMPLE.read_text(encoding="utf-8")


def test_example_file_parses():
    _example()
    settings = load_settings(EXAMPLE)
    assert settings.source == str(EXAMPLE)


def test_example_sets_every_key_to_its_default():
    """The example says each value shown is the default: it must name every key, with that value."""
    raw = tomllib.loads(_example())
    for section in msgspec.structs.fields(Settings):
        if section.name == "source":
            continue
        for key in msgspec.structs.fields(section.type):
            assert key.name in raw.get(section.name, {}), f"{section.name}.{key.name} missing from the example"
    assert msgspec.structs.replace(load_settings(EXAMPLE), source=None) == Settings()


def test_example_documents_only_real_keys():
    """Every ``[section]`` and every ``key =`` of the example, set or commented out, exists."""
    text = _example()
    known = {f.name: {g.name for g in msgspec.structs.fields(f.type)}
             for f in msgspec.structs.fields(Settings) if f.name != "source"}
    section = None
    mentioned = []
    for line in text.splitlines():
        if m := re.match(r"^\s*#?\s*\[([a-z_]+)\]\s*$", line):
            section = m[1]
            assert section in known, f"unknown section [{section}] in the example"
            continue
        if section and (m := re.match(r"^\s*#?\s*([a-z_0-9]+)\s*=", line)):
            mentioned.append(f"{section}.{m[1]}")
            assert m[1] in known[section], f"unknown key {section}.{m[1]} in the example"
    assert mentioned, "the example names no key"
    tomllib.loads(text)


# ------------------------------------------------------------ refusals


def test_unknown_key_names_section_key_and_file(tmp_path):
    message, path = refused(tmp_path, '[mail]\nsmtp_hots = "relais"\n')
    assert message == f"{path} : clé inconnue « mail.smtp_hots »."


def test_unknown_section_names_it_and_file(tmp_path):
    message, path = refused(tmp_path, "[courriel]\nport = 25\n")
    assert str(path) in message and "clé inconnue « courriel »" in message


def test_source_is_not_a_key(tmp_path):
    message, path = refused(tmp_path, 'source = "ailleurs"\n')
    assert str(path) in message and "clé inconnue « source »" in message


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[mail]\nsmtp_port = "587"\n', "mail.smtp_port", "la valeur doit être un nombre entier"),
        ("[accounts]\nactivation_months = 2.5\n", "accounts.activation_months", "un nombre entier"),
        ("[establishment]\nname = 3\n", "establishment.name", "la valeur doit être un texte"),
        ('[database]\nbusy_timeout = "long"\n', "database.busy_timeout", "la valeur doit être un nombre"),
        ("[services]\nlist = \"Notes\"\n", "services.list", "la valeur doit être une liste"),
        ("mail = 3\n", "mail", "la valeur doit être une section"),
        ("[accounts]\nlockout_threshold = true\n", "accounts.lockout_threshold", "un nombre entier"),
    ],
)
def test_wrong_type(tmp_path, text, key, expected):
    message, path = refused(tmp_path, text)
    assert message.startswith(f"{path} : clé « {key} »")
    assert expected in message


def test_argon2_memory_below_owasp_minimum_mentions_it(tmp_path):
    message, path = refused(tmp_path, "[accounts]\nargon2_memory_cost = 1000\n")
    assert message == f"{path} : clé « accounts.argon2_memory_cost » : la valeur doit être au moins 19456."


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[accounts]\nargon2_time_cost = 1\n", "accounts.argon2_time_cost", "au moins 2"),
        ("[accounts]\nactivation_months = 0\n", "accounts.activation_months", "au moins 1"),
        ("[accounts]\nactivation_months = 25\n", "accounts.activation_months", "au plus 24"),
        ("[kiosk]\nidle_timeout = 5\n", "kiosk.idle_timeout", "au moins 10"),
        ("[accounts]\nsession_max_age = 60\n", "accounts.session_max_age", "au moins 300"),
        ("[accounts]\nstaff_session_max_age = 90000\n", "accounts.staff_session_max_age", "au plus 86400"),
        ("[mail]\nsmtp_port = 70000\n", "mail.smtp_port", "au plus 65535"),
        ("[mail]\nsmtp_timeout = 0\n", "mail.smtp_timeout", "plus que 0"),
        ('[charter]\nversion = ""\n', "charter.version", "le texte doit faire au moins 1 caractère(s)"),
    ],
)
def test_out_of_range_values(tmp_path, text, key, expected):
    message, path = refused(tmp_path, text)
    assert message.startswith(f"{path} : clé « {key} »")
    assert expected in message


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ('[mail]\ntransport = "pigeon"\n', "mail.transport", "pigeon"),
        ('[mail]\nsmtp_security = "tls"\n', "mail.smtp_security", "tls"),
    ],
)
def test_bad_enum_value(tmp_path, text, key, value):
    message, path = refused(tmp_path, text)
    assert message.startswith(f"{path} : clé « {key} » : valeur non reconnue")
    assert value in message


def test_unknown_timezone(tmp_path):
    message, path = refused(tmp_path, '[establishment]\ntimezone = "Europe/Lile"\n')
    assert message == f"{path} : clé « establishment.timezone » : fuseau horaire inconnu « Europe/Lile »."


def test_lockout_max_below_base_is_refused(tmp_path):
    message, path = refused(tmp_path, "[accounts]\nlockout_base_seconds = 600\nlockout_max_seconds = 300\n")
    assert str(path) in message and "accounts.lockout_max_seconds" in message


def test_invalid_toml_names_the_file(tmp_path):
    message, path = refused(tmp_path, "[mail\ntransport = outbox\n")
    assert message.startswith(f"{path} : syntaxe TOML invalide")


def test_non_utf8_file_names_the_file(tmp_path):
    path = tmp_path / "kiosk.conf"
    path.write_bytes('[establishment]\nname = "Lycée"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value) == f"{path} : le fichier n'est pas encodé en UTF-8."


def test_missing_explicit_file(tmp_path):
    path = tmp_path / "absent.conf"
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value) == f"Fichier de configuration introuvable : {path}"


def test_missing_file_named_by_environment(tmp_path, monkeypatch):
    path = tmp_path / "absent.conf"
    monkeypatch.setenv(ENV_VAR, str(path))
    with pytest.raises(ConfigError, match="introuvable"):
        load_settings()


def test_unreadable_config_is_a_config_error(tmp_path):
    folder = tmp_path / "dossier.conf"
    folder.mkdir()
    with pytest.raises(ConfigError) as err:
        load_settings(folder)
    assert str(err.value).startswith(f"{folder} : lecture impossible")


def test_settings_from_dict_uses_the_given_source():
    with pytest.raises(ConfigError) as err:
        settings_from_dict({"kiosk": {"idle": 3}}, source="essai.conf")
    assert str(err.value) == "essai.conf : clé inconnue « kiosk.idle »."


# ------------------------------------------------------------ lookup order


def _conf(path: Path, kiosk_id: str) -> Path:
    return write(path, f'[kiosk]\nid = "{kiosk_id}"\n')


def test_lookup_order(tmp_path, monkeypatch, _isolated):
    explicit = _conf(tmp_path / "explicite.conf", "explicite")
    env = _conf(tmp_path / "env.conf", "env")
    local = _conf(_isolated / "kiosk.conf", "local")

    monkeypatch.setenv(ENV_VAR, str(env))
    assert load_settings(explicit).kiosk.id == "explicite"
    assert find_config(explicit) == explicit
    assert load_settings().kiosk.id == "env"
    assert load_settings().source == str(env)

    monkeypatch.delenv(ENV_VAR)
    settings = load_settings()
    assert settings.kiosk.id == "local"
    assert settings.source == "kiosk.conf"
    assert find_config() == Path("kiosk.conf")

    local.unlink()
    assert find_config() is None
    assert load_settings().kiosk.id == "kiosque-1"
    assert load_settings().source is None


def test_local_file_is_only_read_from_the_working_folder(tmp_path, monkeypatch, _isolated):
    _conf(tmp_path / "kiosk.conf", "parent")  # not the working folder
    assert load_settings().kiosk.id == "kiosque-1"
    other = tmp_path / "ailleurs"
    other.mkdir()
    _conf(other / "kiosk.conf", "ailleurs")
    monkeypatch.chdir(other)
    assert load_settings().kiosk.id == "ailleurs"


def test_local_folder_named_kiosk_conf_is_ignored(_isolated):
    (_isolated / "kiosk.conf").mkdir()
    assert find_config() is None
    assert load_settings().source is None


def test_explicit_file_beats_a_broken_environment_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(write(tmp_path / "cassé.conf", "[[[")))
    explicit = _conf(tmp_path / "bon.conf", "bon")
    assert load_settings(explicit).kiosk.id == "bon"
    with pytest.raises(ConfigError, match="syntaxe TOML invalide"):
        load_settings()


# ------------------------------------------------------------ default folders


def test_default_database_and_outbox_live_in_the_user_data_folder(tmp_path):
    data = tmp_path / "xdg-data"
    settings = load_settings()
    assert settings.database_url() == f"sqlite:///{data / 'entkiosk' / 'entkiosk.db'}"
    assert settings.outbox_path() == data / "entkiosk" / "outbox"


def test_default_folders_follow_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "autre"))
    settings = Settings()
    assert settings.database_url().startswith(f"sqlite:///{tmp_path / 'autre' / 'entkiosk'}/")
    assert settings.outbox_path().parent == tmp_path / "autre" / "entkiosk"


def test_configured_folders_replace_the_defaults(tmp_path):
    settings = load_settings(write(tmp_path / "kiosk.conf", f"""
[database]
url = "postgresql+psycopg://kiosque@db/ent"
[mail]
outbox = "{tmp_path / 'envoi'}"
[charter]
file = "~/charte.txt"
"""))
    assert settings.database_url() == "postgresql+psycopg://kiosque@db/ent"
    assert settings.outbox_path() == tmp_path / "envoi"
    assert settings.charter_path() == Path("~/charte.txt").expanduser()
