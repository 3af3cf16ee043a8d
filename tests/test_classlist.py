"""parse_class_list: bytes of a CSV class list in, checked rows and numbered problems out."""

from __future__ import annotations

from datetime import date

import pytest

from entkiosk.domain.classlist import MAX_CLASS, MAX_NAME, StudentRow, parse_birth_date, parse_class_list

TODAY = date(2026, 9, 1)
HEADER = "nom;prénom;date de naissance;classe\n"


def parse(text: str | bytes, today: date = TODAY):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_class_list(data, today=today)


def only_problem(text: str | bytes) -> tuple[int, str]:
    rows, problems = parse(text)
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------ accepted shapes


def test_semicolon_file_with_header_gives_rows_with_physical_lines():
    rows, problems = parse(HEADER + "Baillet;Julie;14/03/2010;2nde 1\nN'Diaye;Zoé;07/07/2010;2nde 2\n")
    assert problems == []
    assert rows == [
        StudentRow(2, "Baillet", "Julie", date(2010, 3, 14), "2nde 1"),
        StudentRow(3, "N'Diaye", "Zoé", date(2010, 7, 7), "2nde 2"),
    ]


def test_comma_delimiter_is_detected():
    rows, problems = parse("nom,prénom,date de naissance,classe\nBaillet,Julie,14/03/2010,2nde 1\n")
    assert problems == []
    assert [(r.line, r.last_name, r.first_name, r.class_name) for r in rows] == [(2, "Baillet", "Julie", "2nde 1")]


def test_semicolon_file_with_a_comma_inside_a_field_is_still_read_by_semicolons():
    """The comma does not make it a comma-separated file (« 5 colonnes »): the name is read
    whole, and refused for its comma, which no name holds."""
    line, reason = only_problem(HEADER + "Dupont, dit Moreau;Julie;14/03/2010;2nde 1\n")
    assert (line, reason) == (2, "nom\u00a0: caractère «\u00a0,\u00a0» non permis (lettres, espaces, traits d'union "
                                 "et apostrophes seulement)")


def test_utf8_with_bom_and_crlf():
    data = ("\ufeff" + HEADER + "Œuvray;Gaëtan;12/12/2009;2nde 1\n").replace("\n", "\r\n").encode("utf-8")
    rows, problems = parse(data)
    assert problems == []
    assert [(r.line, r.last_name, r.first_name) for r in rows] == [(2, "Œuvray", "Gaëtan")]


def test_utf8_bom_without_header():
    rows, problems = parse("\ufeffBaillet;Julie;14/03/2010;2nde 1\n".encode())
    assert problems == []
    assert rows[0].last_name == "Baillet" and rows[0].line == 1


def test_header_line_is_optional():
    rows, problems = parse("Baillet;Julie;14/03/2010;2nde 1\nMartin;Lucas;05/05/2010;2nde 1\n")
    assert problems == []
    assert [r.line for r in rows] == [1, 2]


@pytest.mark.parametrize("header", ["NOM;Prénom;Naissance;Classe", "Nom de famille;prénom;date;classe",
                                    "last name;first name;birth date;class"])
def test_header_variants_are_recognised(header):
    rows, problems = parse(header + "\nBaillet;Julie;14/03/2010;2nde 1\n")
    assert problems == []
    assert [r.line for r in rows] == [2]


def test_blank_lines_are_skipped_but_still_counted():
    rows, problems = parse("\n" + HEADER + "\nBaillet;Julie;14/03/2010;2nde 1\n;;;\n   \n Martin ;Lucas;05/05/2010;2nde 1\n\n")
    assert problems == []
    # 1 blank, 2 header, 3 blank, 4 Baillet, 5 ";;;", 6 spaces, 7 Martin
    assert [(r.line, r.last_name) for r in rows] == [(4, "Baillet"), (7, "Martin")]


def test_cells_are_trimmed_and_inner_spaces_collapsed():
    rows, problems = parse(HEADER + "  Lefèvre ;  Jean   Pierre ; 21/01/2010 ;  2nde   1 \n")
    assert problems == []
    assert rows[0] == StudentRow(2, "Lefèvre", "Jean Pierre", date(2010, 1, 21), "2nde 1")


def test_quoted_fields_are_understood():
    rows, problems = parse(HEADER + '"Baillet";"Julie";"14/03/2010";"2nde 1"\n')
    assert problems == []
    assert rows[0].last_name == "Baillet"


def test_short_day_and_month_are_accepted():
    rows, problems = parse(HEADER + "Baillet;Julie;1/2/2010;2nde 1\n")
    assert problems == []
    assert rows[0].birth_date == date(2010, 2, 1)


def test_the_shipped_example_parses():
    from pathlib import Path

    import entkiosk

    example = Path(entkiosk.__file__).parent / "data" / "classe-exemple.csv"
    if not example.is_file():
        pytest.skip(f"{example} does not exist (yet)")
    rows, problems = parse_class_list(example.read_bytes(), today=TODAY)
    assert problems == []
    assert len(rows) == 10
    assert rows[0].line == 2


# ------------------------------------------------------------ encoding


def test_cp1252_file_is_refused_naming_the_line_and_utf8():
    data = (HEADER.replace("é", "e") + "Baillet;Julie;14/03/2010;2nde 1\nŒuvray;Gaëtan;12/12/2009;2nde 1\n").encode("cp1252")
    rows, problems = parse(data)
    assert rows == []
    assert len(problems) == 1
    line, reason = problems[0]
    assert line == 3
    assert "UTF-8" in reason


def test_latin1_header_is_refused_at_line_1():
    rows, problems = parse((HEADER + "Baillet;Julie;14/03/2010;2nde 1\n").encode("latin-1"))
    assert rows == [] and problems[0][0] == 1 and "UTF-8" in problems[0][1]


def test_nul_byte_is_refused_naming_its_line():
    line, reason = only_problem(HEADER + "Baillet;Julie;14/03/2010;2nde 1\nMar\x00tin;Lucas;05/05/2010;2nde 1\n")
    assert line == 3 and "caractère nul" in reason


@pytest.mark.parametrize("data", [b"", b"\n\n", HEADER.encode(), "\ufeff".encode() + HEADER.encode()])
def test_file_without_students_is_refused(data):
    rows, problems = parse(data)
    assert rows == []
    assert problems == [(1, "le fichier ne contient aucun élève")]


# ------------------------------------------------------------ bad rows


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Baillet;Julie;14/03/2010", "3 colonne(s) au lieu de 4"),
        ("Baillet;Julie;14/03/2010;2nde 1;en trop", "5 colonne(s) au lieu de 4"),
        ("Baillet Julie 14/03/2010 2nde 1", "1 colonne(s) au lieu de 4"),
    ],
)
def test_wrong_column_count(row, expected):
    line, reason = only_problem(HEADER + "Martin;Lucas;05/05/2010;2nde 1\n" + row + "\n")
    assert line == 3
    assert expected in reason


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (";Julie;14/03/2010;2nde 1", "nom manquant"),
        ("   ;Julie;14/03/2010;2nde 1", "nom manquant"),
        ("Baillet;;14/03/2010;2nde 1", "prénom manquant"),
        ("Baillet;Julie;14/03/2010;", "classe manquante"),
    ],
)
def test_missing_fields(row, expected):
    assert only_problem(HEADER + row + "\n") == (2, expected)


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("31/02/2010", "la date de naissance « 31/02/2010 » n'existe pas"),
        ("2010-03-14", "date de naissance « 2010-03-14 » invalide (attendu JJ/MM/AAAA)"),
        ("", "date de naissance « » invalide (attendu JJ/MM/AAAA)"),
        ("14/03/10", "invalide (attendu JJ/MM/AAAA)"),
        ("14.03.2010", "invalide"),
        ("01/01/1899", "date de naissance « 01/01/1899 » impossible"),
    ],
)
def test_bad_birth_dates(born, expected):
    line, reason = only_problem(HEADER + "Martin;Lucas;05/05/2010;2nde 1\n" + f"Baillet;Julie;{born};2nde 1\n")
    assert line == 3
    assert expected in reason.replace("«  »", "« »")


def test_future_birth_date_is_impossible_but_today_is_not():
    rows, problems = parse(HEADER + "Baillet;Julie;02/09/2026;2nde 1\nMartin;Lucas;01/09/2026;2nde 1\n")
    assert problems == [(2, "date de naissance « 02/09/2026 » impossible")]
    assert [r.last_name for r in rows] == ["Martin"]


def test_future_date_without_today_is_not_checked():
    rows, problems = parse_class_list(b"Baillet;Julie;01/01/2999;2nde 1\n")
    assert problems == [] and rows[0].birth_date.year == 2999


def test_parse_birth_date_messages():
    assert parse_birth_date(" 14/03/2010 ") == date(2010, 3, 14)
    with pytest.raises(ValueError, match="n.existe pas"):
        parse_birth_date("29/02/2010")
    assert parse_birth_date("29/02/2008") == date(2008, 2, 29)
    with pytest.raises(ValueError, match="impossible"):
        parse_birth_date("02/09/2026", today=TODAY)


def test_control_characters_are_not_echoed_in_date_messages():
    line, reason = only_problem(HEADER + "Baillet;Julie;14/03\x1b[31m/2010;2nde 1\n")
    assert line == 2
    assert "\x1b" not in reason and ("?" in reason or "contrôle" in reason)


def test_duplicate_row_names_both_lines():
    rows, problems = parse(HEADER + "Baillet;Julie;14/03/2010;2nde 1\nMartin;Lucas;05/05/2010;2nde 1\n"
                                    "BAILLET;julie;14/03/2010;2nde 2\n")
    assert problems == [(4, "élève en double (déjà à la ligne 2)")]
    assert [r.line for r in rows] == [2, 3]


def test_homonyms_with_other_birth_dates_are_not_duplicates():
    rows, problems = parse(HEADER + "Baillet;Julie;14/03/2010;2nde 1\nBaillet;Julie;02/11/2009;2nde 1\n")
    assert problems == []
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Bai\x07llet;Julie;14/03/2010;2nde 1", "nom : caractère de contrôle interdit"),
        ("Baillet;Ju\x1blie;14/03/2010;2nde 1", "prénom : caractère de contrôle interdit"),
        ("Baillet;Julie;14/03/2010;2nde\x7f1", "classe : caractère de contrôle interdit"),
        ("Baillet;Ju\u200elie;14/03/2010;2nde 1", "prénom : caractère de contrôle interdit"),
    ],
)
def test_control_characters_are_refused(row, expected):
    assert only_problem(HEADER + row + "\n") == (2, expected)


@pytest.mark.parametrize("char", ["\x1f", "\x0b", "\x85"])
def test_whitespace_like_control_characters_are_refused(char):
    line, reason = only_problem(HEADER + f"Ba{char}illet;Julie;14/03/2010;2nde 1\n")
    assert line == 2 and "caractère de contrôle" in reason


def test_over_long_fields():
    ok_name, long_name = "x" * MAX_NAME, "x" * (MAX_NAME + 1)
    long_class = "c" * (MAX_CLASS + 1)
    rows, problems = parse(HEADER + f"{ok_name};Julie;14/03/2010;2nde 1\n{long_name};Julie;14/03/2010;2nde 1\n"
                                    f"Baillet;{long_name};14/03/2010;2nde 1\nBaillet;Julie;14/03/2010;{long_class}\n")
    assert problems == [
        (3, f"nom trop long ({MAX_NAME + 1} caractères, {MAX_NAME} au plus)"),
        (4, f"prénom trop long ({MAX_NAME + 1} caractères, {MAX_NAME} au plus)"),
        (5, f"classe trop long ({MAX_CLASS + 1} caractères, {MAX_CLASS} au plus)"),
    ]
    assert [r.line for r in rows] == [2]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("李;Julie;14/03/2010;2nde 1", "le nom ne contient aucune lettre utilisable pour l'identifiant"),
        ("Baillet;Ωμέγα;14/03/2010;2nde 1", "le prénom ne contient aucune lettre utilisable pour l'identifiant"),
        ("---;Julie;14/03/2010;2nde 1", "nom\u00a0: au moins une lettre attendue"),
    ],
)
def test_name_without_latin_letter(row, expected):
    assert only_problem(HEADER + row + "\n") == (2, expected)


def test_malformed_csv_quote_names_its_line():
    line, reason = only_problem(HEADER + "Martin;Lucas;05/05/2010;2nde 1\n" + '"Bai"llet;Julie;14/03/2010;2nde 1\n')
    assert line == 3
    assert "ligne CSV mal formée" in reason


def test_every_problem_names_its_physical_line_and_good_rows_are_kept():
    text = (
        HEADER                                     # 1
        + "Baillet;Julie;14/03/2010;2nde 1\n"      # 2 ok
        + "\n"                                     # 3 blank
        + "Martin;Lucas;31/02/2010;2nde 1\n"       # 4 bad date
        + ";Inès;18/08/2010;2nde 1\n"              # 5 no name
        + "Petit;Noah;29/02/2008;2nde 1\n"         # 6 ok
        + "Durand;Léa;01/04/2010\n"                # 7 columns
        + "baillet;JULIE;14/03/2010;2nde 2\n"      # 8 duplicate of 2
        + "Bernard;Inès;18/08/2030;2nde 1\n"       # 9 future
    )
    rows, problems = parse(text)
    assert [line for line, _ in problems] == [4, 5, 7, 8, 9]
    assert all(isinstance(reason, str) and reason for _, reason in problems)
    assert [r.line for r in rows] == [2, 6]
