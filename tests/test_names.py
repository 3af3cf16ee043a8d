"""Names sort in French order (accents, ligatures, case and hyphens aside) everywhere a
list of students is shown or printed, and homonyms of a class are told apart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import make_settings, student
from test_ui_console import STAFF, STAFF_PASSWORD, cells, open_class, press_button
from textual.widgets import DataTable
from ui_support import kiosk, settle

from entkiosk.domain.names import collation_key, display_names, person_order
from entkiosk.runtime import open_service

# What a French class list reads, top to bottom.
FRENCH_ORDER = ["Dupont", "Écrivain", "Eiffel", "Élie", "Lefèvre", "le Goff", "Legrand", "Martin",
                "N'Diaye", "Ndongo", "Œuvray", "Olivier", "Straße", "Strasser", "Zola"]


def test_collation_key_sorts_names_in_french_order() -> None:
    """É is an E, Œ is OE, ß is ss; case, hyphens, apostrophes and spaces do not count."""
    assert sorted(reversed(FRENCH_ORDER), key=collation_key) == FRENCH_ORDER
    assert sorted(FRENCH_ORDER) != FRENCH_ORDER  # code points would put É and Œ after Z
    assert collation_key("Jean-Marie")[0] == collation_key("jean marie")[0] == collation_key("JEANMARIE")[0]
    assert collation_key("Æsa")[0] == "aesa"


def test_names_equal_once_folded_still_sort_the_same_way_every_time() -> None:
    """The tie-breaker makes the order total: whatever order they come in, « Elie » and
    « Élie » and « ELIE » always come out the same."""
    names = ["Élie", "ELIE", "Elie", "élie"]
    assert sorted(names, key=collation_key) == sorted(reversed(names), key=collation_key)
    people = [("Martin", "Zoé", "zoe.martin1"), ("Martin", "Zoé", "zoe.martin")]
    assert [p[2] for p in sorted(people, key=lambda p: person_order(*p))] == ["zoe.martin", "zoe.martin1"]


def test_homonyms_show_their_birth_date_and_no_one_else_does() -> None:
    people = [("Baillet", "Julie", date(2010, 3, 14)), ("BAILLET", "julie", date(2011, 5, 3)),
              ("Baillet", "Jules", date(2010, 1, 1))]
    assert display_names(people) == ["Baillet Julie, 14/03/2010", "BAILLET julie, 03/05/2011", "Baillet Jules"]


def test_class_list_and_letters_come_in_french_order(service) -> None:
    """The staff console's class list and the printed letters: É with the E's, Œ with the O's
    (on SQLite and PostgreSQL alike, whose ORDER BY would follow code points or the server's locale)."""
    shuffled = ["Zola", "Œuvray", "Élie", "Martin", "le Goff", "Eiffel", "Olivier", "Lefèvre", "Dupont"]
    rows = [student(first="Alex", last=last, cls="5e A", line=i + 2) for i, last in enumerate(shuffled)]
    service.import_class_list(rows, actor="cli:test")
    expected = ["Dupont", "Eiffel", "Élie", "Lefèvre", "le Goff", "Martin", "Œuvray", "Olivier", "Zola"]
    assert [s.last_name for s in service.class_students("5e A")] == expected
    letters = service.issue_letters(class_name="5e A", actor="cli:test")
    assert [letter.last_name for letter in letters] == expected


# ------------------------------------------------------------------ the staff console


async def test_homonyms_are_told_apart_in_the_class_list_and_the_live_view(clock, tmp_path: Path) -> None:
    """Two Julie Baillet in 5e B: both rows show their birth date; Éloïse (no twin) does not."""
    from entkiosk.ui.screens.live_session import LiveSessionScreen

    # Pilot tests drive the screens: one database engine is enough (SQLite).
    settings = make_settings(f"sqlite:///{tmp_path / 'names.db'}", tmp_path)
    service = open_service(settings, clock=clock)
    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    service.import_class_list([student("Julie", "Baillet", date(2010, 3, 14), "5e B", 2),
                               student("Julie", "Baillet", date(2011, 5, 3), "5e B", 3),
                               student("Éloïse", "Andrieu", date(2010, 6, 1), "5e B", 4)], actor="cli:test")
    # Wide enough for every cell whole (how cells give way at 80×24: test_ui_small_window).
    async with kiosk(settings, service, tmp_path, size=(120, 40)) as (app, pilot):
        app.open_session(service.authenticate(STAFF, STAFF_PASSWORD, kind="staff"))
        await settle(app, pilot)
        await open_class(app, pilot, "5e B")
        table = app.screen.query_one("#students", DataTable)
        assert [row[:2] for row in cells(table)] == [
            ["Andrieu Éloïse", "eloise.andrieu"],
            ["Baillet Julie, 14/03/2010", "julie.baillet"],
            ["Baillet Julie, 03/05/2011", "julie.baillet1"]]
        await press_button(app, pilot, "live")
        assert isinstance(app.screen, LiveSessionScreen)
        await settle(app, pilot)
        live = app.screen.query_one("#live-missing", DataTable)
        assert [row[0] for row in cells(live)] == [
            "Andrieu Éloïse", "Baillet Julie, 14/03/2010", "Baillet Julie, 03/05/2011"]
    service.engine.dispose()
