"""A name holds letters (of any script, with their accents), spaces, hyphens and apostrophes;
a class code letters, digits, spaces and « - _ . ». One rule for every door a name comes in
by: the school's CSV list, SIECLE's exports (pupils, guardians), staff typing a form. A bad
name is named with its line (or record) and its field, never read as markup, and the file
is refused whole: nothing is written."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from siecle_support import division_csv, families, first_year, guardians_xml, pupils_xml
from sqlalchemy import func, select

from entkiosk.domain import errors
from entkiosk.domain.classlist import check_staff_names, check_student, parse_class_list
from entkiosk.domain.name_rules import class_problem, name_problem
from entkiosk.imports import read_pupils
from entkiosk.store.models import Account

NBSP = "\u00a0"
NAME_RULE = "non permis (lettres, espaces, traits d'union et apostrophes seulement)"
CLASS_RULE = f"non permis (lettres, chiffres, espaces, «{NBSP}-{NBSP}», «{NBSP}_{NBSP}» et «{NBSP}.{NBSP}» seulement)"
STAFF_PASSWORD = "Prof2martin2026"


def refusal(field: str, char: str, rule: str = NAME_RULE) -> str:
    return f"{field}{NBSP}: caractère «{NBSP}{char}{NBSP}» {rule}"


def sentence(reason: str) -> str:
    """A reason as a form shows it under its field."""
    return reason[:1].upper() + reason[1:] + "."


def accounts(service) -> int:
    with service.engine.connect() as c:
        return c.scalar(select(func.count()).select_from(Account))


# ------------------------------------------------------------ the rule


DECOMPOSED = unicodedata.normalize("NFD", "Zoé")


@pytest.mark.parametrize("name", [
    "Zoé", "N'Diaye", "Jean-Baptiste", "Çelik", "Ğülşen", "Œlenschläger", "Strauß", "O’Brien", "Nguyễn Văn",
    "Мирослава", "محمد", DECOMPOSED, unicodedata.normalize("NFD", "Nguyễn"), "Jean\u2011Pierre", "Le\u2010Goff",
])
def test_names_of_every_script_are_accepted(name: str) -> None:
    assert name_problem(name, first=False) is None
    assert name_problem(name, first=True) is None


def test_a_decomposed_accent_is_a_letter_with_its_mark() -> None:
    assert DECOMPOSED != "Zoé" and len(DECOMPOSED) == 4  # « e » then U+0301
    assert name_problem("\u0301Zoe", first=True) == refusal("prénom", "U+0301")  # a mark on nothing


@pytest.mark.parametrize(("name", "shown"), [
    ("[bold red]Rouge[/]", "["), ("[@click=app.quit]Quit[/]", "["), ("Zoé2", "2"), ("a@b", "@"),
    ("<script>", "<"), ("Zo\té", "U+0009"), ("St. Jean", "."), ("Jean–Pierre", "–"), ("=HYPERLINK", "="),
    ("Zoé\u200b", "U+200B"), ("Ju\u00a0lie", "U+00A0"),
])
def test_anything_else_in_a_name_is_refused_and_named(name: str, shown: str) -> None:
    assert name_problem(name, first=False) == refusal("nom", shown)
    assert name_problem(name, first=True) == refusal("prénom", shown)


@pytest.mark.parametrize("name", ["", "   ", "-", "' ’"])
def test_a_name_holds_at_least_one_letter(name: str) -> None:
    assert name_problem(name, first=False) == f"nom{NBSP}: au moins une lettre attendue"
    assert name_problem(name, first=True) == f"prénom{NBSP}: au moins une lettre attendue"


@pytest.mark.parametrize("code", ["3A", "2NDE 4", "1G-3", "T_STMG.2", "UPE2A", "6ème B", "1ère STI2D"])
def test_class_codes_of_letters_digits_and_separators_are_accepted(code: str) -> None:
    assert class_problem(code) is None


@pytest.mark.parametrize(("code", "shown"), [
    ("[b]3A[/b]", "["), ("3A/3B", "/"), ("3A²", "²"), ("=1+1", "="), ("3\tA", "U+0009"), ("3A'", "'"),
])
def test_anything_else_in_a_class_code_is_refused_and_named(code: str, shown: str) -> None:
    assert class_problem(code) == refusal("classe", shown, CLASS_RULE)


# ------------------------------------------------------------ each reader, each form


def test_csv_class_list_names_the_line_and_the_field() -> None:
    data = ("nom;prénom;date de naissance;classe\n"
            "Baillet;Julie;14/03/2010;2nde 1\n"
            "[bold red]Rouge[/];Zoé;07/07/2010;2nde 1\n"
            "Martin;[@click=app.quit]Quit[/];05/05/2010;2nde 1\n"
            "Petit;Noah;29/02/2008;[b]3A[/b]\n"
            f"Nguyễn Văn;{DECOMPOSED};01/04/2010;T_STMG.2\n").encode()
    rows, problems = parse_class_list(data)
    assert problems == [(3, refusal("nom", "[")), (4, refusal("prénom", "[")), (5, refusal("classe", "[", CLASS_RULE))]
    assert [r.line for r in rows] == [2, 6]  # the reader names them all; the import is refused whole


def test_siecle_pupils_export_names_the_record_and_writes_nothing(service) -> None:
    pupils = first_year()[:3]
    pupils[1] = replace(pupils[1], first="[@click=app.quit]Quit[/]")  # 4102, usage name MARTIN
    pupils[2] = replace(pupils[2], division="[b]4A[/b]")
    xml = pupils_xml(pupils)
    assert read_pupils(xml).problems == [("élève 4102 (MARTIN [@click=app.quit]Quit[/])", refusal("prénom", "[")),
                                         ("élève 4103 (BAILLET Julie)", refusal("classe", "[", CLASS_RULE))]
    with pytest.raises(errors.ImportRejected):
        service.apply_update(xml, actor="cli:t")
    assert accounts(service) == 0


def test_siecle_division_csv_names_the_line_and_the_field() -> None:
    pupils = first_year()[:3]
    pupils[2] = replace(pupils[2], last="BAILLET <script>")
    file = read_pupils(division_csv(pupils, encoding="utf-8-sig"))
    assert file.format == "siecle-csv"
    assert file.problems == [(4, refusal("nom", "<"))]


def test_siecle_guardians_export_names_the_record_and_writes_nothing(service) -> None:
    preview = service.preview_class_list(pupils_xml(first_year()))
    service.import_class_list(preview.rows, actor="cli:t", uaj=preview.uaj)  # the children first
    before = accounts(service)
    people = families()
    people[1] = replace(people[1], first="a@b")  # 7002, NDIAYE Moussa
    with pytest.raises(errors.ImportRejected) as refused:
        service.apply_guardians(guardians_xml(people), mode="import", actor="cli:t")
    assert refused.value.problems == [("responsable 7002 (NDIAYE a@b)", refusal("prénom", "@"))]
    assert accounts(service) == before


def test_a_pupil_typed_by_staff_follows_the_rule_field_by_field() -> None:
    row, errs = check_student("[bold red]Rouge[/]", "Zoé2", "14/03/2010", "[b]3A[/b]")
    assert row is None
    assert errs == {"last_name": sentence(refusal("nom", "[")), "first_name": sentence(refusal("prénom", "2")),
                    "class_name": sentence(refusal("classe", "[", CLASS_RULE))}
    row, errs = check_student("Nguyễn Văn", DECOMPOSED, "14/03/2010", "UPE2A")
    assert errs == {} and row is not None


def test_staff_names_follow_the_rule_and_may_stay_empty() -> None:
    assert check_staff_names(" Zoé ", "") == ("Zoé", "", {})
    assert check_staff_names("<script>", "O’Brien")[2] == {"first_name": sentence(refusal("prénom", "<"))}


def test_the_service_refuses_a_bad_name_typed_by_staff_and_writes_nothing(service) -> None:
    with pytest.raises(errors.InvalidInput) as refused:
        service.add_staff("prof.rouge", STAFF_PASSWORD, STAFF_PASSWORD, first_name="Zoé",
                          last_name="[bold red]Rouge[/]", actor="cli:install")
    assert refused.value.errors["last_name"] == sentence(refusal("nom", "["))
    with pytest.raises(errors.InvalidInput) as refused:
        service.add_student(last_name="Baillet", first_name="Julie", birth_date="14/03/2010",
                            class_name="[@click=app.quit]3A", actor="cli:install")
    assert refused.value.errors == {"class_name": sentence(refusal("classe", "[", CLASS_RULE))}
    assert accounts(service) == 0
