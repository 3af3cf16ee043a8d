"""Identifiers ``prenom.nom`` (folding, homonyms) and the password policy."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import student
from sqlalchemy import select

from entkiosk.domain import errors
from entkiosk.domain.identifiers import base_identifier, fold, next_free, normalize_login
from entkiosk.domain.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PROVISIONAL_DIGITS,
    PROVISIONAL_LENGTH,
    PROVISIONAL_LETTERS,
    common_passwords,
    policy_problem,
    provisional_password,
)
from entkiosk.store.models import Account

# ------------------------------------------------------------ fold / base_identifier


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Zoé", "N'Diaye", "zoe.n-diaye"),
        ("Gaëtan", "Œuvray", "gaetan.oeuvray"),
        ("Jean Pierre", "Lefèvre", "jean-pierre.lefevre"),
        ("Chloé", "Dupont-Moreau", "chloe.dupont-moreau"),
        ("Léa", "Strauß", "lea.strauss"),
        ("Æsa", "Cœur", "aesa.coeur"),
        ("Sofia", "Oﬃcier", "sofia.officier"),  # the "ffi" ligature
        ("Seán", "O’Brien", "sean.o-brien"),  # typographic apostrophe
        ("Ines", "D`Arc", "ines.d-arc"),
        ("Łukasz", "Ørsted", "lukasz.orsted"),
        ("Björk", "Núñez", "bjork.nunez"),
        ("LUCAS", "MARTIN", "lucas.martin"),
        ("Marie Ève", "de la Tour d'Auvergne", "marie-eve.de-la-tour-d-auvergne"),
    ],
)
def test_base_identifier_folds_accents_ligatures_and_separators(first, last, expected):
    assert base_identifier(first, last) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("  Jean  --  Pierre ", "jean-pierre"),
        ("Jean - ' Pierre", "jean-pierre"),
        ("Jean__Pierre", "jean-pierre"),
        ("Jean..Pierre", "jean-pierre"),
        ("--Jean--", "jean"),
        ("'Ahmed'", "ahmed"),
        ("Jean\tPierre", "jean-pierre"),
    ],
)
def test_fold_collapses_repeated_separators_and_trims_them(name, expected):
    assert fold(name) == expected


def test_fold_drops_characters_that_are_not_letters_digits_or_separators():
    assert fold("Dupont (Moreau)!") == "dupont-moreau"
    assert fold("Anne/Sophie") == "annesophie"


def test_fold_output_is_lowercase_ascii_only():
    folded = fold("ÀÉÎÕÜ Ÿ ÇÑ ĞŞ")
    assert folded == "aeiou-y-cn-gs"
    assert folded.isascii() and folded == folded.lower()


def test_each_part_is_bounded_to_30_characters():
    ident = base_identifier("Marie-Anne-Sophie-Charlotte-Eugénie", "Baillet")
    first = ident.split(".")[0]
    assert len(first) <= 30 and not first.endswith("-")
    assert first.startswith("marie-anne-sophie-charlotte")


@pytest.mark.parametrize("name", ["李", "Ωμέγα", "Иван", "---", "'", "", "   ", "١٢٣"])
def test_last_name_without_latin_letter_raises_french_value_error(name):
    with pytest.raises(ValueError, match="le nom ne contient aucune lettre utilisable pour l'identifiant"):
        base_identifier("Julie", name)


@pytest.mark.parametrize("name", ["李", "Ωμέγα", "---"])
def test_first_name_without_latin_letter_raises_french_value_error(name):
    with pytest.raises(ValueError, match="le prénom ne contient aucune lettre utilisable"):
        base_identifier(name, "Baillet")


def test_name_made_of_digits_only_has_no_letter():
    with pytest.raises(ValueError, match="aucune lettre"):
        base_identifier("Julie", "1234")


def test_normalize_login_trims_and_lowercases():
    assert normalize_login("  Julie.BAILLET1 \n") == "julie.baillet1"


# ------------------------------------------------------------ next_free (homonyms)


def test_next_free_returns_base_when_free():
    assert next_free("julie.baillet", set()) == "julie.baillet"


def test_next_free_numbers_homonyms_from_1():
    taken: set[str] = set()
    got = []
    for _ in range(3):
        ident = next_free("julie.baillet", taken)
        taken.add(ident)
        got.append(ident)
    assert got == ["julie.baillet", "julie.baillet1", "julie.baillet2"]


def test_next_free_fills_the_first_gap():
    assert next_free("julie.baillet", {"julie.baillet", "julie.baillet2"}) == "julie.baillet1"
    assert next_free("julie.baillet", ["julie.baillet", "julie.baillet1", "julie.baillet3"]) == "julie.baillet2"


def test_next_free_accepts_a_predicate():
    taken = {"julie.baillet", "julie.baillet1"}
    assert next_free("julie.baillet", taken.__contains__) == "julie.baillet2"


def test_next_free_ignores_names_that_only_share_a_prefix():
    assert next_free("julie.baillet", {"julie.bailletx", "julie.baillet1"}) == "julie.baillet"


# ------------------------------------------------------------ homonyms through the service (both backends)


def _identifiers(service) -> list[str]:
    with service.core.tx() as s:
        return sorted(s.scalars(select(Account.identifier)))


def test_import_of_three_homonyms_numbers_them(service):
    rows = [student(born=date(2010, 3, 14), line=2), student(born=date(2009, 11, 2), line=3),
            student(born=date(2010, 7, 7), line=4)]
    letters = service.import_class_list(rows, actor="cli:test")
    assert [letter.identifier for letter in letters] == ["julie.baillet", "julie.baillet1", "julie.baillet2"]
    assert _identifiers(service) == ["julie.baillet", "julie.baillet1", "julie.baillet2"]


def test_homonyms_across_imports_and_spellings(service):
    first = service.import_class_list([student("Julie", "Baillet", date(2010, 3, 14))], actor="cli:t")
    second = service.import_class_list([student("julie", "baillet", date(2009, 1, 5))], actor="cli:t")
    third = service.import_class_list([student("Julie", "Bâillet", date(2010, 3, 15))], actor="cli:t")
    assert [first[0].identifier, second[0].identifier, third[0].identifier] == [
        "julie.baillet", "julie.baillet1", "julie.baillet2"]
    assert third[0].last_name == "Bâillet"  # the letter keeps the name as written
    # Same names but for an accent, and the same birth date: the same student typed twice.
    with pytest.raises(errors.ImportRejected, match="déjà inscrit"):
        service.import_class_list([student("Julie", "Bâillet", date(2010, 3, 14))], actor="cli:t")


def test_identifier_sharing_only_a_prefix_is_not_a_homonym(service):
    [x] = service.import_class_list([student("Julie", "Bailletx")], actor="cli:t")
    assert x.identifier == "julie.bailletx"
    [julie] = service.import_class_list([student("Julie", "Baillet", date(2011, 1, 1))], actor="cli:t")
    assert julie.identifier == "julie.baillet"


def test_homonym_skips_identifier_held_by_staff_and_fills_gap(service):
    service.add_staff("julie.baillet1", "Prof2martin2026", "Prof2martin2026", actor="cli:t")
    a, b, c = service.import_class_list(
        [student(born=date(2010, 1, 1)), student(born=date(2010, 1, 2)), student(born=date(2010, 1, 3))], actor="cli:t")
    assert [a.identifier, b.identifier, c.identifier] == ["julie.baillet", "julie.baillet2", "julie.baillet3"]


def test_purged_homonym_frees_its_number(service, clock):
    from datetime import UTC, datetime

    old = service.import_class_list([student(born=date(2010, 1, 1))], actor="cli:t")[0]
    clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    service.import_class_list([student(born=date(2010, 1, 2))], actor="cli:t")
    clock.set(datetime(2026, 12, 15, tzinfo=UTC))
    assert service.purge_expired(actor="cli:t") == [old.identifier]
    [again] = service.import_class_list([student(born=date(2010, 1, 3))], actor="cli:t")
    assert again.identifier == "julie.baillet"
    assert _identifiers(service) == ["julie.baillet", "julie.baillet1"]


# ------------------------------------------------------------ password policy


def test_policy_bounds_are_the_guide_ones():
    assert (MIN_LENGTH, MAX_LENGTH) == (8, 14)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Bxkdqf1", "trop court : 8 caractères minimum"),  # 7
        ("Bxkdqfg1", None),  # 8
        ("Bxkdqfghijkl1x", None),  # 14
        ("Bxkdqfghijkl1x2", "trop long : 14 caractères maximum"),  # 15
        ("", "trop court"),
    ],
)
def test_policy_length_boundaries(password, expected):
    problem = policy_problem(password)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_policy_needs_a_digit_and_a_letter():
    assert "au moins un chiffre" in policy_problem("Bxkdqfghij")
    assert "au moins une lettre" in policy_problem("12345678")
    assert "au moins une lettre" in policy_problem("1234-5678")
    assert policy_problem("1234567x") is None


@pytest.mark.parametrize("password", ["azerty123", "AZERTY123", "Azerty123", "soleil123", "SOLEIL123", "motdepasse1"])
def test_policy_blocklist_is_case_insensitive(password):
    assert password.casefold() in common_passwords()
    assert policy_problem(password) == "Ce mot de passe est trop courant : choisissez-en un autre."


def test_blocklist_is_loaded_and_lowercase():
    words = common_passwords()
    assert len(words) > 100
    assert all(w == w.casefold() for w in words)


@pytest.mark.parametrize("password", ["Abcd\tefg1", "Abcdefg1\x00", "Abcdefg1\x7f", "Abcdefg1\u200b", "Abcd\nefg1"])
def test_policy_refuses_non_printable_characters(password):
    assert policy_problem(password) == "Le mot de passe contient un caractère non imprimable."


@pytest.mark.parametrize("password", ["Élève2026x", "Мария2026", "Zoé N'Diaye1", "Çàéèùœ12"])
def test_policy_allows_unicode_letters_and_spaces(password):
    assert password.casefold() not in common_passwords()
    assert policy_problem(password) is None


def test_policy_counts_characters_not_bytes():
    password = "éééééééééééé12"  # 14 characters, 26 bytes in UTF-8
    assert len(password.encode()) > MAX_LENGTH
    assert policy_problem(password) is None


def test_policy_refuses_the_identifier_case_insensitively():
    assert policy_problem("Alice2.Martin3", identifier="alice2.martin3") == (
        "Le mot de passe ne doit pas être votre identifiant.")
    # Another identifier's words are no one's: a near copy of one's own is refused for being it.
    assert policy_problem("Alice2.Martin3", identifier="paul.petit") is None
    assert policy_problem("Alice2.Martin3", identifier="alice2.martin4") == (
        "Ce mot de passe reprend votre nom, votre identifiant ou votre date de naissance\u00a0: choisissez-en un autre.")


def test_policy_messages_are_french_and_never_echo_the_password():
    for password in ("Bxkdqf1", "Bxkdqfghijkl1x2", "Bxkdqfghij", "azerty123", "Abcd\tefg1"):
        problem = policy_problem(password)
        assert problem and problem.startswith(("Le mot de passe", "Ce mot de passe"))
        assert password not in problem


def test_provisional_passwords_follow_their_alphabet():
    alphabet = set(PROVISIONAL_LETTERS + PROVISIONAL_DIGITS)
    assert not alphabet & set("0Oo1lI")
    samples = [provisional_password() for _ in range(200)]
    for p in samples:
        assert len(p) == PROVISIONAL_LENGTH == 8
        assert set(p) <= alphabet
        assert any(c in PROVISIONAL_DIGITS for c in p)
        assert any(c in PROVISIONAL_LETTERS for c in p)
        assert policy_problem(p) is None or "trop courant" in policy_problem(p)
    assert len(set(samples)) == 200
    # Over 1600 characters every symbol of the alphabet shows up.
    assert set("".join(samples)) == alphabet
