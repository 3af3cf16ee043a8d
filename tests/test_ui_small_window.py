"""80×24 and smaller: the tables fit 80 columns, and a smaller terminal shows one clear screen.

Below 80×24 every screen is covered by « Agrandissez la fenêtre : 80 colonnes et 24
lignes au minimum » (with the non-breaking spaces of French typography), the keys
typed meanwhile reach nothing, and the screen underneath comes back as it was when
the terminal is large enough: what was typed, the focus. The idle timeout goes on
all the while. The console's tables, with long names and a class of 29, show every
column at 80×24: the widest cells give way (« … »), never the last column.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate
from test_ui_console import FORTY, STAFF, STAFF_PASSWORD, lock_out, open_console, seed_class
from test_ui_kiosk import log_in, to_login, typed_anywhere
from textual.widgets import DataTable
from ui_support import IdleClock, kiosk, screen_text, settle, shows, submit, tab_to, type_text, value

from entkiosk.config import Settings
from entkiosk.domain.errors import SessionExpired
from entkiosk.service import AccountService, IssuedLetter
from entkiosk.ui.app import IDLE_WARNING
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.idle import IdleWarning
from entkiosk.ui.screens.live_session import LiveSessionScreen
from entkiosk.ui.screens.login import LoginScreen
from entkiosk.ui.screens.portal import PortalScreen
from entkiosk.ui.screens.profile import ProfileScreen
from entkiosk.ui.screens.staff_class import ClassScreen
from entkiosk.ui.screens.staff_import import ImportScreen
from entkiosk.ui.screens.welcome import WelcomeScreen
from entkiosk.ui.widgets.too_small import ENLARGE

NBSP = "\u00a0"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Pilot tests drive the screens: one database engine is enough (SQLite)."""
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


def covered(app) -> bool:
    """The terminal shows the notice and nothing of the screen under it (no footer either)."""
    text = screen_text(app)
    return shows(app, ENLARGE) and "Entrée" not in text and "Tab" not in text and "SCOLARITÉ" not in text


def test_the_notice_is_written_as_a_french_school_writes() -> None:
    assert ENLARGE == (f"Agrandissez la fenêtre{NBSP}: 80{NBSP}colonnes et 24{NBSP}lignes au minimum")


# ------------------------------------------------------------------ a form, shrunk and grown again


@pytest.mark.parametrize("small", [(79, 24), (80, 23), (50, 16)], ids=["79x24", "80x23", "50x16"])
async def test_a_shrunk_form_is_covered_then_back_as_it_was(settings: Settings, service: AccountService,
                                                            letter: IssuedLetter, tmp_path: Path,
                                                            small: tuple[int, int]) -> None:
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await to_login(app, pilot)
        await tab_to(app, pilot, "identifier")
        await type_text(pilot, letter.identifier)
        await pilot.press("tab")
        await type_text(pilot, "Velo")
        assert not covered(app)

        await pilot.resize_terminal(*small)
        await settle(app, pilot)
        assert covered(app)
        assert shows(app, f"La fenêtre mesure actuellement {small[0]} colonnes et {small[1]} lignes.")

        # Keys typed blind reach nothing: no letter, no Tab, no VALIDER, no Échap.
        await type_text(pilot, "zz")
        await pilot.press("tab", "backspace", "ctrl+u", "enter", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen) and app.session is None
        assert covered(app)

        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert not covered(app)
        assert shows(app, "votre identifiant") and shows(app, "Entrée Valider")
        assert value(app, "identifier") == letter.identifier and value(app, "password") == "Velo"
        assert app.focused.id == "password"
        assert not shows(app, "Saisissez votre")  # nothing was sent meanwhile

        # Typing goes on where it stopped.
        await type_text(pilot, "2roues")
        assert value(app, "password") == "Velo2roues"


async def test_a_kiosk_started_small_waits_for_room(settings: Settings, service: AccountService,
                                                    tmp_path: Path) -> None:
    async with kiosk(settings, service, tmp_path, size=(60, 20)) as (app, pilot):
        assert isinstance(app.screen, WelcomeScreen)
        assert covered(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)

        await pilot.resize_terminal(100, 30)
        await settle(app, pilot)
        assert not covered(app) and shows(app, "Se connecter")
        assert app.focused.id == "login"
        await submit(app, pilot)
        assert isinstance(app.screen, PortalScreen)
        assert not covered(app)  # a screen built after the terminal grew



async def test_a_staff_dialog_is_covered_too_and_keeps_its_focus(settings: Settings, service: AccountService,
                                                                 tmp_path: Path) -> None:
    from entkiosk.ui.screens.staff_actions import ConfirmScreen

    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        await tab_to(app, pilot, "close")  # Fermer le kiosque
        await submit(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await tab_to(app, pilot, "confirm")
        await pilot.resize_terminal(70, 20)
        await settle(app, pilot)
        assert covered(app) and not shows(app, "FERMER")
        await pilot.press("enter")  # blind: FERMER is not pressed
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.is_running

        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert shows(app, "FERMER") and app.focused.id == "confirm"
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)

async def test_a_shrunk_class_screen_shows_nothing_but_the_notice(settings: Settings, service: AccountService,
                                                                  tmp_path: Path) -> None:
    """The class screen, whose body takes the screen's height, is covered whole: no row of its
    buttons stays under « Agrandissez la fenêtre » (found by a newcomer at 70×20)."""
    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    seed_class(service, CLASS, LONG, "www" + "rawx" * 6 + "ww")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        app.push_screen(ClassScreen(CLASS))
        await settle(app, pilot)
        await pilot.resize_terminal(70, 20)
        await settle(app, pilot)
        assert covered(app)
        for word in ("RETOUR", "Changement de mot de passe", "Séance en direct", "Identifiant"):
            assert not shows(app, word), word
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert shows(app, "RETOUR") and shows(app, "Séance en direct")


async def test_the_idle_timeout_ends_a_session_left_on_a_shrunk_terminal(
        settings: Settings, service: AccountService, letter: IssuedLetter, tmp_path: Path) -> None:
    activate(service, letter)
    idle = IdleClock()
    timeout = settings.kiosk.idle_timeout
    async with kiosk(settings, service, tmp_path, idle=idle) as (app, pilot):
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, GOOD_PASSWORD)
        assert isinstance(app.screen, HomeScreen)
        token = app.token
        await submit(app, pilot)  # MON COMPTE
        assert isinstance(app.screen, ProfileScreen)
        await tab_to(app, pilot, "email")
        await type_text(pilot, "julie@example.org")
        await pilot.resize_terminal(60, 20)
        await settle(app, pilot)
        assert covered(app)

        # The countdown shows over the notice; a key keeps the session, and types nothing.
        idle.advance(timeout - IDLE_WARNING)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, IdleWarning)
        assert shows(app, "Êtes-vous toujours là ?")
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, IdleWarning) and covered(app)
        assert value(app, "email") == "julie@example.org"

        # Nobody there this time: the session ends, the terminal still too small.
        idle.advance(timeout - IDLE_WARNING)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, IdleWarning)
        idle.advance(IDLE_WARNING)
        app.check_inactivity()
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen) and app.session is None
        assert typed_anywhere(app) == []
        with pytest.raises(SessionExpired):
            service.account(token)
        assert covered(app)  # the fresh accueil is covered too

        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert shows(app, "Session terminée après une période d'inactivité")


# ------------------------------------------------------------------ every table at 80×24

#: Long names as a school has them, then enough pupils for the list to scroll.
LONG = [("Marie-Éléonore", "Delacroix-Fontaine de Saint-Exupéry"), ("Jean-Baptiste", "Van der Berghe-Lefebvre"),
        ("Anne-Charlotte", "Bourdon-Lacroix"), *FORTY[:26]]
CLASS = "Terminale générale 12"


def assert_fits(table: DataTable, *headings: str) -> None:
    """No column is cut or scrolled away: the table needs no sideways scrolling, and
    its last headings are on screen."""
    assert table.virtual_size.width <= table.scrollable_content_region.width, (
        f"#{table.id}: {table.virtual_size.width} columns wide in {table.scrollable_content_region.width}")
    assert table.max_scroll_x == 0
    text = screen_text(table.app)
    for heading in headings:
        assert heading in text, f"« {heading} » is not on screen"


def rows_on_screen(app) -> list[str]:
    return screen_text(app).splitlines()


async def test_every_console_table_fits_80_columns(settings: Settings, service: AccountService,
                                                   tmp_path: Path) -> None:
    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    pupils = seed_class(service, CLASS, LONG, "www" + "rawx" * 6 + "ww")
    marie = next(ident for ident in pupils.letters if ident.startswith("marie-eleonore"))
    lock_out(service, marie)
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        assert_fits(app.screen.query_one("#classes", DataTable), "Bloqués", "Expirés")

        app.push_screen(ClassScreen(CLASS))
        await settle(app, pilot)
        students = app.screen.query_one("#students", DataTable)
        assert students.row_count == 29
        assert_fits(students, "État", "Charte", "Mail", "Échéance")
        assert any("Adam Inès" in line and "ines.adam" in line for line in rows_on_screen(app))
        await pilot.press(*["down"] * students.get_row_index(marie))  # down to her row, in view
        await settle(app, pilot)
        lines = rows_on_screen(app)
        # The long names give way, the deadline stays whole on their rows.
        delacroix = next(line for line in lines if "Delacroix" in line)
        assert "…" in delacroix and "Bloqué" in delacroix and "/2026" in delacroix
        assert "Delacroix-Fontaine de Saint-Exupéry Marie-Éléonore" not in delacroix
        # Short names are not cut for them.
        assert any("Colin Emma" in line and "emma.colin" in line for line in lines)

        # Wider: the same table, fitted again, shows the long name whole.
        await pilot.resize_terminal(160, 40)
        await settle(app, pilot)
        assert shows(app, "Delacroix-Fontaine de Saint-Exupéry Marie-Éléonore")
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert_fits(students, "Échéance")

        app.push_screen(LiveSessionScreen(CLASS))
        await settle(app, pilot)
        assert_fits(app.screen.query_one("#live-missing", DataTable), "Identifiant")
        assert any("Delacroix" in line and "Bloqué" in line for line in rows_on_screen(app))
        app.pop_screen()
        await settle(app, pilot)
        app.pop_screen()
        await settle(app, pilot)

        csv = tmp_path / "liste.csv"
        csv.write_text("nom;prénom;date de naissance;classe\n"
                       "Delacroix-Fontaine de Saint-Exupéry;Marie-Éléonore;01/02/2009;Terminale générale 13\n"
                       "Van der Berghe-Lefebvre;Jean-Baptiste;03/04/2009;Terminale générale 13\n", encoding="utf-8")
        app.push_screen(ImportScreen())
        await settle(app, pilot)
        await type_text(pilot, str(csv))
        await submit(app, pilot)
        rows = app.screen.query_one("#preview-rows", DataTable)
        assert rows.row_count == 2
        assert_fits(rows, "Ligne", "Né(e) le", "Classe", "Identifiant")
        assert shows(app, "01/02/2009")



async def test_a_long_refusal_reason_goes_on_over_two_lines(settings: Settings, service: AccountService,
                                                            tmp_path: Path) -> None:
    """The import's refusals at 80×24: a reason longer than its column is wrapped, never cut."""
    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    csv = tmp_path / "liste.csv"
    csv.write_text("nom;prénom;date de naissance;classe\n"
                   "Delacroix-Fontaine;Marie-Éléonore;le premier février deux mille neuf;2nde 4\n", encoding="utf-8")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        app.push_screen(ImportScreen())
        await settle(app, pilot)
        await type_text(pilot, str(csv))
        await submit(app, pilot)
        problems = app.screen.query_one("#preview-problems", DataTable)
        assert problems.row_count == 1
        assert_fits(problems, "Motif du refus")
        reason = "date de naissance « le premier février deux mille neuf » invalide (attendu JJ/MM/AAAA)"
        assert len(reason) > 76 and shows(app, reason)
        assert problems.virtual_size.height >= 3  # the heading, then the reason over two lines

def test_a_cut_identifier_keeps_its_end() -> None:
    """Homonyms stay told apart when their identifiers are cut: the digit suffix stays."""
    from rich.text import Text

    from entkiosk.ui.widgets.table import fit_widths, shorten

    one, two = (shorten(Text(f"marie-eleonore.delacroix-fontaine{n}"), 13, middle=True).plain for n in (1, 2))
    assert one != two and one.endswith("1") and "…" in one and len(one) == 13
    assert shorten(Text("Delacroix-Fontaine Marie"), 10).plain == "Delacroix…"
    # The widest columns give way, evenly, down to their floor; the narrow ones keep theirs.
    assert fit_widths([40, 40, 10], [6, 11, 6], 50) == [20, 20, 10]
    assert fit_widths([40, 12, 10], [20, 11, 6], 60) == [38, 12, 10]
    assert fit_widths([40, 12, 10], [20, 11, 6], 80) == [40, 12, 10]
