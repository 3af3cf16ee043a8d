"""``[accounts] reset_code_minutes``: 30 minutes by default, and ``reset_token_minutes``, its
name before, still read from an existing kiosk.conf with a warning at start-up.

How long a code then works is shown in tests/test_recovery.py
(test_reset_code_expires_after_30_minutes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from entkiosk.config import ConfigError, RenamedKey, Settings, load_settings, settings_from_dict
from entkiosk.domain.i18n import speaking

ENTKIOSK = Path(sys.executable).parent / "entkiosk"
RENAMED = ("Attention\u00a0: {source}\u00a0: la clé «\u00a0accounts.reset_token_minutes\u00a0» s'appelle "
           "désormais «\u00a0accounts.reset_code_minutes\u00a0»")


def test_reset_codes_live_30_minutes_and_the_old_key_name_still_counts():
    """Default 30 (5 to 1440); the old name sets it when the new one is absent, loses to it
    when both are there, and a bad value under the old name is refused naming the old name."""
    assert Settings().accounts.reset_code_minutes == 30
    renamed: list[RenamedKey] = []
    old = settings_from_dict({"accounts": {"reset_token_minutes": 45}}, source="vieux.conf", renamed=renamed)
    assert old.accounts.reset_code_minutes == 45
    assert [key.notice() for key in renamed] == [
        RENAMED.format(source="vieux.conf") + "\u00a0; sa valeur est utilisée, mais renommez la clé."]
    renamed.clear()
    both = settings_from_dict({"accounts": {"reset_token_minutes": 45, "reset_code_minutes": 20}}, source="k.conf",
                              renamed=renamed)
    assert both.accounts.reset_code_minutes == 20
    assert [key.notice() for key in renamed] == [
        RENAMED.format(source="k.conf") + ", qui est aussi dans le fichier\u00a0: «\u00a0accounts.reset_token_minutes"
        "\u00a0» est ignorée, supprimez-la."]
    with pytest.raises(ConfigError) as bad:
        settings_from_dict({"accounts": {"reset_token_minutes": 4}}, source="k.conf")
    assert str(bad.value) == ("k.conf\u00a0: clé «\u00a0accounts.reset_token_minutes\u00a0»\u00a0: la valeur doit "
                              "être au moins 5.")
    with speaking("en"), pytest.raises(ConfigError) as bad:  # the old name in every language
        settings_from_dict({"accounts": {"reset_token_minutes": 4}}, source="k.conf")
    assert "accounts.reset_token_minutes" in str(bad.value) and "reset_code" not in str(bad.value)
    with pytest.raises(ConfigError, match="reset_code_minutes.*au plus 1440"):
        settings_from_dict({"accounts": {"reset_code_minutes": 1441}})


def test_the_installed_command_says_once_that_the_key_was_renamed(tmp_path: Path) -> None:
    """A kiosk.conf written for the previous release (``reset_token_minutes = 45``): the
    installed command starts, says once on standard error that the key was renamed, and
    the value counts."""
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", f"sqlite:///{tmp_path / 'kiosk.db'}", tmp_path / "outbox")
    conf.write_text(conf.read_text() + "\n[accounts]\nreset_token_minutes = 45\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"),
           "ENTKIOSK_CONFIG": str(conf)}
    proc = subprocess.run([str(ENTKIOSK), "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("reset_token_minutes") == 1, proc.stderr
    assert proc.stderr.startswith(RENAMED.format(source=conf)), proc.stderr
    assert proc.stdout.startswith("Schéma à jour")
    assert load_settings(conf).accounts.reset_code_minutes == 45
