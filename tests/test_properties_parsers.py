"""Generated bad input against the parsers: class lists, the configuration (as a dict and as
a file), the letter template, codes, request codes, references and link tokens, logins,
birth dates, a student typed by staff, e-mail addresses. Each gives a result or a French
refusal, never an exception; codes and logins typed as people type them read back as issued.

Each parser entry point gets properties_support.parser_examples (10,000 examples under "ci");
the narrower properties a share of the profile (conftest.py, properties_support.examples).
Most inputs are drawn by a seeded random.Random (one Hypothesis draw an example, see SEEDS);
strategies are built once, at module level: one built inside a draw is validated again at
each example, which costs more than the parsing.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import string
import tomllib
import unicodedata
from pathlib import Path

import msgspec

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from properties_support import PARSER_BATCH, PARSER_EXAMPLES, PARSER_SCALE, examples, french_problem, parser_inputs
from test_properties_service import BAD_DATES, BAD_EMAILS, SPECIAL, WHITESPACE

from entkiosk.config import ConfigError, Settings, load_settings, settings_from_dict
from entkiosk.domain import tokens
from entkiosk.domain.passwords import Hasher, HashParameters
from entkiosk.domain.classlist import MAX_CLASS, MAX_NAME, check_student, parse_birth_date, parse_class_list
from entkiosk.domain.identifiers import base_identifier, normalize_login
from entkiosk.domain.letter_template import PLACEHOLDERS, TemplateError, parse_template
from entkiosk.service.forms import check_email

TODAY = dt.date(2026, 9, 1)

# ---------------------------------------------------------------- seeded generators
# At 10,000 examples a property, Hypothesis's draws cost ten times the parsing (each is
# recorded for shrinking): the inputs below are drawn by a random.Random Hypothesis seeds,
# one draw an example (fixed under "ci"); a failure prints the input itself.
SEEDS = st.integers(0, 2**64 - 1).map(random.Random)  # st.randoms() wraps every call: 15 % slower


def any_char(rng: random.Random) -> str:
    """Any code point, controls and lone surrogates included; mostly ASCII and Latin."""
    r = rng.random()
    return chr(rng.randint(0, 0x7F) if r < 0.4 else rng.randint(0x80, 0x24F) if r < 0.6
               else rng.randint(0x250, 0xFFFF) if r < 0.9 else rng.randint(0x10000, 0x10FFFF))


def text_from(rng: random.Random, max_size: int = 40) -> str:
    """What tests/test_properties_service.py's ``texts()`` draws: specials, random text with
    controls and surrogates, blanks, 10k+ strings, specials around random text."""
    r = rng.random()
    if r < 0.2:
        return rng.choice(SPECIAL)
    if r < 0.7:
        return "".join(any_char(rng) for _n in range(rng.randint(0, max_size)))
    if r < 0.8:
        return "".join(rng.choice(WHITESPACE) for _n in range(rng.randint(1, 8)))
    if r < 0.83:
        return any_char(rng) * rng.randint(10_000, 12_000)
    return rng.choice(SPECIAL) + "".join(any_char(rng) for _n in range(rng.randint(0, 8))) + rng.choice(SPECIAL)


URLSAFE = string.ascii_letters + string.digits + "-_"


def code_from(rng: random.Random) -> str:
    """What ``codes()`` draws: any text, near-codes, link tokens, pasted links."""
    r = rng.random()
    if r < 0.3:
        return text_from(rng)
    if r < 0.55:
        return "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ-OILUoilu ") for _n in range(rng.randint(6, 12)))
    link = "".join(rng.choice(URLSAFE) for _n in range(rng.randint(38, 66)))
    return (link if r < 0.75 else f"https://services.example.org/email?code={link}&x=1" if r < 0.9
            else f"code={link}{rng.choice(SPECIAL)}")


def date_text_from(rng: random.Random) -> str:
    """What ``date_texts()`` draws: bad dates, ISO dates, day/month/year out of range, any text."""
    r = rng.random()
    if r < 0.25:
        return rng.choice(BAD_DATES)
    if r < 0.4:
        return (dt.date(1, 1, 1) + dt.timedelta(days=rng.randint(0, 3_652_058))).isoformat()
    if r < 0.8:
        sep = rng.choice("/-. ")
        return f"{rng.randint(-5, 120)}{sep}{rng.randint(-5, 120)}{sep}{rng.randint(-10, 100_000)}"
    return text_from(rng)


def email_from(rng: random.Random) -> str:
    """Bad addresses, addresses as people type them (any case, dots, plus, a Unicode domain), any text."""
    r = rng.random()
    if r < 0.2:
        return rng.choice(BAD_EMAILS)
    if r < 0.75:
        local = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789._+-'é")
                        for _n in range(rng.randint(1, 20)))
        labels = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-ä") for _n in range(rng.randint(1, 12)))
                  for _k in range(rng.randint(1, 3))]
        return f"{local}@{'.'.join(labels)}.{rng.choice(['fr', 'org', 'com', 'FR', 'c', 'museum', 'xn--p1ai'])}"
    return text_from(rng)

# ---------------------------------------------------------------- class lists


def _field(value: str, delimiter: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in f'{delimiter}"\n\r') else value


GOOD_ROW = st.builds(lambda f, l, d, c: [l, f, d.strftime("%d/%m/%Y"), c],
                     st.sampled_from(["Anna", "Éric", "Noé", "Inès", "Jean-Pierre", "Zoé"]),
                     st.sampled_from(["Durand", "Lefèvre", "N'Diaye", "Da Silva", "DURAND"]),
                     st.dates(dt.date(2005, 1, 1), dt.date(2012, 12, 31)), st.sampled_from(["2nde 3", "1re 2", "Tle 1"]))
FIRSTS, LASTS = ["Anna", "Éric", "Noé", "Inès", "Jean-Pierre", "Zoé"], ["Durand", "Lefèvre", "N'Diaye", "Da Silva", "DURAND"]


def row_from(rng: random.Random) -> list[str]:
    """A good row half the time; else any cells, a bad date, a very long field, a long class,
    missing or extra columns."""
    good = [rng.choice(LASTS), rng.choice(FIRSTS),
            (dt.date(2005, 1, 1) + dt.timedelta(days=rng.randint(0, 2921))).strftime("%d/%m/%Y"),
            rng.choice(["2nde 3", "1re 2", "Tle 1"])]
    r = rng.random()
    if r < 0.5:
        return good
    if r < 0.7:
        return [text_from(rng, 20), text_from(rng, 20), date_text_from(rng), text_from(rng, 20)]
    if r < 0.8:
        return [good[0], good[1], rng.choice(BAD_DATES), good[3]]
    if r < 0.85:
        return [good[0] * 200, *good[1:]]
    if r < 0.9:
        return [*good[:3], "x" * (MAX_CLASS + 1)]
    return [text_from(rng, 10) for _n in range(rng.randint(0, 6))]


def class_list_file_from(rng: random.Random) -> tuple[bytes, int]:
    """A class list file and its number of lines: good and bad rows, duplicates, a header or
    not, ``;``, ``,`` or a tab, any line end, UTF-8 (with or without BOM), latin-1, UTF-16,
    Windows-1252; or, one time in ten, random bytes."""
    if rng.random() < 0.1:
        data = rng.randbytes(rng.randint(0, 400))
        return data, data.count(b"\n") + data.count(b"\r") + 1
    rows = [row_from(rng) for _n in range(rng.randint(0, 6))]
    if rows and rng.random() < 0.5:  # a duplicate
        rows.insert(rng.randint(0, len(rows)), list(rng.choice(rows)))
    delimiter = rng.choice([";", ",", "\t"])
    header = rng.choice([None, ["nom", "prénom", "date de naissance", "classe"], ["Nom", "Prénom"]])
    newline = rng.choice(["\n", "\r\n", "\r"])
    lines = ([header] if header else []) + rows
    text = newline.join(delimiter.join(_field(c, delimiter) for c in r) for r in lines) + rng.choice(["", newline])
    encoding = rng.choice(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"])
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")
    return data, data.count(b"\n") + data.count(b"\r") + 1  # each \r may end a line too


def class_list_files() -> st.SearchStrategy[tuple[bytes, int]]:
    return SEEDS.map(class_list_file_from)


@parser_inputs(class_list_files())
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


@parser_inputs(SEEDS.map(date_text_from))
def test_birth_date_is_a_date_or_a_french_reason(typed: str) -> None:
    try:
        born = parse_birth_date(typed, today=TODAY)
    except ValueError as exc:
        assert french_problem(str(exc), fragment=True) is None, (french_problem(str(exc), fragment=True), str(exc))
        assert len(str(exc)) < 200
    else:
        assert dt.date(1900, 1, 1) <= born <= TODAY
        assert re.fullmatch(r"\s*\d{1,2}/\d{1,2}/\d{4}\s*", typed, re.ASCII) or not typed.isascii()


@parser_inputs(SEEDS.map(lambda rng: (text_from(rng), text_from(rng), date_text_from(rng), text_from(rng))))
def test_a_student_typed_by_staff_is_a_row_or_french_field_errors(typed: tuple[str, str, str, str]) -> None:
    last, first, born, cls = typed
    row, errors = check_student(last, first, born, cls, today=TODAY)
    assert (row is None) == bool(errors)
    for field, message in errors.items():
        assert field in {"last_name", "first_name", "birth_date", "class_name"}
        assert french_problem(message, max_length=200) is None, (french_problem(message), message)


# ---------------------------------------------------------------- codes, tokens, addresses


#: Short codes stored as the service stores them, at argon2's cheapest (the round trip, not the cost, is tested).
CODES = tokens.CodeHasher(b"k" * 32, Hasher(HashParameters(time_cost=1, memory_cost=8, parallelism=1)))


@parser_inputs(SEEDS.map(code_from))
def test_codes_and_tokens_parse_or_are_refused_quietly(typed: str) -> None:
    code = tokens.normalize_code(typed)
    assert code is None or re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{8}", code)
    link = tokens.link_token_from(typed)
    assert link is None or (re.fullmatch(r"[A-Za-z0-9_-]{40,64}", link) and tokens.looks_like_link_token(link))
    assert re.fullmatch(r"[0-9a-f]{64}", tokens.hash_link_token(typed))
    if code:
        assert CODES.matches(CODES.hash(code), code)


@parser_inputs(SEEDS.map(email_from), st.booleans())
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


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Crockford's decoding: what people confuse reads as what was meant.
CONFUSED = {"0": "Oo", "1": "IiLl", "V": "Uu"}
SEPARATORS = [" ", "-", "  ", "\t", "\u00a0", " - ", "\u2009"]
#: Text a person may type where a code, a request code or a reference is asked.
def code_input_from(rng: random.Random) -> str:
    """Near-codes (Crockford's alphabet and what reads as it), near-references, any text."""
    r = rng.random()
    if r < 0.35:
        return "".join(rng.choice(CROCKFORD + "-OILUoilu ") for _n in range(rng.randint(5, 10)))
    if r < 0.7:
        return "".join(rng.choice("0123456789 .-nN°º\u00a0\u202f") for _n in range(rng.randint(10, 22)))
    return code_from(rng)


CODE_INPUTS = SEEDS.map(code_input_from)


@parser_inputs(CODE_INPUTS)
def test_request_codes_and_references_parse_or_are_refused_quietly(typed: str) -> None:
    """Any text: a request code or a reference as generated, the same read again, or None."""
    request = tokens.normalize_request_code(typed)
    assert request is None or (re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}", request)
                               and tokens.normalize_request_code(request) == request)
    reference = tokens.normalize_reference(typed)
    # Its 13 digits are the digits typed, in order: only spaces, dots, dashes and « n° » go.
    assert reference is None or (len(reference) == 13 and reference == "".join(c for c in typed if c in "0123456789")
                                 and tokens.normalize_reference(reference) == reference)
    code = tokens.normalize_code(typed)
    assert code is None or tokens.normalize_code(code) == code


def _typed(raw: str, rng: random.Random) -> str:
    """``raw`` as a person types it from a mail or a screen: any case, spaces and dashes
    between characters, the letters Crockford reads as digits."""
    out = []
    for n, c in enumerate(raw):
        if n and rng.random() < 0.3:
            out.append(rng.choice(SEPARATORS))
        if c in CONFUSED and rng.random() < 0.3:
            c = rng.choice(CONFUSED[c])
        out.append(c.lower() if rng.random() < 0.5 else c)
    return rng.choice(["", " ", "\t"]) + "".join(out) + rng.choice(["", " ", "\n"])


@parser_inputs(st.randoms(use_true_random=True))  # shown by its seed when it fails
def test_codes_request_codes_and_references_read_back_as_typed(rng: random.Random) -> None:
    """Round trips: what the kiosk generates, typed back the way people type, is read as it was."""
    raw, number = tokens.new_code(rng).replace("-", ""), int(tokens.new_reference(rng))
    assert tokens.normalize_code(_typed(raw, rng)) == raw
    assert tokens.normalize_request_code(_typed(raw[:6], rng)) == f"{raw[:3]}-{raw[3:6]}"
    digits = str(number)
    groups = [digits[:4], digits[4:7], digits[7:10], digits[10:]]
    said = rng.choice(["", "n° ", "N°", "no ", "n ", "nº\u00a0", " n°  "]) + rng.choice([" ", ".", "-", "", "\u202f"]).join(groups)
    assert tokens.normalize_reference(said) == digits


@parser_inputs(st.randoms(use_true_random=True))  # shown by its seed when it fails
def test_a_login_reads_as_the_identifier_typed(rng: random.Random) -> None:
    """An identifier typed in any case between blanks is the identifier; any text becomes
    one line of at most 200 characters without control or format characters (it then
    simply matches no account)."""
    first, last = rng.choice(["Zoé", "Jean-Pierre", "Ağça", "Łukasz", "Noé"]), rng.choice(["N'Diaye", "Durand", "Da Silva"])
    suffix, pad, upper = rng.choice(["", "1", "12"]), rng.choice(["", " ", "\t", "\u00a0", "\n", "  \u3000"]), rng.random() < 0.5
    typed = text_from(rng)
    identifier = base_identifier(first, last) + suffix
    assert normalize_login(pad + (identifier.upper() if upper else identifier) + pad) == identifier
    login = normalize_login(typed)
    assert len(login) <= 200 and not any(unicodedata.category(c) in ("Cc", "Cs", "Cf") for c in login)
    assert login == normalize_login(typed.upper()) or not typed.isascii()


TEMPLATE_LINES = (
    ["Objet : votre compte", "  Identifiant : $identifier", "  Mot de passe : ${password}",
                     "Bonjour $first_name,", "* Une note.", "", "", "# $commentaire ignoré", "Prix : 5 $$", "5 $",
                     "$inconnu", "${class_name}e", "$ identifier", "\t$services_url", "$password$identifier",
                     "\ufeffTexte", "\r"])


@parser_inputs(SEEDS.map(lambda rng: [rng.choice(TEMPLATE_LINES) if rng.random() < 0.8 else text_from(rng, 30)
                              for _n in range(rng.randint(0, 8))]))
def test_a_letter_template_parses_to_one_that_fills_or_is_refused_in_french(lines: list[str]) -> None:
    """``letters.template``: a template that parses fills with every value a letter has and
    holds the identifier and the password; any other is refused in French, naming it."""
    text = "\n".join(lines)
    try:
        template = parse_template(text, "/etc/entkiosk/lettre.txt")
    except TemplateError as exc:
        message = str(exc)
        assert "/etc/entkiosk/lettre.txt" in message
        problem = french_problem(message.replace("/etc/entkiosk/lettre.txt", ""), fragment=True, max_length=2000)
        assert problem is None, (problem, message)
        return
    values = {name: f"<{name}>" for name in PLACEHOLDERS}
    filled = "\n".join(line.fill(values) for paragraph in template.paragraphs for line in paragraph.lines)
    assert "<identifier>" in filled and "<password>" in filled


# ---------------------------------------------------------------- configuration

# Every section and key the settings have (read off the settings, so that a new key gets drawn).
KNOWN = {f.encode_name: [g.encode_name for g in msgspec.structs.fields(f.type)]
         for f in msgspec.structs.fields(Settings) if isinstance(f.type, type) and issubclass(f.type, msgspec.Struct)}
TOML_WORDS = ["Europe/Paris", "UTC", "Mars/Olympus", "", "../../etc/passwd", "smtp", "ssl", "fr", "en", "not an address",
              "a@b.fr", "postgresql://u:secret@h/db", "/nonexistent/charte.txt", "a\x00b", "\ud800", "/tmp", "FR", "e n"]
EDGE_FLOATS = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, 5e-324, 0.5, -1.0, 1e-9]


def key_from(rng: random.Random) -> str:
    """A key as a TOML file can hold it: any text (lone surrogates go when the dict is made
    fit for a file; msgspec itself cannot encode such a key, only a hand-built dict could pass one)."""
    return "".join(any_char(rng) for _n in range(rng.randint(0, 10)))


def toml_value_from(rng: random.Random, depth: int = 0):
    """Any value a TOML file holds: text, integers (past 64 bits too), floats (nan, inf),
    booleans, dates, date-times, times, words the settings know; lists and tables of them."""
    r = rng.random()
    if depth < 2 and r < 0.12:
        return [toml_value_from(rng, depth + 1) for _n in range(rng.randint(0, 3))]
    if depth < 2 and r < 0.2:
        return {key_from(rng): toml_value_from(rng, depth + 1) for _n in range(rng.randint(0, 3))}
    kind = rng.randint(0, 8)
    if kind == 0:
        return text_from(rng, 30)
    if kind == 1:
        return rng.choice([0, 1, -1, 2, 3, 5, 10, 100, 3600, 65535, 65536, 2**31, 2**63 - 1, -(2**63)]) + rng.randint(-2, 2)
    if kind == 2:
        return rng.randint(-(2**70), 2**70)
    if kind == 3:
        return rng.choice(EDGE_FLOATS) if rng.random() < 0.5 else rng.uniform(-1e6, 1e6)
    if kind == 4:
        return rng.random() < 0.5
    if kind == 5:
        return dt.date(1, 1, 1) + dt.timedelta(days=rng.randint(0, 3_652_058))
    if kind == 6:
        return dt.datetime(1, 1, 1) + dt.timedelta(seconds=rng.randint(0, 315_537_897_599), microseconds=rng.randint(0, 999_999))
    if kind == 7:
        return dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.choice([0, rng.randint(0, 999_999)]))
    return rng.choice(TOML_WORDS)


_SURROGATE = re.compile("[\ud800-\udfff]")
#: ConfigError shows control characters and surrogates as « ? ».
_CONTROLS = {c: "?" for c in [*range(32), *range(127, 160), *range(0xD800, 0xE000)]}


def _no_surrogates(value):
    """What a TOML file can hold: text decoded from UTF-8 has no lone surrogate."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    return value


def config_dict_from(rng: random.Random) -> dict:
    """Up to four sections, known or not, one in eight not a table, each with up to three
    keys, known or not, of any value."""
    raw: dict = {}
    for _n in range(rng.randint(0, 4)):
        section = rng.choice(sorted(KNOWN)) if rng.random() < 0.6 else key_from(rng)
        if rng.random() < 0.125:
            raw[section] = toml_value_from(rng)  # a section that is not a table
            continue
        table = raw.setdefault(section, {}) if isinstance(raw.get(section), dict) else {}
        raw[section] = table
        for _k in range(rng.randint(0, 3)):
            key = rng.choice(KNOWN.get(section, ["x"])) if rng.random() < 0.6 else key_from(rng)
            table[key] = toml_value_from(rng)
    return _no_surrogates(raw)


def config_dicts() -> st.SearchStrategy[dict]:
    return SEEDS.map(config_dict_from)


CONFIG_DICTS = config_dicts()


def _texts_in(value) -> list[str]:
    """Every text of a configuration (keys and values), longest first: what a message may echo."""
    if isinstance(value, dict):
        found = [t for k, v in value.items() for t in (str(k), *_texts_in(v))]
    elif isinstance(value, list):
        found = [t for v in value for t in _texts_in(v)]
    else:
        found = [value] if isinstance(value, str) else []
    return sorted(found, key=len, reverse=True)


def _config_message_problem(message: str, source: str, raw: dict | None = None) -> str | None:
    """Why a configuration error is not a French sentence naming the file (None: it is one),
    judged on its wording: the texts of the file it echoes (a template's path) are set aside."""
    prefix = f"{source} : "
    if not message.startswith(prefix) and not message.startswith("Fichier de configuration introuvable"):
        return "does not name the file"
    rest = message[len(prefix):] if message.startswith(prefix) else message
    rest = re.sub(r"'.*'", "''", rest, flags=re.DOTALL)  # msgspec's repr of the value typed: an echo
    for echoed in _texts_in(raw or {}):
        if len(echoed) >= 3 and not echoed.isspace():
            rest = rest.replace(echoed.translate(_CONTROLS), "valeur")
    return french_problem(rest[:1].upper() + rest[1:], max_length=30_000)


# Found by the volume: a language code that is none (kiosk.language, a value of letters.languages)
# was refused with msgspec's English « Expected `str` matching regex », and the key as « letters.languages.... ».
@example([({"accounts": {}, "letters": {"languages": {"": ""}}},)])
@example([({"kiosk": {"language": "Français"}},)])
@parser_inputs(config_dicts())
def test_settings_from_any_dict_are_settings_or_a_french_error_naming_the_key(raw: dict) -> None:
    try:
        settings = settings_from_dict(raw, source="/etc/entkiosk/kiosk.conf")
    except ConfigError as exc:
        problem = _config_message_problem(str(exc), "/etc/entkiosk/kiosk.conf", raw)
        assert problem is None, (problem, str(exc)[:300])
        assert "clé" in str(exc) or "fuseau" in str(exc)
        assert "...." not in str(exc)
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


CONFIG_FILE_KIND = st.integers(0, 5)
CONFIG_BYTES, CONFIG_TEXT = st.binary(max_size=200), SEEDS.map(lambda rng: text_from(rng, 60))
CONFIG_ENCODINGS = st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"])


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    kind = draw(CONFIG_FILE_KIND)
    if kind == 0:
        return draw(CONFIG_BYTES)  # random bytes
    if kind == 1:
        return draw(CONFIG_TEXT).encode("utf-8", "surrogatepass")  # any text: mostly invalid TOML
    raw = draw(CONFIG_DICTS)
    text = "".join(f"[{_toml_value(str(s))}]\n" + "".join(f"{_toml_value(str(k))} = {_toml_value(v)}\n"
                                                           for k, v in t.items())
                   if isinstance(t, dict) else f"{_toml_value(str(s))} = {_toml_value(t)}\n"
                   for s, t in raw.items())
    encoding = draw(CONFIG_ENCODINGS)
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")


@hypothesis_settings(max_examples=-(-max(PARSER_EXAMPLES, hypothesis_settings.default.max_examples * PARSER_SCALE)
                                     // PARSER_BATCH), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(config_files(), min_size=PARSER_BATCH, max_size=PARSER_BATCH))
def test_any_config_file_loads_or_gives_a_french_error_naming_the_file(tmp_path: Path, files: list[bytes]) -> None:
    """Ten files an example (:func:`properties_support.parser_inputs`, which takes no fixture)."""
    for data in files:
        _config_file_loads_or_is_refused(tmp_path, data)


def _config_file_loads_or_is_refused(tmp_path: Path, data: bytes) -> None:
    # tmp_path is shared by the examples on purpose: each writes the same file afresh, removed
    # first (on ext4, truncating a file that holds data flushes it to disk: 1.2 ms an example).
    path = tmp_path / "kiosk.conf"
    path.unlink(missing_ok=True)
    path.write_bytes(data)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            raw = None
        problem = _config_message_problem(str(exc), str(path), raw)
        assert problem is None, (problem, str(exc)[:300])
    else:
        assert settings.source == str(path)
