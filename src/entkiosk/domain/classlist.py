"""Parsing a class list (``nom;prénom;date de naissance;classe``) into checked rows.

Pure: takes bytes, returns rows and the problems found, each with its line number.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from .i18n import _
from .identifiers import base_identifier
from .name_rules import class_problem, name_problem

MAX_NAME = 120
MAX_CLASS = 60


@dataclass(frozen=True)
class StudentRow:
    """One pupil of a list. ``line``: the line of a CSV file, or the rank of a record in a
    SIECLE export (then ``label`` names it: « élève 4321 (DUPONT Zoé) »). ``ine`` and
    ``eleve_id``: SIECLE's keys, when the list comes from SIECLE."""

    line: int
    last_name: str
    first_name: str
    birth_date: date
    class_name: str
    ine: str | None = None
    eleve_id: str | None = None
    label: str | None = None

    @property
    def where(self) -> int | str:
        """Where a problem with this pupil is: the line number, or the SIECLE record."""
        return self.label if self.label is not None else self.line


#: Where a problem is: a line number (« ligne 12 ») or the record it names.
Where = int | str

#: Longest key SIECLE gives a pupil (``ELEVE_ID``); an INE is 11 characters.
MAX_KEY = 20


def place(where: Where) -> str:
    """« ligne 12 », or the SIECLE record as named."""
    return _("ligne {number}").format(number=where) if isinstance(where, int) else where


def person_key(last_name: str, first_name: str, birth_date: date | None) -> tuple[str, str, date | None]:
    """Who a row is, for finding the same student twice: case, accents, hyphens and
    spaces do not count (« Jean-Pierre » is « JEAN PIERRE »), the birth date does."""

    def loose(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        return " ".join(re.sub(r"[^\w]+", " ", bare).split())

    return loose(last_name), loose(first_name), birth_date


def parse_birth_date(text: str, *, today: date | None = None) -> date:
    """``JJ/MM/AAAA`` (also ``J/M/AAAA``); ValueError with a French reason otherwise."""
    text = text.strip()
    try:
        day = datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
            raise ValueError(_("la date de naissance « {text} » n'existe pas").format(text=text)) from None
        raise ValueError(_("date de naissance « {text} » invalide (attendu JJ/MM/AAAA)")
                         .format(text=printable(text))) from None
    if day.year < 1900 or (today is not None and day > today):
        raise ValueError(_("date de naissance « {text} » impossible").format(text=text))
    return day


def printable(text: str, limit: int = 40) -> str:
    """Text safe to echo in a message: control characters shown as ``?``, length bounded."""
    cleaned = "".join("?" if unicodedata.category(c)[0] == "C" else c for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _clean(value: str) -> str:
    return " ".join(value.split())


def _is_header(cells: list[str]) -> bool:
    first = _clean(cells[0]).casefold() if cells else ""
    return first in {"nom", "nom de famille", "last name"}


def parse_class_list(data: bytes, *, today: date | None = None) -> tuple[list[StudentRow], list[tuple[Where, str]]]:
    """Rows and problems of a CSV class list; every problem names its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [(line, _("le fichier n'est pas encodé en UTF-8 (enregistrez-le au format « CSV UTF-8 »)"))]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return [], [(line, _("caractère nul : ce n'est pas un fichier texte CSV"))]
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows: list[StudentRow] = []
    problems: list[tuple[Where, str]] = []
    seen: dict[tuple[str, str, date | None], int] = {}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if not rows and not problems and not seen and _is_header(cells):
                continue
            if len(cells) != 4:
                problems.append((line, _("{count} colonne(s) au lieu de 4 (nom;prénom;date de naissance;classe)")
                                       .format(count=len(cells))))
                continue
            reason = _control_problem(cells)
            last, first, born, class_name = (_clean(c) for c in cells)
            reason = reason or row_problem(last, first, class_name)
            if reason is None:
                try:
                    birth = parse_birth_date(born, today=today)
                except ValueError as exc:
                    reason = str(exc)
            if reason is not None:
                problems.append((line, reason))
                continue
            key = person_key(last, first, birth)
            if key in seen:
                problems.append((line, _("élève en double (déjà à la ligne {line})").format(line=seen[key])))
                continue
            seen[key] = line
            rows.append(StudentRow(line, last, first, birth, class_name))
    except csv.Error:
        # The csv module's reason is English: say what is usually wrong instead.
        problems.append((reader.line_num, _("ligne CSV mal formée (guillemet mal fermé ou caractère interdit)")))
    if not rows and not problems:
        problems.append((1, _("le fichier ne contient aucun élève")))
    return rows, problems


def check_student(last: str, first: str, born: str, class_name: str, *,
                  today: date | None = None) -> tuple[StudentRow | None, dict[str, str]]:
    """One student typed in a form: the row, or a French message per field in error.

    The same rules as a line of a class list (a staff member re-creating one account
    must not be able to create what an import would refuse).
    """
    fields = {"last_name": last, "first_name": first, "birth_date": born, "class_name": class_name}
    control = {"last_name": _("Nom : caractère de contrôle interdit."),
               "first_name": _("Prénom : caractère de contrôle interdit."),
               "birth_date": _("Date de naissance : caractère de contrôle interdit."),
               "class_name": _("Classe : caractère de contrôle interdit.")}
    missing = {"last_name": _("Saisissez le nom."), "first_name": _("Saisissez le prénom."),
               "class_name": _("Saisissez la classe.")}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        if any(unicodedata.category(c)[0] == "C" and c != "\t" for c in value):
            errors[name] = control[name]
    last, first, class_name = _clean(last), _clean(first), _clean(class_name)
    for name, value, limit in (("last_name", last, MAX_NAME), ("first_name", first, MAX_NAME),
                               ("class_name", class_name, MAX_CLASS)):
        if name in errors:
            continue
        if not value:
            errors[name] = missing[name]
        elif len(value) > limit:
            errors[name] = {
                "last_name": _("Nom trop long ({length} caractères, {limit} au plus)."),
                "first_name": _("Prénom trop long ({length} caractères, {limit} au plus)."),
                "class_name": _("Classe trop long ({length} caractères, {limit} au plus)."),
            }[name].format(length=len(value), limit=limit)
    spelling = {"last_name": lambda value: name_problem(value, first=False),
                "first_name": lambda value: name_problem(value, first=True), "class_name": class_problem}
    for name, value in (("last_name", last), ("first_name", first), ("class_name", class_name)):
        if name not in errors and (reason := spelling[name](value)) is not None:
            errors[name] = f"{reason[:1].upper()}{reason[1:]}."
    if "last_name" not in errors and "first_name" not in errors:
        try:
            base_identifier(first, last)
        except ValueError as exc:
            errors["last_name"] = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    birth = None
    if "birth_date" not in errors and not born.strip(" /"):
        errors["birth_date"] = _("Saisissez la date de naissance.")
    if "birth_date" not in errors:
        try:
            birth = parse_birth_date(born, today=today)
        except ValueError as exc:
            errors["birth_date"] = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    if errors or birth is None:
        return None, errors
    return StudentRow(1, last, first, birth, class_name), {}


def check_staff_names(first: str, last: str) -> tuple[str, str, dict[str, str]]:
    """A staff member's names as typed (both may be left empty): tidied, and a French
    message per field in error, by the rules of a pupil's names (a staff list is shown
    on the same screens and logs)."""
    control = {"first_name": _("Prénom : caractère de contrôle interdit."),
               "last_name": _("Nom : caractère de contrôle interdit.")}
    too_long = {"first_name": _("Prénom trop long ({length} caractères, {limit} au plus)."),
                "last_name": _("Nom trop long ({length} caractères, {limit} au plus).")}
    tidied: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in (("first_name", first), ("last_name", last)):
        tidied[name] = clean = _clean(value)
        if any(unicodedata.category(c)[0] == "C" and c != "\t" for c in value):
            errors[name] = control[name]
        elif len(clean) > MAX_NAME:
            errors[name] = too_long[name].format(length=len(clean), limit=MAX_NAME)
        elif clean and (reason := name_problem(clean, first=name == "first_name")) is not None:
            errors[name] = f"{reason[:1].upper()}{reason[1:]}."
    return tidied["first_name"], tidied["last_name"], errors


def _control_problem(cells: list[str]) -> str | None:
    """Control characters are refused before spaces are tidied (``split()`` would hide some)."""
    reasons = (_("nom : caractère de contrôle interdit"), _("prénom : caractère de contrôle interdit"),
               _("date de naissance : caractère de contrôle interdit"), _("classe : caractère de contrôle interdit"))
    for reason, value in zip(reasons, cells, strict=True):
        if any(unicodedata.category(c)[0] == "C" and c != "\t" for c in value):
            return reason
    return None


def row_problem(last: str, first: str, class_name: str) -> str | None:
    """Why a row's names or class (spaces tidied) cannot be imported, the first reason found; None when they can."""
    for label, value, limit in (("nom", last, MAX_NAME), ("prénom", first, MAX_NAME), ("classe", class_name, MAX_CLASS)):
        if not value:
            return {"nom": _("nom manquant"), "prénom": _("prénom manquant"), "classe": _("classe manquante")}[label]
        if len(value) > limit:
            return {
                "nom": _("nom trop long ({length} caractères, {limit} au plus)"),
                "prénom": _("prénom trop long ({length} caractères, {limit} au plus)"),
                "classe": _("classe trop long ({length} caractères, {limit} au plus)"),
            }[label].format(length=len(value), limit=limit)
    if (reason := spelling_problem(last, first, class_name)) is not None:
        return reason
    try:
        base_identifier(first, last)
    except ValueError as exc:
        return str(exc)
    return None


def spelling_problem(last: str, first: str, class_name: str) -> str | None:
    """The first of the names and the class (spaces tidied, class "" when there is none)
    that holds what a name or a class code may not (:mod:`.name_rules`), as a reason."""
    return (name_problem(last, first=False) or name_problem(first, first=True)
            or (class_problem(class_name) if class_name else None))
