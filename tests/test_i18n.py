"""Languages (issue 18): every word a screen shows comes from the catalogs; a language
chosen on the accueil holds for one session; a language without a catalog is said and
French is kept.

The check that nothing is left out of the catalogs runs the screens in a pseudo-language
built from the messages Babel extracts from the code: each message becomes ``⟪message⟫``.
Whatever the screen shows outside those marks — apart from the pupil's own data, the
establishment's name and the names of keys — is a word that did not go through a catalog.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from conftest import student
from test_ui_activation import accept_charter, fill_first_connection, log_in, to_login
from ui_support import footer_keys, kiosk, screen_text, settle, shows, submit, tab_to

from entkiosk.domain import i18n
from entkiosk.ui.screens.home import HomeScreen
from entkiosk.ui.screens.language import LanguageScreen
from entkiosk.ui.screens.welcome import WelcomeScreen

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "entkiosk"
ENTKIOSK = Path(sys.executable).parent / "entkiosk"


@functools.cache
def french_messages() -> tuple[str | tuple[str, str], ...]:
    """The messages of the code, as ``pybabel extract -F babel.cfg`` finds them (extracted
    once per test process: it reads every module, seconds each time)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str | tuple[str, str], None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(str(PACKAGE), method_map, options_map,
                                                                      keywords=DEFAULT_KEYWORDS):
        found[tuple(message) if isinstance(message, (list, tuple)) else message] = None
    return tuple(found)


def pseudo_language() -> gettext.GNUTranslations:
    """Each message of the code as ``⟪message⟫`` (placeholders kept)."""
    catalog = Catalog(locale="en", domain=i18n.DOMAIN)
    for message in french_messages():
        if isinstance(message, tuple):
            catalog.add(message, tuple(f"⟪{m}⟫" for m in message[:2]))
        else:
            catalog.add(message, f"⟪{message}⟫")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


#: Words a screen shows that are no sentence of the kiosk: names of keys.
KEY_NAMES = {"Tab", "F2", "F3"}


def outside_catalogs(text: str, allowed: set[str]) -> set[str]:
    """The words of ``text`` outside ``⟪…⟫`` marks (a mark cut at the end of a line by the
    layout counts up to that end), minus ``allowed``."""
    text = re.sub(r"⟪.*?⟫", " ", text, flags=re.DOTALL)
    lines = [re.sub(r"^[^⟪]*⟫", " ", re.sub(r"⟪.*$", " ", line)) for line in text.splitlines()]
    words = set(re.findall(r"[^\W\d_]{2,}", "\n".join(lines)))
    return words - allowed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_word_of_the_pupils_screens_comes_from_a_catalog(settings, service, tmp_path) -> None:
    """The accueil, the language choice, the portal, the login, the first connection, the
    charter and the home, in the pseudo-language: no word outside the marks."""
    [letter] = service.import_class_list([student("Zoé", "Ndiaye")], actor="cli:test")
    # (the school's data: its name, the mobile guide's address; the pupil's; a code's shape)
    allowed = KEY_NAMES | {"XXXX"} | set(re.findall(r"[^\W\d_]{2,}", " ".join(
        (settings.establishment.name, settings.guide.url, letter.identifier, "Zoé Ndiaye"))))
    i18n.use_catalog(pseudo_language(), "qps")
    seen: dict[str, set[str]] = {}

    def look(app, name: str, *, also: set[str] = frozenset()) -> None:
        seen[name] = outside_catalogs(screen_text(app), allowed | also)

    async with kiosk(settings, service, tmp_path) as (app, pilot):
        look(app, "accueil")
        await pilot.press("f3")
        await settle(app, pilot)
        # (each language named in itself, and the request written in each of them)
        from entkiosk.ui.screens.language import CHOOSE, offered

        look(app, "langue", also=set(re.findall(r"[^\W\d_]{2,}", " ".join(
            [*i18n.LANGUAGES.values(), *(i18n.translations(code).gettext(CHOOSE) for code in offered())]))))
        await pilot.press("escape")
        await settle(app, pilot)
        await to_login(app, pilot)
        look(app, "connexion")
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        look(app, "première connexion")
        await fill_first_connection(app, pilot)
        # (the charter's text is the school's document, shown as its file says)
        look(app, "charte", also=set(re.findall(r"[^\W\d_]{2,}", (PACKAGE / "data" / "charte.txt").read_text())))
        await accept_charter(app, pilot)
        look(app, "accueil de l'élève")
        await tab_to(app, pilot, "logout")
        await submit(app, pilot)
        for way_in in ("forgot-identifier", "forgot-password", "reset-password", "guide"):
            app.end_session()  # back to the accueil (and to French: the pseudo-language again)
            await settle(app, pilot)
            i18n.use_catalog(pseudo_language(), "qps")
            await tab_to(app, pilot, way_in)
            await submit(app, pilot)
            look(app, way_in)
    assert {name: words for name, words in seen.items() if words} == {}


def test_a_language_without_a_catalog_is_said_and_french_is_kept(tmp_path: Path) -> None:
    """``[kiosk] language = "ar"`` (no Arabic catalog yet): the installed command says so on
    standard error, naming the key, and goes on in French."""
    from test_cli import write_conf

    conf = write_conf(tmp_path / "kiosk.conf", f"sqlite:///{tmp_path / 'kiosk.db'}", tmp_path / "outbox")
    conf.write_text(conf.read_text() + 'language = "ar"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"),
           "ENTKIOSK_CONFIG": str(conf)}
    proc = subprocess.run([str(ENTKIOSK), "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("Attention\u00a0: [kiosk] language = «\u00a0ar\u00a0»\u00a0: aucune traduction "
                                  "«\u00a0ar\u00a0» n'est installée"), proc.stderr
    assert "en français" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout.startswith("Schéma à jour")


def test_a_missing_or_broken_catalog_falls_back_to_french(tmp_path: Path, monkeypatch) -> None:
    """A catalog that is not there, or not a catalog: French, and a sentence saying which."""
    broken = tmp_path / "xx" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    (broken / "entkiosk.mo").write_bytes(b"not a catalog at all")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.problem("xx") == f"la traduction «\u00a0xx\u00a0» est illisible ({broken / 'entkiosk.mo'})"
        assert i18n.problem("yy") == "aucune traduction «\u00a0yy\u00a0» n'est installée"
        assert i18n.use("xx") == "fr" and i18n.language() == "fr"
        assert i18n._("Se connecter") == "Se connecter"
    finally:
        i18n.translations.cache_clear()


TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.REFERENCE]


def read_catalog(code: str):
    from babel.messages.pofile import read_po

    with (PACKAGE / "locale" / code / "LC_MESSAGES" / "entkiosk.po").open("rb") as file:
        return read_po(file, locale=code)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{[^{}]*\}", text))


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalog_translates_every_message_of_the_code(code: str) -> None:
    """Each French message of the code is in the catalog, translated, not fuzzy, with the
    same placeholders; nothing is left in the catalog that the code no longer says."""
    catalog = read_catalog(code)
    wanted = french_messages()
    missing, untranslated, fuzzy, broken = [], [], [], []
    for message in wanted:
        entry = catalog.get(message[0] if isinstance(message, tuple) else message)
        if entry is None:
            missing.append(message)
            continue
        texts = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(texts):
            untranslated.append(message)
        if entry.fuzzy:
            fuzzy.append(message)
        sources = message if isinstance(message, tuple) else (message,)
        if any(t and placeholders(t) != placeholders(sources[min(i, len(sources) - 1)]) for i, t in enumerate(texts)):
            broken.append(message)
    kept = {m[0] if isinstance(m, tuple) else m for m in wanted}
    stale = [entry.id for entry in catalog if entry.id and (entry.id[0] if isinstance(entry.id, tuple) else entry.id)
             not in kept]
    assert (missing, untranslated, fuzzy, broken, stale) == ([], [], [], [], [])


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_follow_their_own_typography(code: str) -> None:
    """No French no-break space before « : ; ! ? » nor inside quotes in English or Ukrainian."""
    wrong = []
    for entry in read_catalog(code):
        for text in entry.string if isinstance(entry.string, tuple) else (entry.string,):
            if re.search(r"\u00a0[:;!?»]|«\u00a0", text or ""):
                wrong.append(text)
    assert wrong == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_installed_catalogs_are_compiled_from_their_sources(code: str) -> None:
    """The ``.mo`` the kiosk reads is the ``.po`` of the repository compiled (reinstall after editing one)."""
    compiled = PACKAGE / "locale" / code / "LC_MESSAGES" / "entkiosk.mo"
    assert compiled.exists(), f"{compiled} is missing: reinstall the package (pip install -e .) to compile it"
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(code))
    assert compiled.read_bytes() == buffer.getvalue(), "the compiled catalog is stale: reinstall the package"


def english(french: str) -> str:
    """The English catalog's translation of ``french`` (which must differ from it)."""
    text = i18n.translations("en").gettext(french)
    assert text != french, f"not translated: {french!r}"
    return text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_language_chosen_on_the_accueil_holds_for_one_session(settings, service, outbox, tmp_path) -> None:
    """F3 on the accueil, « English »: the kiosk speaks English — screens, the footer, the
    validation mail — until the pupil logs out; the next pupil gets the school's French."""
    from textual.widgets import Button

    [letter] = service.import_class_list([student("Zoé", "Ndiaye")], actor="cli:test")
    async with kiosk(settings, service, tmp_path) as (app, pilot):
        assert ("F3", "Langue · Language · Мова") in footer_keys(app)
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, LanguageScreen)
        assert [str(button.label) for button in app.screen.query(Button)] == ["Français", "English", "Українська"]
        await pilot.press("down")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen) and i18n.language() == "en"
        assert shows(app, english("Se connecter")) and not shows(app, "Se connecter")
        assert (english("Entrée"), english("Choisir")) in footer_keys(app)
        await to_login(app, pilot)
        await log_in(app, pilot, letter.identifier, letter.provisional_password)
        await fill_first_connection(app, pilot, email="zoe.ndiaye@example.org")
        [mail] = outbox.entries()
        assert english("Bonjour,\n\nvous avez indiqué cette adresse mail pour votre espace de services en ligne "
                       "de l'éducation nationale.") in mail.body
        await submit(app, pilot)  # the notice about that mail, then the charter, in English too
        await settle(app, pilot)
        assert shows(app, "CHARTER FOR THE USE OF THE ENT AND THE ONLINE SERVICES")
        await accept_charter(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        await tab_to(app, pilot, "logout")
        await submit(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert i18n.language() == "fr" and shows(app, "Se connecter")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_word_of_the_staff_screens_comes_from_a_catalog(settings, service, tmp_path) -> None:
    """The console, a class, a pupil's card and the live session, in the pseudo-language."""
    from test_ui_console import STAFF, STAFF_PASSWORD, open_class, open_console, open_student

    service.add_staff(STAFF, STAFF_PASSWORD, STAFF_PASSWORD, actor="cli:install")
    letters = service.import_class_list([student("Zoé", "Ndiaye", cls="3A"), student("Noé", "Martin", cls="3A", line=3)],
                                        actor="cli:test")
    data = " ".join([settings.establishment.name, STAFF, "3A", "Zoé Ndiaye Noé Martin",
                     *(letter.identifier for letter in letters)])
    allowed = KEY_NAMES | set(re.findall(r"[^\W\d_]{2,}", data))
    i18n.use_catalog(pseudo_language(), "qps")
    seen: dict[str, set[str]] = {}
    async with kiosk(settings, service, tmp_path, size=(120, 40)) as (app, pilot):
        open_console(app, service)
        await settle(app, pilot)
        seen["console"] = outside_catalogs(screen_text(app), allowed)
        await open_class(app, pilot, "3A")
        seen["classe"] = outside_catalogs(screen_text(app), allowed)
        await open_student(app, pilot, letters[0].identifier)
        seen["fiche"] = outside_catalogs(screen_text(app), allowed)
        # The console's other screens, each opened on top of the card.
        from entkiosk.ui.screens.live_session import LiveSessionScreen
        from entkiosk.ui.screens.staff_add import AddStudentScreen
        from entkiosk.ui.screens.staff_audit import AuditScreen
        from entkiosk.ui.screens.staff_guardians import GuardiansScreen
        from entkiosk.ui.screens.staff_import import ImportScreen
        from entkiosk.ui.screens.staff_sync import SyncScreen
        from entkiosk.ui.screens.staff_team import StaffMemberScreen, TeamScreen

        for name, screen in (("séance en direct", lambda: LiveSessionScreen("3A")), ("journal", AuditScreen),
                             ("personnel", TeamScreen), ("nouveau membre", StaffMemberScreen),
                             ("importer", ImportScreen), ("mise à jour", SyncScreen),
                             ("ajouter un élève", lambda: AddStudentScreen("3A")),
                             ("responsables", lambda: GuardiansScreen("3A"))):
            await app.push_screen(screen())
            await settle(app, pilot)
            # (the audit lists today's events: the dates, the kiosk's id and the actors are data)
            seen[name] = outside_catalogs(screen_text(app), allowed | {"cli", "test", "install", "kiosk"})
            await app.pop_screen()
            await settle(app, pilot)
    assert {name: words for name, words in seen.items() if words} == {}



def test_letters_are_written_in_the_language_of_their_class_or_of_the_school(tmp_path: Path) -> None:
    """``[letters] languages = { "UPE2A" = "uk" }``: the installed ``entkiosk letters`` writes
    the UPE2A class's letters in Ukrainian (the bundled translated wording, the labels around
    it), and another class's in the school's French."""
    from conftest import make_settings
    from test_cli import write_conf

    from entkiosk.runtime import open_service

    db_url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    conf.write_text(conf.read_text() + '\n[letters]\nlanguages = { "UPE2A" = "uk" }\n')
    service = open_service(make_settings(db_url, tmp_path))
    service.import_class_list([student("Olena", "Kovalenko", cls="UPE2A"), student("Zoé", "Ndiaye", line=3)],
                              actor="cli:test")
    service.engine.dispose()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"),
           "ENTKIOSK_CONFIG": str(conf)}
    for cls, out in (("UPE2A", "upe2a.txt"), ("2nde 1", "seconde.txt")):
        proc = subprocess.run([str(ENTKIOSK), "letters", "--class", cls, "-o", str(tmp_path / out)],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode == 0, proc.stderr
    ukrainian = (tmp_path / "upe2a.txt").read_text(encoding="utf-8")
    french = (tmp_path / "seconde.txt").read_text(encoding="utf-8")
    assert "Тема: доступ до онлайн-сервісів" in ukrainian and "Логін: olena.kovalenko" in ukrainian
    assert i18n.translations("uk").gettext("Classe\u00a0: {class_name}").format(class_name="UPE2A") in ukrainian
    assert "Objet\u00a0: mise à disposition de services en ligne" in french and "Identifiant\u00a0: zoe.ndiaye" in french
    assert "Тема" not in french


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_language_and_colours_chosen_then_left_on_the_accueil_are_forgotten_when_idle(
        settings, service, tmp_path) -> None:
    """A pupil presses F3 (English) and F4 on the accueil, then walks away without logging in:
    after ``[kiosk] idle_timeout`` the countdown, then the school's French and colours again."""
    from ui_support import IdleClock

    idle = IdleClock()
    async with kiosk(settings, service, tmp_path, idle=idle) as (app, pilot):
        await pilot.press("f3")
        await settle(app, pilot)
        await pilot.press("down")
        await submit(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)
        assert i18n.language() == "en" and app.theme != "textual-dark"
        idle.advance(settings.kiosk.idle_timeout + 1)
        app.check_inactivity()
        await settle(app, pilot)
        assert i18n.language() == "fr" and app.theme == "textual-dark"
        assert isinstance(app.screen, WelcomeScreen) and shows(app, "Se connecter")


def test_a_letter_laid_out_in_a_worker_speaks_its_language_in_that_thread_only() -> None:
    """``speaking("uk")`` in a worker thread (a batch of letters) leaves the screens' language
    alone, and the worker's own language comes back after the block."""
    import threading

    seen: dict[str, str] = {}
    inside = threading.Event()
    done = threading.Event()

    def worker() -> None:
        with i18n.speaking("uk"):
            seen["worker"] = i18n._("Se connecter")
            inside.set()
            done.wait(10)
        seen["after"] = i18n._("Se connecter")

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    seen["screen"] = i18n._("Se connecter")
    done.set()
    thread.join(10)
    assert seen == {"worker": i18n.translations("uk").gettext("Se connecter"), "screen": "Se connecter",
                    "after": "Se connecter"}


def test_csv_lists_keep_french_states_whatever_the_language(tmp_path: Path) -> None:
    """``[kiosk] language = "en"``: ``entkiosk students`` speaks English on the terminal, and its
    ``--csv`` keeps the French headers and states a school's spreadsheets filter on."""
    from conftest import make_settings
    from test_cli import write_conf

    from entkiosk.runtime import open_service

    db_url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    conf = write_conf(tmp_path / "kiosk.conf", db_url, tmp_path / "outbox")
    conf.write_text(conf.read_text() + 'language = "en"\n')
    service = open_service(make_settings(db_url, tmp_path))
    service.import_class_list([student("Zoé", "Ndiaye")], actor="cli:test")
    service.engine.dispose()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"),
           "ENTKIOSK_CONFIG": str(conf)}
    shown = subprocess.run([str(ENTKIOSK), "students"], capture_output=True, text=True, env=env, timeout=120)
    csv_file = subprocess.run([str(ENTKIOSK), "students", "--csv"], capture_output=True, text=True, env=env,
                              timeout=120)
    assert shown.returncode == csv_file.returncode == 0, shown.stderr + csv_file.stderr
    waiting = i18n.translations("en").gettext("En attente").lower()
    assert waiting in shown.stdout and "en attente" not in shown.stdout
    assert csv_file.stdout.splitlines()[1].endswith(";en attente"), csv_file.stdout
