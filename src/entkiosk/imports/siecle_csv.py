"""SIECLE's CSV export of a division (``EXP_….csv``), as a secretariat downloads it.

ISO-8859-1 (Windows-1252 in practice) or UTF-8 with a BOM, ``;`` between cells, CRLF
line ends, a header such as ``NOM;PRENOM;NE(E) LE;SEXE;MEF;DIV.;…`` (the columns are
found by name, in any order; others are ignored) and cells quoted for a spreadsheet
(``="4A"``). An ``INE`` (or ``ID NATIONAL``) column, when chosen in the export, is kept.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date

from ..domain.classlist import (
    MAX_KEY,
    StudentRow,
    Where,
    parse_birth_date,
    person_key,
    row_problem,
)
from ..domain.i18n import _
from .model import PupilFile

_COLUMNS = {
    "last": ("NOM", "NOM DE FAMILLE"),
    "usage": ("NOM D'USAGE", "NOM USAGE"),
    "first": ("PRENOM", "PRENOM 1", "PRENOM1"),
    "birth": ("NE(E) LE", "NE LE", "NEE LE", "DATE NAISS", "DATE NAISS.", "DATE DE NAISSANCE"),
    "class": ("DIV.", "DIV", "DIVISION"),
    "ine": ("INE", "ID NATIONAL", "N° INE", "NO INE", "NUMERO INE"),
}
_REQUIRED = ("last", "first", "birth", "class")
_INE = re.compile(r"[0-9A-Z]{11}")
_SPREADSHEET = re.compile(r'^="(.*)"$', re.DOTALL)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:  # SIECLE writes ISO-8859-1; a spreadsheet saving it again writes Windows-1252 (Œ, œ)
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _cell(value: str) -> str:
    found = _SPREADSHEET.match(value.strip())
    return (found[1].replace('""', '"') if found else value).strip()


def _header_key(value: str) -> str:
    bare = unicodedata.normalize("NFKD", _cell(value).upper())
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return " ".join(bare.split())


def _columns(header: list[str]) -> dict[str, int]:
    keys = [_header_key(cell) for cell in header]
    found: dict[str, int] = {}
    for name, spellings in _COLUMNS.items():
        for index, key in enumerate(keys):
            if key in spellings:
                found[name] = index
                break
    return found


def is_siecle_csv(data: bytes) -> bool:
    """A header naming at least NOM, PRENOM, a birth date and DIV. (entkiosk's own list
    has no division column: its fourth is « classe »)."""
    text = _decode(data[:8192])
    first = next((line for line in text.splitlines() if line.strip()), "")
    if ";" not in first:
        return False
    return all(name in _columns(first.split(";")) for name in _REQUIRED)


def parse_siecle_csv(data: bytes, *, today: date | None = None) -> PupilFile:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    rows: list[StudentRow] = []
    problems: list[tuple[Where, str]] = []
    columns: dict[str, int] = {}
    seen: dict[tuple, int] = {}
    seen_ines: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if not columns:
                columns = _columns(cells)
                continue
            values = {name: _cell(cells[index]) if index < len(cells) else "" for name, index in columns.items()}
            if any(unicodedata.category(c)[0] == "C" for v in values.values() for c in v):
                problems.append((line, _("caractère de contrôle interdit")))
                continue
            last = " ".join((values.get("usage") or values["last"]).split())
            first = " ".join(values["first"].split())
            class_name = " ".join(values["class"].split())
            reason = row_problem(last, first, class_name)
            birth = None
            if reason is None:
                try:
                    birth = parse_birth_date(values["birth"], today=today)
                except ValueError as exc:
                    reason = str(exc)
            ine = values.get("ine", "").upper() or None
            if reason is None and ine is not None and (len(ine) > MAX_KEY or not _INE.fullmatch(ine)):
                reason = _("INE « {ine} » invalide (11 chiffres et lettres attendus)").format(ine=ine[:30])
            if reason is None and ine is not None and ine in seen_ines:
                reason = _("INE {ine} en double (déjà à la ligne {line})").format(ine=ine, line=seen_ines[ine])
            if reason is not None or birth is None:
                problems.append((line, reason or _("date de naissance manquante")))
                continue
            key = person_key(last, first, birth)
            if key in seen and ine is None:
                problems.append((line, _("élève en double (déjà à la ligne {line})").format(line=seen[key])))
                continue
            seen.setdefault(key, line)
            if ine is not None:
                seen_ines[ine] = line
            rows.append(StudentRow(line, last, first, birth, class_name, ine=ine))
    except csv.Error:
        problems.append((reader.line_num, _("ligne CSV mal formée (guillemet mal fermé ou caractère interdit)")))
    if not rows and not problems:
        problems.append((1, _("le fichier ne contient aucun élève")))
    return PupilFile("siecle-csv", rows, problems)
