"""The files that hold secrets are their owner's only (issue 19): the SQLite database (password
hashes, code digests, the installation key) and its ``-wal`` and ``-shm`` 0600, the folders
entkiosk creates for it, for the outbox's mails and for its data 0700 — on a lab machine every
pupil's local account could otherwise read them. Run under the usual umask (022)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pty_support import installed_command, newcomer_env
from sqlalchemy import text

from entkiosk.config import settings_from_dict
from entkiosk.mail import OutboxTransport
from entkiosk.runtime import check_files, open_service
from entkiosk.store.db import make_engine

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(installed_command()), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, umask=0o022)
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_a_newcomers_data_folder_and_database_are_private(tmp_path: Path) -> None:
    """The installed command on an empty home folder: the data folder (and the XDG folders it
    had to create) 0700, the database 0600. Those of an older entkiosk (0755, 0644) are made
    private at the next start."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    env = newcomer_env(home)
    data = Path(env["XDG_DATA_HOME"]) / "entkiosk"
    run(env, tmp_path, "db", "upgrade")
    assert {folder.name: mode(folder) for folder in (home / ".local", data.parent, data)} == {
        ".local": 0o700, "share": 0o700, "entkiosk": 0o700}
    assert mode(data / "entkiosk.db") == 0o600
    assert mode(home) == 0o755  # found there: not ours to change

    data.chmod(0o755)
    (data / "entkiosk.db").chmod(0o644)
    run(env, tmp_path, "purge")
    assert (mode(data), mode(data / "entkiosk.db")) == (0o700, 0o600)


def test_the_wal_and_shm_files_follow_the_database_and_an_admins_folder_is_left_alone(
        tmp_path: Path, umask_022) -> None:
    chosen = tmp_path / "var-lib"  # a folder the administrator made for the database
    chosen.mkdir(mode=0o755)
    database = chosen / "entkiosk.db"
    settings = settings_from_dict({"database": {"url": f"sqlite:///{database}"},
                                   "mail": {"outbox": str(tmp_path / "outbox")}}, source="test")
    service = open_service(settings)
    try:
        with service.core.tx() as s:
            s.execute(text("UPDATE alembic_version SET version_num = version_num"))
            assert {name: mode(chosen / name) for name in ("entkiosk.db", "entkiosk.db-wal", "entkiosk.db-shm")} == {
                "entkiosk.db": 0o600, "entkiosk.db-wal": 0o600, "entkiosk.db-shm": 0o600}
    finally:
        service.engine.dispose()
    assert mode(chosen) == 0o755


def test_an_existing_database_is_tightened_but_a_group_that_may_write_keeps_it(tmp_path: Path, umask_022) -> None:
    """World bits always go. Group bits go unless the group may write: a group-writable
    database is an administrator's set-up for several local accounts; a group that may
    only read is the umask's doing (it could not run a kiosk)."""
    database = tmp_path / "deeper" / "entkiosk.db"
    make_engine(f"sqlite:///{database}").dispose()
    assert (mode(database.parent), mode(database)) == (0o700, 0o600)
    for before, after in ((0o644, 0o600), (0o640, 0o600), (0o666, 0o660), (0o660, 0o660)):
        database.chmod(before)
        make_engine(f"sqlite:///{database}").dispose()
        assert mode(database) == after, oct(before)


def test_the_outbox_folders_entkiosk_creates_are_private(tmp_path: Path, umask_022) -> None:
    """The mails carry validation and reset codes: the Maildir folders entkiosk creates, at
    the kiosk's start as at the first mail, are their owner's only."""
    at_start, at_send = tmp_path / "a" / "outbox", tmp_path / "b" / "outbox"
    settings = settings_from_dict({"database": {"url": f"sqlite:///{tmp_path / 'k.db'}"},
                                   "mail": {"outbox": str(at_start)}}, source="test")
    check_files(settings)
    OutboxTransport(at_send).prepare()
    for outbox in (at_start, at_send):
        assert {path.name: mode(path) for path in (outbox.parent, outbox, outbox / "tmp", outbox / "new",
                                                   outbox / "cur")} == {
            outbox.parent.name: 0o700, "outbox": 0o700, "tmp": 0o700, "new": 0o700, "cur": 0o700}


def test_the_log_is_private_and_an_older_one_is_made_so(tmp_path: Path, umask_022, monkeypatch) -> None:
    """The log names pupils (identifiers): 0600 when entkiosk creates it, and one an older
    entkiosk left 0644 is made private at the next start."""
    from entkiosk.config import private_log

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    log = private_log()
    assert log == tmp_path / "data" / "entkiosk" / "entkiosk.log" and mode(log) == 0o600
    log.write_text("ancienne ligne\n", encoding="utf-8")
    log.chmod(0o644)
    assert mode(private_log()) == 0o600 and log.read_text(encoding="utf-8") == "ancienne ligne\n"
