"""A staff job at work (hashing a class's passwords, laying out its letters) is not idleness."""

from __future__ import annotations

from pathlib import Path

from conftest import START, make_settings, student
from ui_support import IdleClock, kiosk, settle, shows

from entkiosk.domain.clock import FixedClock
from entkiosk.runtime import open_service
from entkiosk.ui.screens.staff_actions import JobScreen
from entkiosk.ui.screens.staff_import import ImportScreen
from entkiosk.ui.screens.welcome import WelcomeScreen

STAFF_PASSWORD = "Craie7tableau26"


def staff_school(tmp_path: Path, **sections: dict):
    """Settings and a service on a fresh SQLite file, with a staff account."""
    settings = make_settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path,
                             letters={"folder": str(tmp_path / "courriers")}, **sections)
    service = open_service(settings, clock=FixedClock(START))
    service.add_staff("prof.martin", STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:t")
    return settings, service


async def preview_as_staff(app, pilot, service, csv: Path) -> None:
    """Logged in as staff, the import screen with the preview of ``csv``."""
    app.open_session(service.authenticate("prof.martin", STAFF_PASSWORD, kind="staff"))
    await settle(app, pilot)
    await app.push_screen(ImportScreen())
    await pilot.pause()
    app.screen.query_one("#path").value = str(csv)
    await pilot.pause()  # the field's change (which clears a preview) is taken in first, as when typed
    app.screen.submit()
    await settle(app, pilot)


async def test_the_idle_timeout_waits_for_a_job_then_applies(tmp_path: Path) -> None:
    # Slower hashes (still above OWASP's minimum) so that the job is surely at work
    # while the idle clock is moved past the timeout.
    settings, service = staff_school(tmp_path, accounts={"argon2_time_cost": 12})
    csv = tmp_path / "classe.csv"
    csv.write_text("nom;prénom;date de naissance;classe\n" + "".join(
        f"Élève {chr(65 + i)};Prénom;01/01/2010;2nde 1\n" for i in range(16)), encoding="utf-8")  # no digit in a name
    idle = IdleClock()
    timeout = settings.kiosk.idle_timeout
    async with kiosk(settings, service, tmp_path, idle=idle) as (app, pilot):
        await preview_as_staff(app, pilot, service, csv)
        app.screen.query_one("#import").press()
        await pilot.pause()
        assert isinstance(app.screen, JobScreen) and not app.screen.finished

        idle.advance(timeout * 3)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, JobScreen), "the idle timeout interrupted a job at work"
        await settle(app, pilot)
        assert app.screen.finished and shows(app, "16 courriers enregistrés")
        assert len(list((tmp_path / "courriers").glob("*.pdf"))) == 1

        # Once the job is done, idleness counts again: the staff session ends.
        idle.advance(timeout + 1)
        app.check_inactivity()
        await pilot.pause()
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen) and app.session is None
    service.engine.dispose()


async def test_an_updated_class_list_imports_its_newcomers_only(tmp_path: Path) -> None:
    settings, service = staff_school(tmp_path)
    [julie] = service.import_class_list([student()], actor="cli:t")
    csv = tmp_path / "classe.csv"
    csv.write_text("nom;prénom;date de naissance;classe\nBAILLET;Julie;14/03/2010;2nde 1\n"
                   "Martin;Paul;02/02/2010;2nde 1\n", encoding="utf-8")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        await preview_as_staff(app, pilot, service, csv)
        assert shows(app, "1 élève(s) à créer dans 1 classe(s) : 2nde 1 (1).")
        assert shows(app, "1 élève de la liste, déjà inscrit, ne change pas.")
        app.screen.query_one("#import").press()
        await settle(app, pilot)
        assert isinstance(app.screen, JobScreen) and shows(app, "1 courrier enregistré")
    assert [s.identifier for s in service.class_students("2nde 1")] == [julie.identifier, "paul.martin"]
    # Julie's letter still works: her account was left alone.
    assert service.authenticate(julie.identifier, julie.provisional_password).next_step == "first_connection"
    service.engine.dispose()
