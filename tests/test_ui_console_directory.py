"""The LDAP directory's backlog on the staff console (issue 20: « staff see the backlog in the
console »), with the tests' own slapd (``tests/ldap_support.py``) and deliveries made
explicitly (``deliver_directory``), as another kiosk's worker would. Run with ``-k directory``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ldap_support import Slapd, slapd  # noqa: F401 - slapd is the fixture
from test_ui_console import FORTY, STAFF, STAFF_PASSWORD, console_settings, open_console, rows
from textual.widgets import Static
from ui_support import flat, kiosk, screen_content, screen_text, settle

from entkiosk.runtime import open_service
from entkiosk.ui.app import KioskApp
from entkiosk.ui.screens.staff import StaffScreen

TEACHER, TEACHER_PASSWORD = "m.durand", "Prof2durand2026"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'console.db'}"


def backlog(app: KioskApp) -> str:
    return flat(str(app.screen.query_one("#console-directory", Static).render()))


def problem_lines(app: KioskApp) -> list[str]:
    """The directory's problem as the terminal shows it, line by line (none when hidden)."""
    widget = app.screen.query_one("#console-directory-problem", Static)
    if not widget.display:
        return []
    region = widget.content_region
    lines = screen_text(app).split("\n")[region.y:region.bottom]
    return [line[region.x:region.right].rstrip() for line in lines]


async def until(app: KioskApp, pilot, text: str) -> None:
    """The console's next readings (every ``live_refresh``, 0.3 s here) until it says ``text``."""
    for _attempt in range(100):
        await pilot.pause(0.1)
        if backlog(app) == text:
            return
    raise AssertionError(f"the console still says {backlog(app)!r}, not {text!r}")


async def test_the_console_follows_the_directory_backlog_and_a_teacher_does_not_see_it(
        slapd: Slapd, db_url: str, tmp_path: Path, clock) -> None:
    """Direction: the backlog counted from the database, the server's refusal of one entry
    (someone else's ``uid``) under it, cut to two lines, then « à jour » once that entry is
    gone and the update delivered. A teacher's console has no directory line at all."""
    settings = console_settings(db_url, tmp_path, directory={
        "url": slapd.ldapi_url, "base": slapd.base, "bind_dn": slapd.bind_dn, "password_file": str(slapd.password_file)})
    service = open_service(settings, clock=clock)
    try:
        service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
        ines, lucas = (letter.identifier for letter in service.import_class_list(rows(FORTY[:2], "2nde 3"),
                                                                                  actor="cli:seed"))
        service.add_staff(TEACHER, TEACHER_PASSWORD, TEACHER_PASSWORD, role="enseignant", classes=["2nde 3"],
                          actor="cli:install")
        foreign = f"uid={lucas},{slapd.base}"
        slapd.add(foreign, {"objectClass": "inetOrgPerson", "uid": lucas, "sn": "Barbier", "cn": "Lucas Barbier"})
        async with kiosk(settings, service, tmp_path) as (app, pilot):
            open_console(app, service)
            await settle(app, pilot)
            assert backlog(app) == ("Annuaire\u00a0: 2 mises à jour en attente (la plus ancienne depuis moins "
                                    "d'une minute).")
            assert problem_lines(app) == []

            clock.advance(minutes=12)
            assert service.deliver_directory("test").sent == 1  # Inès's entry; Lucas's is refused
            await until(app, pilot, "Annuaire\u00a0: 1 mise à jour en attente (depuis 12\u00a0min).")
            shown = problem_lines(app)
            assert len(shown) == 2 and shown[1].endswith("…"), shown
            assert flat(" ".join(shown)).startswith(f"L'annuaire a déjà une entrée {foreign} que entkiosk")
            assert app.screen.query_one("#body").max_scroll_y == 0  # nothing pushed out of the 80×24 view

            slapd.run("ldapmodify", *slapd.as_root, input=f"dn: {foreign}\nchangetype: delete\n")
            clock.advance(minutes=1)  # past the refused entry's back-off
            assert service.deliver_directory("test").sent == 1
            await until(app, pilot, "Annuaire\u00a0: à jour.")
            assert problem_lines(app) == []
            assert set(slapd.entries()) == {f"uid={ines},{slapd.base}", f"uid={lucas},{slapd.base}"}

            app.end_session()
            await settle(app, pilot)
            app.open_session(service.authenticate(TEACHER, TEACHER_PASSWORD, kind="staff"))
            await settle(app, pilot)
            assert isinstance(app.screen, StaffScreen)
            assert not app.screen.query("#console-directory, #console-directory-problem")
            assert "Annuaire" not in screen_content(app)
    finally:
        service.engine.dispose()
