"""The README's ``[directory]`` block works as written: with only the server's address and the
test's files put in (the DNs are the README's own, which its slapd settings use too), the
installed commands fill the directory, and a pupil's entry lands in their class's branch.
Run with ``pytest -k directory``."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ldap_support import Slapd, slapd  # noqa: F401 - slapd is the fixture
from pty_support import run_installed

from entkiosk.config import settings_from_dict

README = Path(__file__).parents[1] / "README.md"


def readme_directory_block() -> str:
    """The first ```toml block of « The LDAP directory: entkiosk's side »."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### The LDAP directory: entkiosk's side"):]
    found = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert found, "no ```toml block in the README's directory section"
    return found[1]


def test_the_readmes_directory_block_fills_the_directory_with_the_installed_commands(slapd: Slapd, tmp_path: Path):
    raw = tomllib.loads(readme_directory_block())
    assert settings_from_dict(raw).directory.enabled  # valid as written: keys, URL, DNs
    block = raw["directory"]
    assert block["base"] == slapd.base and block["bind_dn"] == slapd.bind_dn  # the README's two blocks agree
    block.update(url=slapd.ldaps_url, password_file=str(slapd.password_file), ca_file=str(slapd.ca_file))
    lines = "\n".join(f"{key} = {value!r}".replace("'", '"').replace("True", "true") for key, value in block.items())
    conf = tmp_path / "kiosk.conf"
    conf.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/e.db"\n[mail]\noutbox = "{tmp_path}/outbox"\n'
                    f"[directory]\n{lines}\n", encoding="utf-8")
    classlist = tmp_path / "3a.csv"
    classlist.write_text("nom;prénom;date de naissance;classe\nBerthier;Lison;04/05/2011;3A\n"
                         "Ouali;Samy;21/12/2010;3A\n", encoding="utf-8")

    imported = run_installed(conf, "import", str(classlist), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "Annuaire" not in imported.stderr  # delivered before the command ended: nothing waits
    entries = slapd.entries()
    assert {"uid=lison.berthier,ou=3A," + slapd.base, "uid=samy.ouali,ou=3A," + slapd.base} <= {
        dn for dn in entries}, sorted(entries)
    assert "userpassword" not in {name.lower() for name in entries["uid=lison.berthier,ou=3A," + slapd.base]}

    status = run_installed(conf, "directory", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "Il répond." in status.stdout and "Aucune mise à jour en attente." in status.stdout
    compared = run_installed(conf, "directory", "sync", cwd=tmp_path)
    assert compared.returncode == 0 and "L'annuaire est à jour." in compared.stdout, compared.stdout
