"""The audit, readable: newest first, filtered by pupil, staff member, class, kind and days,
exported as CSV by the installed command, and forgotten after ``[audit] retention_days``."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, activate, make_settings, student

from entkiosk.domain import errors
from entkiosk.runtime import open_service
from entkiosk.service import AuditFilter


@pytest.fixture
def history(service, clock):
    """Two classes imported on 1 September; Julie activates on the 2nd, Zoé fails a login on the
    3rd; prof.martin unlocks her on the 4th."""
    service.add_staff("prof.martin", "Velo2roues-Prof", "Velo2roues-Prof", actor="cli:install")
    [julie] = service.import_class_list([student("Julie", "Baillet", cls="2nde 1")], actor="cli:secretariat")
    [zoe] = service.import_class_list([student("Zoé", "N'Diaye", cls="2nde 2")], actor="cli:secretariat")
    clock.advance(days=1)
    activate(service, julie)
    clock.advance(days=1)
    with pytest.raises(errors.DomainError):
        service.authenticate(zoe.identifier, "pas le bon")
    clock.advance(days=1)
    service.unlock(zoe.identifier, actor="prof.martin")
    return julie.identifier, zoe.identifier


def events(service, **where) -> list[tuple[str, str | None]]:
    return [(r.event, r.identifier) for r in service.audit_log(AuditFilter(**where))]


def test_newest_first_and_each_filter(service, history):
    julie, zoe = history
    log = service.audit_log()
    assert [r.at for r in log] == sorted((r.at for r in log), reverse=True)
    assert log[0].event == "staff.unlock" and log[0].label == "identifiant débloqué"
    assert events(service, student=zoe) == [("staff.unlock", zoe), ("login.failed", zoe)]
    assert events(service, staff="prof.martin") == [("staff.unlock", zoe), ("staff.added", "prof.martin")]
    assert events(service, class_name="2NDE 1") == [(e, julie) for e, i in events(service, student=julie)]
    assert {e for e, _ in events(service, kind="login")} == {"login.ok", "login.failed"}
    assert events(service, kind="login.failed") == [("login.failed", zoe)]
    # The words the screen shows work too: « connexion » (not « déconnexion »), « Débloqué ».
    assert {e for e, _ in events(service, kind="connexion")} == {"login.ok", "login.failed"}
    assert events(service, kind="connexion refusée") == [("login.failed", zoe)]
    assert events(service, kind="Débloqué") == [("staff.unlock", zoe)]
    # 2 September (Paris): Julie's first connection only.
    assert {i for _, i in events(service, since=date(2026, 9, 2), until=date(2026, 9, 2))} == {julie}
    assert events(service, since=date(2026, 9, 5)) == []
    assert len(service.audit_log(limit=2)) == 2


def test_purge_forgets_events_after_the_retention(db_url, tmp_path, clock):
    service = open_service(make_settings(db_url, tmp_path, audit={"retention_days": 30}), clock=clock)
    try:
        service.import_class_list([student()], actor="cli:t")
        clock.advance(days=29)
        assert service.forget_old_events(actor="cli:t") == 0
        clock.advance(days=2)
        assert service.forget_old_events(actor="cli:t") == 1  # the import's event
        assert [r.event for r in service.audit_log()] == ["audit.purged"]
    finally:
        service.engine.dispose()


def test_no_event_holds_a_secret(service, history):
    text = repr(service.audit_log())
    assert GOOD_PASSWORD not in text and "pas le bon" not in text and "Velo2roues-Prof" not in text


def test_cli_audit_filters_and_csv(tmp_path, db_url):
    from pty_support import run_installed
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    live = open_service(make_settings(db_url, tmp_path))
    try:
        [letter] = live.import_class_list([student()], actor="cli:secretariat")
        with pytest.raises(errors.DomainError):
            live.authenticate(letter.identifier, "faux")
    finally:
        live.engine.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_installed(conf, "audit", *args, cwd=tmp_path)

    table = run("--student", "JULIE.BAILLET")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["Date", "Événement", "Compte", "Par"]
    assert "connexion refusée" in lines[1] and "import d'une liste" not in table.stdout
    assert lines[-1] == "1 événement, du plus récent au plus ancien."
    csv = run("--csv", "--kind", "accounts")
    assert csv.stdout.splitlines()[0] == "date;événement;libellé;compte;par;poste;détails"
    [row] = csv.stdout.splitlines()[1:]
    assert ";accounts.imported;import d'une liste;;cli:secretariat;" in row and "count=1" in row
    bad = run("--since", "31/02/2026")
    assert bad.returncode == 1
    assert bad.stderr.startswith("Erreur : --since : date « 31/02/2026 » invalide (attendu JJ/MM/AAAA")
    assert run("--kind", "rien").stdout.strip() == "Aucun événement ne correspond."


def test_example_config_documents_audit_retention():
    text = (Path(__file__).parents[1] / "kiosk.conf.example").read_text(encoding="utf-8")
    assert "[audit]" in text and "retention_days = 365" in text



def test_every_event_the_code_records_has_a_french_label():
    """The audit screen and its export name each event in French: an event recorded
    anywhere in the service without a label would show its code name."""
    import re
    from pathlib import Path

    from entkiosk.service.views import EVENT_LABELS

    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in (Path(__file__).parents[1] / "src" / "entkiosk").rglob("*.py"))
    recorded = set(re.findall(r'audit\(s, "([a-z_.]+)"', source))
    recorded |= set(re.findall(r'(?:fail|record_failure)\([^)]*?"([a-z_]+\.[a-z_.]+)"', source))
    assert {"login.ok", "staff.changed", "recovery.help_approved", "staff.confirm_failed"} <= recorded
    assert sorted(recorded - set(EVENT_LABELS)) == []
