"""Generated SIECLE exports against the readers: the pupils' XML (alone or in its zip), the
per-division CSV, the guardians' XML, and the zip itself. Each reader gives a result in
which every record of the file is accounted for, exactly as written, or a French refusal
naming it; a file it cannot read is refused whole in French, never with an exception.

The names drawn are a school's (accents, hyphens, apostrophes, other scripts), odd ones
(markup, digits, blanks, control characters, 121 letters) and random text: a name the
readers' spelling rule refuses is a named problem, not a failure of the property.

Volume: each reader gets :func:`properties_support.parser_examples` (10,000 under "ci").
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile

from hypothesis import event, example
from hypothesis import strategies as st
from properties_support import french_problem, parser_inputs
from siecle_support import UAJ, Person, Pupil, _ref, guardians_xml, pupils_xml

from entkiosk.domain.classlist import MAX_CLASS, MAX_NAME, printable
from entkiosk.domain.errors import FileRefused
from entkiosk.imports import read_pupils
from entkiosk.imports.files import unzip_one_xml
from entkiosk.service.guardians import Guardians

TODAY = dt.date(2026, 9, 1)
ENCODINGS = ["ISO-8859-15", "UTF-8"]

REAL_LAST = ["DURAND", "N'DIAYE", "Lefèvre-Oudin", "ŒUVRARD", "Da Silva", "YILDIZ", "O’BRIEN", "NGUYỄN",
             "MÜLLER", "ÇELIK", "KOWALCZYK", "SAINT-ÉTIENNE"]
REAL_FIRST = ["Zoé", "Jean-Pierre", "Ağça", "Maëlys", "Noé", "Inès", "Łukasz", "Сергій", "Jean\u2011Luc", "Chloé"]
ODD = ["", " ", "  Zoé  ", "Zo\té", "DU\u00a0PONT", "DU  PONT", "[b]X[/b]", "[@click=app.quit]", "=1+1", "<b>",
       "A&B", "1234", "Zoé2", "L" * (MAX_NAME + 1), "e\u0301lodie", "\u0301", "Zo\x01é", "Zo\x85é", "---", "'",
       "St. Jean", "😀", "\u202eZOE", "\ufeffZOE"]
GOOD_CLASSES = ["4A", "3B", "2NDE 4", "1G-3", "T_STMG.2", "6ème B", " 5C "]
BAD_CLASSES = ["C" * (MAX_CLASS + 1), "4A=", "[red]4A", "", "  "]
BAD_DATE_TEXTS = ["31/02/2012", "2012-03-14", "", "14/03/12", "1/1/1", "01/01/1899", "01/01/2999", "aa/bb/cccc",
                  "14 / 03 / 2012", "１４/０３/２０１２", "<14/03/2012>"]
FIRST_DAY = dt.date(1995, 1, 1)
DAYS = (dt.date(2026, 12, 31) - FIRST_DAY).days
BAD_INES = ["1234567890A", "", "123", "1234567890a", "12345678901234", "12345 67890"]

# The records are drawn by a random.Random that Hypothesis seeds (one draw an example): drawn
# field by field through Hypothesis, a file costs some hundred draws, ten times the parsing.
# Hypothesis still chooses the seed (fixed under "ci") and prints the records of a failure.
SEEDS = st.integers(0, 2**64 - 1).map(random.Random)  # st.randoms() wraps every call: 15 % slower


def any_text(rng: random.Random, max_size: int = 12, *, exclude: str = "") -> str:
    """Random text an XML file can carry: no control character but tabs, no surrogate, no
    U+FFFE/U+FFFF (ODD has a control character that refuses the whole file, and the damaged
    files below more). Mostly ASCII and Latin, then any plane."""
    out = []
    for _n in range(rng.randint(0, max_size)):
        r = rng.random()
        c = ("\t" if r < 0.03 else chr(rng.randint(0x20, 0x7E)) if r < 0.5 else chr(rng.randint(0xA0, 0x24F)) if r < 0.7
             else chr(rng.randint(0x250, 0xD7FF)) if r < 0.9 else chr(rng.randint(0xE000, 0xFFFD)) if r < 0.95
             else chr(rng.randint(0x10000, 0x10FFFF)))
        out.append("x" if c in exclude else c)
    return "".join(out)


def name_from(rng: random.Random, real: list[str], exclude: str = "") -> str:
    """Mostly a school's names (the property is about what becomes of them: a file of odd
    ones only would be one refusal after another), then odd ones, then any text."""
    r = rng.random()
    return rng.choice(real) if r < 0.8 else rng.choice(ODD) if r < 0.9 else any_text(rng, exclude=exclude)


def class_from(rng: random.Random, exclude: str = "") -> str:
    r = rng.random()
    return rng.choice(GOOD_CLASSES) if r < 0.8 else rng.choice(BAD_CLASSES) if r < 0.9 else any_text(rng, exclude=exclude)


def birth_from(rng: random.Random) -> tuple[str, dt.date | None]:
    """(DATE_NAISS as written, the date it stands for or None when it is none)."""
    r = rng.random()
    if r > 0.85:
        return rng.choice(BAD_DATE_TEXTS), None
    day = FIRST_DAY + dt.timedelta(days=rng.randint(0, DAYS))
    return (day.strftime("%d/%m/%Y") if r < 0.45 else f"{day.day}/{day.month}/{day.year}"), day


def ine_from(rng: random.Random) -> str | None:
    r = rng.random()
    if r < 0.4:
        return None
    return f"{rng.randint(0, 10**10 - 1):010d}{rng.choice('ABCDEFGHJK')}" if r < 0.85 else rng.choice(BAD_INES)


def collapse(text: str) -> str:
    """What the readers keep of a cell or a tag: spaces and line ends collapsed."""
    return " ".join(text.split())


#: ELEVE_ID (PERSONNE_ID): "" is the record's rank (4101, 4102…), "same" the previous record's.
ID_VARIANTS = [""] * 16 + ["same", "41-01", "9" * 21, " 4101 "]
#: (usage name, DATE_SORTIE, groups)
EXTRAS = [(None, None, [])] * 9 + [(None, "15/06/2026", []), (None, None, ["4A_LAT"]),
          ("MARTIN", None, []), (" ", None, []), ("DU\tPONT", None, [])]


def pupils_from(rng: random.Random) -> list[tuple]:
    """Up to four pupils: (ELEVE_ID variant, (DATE_NAISS, its date), last name, first name,
    division or None, INE or None, (usage name, DATE_SORTIE, groups))."""
    return [(rng.choice(ID_VARIANTS), birth_from(rng), name_from(rng, REAL_LAST), name_from(rng, REAL_FIRST),
             None if rng.random() < 0.1 else class_from(rng), ine_from(rng), rng.choice(EXTRAS))
            for _n in range(rng.randint(0, 4))]




def damage_from(rng: random.Random, odds: int = 8) -> tuple[int, int, bytes] | None:
    """How a file is damaged, one time in ``odds`` (None: intact): (how: 0 cut, 1 overwritten,
    2 bytes put in; where, per mille; the bytes)."""
    if rng.randrange(odds):
        return None
    return rng.randint(0, 2), rng.randint(0, 1000), rng.randbytes(rng.randint(1, 8))


#: (pupils, encoding, UAJ, damage, zipped): zipped one time in four (the zip has its own property).
PUPILS_EXPORTS = SEEDS.map(lambda rng: (pupils_from(rng), rng.choice(ENCODINGS), rng.choice([UAJ] * 7 + [""]),
                                        damage_from(rng), rng.random() < 0.25))


def pupils_of(drawn: list[tuple]) -> list[tuple[Pupil, dt.date | None]]:
    """The pupils drawn, each with the date its DATE_NAISS stands for (None: none)."""
    out = []
    for rank, (variant, (born, day), last, first, division, ine, (usage, left, groups)) in enumerate(drawn):
        eleve_id = {"": str(4101 + rank), "same": str(4100 + rank)}.get(variant, variant)
        out.append((Pupil(eleve_id, last, first, born, division, ine=ine, usage=usage, left=left, groups=groups), day))
    return out


def damaged(data: bytes, damage: tuple[int, int, bytes] | None) -> bytes:
    """``data`` cut short, with bytes overwritten, or with bytes put in (None: as it is)."""
    if damage is None:
        return data
    how, per_mille, junk = damage
    at = len(data) * per_mille // 1000
    return (data[:at], data[:at] + junk + data[at + len(junk):], data[:at] + junk + data[at:])[how]


def _written(pupil: Pupil, encoding: str) -> Pupil:
    """The pupil as :func:`pupils_xml` writes it: it escapes names but writes dates and INEs
    raw, as SIECLE fills them; the odd ones here are escaped like names."""
    return Pupil(pupil.eleve_id, pupil.last, pupil.first, _ref(pupil.born, encoding), pupil.division,
                 ine=pupil.ine and _ref(pupil.ine, encoding), usage=pupil.usage, left=pupil.left, groups=pupil.groups)


def _zipped(xml: bytes, name: str = "ElevesSansAdresses.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, xml)
    return buffer.getvalue()


def _reason_problem(reason: str, labels: list[str]) -> str | None:
    """Why a record's problem is not a French reason (None: it is one), judged on its wording:
    the labels it quotes (« déjà : élève 4101 (DURAND Zoé) ») hold names as the file has them."""
    for label in sorted(set(labels), key=len, reverse=True):
        reason = reason.replace(label, "l'élève")
    return french_problem(reason, fragment=True)


def _refusal_problem(error: FileRefused, names: list[str] = ()) -> str | None:
    """Why a refusal is not a French sentence safe to show (None: it is one). A refusal may
    start with the name of the file it is about (« lisezmoi.txt ne peut pas… »)."""
    message = str(error)
    for shown in (printable(name, 60) for name in names):
        if message.startswith(shown):
            message = "Le fichier" + message[len(shown):]
    # A damaged zip may name its member otherwise than it was written.
    message = re.sub(r"^.*?(?= (ne peut pas être décompressé|est chiffré dans|ferait |dépasse ))", "Le fichier", message)
    return french_problem(message, max_length=600)


# ---------------------------------------------------------------- the pupils' export (XML, zip)


@parser_inputs(PUPILS_EXPORTS)
def test_a_pupils_export_accounts_for_every_pupil_or_is_refused_in_french(export: tuple) -> None:
    """Through the door the import and the yearly update use (:func:`read_pupils`): the XML
    alone or in its zip. An intact export: every ELEVE is one row (its names, class, date and
    INE as written), one leaver, one pupil without a class, or one problem naming it. A
    damaged one: refused whole in French, or read with the same guarantees on what it gives."""
    drawn, encoding, uaj, damage, zipped = export
    generated = pupils_of(drawn)
    xml = pupils_xml([_written(p, encoding) for p, _day in generated], uaj=uaj, encoding=encoding)
    intact = damage is None
    xml = damaged(xml, damage)
    try:
        file = read_pupils(_zipped(xml) if zipped else xml, today=TODAY)
    except FileRefused as error:
        event("refused whole")
        assert _refusal_problem(error) is None, (_refusal_problem(error), str(error))
        assert not (intact and uaj and all(_xml_text(p) for p, _day in generated) and not _also_utf8(xml, encoding)), \
            str(error)
        return
    event(f"read: {len(file.rows)} row(s), {len(file.problems)} problem(s)")
    labels = [where for where, _r in file.problems if isinstance(where, str)] + [r.label for r in file.records]
    for _where, reason in file.problems:
        assert _reason_problem(reason, labels) is None, (_reason_problem(reason, labels), reason)
    _check_rows(file.rows)
    if not intact:  # cut before its root, it may read as a class list: any format, same guarantees
        return
    assert file.format == "siecle-xml" and file.uaj == (uaj or None)
    assert all(isinstance(where, str) and where.startswith(("élève ", "export SIECLE")) for where, _r in file.problems)
    leavers = [r for r in file.records if r.left]
    if not generated:
        assert (file.rows, file.problems) == ([], [("export SIECLE", "aucun élève dans DONNEES/ELEVES")])
        return
    assert len(file.rows) + len(file.problems) + len(file.without_class) + len(leavers) == len(generated)
    ids = [collapse(p.eleve_id) for p, _day in generated]
    for row in file.rows:
        pupil, day = generated[row.line - 1]
        assert row.eleve_id == collapse(pupil.eleve_id) and row.label and row.label.startswith("élève ")
        assert row.last_name == (collapse(pupil.usage or "") or collapse(pupil.last))
        assert row.first_name == collapse(pupil.first)
        # Divisions are listed apart, by ELEVE_ID: which of two records with one ID a division is for
        # cannot be told (the second record is refused, and the file with it).
        assert row.class_name == collapse(pupil.division or "") or ids.count(row.eleve_id) > 1
        assert day is not None and row.birth_date == day
        assert row.ine == (collapse(pupil.ine or "").upper() or None)
        assert not pupil.left
    for record in leavers:
        assert any(collapse(p.eleve_id) == record.eleve_id and p.left for p, _day in generated)


def _also_utf8(xml: bytes, encoding: str) -> bool:
    """An ISO-8859-15 file whose bytes also read as UTF-8 (« Ã© »): refused on purpose, as a
    file converted to UTF-8 that still declares ISO-8859-15 would be."""
    if encoding == "UTF-8" or xml.isascii():
        return False
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _xml_text(pupil: Pupil) -> bool:
    """Whether every text of ``pupil`` is text an XML file can hold (else the file is refused whole)."""
    return all(c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or ord(c) >= 0x10000
               for text in (pupil.last, pupil.first, pupil.usage or "", pupil.division or "", pupil.born,
                            pupil.ine or "")
               for c in text)


def _check_rows(rows) -> None:
    """What any row the readers give holds, whatever the file: tidy names within bounds, a
    real birth date, SIECLE keys once each."""
    for row in rows:
        for text, limit in ((row.last_name, MAX_NAME), (row.first_name, MAX_NAME), (row.class_name, MAX_CLASS)):
            assert 0 < len(text) <= limit and text == collapse(text), text
            assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text), text
        assert dt.date(1900, 1, 1) <= row.birth_date <= TODAY
        assert row.ine is None or re.fullmatch(r"[0-9A-Z]{11}", row.ine)
    keys = [row.eleve_id for row in rows if row.eleve_id] + [row.ine for row in rows if row.ine]
    assert len(keys) == len(set(keys))


# ---------------------------------------------------------------- the per-division CSV export

CSV_HEADERS = [["NOM", "PRENOM", "NE(E) LE", "SEXE", "DIV."], ["Nom", "Prénom", "Né(e) le", "Div."],
               ["NOM", "NOM D'USAGE", "PRENOM 1", "DATE NAISS", "DIVISION", "INE"],
               ["DIV.", "INE", "PRENOM", "NOM", "NE LE"]]


CSV_KEYS = {"NOM": "last", "NOM D'USAGE": "usage", "PRENOM": "first", "PRÉNOM": "first", "PRENOM 1": "first",
            "NE(E) LE": "birth", "NÉ(E) LE": "birth", "DATE NAISS": "birth", "NE LE": "birth", "DIV.": "class",
            "DIVISION": "class", "INE": "ine"}
CSV_FORBIDDEN = '";\r\n\x00'  # what SIECLE's unquoted cells cannot hold


def csv_lines_from(rng: random.Random) -> list[tuple]:
    """Up to five lines, every cell a line may need whatever the header:
    (last, usage, first, (birth, its date), class, INE, other)."""
    return [(name_from(rng, REAL_LAST, CSV_FORBIDDEN), rng.choice(["", "", "", "MARTIN", " ", "="]),
             name_from(rng, REAL_FIRST, CSV_FORBIDDEN), birth_from(rng),
             rng.choice(['="4A"', '="2NDE 4"', '= "4A" ', "4A\x01"]) if rng.random() < 0.3 else class_from(rng, CSV_FORBIDDEN),
             ine_from(rng) or "", rng.choice(["F", "M", "3EME", "DP DAN", ""]))
            for _n in range(rng.randint(0, 5))]


def _header_keys(header: list[str]) -> list[str]:
    return [CSV_KEYS.get(cell.upper(), f"other{n}") for n, cell in enumerate(header)]


def division_csv(header: list[str], drawn: list[tuple], encoding: str) -> bytes:
    """A division's CSV as SIECLE or a spreadsheet writes it: ``;``, CRLF, no quoting."""
    lines = [";".join(header)]
    for last, usage, first, (born, _day), class_name, ine, other in drawn:
        cells = {"last": last, "usage": usage, "first": first, "birth": born, "class": class_name, "ine": ine}
        lines.append(";".join(cells.get(key, other) for key in _header_keys(header)))
    return ("\r\n".join(lines) + "\r\n").encode(encoding, "replace")


def _siecle_csv_text(data: bytes) -> str:
    """The text of a SIECLE CSV as its docstring says it is read: UTF-8 (with its BOM or not),
    else Windows-1252, else ISO-8859-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


@parser_inputs(SEEDS.map(lambda rng: (rng.choice(CSV_HEADERS), csv_lines_from(rng),
                              rng.choice(["latin-1", "cp1252", "utf-8", "utf-8-sig"]))))
def test_a_division_csv_accounts_for_every_line(export: tuple[list[str], list[tuple], str]) -> None:
    """Every pupil's line is one row, its cells as written (``="4A"`` unwrapped), or one
    problem naming that line; never an exception, whatever the encoding."""
    header, drawn, encoding = export
    data = division_csv(header, drawn, encoding)
    try:
        result = read_pupils(data, today=TODAY)
    except FileRefused as error:  # only a file that looks like XML or a zip is refused whole
        assert _refusal_problem(error) is None, str(error)
        assert data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<" or data[:2] == b"PK", data[:50]
        return
    for where, reason in result.problems:
        assert isinstance(where, int) and where >= 1
        assert french_problem(reason, fragment=True) is None, (french_problem(reason, fragment=True), reason)
    _check_rows(result.rows)
    if result.format != "siecle-csv":  # a header SIECLE's reader does not recognise: the class list's
        event(f"read as {result.format}")
        return
    event(f"siecle-csv: {len(result.rows)} row(s), {len(result.problems)} problem(s)")
    text_lines = _siecle_csv_text(data).split("\r\n")
    pupil_lines = [t for t in text_lines[1:len(drawn) + 1] if any(cell.strip() for cell in t.split(";"))]
    if not pupil_lines:
        assert (result.rows, result.problems) == ([], [(1, "le fichier ne contient aucun élève")])
        return
    assert len(result.rows) + len(result.problems) == len(pupil_lines), (result.rows, result.problems)
    for row in result.rows:
        cells = dict(zip(_header_keys(text_lines[0].split(";")), text_lines[row.line - 1].split(";"), strict=True))
        unwrap = lambda cell: re.sub(r'^="(.*)"$', r"\1", cell.strip()).strip()  # noqa: E731
        assert row.last_name == (collapse(unwrap(cells.get("usage", ""))) or collapse(unwrap(cells["last"])))
        assert row.first_name == collapse(unwrap(cells["first"])) and row.class_name == collapse(unwrap(cells["class"]))
        assert row.birth_date == drawn[row.line - 2][3][1]
        assert row.ine == (unwrap(cells.get("ine", "")).upper() or None)


# ---------------------------------------------------------------- the guardians' export

def people_from(rng: random.Random) -> list[tuple]:
    """Up to four people: (PERSONNE_ID variant, last, first, links (ELEVE_ID, RESP_LEGAL),
    civility, MEL, address lines, (country, town abroad))."""
    return [(rng.choice(ID_VARIANTS), name_from(rng, REAL_LAST), name_from(rng, REAL_FIRST),
             [(rng.choice(["4101", "4102", "4103", "", "41 02"]), rng.choice(["1", "2", "1", "0", "3", ""]))
              for _k in range(rng.randint(0, 3))],
             rng.choice(["MME", "M.", "M", "MLLE", ""]),
             rng.choice([None, "awa.ndiaye@example.org", "pas une adresse", "zoé@exämple.fr"]),
             [rng.choice(["12 RUE DES TILLEULS", "BP 12"]) if rng.random() < 0.7 else any_text(rng)
              for _k in range(rng.randint(0, 5))],
             rng.choice([("FRANCE", None), (None, None), ("ALLEMAGNE", "Stuttgart"), ("FRANCE", "Stuttgart")]))
            for _n in range(rng.randint(0, 4))]


def people_of(drawn: list[tuple]) -> list[Person]:
    out = []
    for rank, (variant, last, first, links, civility, mel, lines, (country, abroad)) in enumerate(drawn):
        pid = {"": str(7001 + rank), "same": str(7000 + rank)}.get(variant, variant)
        out.append(Person(pid, last, first, list(links), civility=civility, mel=mel, lines=lines, country=country,
                          foreign_town=abroad))
    return out


@parser_inputs(SEEDS.map(lambda rng: (people_from(rng), rng.choice(ENCODINGS), damage_from(rng), rng.random() < 0.25)))
def test_a_guardians_export_gives_each_legal_guardian_or_names_them(export: tuple) -> None:
    """Each person with a legal link (RESP_LEGAL 1 or 2) is a guardian, names as written and
    linked to each child once, or is named in a problem; contacts get no account; a damaged
    file is refused whole in French."""
    drawn, encoding, damage, zipped = export
    generated = people_of(drawn)
    xml = guardians_xml(generated, encoding=encoding)
    intact = damage is None
    xml = damaged(xml, damage)
    try:
        file = Guardians.read(_zipped(xml, "ResponsablesAvecAdresses.xml") if zipped else xml)
    except FileRefused as error:
        event("refused whole")
        assert _refusal_problem(error) is None, (_refusal_problem(error), str(error))
        texts = [t for p in generated for t in (p.last, p.first, *p.lines)]
        assert not (intact and all(_xml_text(Pupil("", t, "", "", None)) for t in texts)
                    and not _also_utf8(xml, encoding)), str(error)
        return
    event(f"read: {len(file.guardians)} guardian(s), {len(file.problems)} problem(s)")
    labels = [where for where, _r in file.problems] + [g.label for g in file.guardians]
    for where, reason in file.problems:
        assert isinstance(where, str) and where.startswith(("responsable ", "lien responsable-élève", "export SIECLE"))
        assert _reason_problem(reason, labels) is None, (_reason_problem(reason, labels), reason)
    pids = [g.personne_id for g in file.guardians]
    assert len(pids) == len(set(pids))
    for guardian in file.guardians:
        assert 0 < len(guardian.last_name) <= MAX_NAME and 0 < len(guardian.first_name) <= MAX_NAME
        assert len(guardian.address) <= 6 and guardian.children
        children = [c.eleve_id for c in guardian.children]
        assert len(children) == len(set(children)) and all(c.resp_legal in (1, 2) for c in guardian.children)
    if not intact:
        return
    by_pid = {g.personne_id: g for g in file.guardians}
    first_of, legal_of = {}, {}
    for person in generated:  # a PERSONNE_ID written twice: the links of both go to the first
        first_of.setdefault(collapse(person.personne_id), person)
        legal_of.setdefault(collapse(person.personne_id), []).extend(
            e for e, resp in person.links if resp in ("1", "2") and e.isalnum())
    for pid, person in first_of.items():
        legal = legal_of[pid]
        guardian = by_pid.get(pid)
        if guardian is None:
            named = f"responsable {printable(pid, 20) or '?'} "
            assert not legal or any(where.startswith(named) for where, _r in file.problems), pid
            continue
        assert legal, pid
        assert guardian.last_name == collapse(person.last) and guardian.first_name == collapse(person.first)
        assert [c.eleve_id for c in guardian.children] == list(dict.fromkeys(legal))


# ---------------------------------------------------------------- the zip SIECLE wraps its XML in


#: Zero to three members: (name, content); a name ending in / is a folder. One name has an escape sequence.
MEMBER_NAMES = ["ElevesSansAdresses.xml", "lisezmoi.txt", "dossier/", "a.xml", "\x1b[31mrouge.xml"]


def zip_case_from(rng: random.Random) -> tuple[list[tuple[str, bytes]], int, tuple | None]:
    """(members, compression, damage one time in three)."""
    members = [(name, b'<?xml version="1.0"?><BEE_ELEVES/>' if rng.random() < 0.5 else rng.randbytes(rng.randint(0, 40)))
               for name in rng.sample(MEMBER_NAMES, rng.randint(0, 3))]
    return members, rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]), damage_from(rng, 3)


def zip_of(members: list[tuple[str, bytes]], method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members:
            archive.writestr(name, b"" if name.endswith("/") else content)
    return buffer.getvalue()


# Found by this property: a central directory asking for zip version 6.4 (two bytes damaged)
# made zipfile raise NotImplementedError, which reached the command line as a traceback.
@example([(([("ElevesSansAdresses.xml", b"")], zipfile.ZIP_STORED, (1, 402, b"\x00@")),)])
# And a deflate stream damaged by one byte let zlib.error through, another traceback.
@example([(([("ElevesSansAdresses.xml", b'<?xml version="1.0"?><BEE_ELEVES/>')], zipfile.ZIP_DEFLATED, (1, 309, b"\x00")),)])
# And a member's name length damaged to 0 made zipfile's is_dir() raise IndexError.
@example([(([("ElevesSansAdresses.xml", b'<?xml version="1.0"?><BEE_ELEVES/>')], zipfile.ZIP_STORED, (1, 733, b"\x00" * 4)),)])
# A member's name with an escape sequence was echoed raw in the refusal, to the terminal.
@example([(([("\x1b[31mrouge.xml", b"pas du XML")], zipfile.ZIP_STORED, None),)])
@parser_inputs(SEEDS.map(zip_case_from))
def test_a_zip_gives_its_one_xml_member_or_is_refused_in_french(case: tuple) -> None:
    """The one XML member, as it was put in; or a French refusal that names the members
    without their control characters, whatever the zip holds or however it is damaged."""
    drawn, method, damage = case
    data = damaged(zip_of(drawn, method), damage)
    members = [(name, content) for name, content in drawn if not name.endswith("/")]
    try:
        name, content = unzip_one_xml(data)
    except FileRefused as error:
        event("refused")
        assert _refusal_problem(error, [name for name, _content in drawn]) is None, (_refusal_problem(error), str(error))
        return
    event("read")
    assert content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    intact = zipfile.is_zipfile(io.BytesIO(data)) and [m.filename for m in zipfile.ZipFile(io.BytesIO(data)).infolist()
                                                      if not m.is_dir()] == [n for n, _c in members]
    if intact:
        assert len(members) == 1 and (name, content) == members[0]
