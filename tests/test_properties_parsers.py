"""Generated bad input against the parsers: class lists, configuration, codes and tokens,
birth dates, e-mail addresses. Each gives a result or a French refusal, never an exception.

Sizes are shares of the Hypothesis profile (conftest.py, properties_support.examples).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from properties_support import examples, french_problem
from test_properties_service import BAD_DATES, BAD_EMAILS, codes, date_texts, texts

from entkiosk.config import ConfigError, Settings, load_settings, settings_from_dict
from entkiosk.domain import tokens
from entkiosk.domain.classlist import MAX_CLASS, MAX_NAME, check_student, parse_birth_date, parse_class_list
from entkiosk.service.forms import check_email

TODAY = dt.date(2026, 9, 1)

# ---------------------------------------------------------------- class lists


def _field(value: str, delimiter: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in f'{delimiter}"\n\r') else value


GOOD_ROW = st.builds(lambda f, l, d, c: [l, f, d.strftime("%d/%m/%Y"), c],
                     st.sampled_from(["Anna", "Éric", "Noé", "Inès", "Jean-Pierre", "Zoé"]),
                     st.sampled_from(["Durand", "Lefèvre", "N'Diaye", "Da Silva", "DURAND"]),
                     st.dates(dt.date(2005, 1, 1), dt.date(2012, 12, 31)), st.sampled_from(["2nde 3", "1re 2", "Tle 1"]))
BAD_ROW = st.one_of(
    st.tuples(texts(20), texts(20), date_texts(), texts(20)).map(list),
    GOOD_ROW.flatmap(lambda r: st.sampled_from(BAD_DATES).map(lambda d: [r[0], r[1], d, r[3]])),
    GOOD_ROW.map(lambda r: [r[0] * 200, r[1], r[2], r[3]]),  # very long field
    GOOD_ROW.map(lambda r: [r[0], r[1], r[2], "x" * (MAX_CLASS + 1)]),
    st.lists(texts(10), max_size=6),  # missing or extra columns
)


@st.composite
def class_list_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """A class list file and its number of lines: good and bad rows, duplicates, a header or
    not, ``;`` or ``,``, UTF-8 (with or without BOM), latin-1, UTF-16, or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.binary(max_size=400))
        return data, data.count(b"\n") + data.count(b"\r") + 1
    rows = draw(st.lists(st.one_of(GOOD_ROW, BAD_ROW), min_size=0, max_size=6))
    if rows and draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), list(draw(st.sampled_from(rows))))  # a duplicate
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    header = draw(st.sampled_from([None, ["nom", "prénom", "date de naissance", "classe"], ["Nom", "Prénom"]]))
    lines = ([header] if header else []) + rows
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(delimiter.join(_field(c, delimiter) for c in r) for r in lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")
    return data, data.count(b"\n") + data.count(b"\r") + 1  # each \r may end a line too


@examples(3)
@given(class_list_files())
def test_class_list_gives_rows_or_french_problems_naming_their_line(file: tuple[bytes, int]) -> None:
    data, max_line = file
    rows, problems = parse_class_list(data, today=TODAY)
    assert rows or problems
    for line, reason in problems:
        assert 1 <= line <= max_line, (line, reason)
        assert french_problem(reason, fragment=True) is None, (french_problem(reason, fragment=True), reason)
        assert len(reason) < 400
    lines = [r.line for r in rows]
    assert lines == sorted(set(lines)) and not set(lines) & {line for line, _ in problems}
    keys = set()
    for row in rows:
        assert 0 < len(row.last_name) <= MAX_NAME and 0 < len(row.first_name) <= MAX_NAME
        assert 0 < len(row.class_name) <= MAX_CLASS
        assert dt.date(1900, 1, 1) <= row.birth_date <= TODAY
        assert not any(c in row.last_name + row.first_name + row.class_name for c in "\x00\n\r\t")
        keys.add((row.last_name.casefold(), row.first_name.casefold(), row.birth_date))
    assert len(keys) == len(rows)  # no student twice


@examples(1)
@given(st.sampled_from(["latin-1", "utf-16", "cp1252"]), st.sampled_from(["Élodie", "Noé", "Zoë"]))
def test_a_list_not_in_utf8_is_refused_as_a_whole_naming_the_encoding(encoding: str, first: str) -> None:
    data = f"Durand;{first};01/02/2010;2nde 1\n".encode(encoding)
    rows, problems = parse_class_list(data, today=TODAY)
    assert rows == [] and len(problems) == 1 and "UTF-8" in problems[0][1]


@examples(1)
@given(GOOD_ROW, st.sampled_from([";", ","]), st.booleans())
def test_duplicate_rows_are_named_with_the_first_line(row: list[str], delimiter: str, bom: bool) -> None:
    line = delimiter.join(row)
    data = (b"\xef\xbb\xbf" if bom else b"") + f"{line}\n{line}\n".encode()
    rows, problems = parse_class_list(data, today=TODAY)
    assert [r.line for r in rows] == [1]
    assert problems == [(2, "élève en double (déjà à la ligne 1)")]


# ---------------------------------------------------------------- birth dates, students typed by staff


@examples(3)
@given(date_texts())
def test_birth_date_is_a_date_or_a_french_reason(typed: str) -> None:
    try:
        born = parse_birth_date(typed, today=TODAY)
    except ValueError as exc:
        assert french_problem(str(exc), fragment=True) is None, (french_problem(str(exc), fragment=True), str(exc))
        assert len(str(exc)) < 200
    else:
        assert dt.date(1900, 1, 1) <= born <= TODAY
        assert re.fullmatch(r"\s*\d{1,2}/\d{1,2}/\d{4}\s*", typed, re.ASCII) or not typed.isascii()


@examples(2)
@given(texts(), texts(), date_texts(), texts())
def test_a_student_typed_by_staff_is_a_row_or_french_field_errors(last: str, first: str, born: str, cls: str) -> None:
    row, errors = check_student(last, first, born, cls, today=TODAY)
    assert (row is None) == bool(errors)
    for field, message in errors.items():
        assert field in {"last_name", "first_name", "birth_date", "class_name"}
        assert french_problem(message, max_length=200) is None, (french_problem(message), message)


# ---------------------------------------------------------------- codes, tokens, addresses


@examples(3)
@given(codes())
def test_codes_and_tokens_parse_or_are_refused_quietly(typed: str) -> None:
    code = tokens.normalize_code(typed)
    assert code is None or re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{8}", code)
    link = tokens.link_token_from(typed)
    assert link is None or (re.fullmatch(r"[A-Za-z0-9_-]{40,64}", link) and tokens.looks_like_link_token(link))
    assert re.fullmatch(r"[0-9a-f]{64}", tokens.hash_link_token(typed))
    if code:
        assert tokens.code_matches(tokens.hash_code(code), code)


@examples(3)
@given(st.one_of(st.sampled_from(BAD_EMAILS), st.emails(), texts()), st.booleans())
def test_email_is_normalized_or_refused_in_french(address: str, same_confirm: bool) -> None:
    errs: dict[str, str] = {}
    confirm = address if same_confirm else address + "x"
    normalized = check_email(address, confirm, "email", errs)
    if normalized is None:
        for message in errs.values():
            assert french_problem(message) is None, message
        assert errs or not address.strip()
    else:
        # ASCII before the @ (many servers refuse more); the domain may be internationalized.
        assert not errs and normalized == normalized.lower() and normalized.rpartition("@")[0].isascii()
        assert "@" in normalized and not any(c in normalized for c in "\r\n\x00 <>,;")


# ---------------------------------------------------------------- configuration

KNOWN = {
    "database": ["url", "busy_timeout"],
    "establishment": ["name", "address", "timezone", "services_url", "message"],
    "kiosk": ["id", "idle_timeout", "language", "live_refresh"],
    "accounts": ["activation_months", "lockout_threshold", "lockout_base_seconds", "lockout_max_seconds",
                 "code_max_attempts", "session_timeout", "argon2_time_cost", "argon2_memory_cost"],
    "mail": ["transport", "outbox", "smtp_port", "smtp_security", "smtp_timeout", "sender_address", "public_url"],
    "charter": ["file", "version"],
    "services": ["list"],
    "letters": ["template", "folder"],
}
# Keys as a TOML file can hold them: any text but lone surrogates (no UTF-8 file has one;
# msgspec itself cannot encode such a key, which only a hand-built dict could pass).
KEY_CHAR = st.characters(exclude_categories=("Cs",))


TOML_SCALARS = st.one_of(
    texts(30), st.integers(), st.integers(-(2**70), 2**70), st.floats(), st.booleans(),
    st.dates(), st.datetimes(), st.times(),
    st.sampled_from(["Europe/Paris", "UTC", "Mars/Olympus", "", "../../etc/passwd", "smtp", "ssl", "fr", "en",
                     "not an address", "a@b.fr", "postgresql://u:secret@h/db", "/nonexistent/charte.txt",
                     "a\x00b", "\ud800", "/tmp"]),
)
TOML_VALUES = st.recursive(TOML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(KEY_CHAR, max_size=8), inner, max_size=3)), max_leaves=6)


def _no_surrogates(value):
    """What a TOML file can hold: text decoded from UTF-8 has no lone surrogate."""
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    return value


@st.composite
def config_dicts(draw: st.DrawFn) -> dict:
    return _no_surrogates(draw(_config_dicts()))


@st.composite
def _config_dicts(draw: st.DrawFn) -> dict:
    raw: dict = {}
    for _ in range(draw(st.integers(0, 4))):
        section = draw(st.one_of(st.sampled_from(sorted(KNOWN)), st.text(KEY_CHAR, max_size=10)))
        if draw(st.integers(0, 7)) == 0:
            raw[section] = draw(TOML_VALUES)  # a section that is not a table
            continue
        table = raw.setdefault(section, {}) if isinstance(raw.get(section), dict) else {}
        raw[section] = table
        for _ in range(draw(st.integers(0, 3))):
            key = draw(st.one_of(st.sampled_from(KNOWN.get(section, ["x"])), st.text(KEY_CHAR, max_size=10)))
            table[key] = draw(TOML_VALUES)
    return raw


def _config_message_problem(message: str, source: str) -> str | None:
    prefix = f"{source} : "
    if not message.startswith(prefix) and not message.startswith("Fichier de configuration introuvable"):
        return "does not name the file"
    rest = message[len(prefix):] if message.startswith(prefix) else message
    rest = re.sub(r"'.*'", "''", rest, flags=re.DOTALL)  # msgspec's repr of the value typed: an echo
    return french_problem(rest[:1].upper() + rest[1:], max_length=30_000)


@examples(3, suppress_health_check=[HealthCheck.too_slow])
@given(config_dicts())
def test_settings_from_any_dict_are_settings_or_a_french_error_naming_the_key(raw: dict) -> None:
    try:
        settings = settings_from_dict(raw, source="/etc/entkiosk/kiosk.conf")
    except ConfigError as exc:
        problem = _config_message_problem(str(exc), "/etc/entkiosk/kiosk.conf")
        assert problem is None, (problem, str(exc)[:300])
        assert "clé" in str(exc) or "fuseau" in str(exc)
    else:
        assert isinstance(settings, Settings) and settings.source == "/etc/entkiosk/kiosk.conf"
        assert 1 <= settings.accounts.lockout_threshold <= 100
        assert math.isfinite(settings.database.busy_timeout)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}" for c in value) + '"'
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, dt.date, dt.datetime, dt.time)):
        return value.isoformat() if not isinstance(value, int) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=200))  # random bytes
    if kind == 1:
        return draw(texts(60)).encode("utf-8", "surrogatepass")  # any text: mostly invalid TOML
    raw = draw(config_dicts())
    text = "".join(f"[{_toml_value(str(s))}]\n" + "".join(f"{_toml_value(str(k))} = {_toml_value(v)}\n"
                                                           for k, v in t.items())
                   if isinstance(t, dict) else f"{_toml_value(str(s))} = {_toml_value(t)}\n"
                   for s, t in raw.items())
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")


@examples(3, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=config_files())
def test_any_config_file_loads_or_gives_a_french_error_naming_the_file(tmp_path: Path, data: bytes) -> None:
    # tmp_path is shared by the examples on purpose: each writes the same file afresh.
    path = tmp_path / "kiosk.conf"
    path.write_bytes(data)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        problem = _config_message_problem(str(exc), str(path))
        assert problem is None, (problem, str(exc)[:300])
    else:
        assert settings.source == str(path)
