"""A newcomer's first ten minutes, with the real installed command on the built-in defaults.

An empty home folder (``HOME`` and the XDG folders under it), no ``kiosk.conf``, no
``ENTKIOSK_CONFIG``, an empty working folder: exactly what a school's IT person has after
the README's first command. Staff import a class list and print its letters from the
command line; a student then goes through the whole guide in an 80×24 pseudo-terminal
(first connection with an address, the code read with ``entkiosk outbox``, the charter,
« Identifiant oublié ? », « Mot de passe oublié ? » and a login with the new password).

Every other test builds its own outbox and configuration; this one is why mail that
worked there but not on the defaults cannot come back unseen.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pty_support import Terminal, installed_command, newcomer_env


# Invented pupils, shaped like a class list a secretariat exports.
CLASS_LIST = (
    "nom;prénom;date de naissance;classe\n"
    "Lefèvre-Oudin;Maëlys;23/05/2012;4B\n"
    "Kowalczyk;Timéo;02/11/2011;4B\n"
)
PASSWORD = "Lavande42b"
NEW_PASSWORD = "Cerisier7k"
ADDRESS = "maelys.lo@example.org"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(installed_command()), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def last_mail(env: dict[str, str], cwd: Path) -> str:
    proc = run(env, cwd, "outbox", "--last", "1")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def letter_of(letters: str, identifier: str) -> str:
    """The provisional password printed on ``identifier``'s letter."""
    letter = letters[re.search(rf"Identifiant\s:\s{re.escape(identifier)}\b", letters).start():]
    return re.search(r"Mot de passe \*\s:\s(\S+)", letter).group(1)


@pytest.fixture
def newcomer(tmp_path: Path) -> tuple[dict[str, str], Path]:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    return newcomer_env(home), work


def test_a_newcomer_imports_prints_and_a_student_walks_the_whole_guide(newcomer) -> None:
    env, work = newcomer
    data = Path(env["XDG_DATA_HOME"]) / "entkiosk"
    (work / "classe.csv").write_text(CLASS_LIST, encoding="utf-8")

    # Staff: the class list, then its letters.
    proc = run(env, work, "import", "classe.csv")
    assert proc.returncode == 0 and "2 compte(s) créé(s) (4B)" in proc.stdout, proc.stdout + proc.stderr
    proc = run(env, work, "letters", "--class", "4B", "-o", "lettres.txt")
    assert proc.returncode == 0, proc.stderr
    letters = (work / "lettres.txt").read_text(encoding="utf-8")
    identifier = "maelys.lefevre-oudin"
    provisional = letter_of(letters, identifier)
    assert (data / "entkiosk.db").is_file()

    with Terminal([str(installed_command())], env=env, cwd=work) as term:
        term.wait_for("ACCUEIL", "Se connecter", "Identifiant oublié ?", "Mot de passe oublié ?")
        # The start-up check leaves a complete Maildir, not an empty folder.
        assert all((data / "outbox" / sub).is_dir() for sub in ("tmp", "new", "cur"))

        # Se connecter → Lycées et collèges, Élève → the login with the letter.
        term.press("enter")
        term.wait_for("Lycées et collèges", "Élève", "Valider")
        term.press("enter")
        term.wait_for("Scolarité Services — authentification")
        term.type(identifier)
        term.press("tab")
        term.type(provisional)
        term.press("enter")

        # PREMIÈRE CONNEXION with an address.
        term.wait_for("PREMIÈRE CONNEXION", "date de naissance*", "Votre identifiant est déjà renseigné")
        term.type("23052012")
        term.press("tab")
        term.type(PASSWORD)
        term.press("tab")
        term.type(PASSWORD)
        term.press("tab")
        term.type(ADDRESS)
        term.press("tab")
        term.type(ADDRESS)
        term.press("enter")
        screen = term.wait_for("Compte en attente de validation", "ouvrez maintenant le mail que vous venez de recevoir")
        assert "n'a pas pu" not in screen and "/" not in screen, screen
        mail = last_mail(env, work)
        assert f"à\u00a0: {ADDRESS}" in mail and "Mise à jour de votre adresse mail" in mail
        code = CODE.search(mail).group(0)

        # The charter, then the home screen.
        term.press("enter")
        term.wait_for("Charte d'utilisation de l'ENT", "J'accepte la charte")
        term.press("tab", "space", "enter")
        term.wait_for("Bienvenue Maëlys", "MON COMPTE", "SE DÉCONNECTER")

        # MON COMPTE → SAISIR LE CODE REÇU → the code from the mail.
        term.press("enter")
        term.wait_for("VOTRE COMPTE", "Votre adresse mail n'a pas été validée", "SAISIR LE CODE REÇU")
        term.press("shift+tab", "enter")
        term.wait_for("Validation de votre adresse mail", "code reçu par mail*")
        term.type(code)
        term.press("enter")
        term.wait_for("Votre adresse mail a été validée", "ACCÉDER AUX SERVICES")
        term.press("enter")
        term.wait_for("Bienvenue Maëlys")
        term.press("escape")  # SE DÉCONNECTER
        term.wait_for("ACCUEIL", "Se connecter")

        # « Identifiant oublié ? »: the identifier comes by mail.
        term.press("tab", "enter")
        term.wait_for("IDENTIFIANT OUBLIÉ", "votre adresse mail*")
        term.type(ADDRESS)
        term.press("enter")
        term.wait_for("Un mail rappelant votre identifiant vous a été envoyé", ADDRESS)
        mail = last_mail(env, work)
        assert f"à\u00a0: {ADDRESS}" in mail and identifier in mail
        term.press("enter")
        term.wait_for("ACCUEIL", "Se connecter")

        # « Mot de passe oublié ? »: a reference, a mail with it and its code, a new password.
        term.press("tab", "tab", "enter")
        term.wait_for("MOT DE PASSE OUBLIÉ", "votre identifiant*")
        term.type(identifier)
        term.press("enter")
        screen = term.wait_for("La référence de cette demande est le n°", "va vous être envoyé")
        reference = re.search(r"n° (\d{13})", " ".join(screen.split())).group(1)
        mail = last_mail(env, work)
        assert f"Demande de changement de mot de passe n°\u00a0{reference}" in mail
        code = CODE.search(mail).group(0)
        term.press("enter")
        term.wait_for("MODIFIEZ VOTRE MOT DE PASSE", "code reçu par mail*")
        term.type(code)
        term.press("tab")
        term.type(NEW_PASSWORD)
        term.press("tab")
        term.type(NEW_PASSWORD)
        term.press("enter")
        term.wait_for("Votre mot de passe a été modifié avec succès")
        term.press("enter")
        term.wait_for("ACCUEIL", "Se connecter")

        # Logging in with the new password leads home.
        term.press("enter")
        term.wait_for("Lycées et collèges", "Valider")
        term.press("enter")
        term.wait_for("Scolarité Services — authentification")
        term.type(identifier)
        term.press("tab")
        term.type(NEW_PASSWORD)
        term.press("enter")
        term.wait_for("Bienvenue Maëlys", "Dernière connexion le")
        term.press("escape")
        term.wait_for("ACCUEIL", "Se connecter")
        assert "Traceback" not in term.raw.decode("utf-8", "replace")
    log = (data / "entkiosk.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and "ERROR" not in log, log
    # It names pupils: for the kiosk's account only, like the database (issue 19).
    assert (data / "entkiosk.log").stat().st_mode & 0o777 == 0o600


def test_a_newcomer_runs_the_demo_and_reaches_the_accueil(newcomer) -> None:
    env, work = newcomer
    with Terminal([str(installed_command()), "demo"], env=env, cwd=work) as term:
        screen = term.wait_for("ACCUEIL", "Se connecter", timeout=120)
        assert "Lycée de démonstration" in screen
        assert "Traceback" not in term.raw.decode("utf-8", "replace")
