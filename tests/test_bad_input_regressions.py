"""Bad input the property-based suite (test_properties_service.py) found crashing, each
kept as a plain example: a DomainError in French (or a quiet no-op), never another
exception, and nothing written."""

from __future__ import annotations

import pytest
from conftest import activate

from entkiosk.domain import errors

# A valid-looking token behind Unicode spaces: strip() lets it through the format check,
# then hashing it as ASCII crashed.
PADDED_TOKEN = "\u2003" + "A" * 43


@pytest.mark.parametrize("token", ["\xa0", "é", "\ud800", PADDED_TOKEN])
def test_a_non_ascii_token_is_simply_no_session(service, letter, token):
    live = activate(service, letter)
    service.logout(token)  # nothing to end
    for call in (service.account, service.decline_charter, service.close_kiosk, service.staff_member):
        with pytest.raises(errors.SessionExpired):
            call(token)
    with pytest.raises(errors.SessionExpired):
        service.validate_email("K7QF-2M9X", token=token)
    assert service.account(live).identifier == letter.identifier  # the real session is untouched


def _counts(service):
    from sqlalchemy import func, select

    from entkiosk.store.models import Base

    with service.engine.connect() as c:
        return {t.name: c.execute(select(func.count()).select_from(t)).scalar() for t in Base.metadata.sorted_tables}


SAFE_REFUSAL = "Ces informations ne peuvent pas être enregistrées : vérifiez-les et recommencez."


def test_text_no_database_can_hold_is_refused_in_french(service, letter):
    """A lone surrogate (what Python makes of undecodable bytes) in a name, a class or the
    staff member's name: the driver refused it with UnicodeEncodeError, a traceback."""
    before = _counts(service)
    calls = [
        lambda: service.class_students("\ud800"),
        lambda: service.force_password_change(class_name="\ud800", actor="cli:prof"),
        lambda: service.issue_letters(class_name="\ud800", actor="cli:prof"),
        lambda: service.unlock(letter.identifier, actor="\udcff"),
    ]
    for call in calls:
        with pytest.raises(errors.DomainError) as refused:
            call()
        assert str(refused.value) == SAFE_REFUSAL
    # A staff member's names are checked before anything is stored (issue 19): the field is named.
    with pytest.raises(errors.InvalidInput) as refused:
        service.add_staff("prof.x", "Correct horse 9 battery", "Correct horse 9 battery",
                          first_name="\ud800", actor="cli:prof")
    assert refused.value.errors["first_name"] == "Prénom\u00a0: caractère de contrôle interdit."
    assert _counts(service) == before


@pytest.mark.parametrize("typed", ["\t", "\x1b[2J", "2nde\u00857", "x" * 10_000])
def test_an_unknown_class_is_named_safely_in_the_refusal(service, letter, typed):
    """The class typed was echoed as is: control characters (an escape sequence for the
    terminal) and 10,000 characters in the message shown on screen."""
    for call in (lambda: service.force_password_change(class_name=typed, actor="cli:prof"),
                 lambda: service.issue_letters(class_name=typed, actor="cli:prof")):
        with pytest.raises(errors.NotFound) as refused:
            call()
        message = str(refused.value)
        assert message.startswith("Aucun élève dans la classe « ") and len(message) < 100
        assert not any(c in message for c in "\t\x1b\x85")


@pytest.mark.parametrize("text", ['[""]\n', '"" = 1\n', '[kiosk]\n"" = "x"\n'])
def test_an_empty_key_in_the_config_is_refused_in_french(tmp_path, text):
    """msgspec's « Object contains unknown field `` » came out in English."""
    from entkiosk.config import ConfigError, load_settings

    path = tmp_path / "kiosk.conf"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert str(refused.value).startswith(f"{path} : clé inconnue « ")
    assert "field" not in str(refused.value)


@pytest.mark.parametrize("text", ['[establishment]\ntimezone = "Europe/\\u001b[31mParis"\n',
                                  '[mail]\nsender_address = "a\\u0007@x.fr"\n',
                                  '[establishment]\ntimezone = "a\\u0000b"\n'])
def test_config_errors_echo_no_control_character(tmp_path, text):
    """A value echoed in a configuration error carried its control characters (ESC, BEL,
    NUL) to the terminal where the error is printed."""
    import tomllib

    from entkiosk.config import ConfigError, load_settings

    tomllib.loads(text)  # valid TOML: the values carry the control characters
    path = tmp_path / "kiosk.conf"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    message = str(refused.value)
    assert message.startswith(f"{path} : clé « ") and "?" in message
    assert not any(c in message for c in "\x1b\x07\x00")


@pytest.mark.parametrize("name", ["a\x00b", "\ud800.txt"])
def test_a_letter_template_name_no_file_can_have_is_a_config_error(name):
    """letters.template with a NUL or a lone surrogate (both valid TOML) raised ValueError /
    UnicodeEncodeError out of settings_from_dict instead of a ConfigError."""
    from entkiosk.config import ConfigError, settings_from_dict

    with pytest.raises(ConfigError) as refused:
        settings_from_dict({"letters": {"template": name}}, source="kiosk.conf")
    assert str(refused.value).startswith("kiosk.conf : clé « letters.template » : le modèle ")
    assert "nom de fichier invalide" in str(refused.value)


def test_a_config_key_with_a_line_break_is_refused_in_french_on_one_line(tmp_path):
    """Found by the "long" profile: msgspec's English message for a key holding a newline."""
    from entkiosk.config import ConfigError, load_settings

    path = tmp_path / "kiosk.conf"
    path.write_text('["a\\nb"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert str(refused.value) == f"{path} : clé inconnue « a?b »."


def test_a_config_key_that_looks_like_msgspec_s_path_marker_is_still_named_in_french(tmp_path):
    """Found by the "long" profile: a key holding « - at `$ » cut msgspec's message in the wrong place."""
    from entkiosk.config import ConfigError, load_settings

    path = tmp_path / "kiosk.conf"
    path.write_text('[accounts]\n" - at `$" = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert str(refused.value) == f"{path} : clé inconnue « accounts. - at `$ »."


def test_a_malformed_csv_line_is_explained_in_french():
    """Found by the "long" profile: the csv module's English reason (« ';' expected after '"' »)
    was shown as is."""
    from entkiosk.domain.classlist import parse_class_list

    rows, problems = parse_class_list(b'"a"b;Julie;14/03/2010;2nde 1\n')
    assert rows == [] and problems == [(1, "ligne CSV mal formée (guillemet mal fermé ou caractère interdit)")]
