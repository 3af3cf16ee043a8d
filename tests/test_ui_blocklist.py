"""PREMIÈRE CONNEXION refuses a password made of the pupil's name and birth year, and
says why under the field (issue 19, point 1; the probe « Matheo2010 »)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import student
from test_blocklist import COMMON, PERSONAL
from test_ui_activation import fill_first_connection, log_in, to_login
from ui_support import field_error, kiosk, screen_text, shows, value

from entkiosk.domain.passwords import common_passwords
from entkiosk.ui.screens.first_connection import FirstConnectionScreen


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The pilot test drives the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


async def test_the_kiosk_says_why_under_the_field_and_reads_the_list_only_when_needed(settings, service, tmp_path):
    """PREMIÈRE CONNEXION: « Matheo2010 » for Mathéo born in 2010 is refused under
    « nouveau mot de passe » in one sentence that does not show it. The kiosk starts
    without reading the blocklist, and this refusal does not need it either."""
    letter = service.import_class_list([student("Mathéo", "Dupont", date(2010, 5, 3))], actor="cli:t")[0]
    common_passwords.cache_clear()
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        assert common_passwords.cache_info().currsize == 0  # the accueil came up without it
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        await fill_first_connection(app, pilot, born="03052010", password="Matheo2010")
        assert isinstance(app.screen, FirstConnectionScreen)
        assert field_error(app, "new_password") == PERSONAL
        assert shows(app, PERSONAL)
        assert "Matheo2010" not in screen_text(app) and value(app, "new_password") == ""
        assert common_passwords.cache_info().currsize == 0
        await fill_first_connection(app, pilot, born=None, password="azerty2010", email=None)
        assert field_error(app, "new_password") == COMMON
        assert common_passwords.cache_info().currsize == 1
