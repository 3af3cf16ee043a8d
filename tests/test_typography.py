"""French as a school writes it, checked mechanically on every text a pupil or staff member reads.

The rules (issue 12, point 8):

- a non-breaking space (U+00A0, or the narrow U+202F) before « ; : ! ? » and inside
  « guillemets »; never an ASCII space there, never none;
- « Connectez-vous », « Au-delà »; « mail » and « adresse mail », never « e-mail »,
  « email » or « courriel »; one expansion of ENT (« espace numérique de travail »);
  wording that fits any pupil (« Où en est-il ? » does not);
- an identifier is shown as it is, never upper-cased;
- every mail ends with the same closing; the first address mail does not say « vous
  avez modifié »; a button a mail names is one the screens show;
- on screen, a guillemet never ends up alone at a line break, and a long path breaks
  at a « / », not inside a file name.

The texts come from where the people read them: the domain errors' messages, the mails
built by the real builders, the letters rendered, the command line's output, every
screen of the kiosk and of the staff console walked with the pilot, and, so that a
sentence no walk reaches is not forgotten, every string literal of the modules that
speak to people.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from conftest import GOOD_PASSWORD, START, activate, last_code, make_settings, open_test_service, student
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, RadioButton, Static
from ui_support import footer_keys, kiosk, rendered, settle

import entkiosk
from entkiosk.domain import errors
from entkiosk.domain.clock import FixedClock
from entkiosk.service import AccountService

NBSP = "\u00a0\u202f"
SRC = Path(entkiosk.__file__).parent
EMAIL = "julie.baillet@example.org"
IDENTIFIER = "julie.baillet"

#: Words a school does not write, and what it writes instead.
WORDING = [
    (re.compile(r"\bconnectez vous\b", re.I), "« Connectez-vous »"),
    (re.compile(r"\bau delà\b", re.I), "« Au-delà »"),
    (re.compile(r"\be-?mails?\b", re.I), "« mail » (and « adresse mail »)"),
    (re.compile(r"\bcourriels?\b", re.I), "« mail » (and « adresse mail »)"),
    (re.compile(r"adresse (électronique|de messagerie)", re.I), "« adresse mail »"),
    (re.compile(r"environnement numérique", re.I), "« espace numérique de travail » (one name for the ENT)"),
    (re.compile(r"\bOù en est-(il|elle)\b", re.I), "wording that fits any pupil"),
]


FRENCH = re.compile(r"\b(le|la|les|un|une|de|des|du|votre|vous|et|est)\b", re.I)


def faults(text: str, *, source: bool = False) -> list[str]:
    """What is wrong with ``text``, each fault with the words around it. In ``source``
    (a string literal, maybe code-like), a missing space is not reported: an ASCII one is."""
    found = []

    def around(i: int) -> str:
        return repr(text[max(0, i - 25):i + 15])

    for m in re.finditer(r"[;:!?]", text):
        i = m.start()
        after = text[i + 1:i + 2]
        if after and not (after.isspace() or after in "»).,\"'"):
            continue  # « https:// », « ?code= », « 10:30 », « nom;prénom »: not punctuation
        before = text[i - 1:i]
        if i == 0 or before == "\n" or before in NBSP or before in "?!" or (source and before != " "):
            continue
        found.append(f"{'ASCII space' if before == ' ' else 'no space'} before « {m.group()} » in {around(i)}")
    for m in re.finditer("«", text):
        if text[m.end():m.end() + 1] not in tuple(NBSP):
            found.append(f"no non-breaking space after « in {around(m.start())}")
    for m in re.finditer("»", text):
        if text[m.start() - 1:m.start()] not in tuple(NBSP):
            found.append(f"no non-breaking space before » in {around(m.start())}")
    words = re.sub(r"(https?://|\$)\S+", "", text)  # a link's path and a template's $email are not words
    if source and not FRENCH.search(words):
        words = ""  # a literal in English (a programming error, a key): not a school's words
    for pattern, instead in WORDING:
        found += [f"{m.group()!r}: write {instead}, in {around(m.start())}" for m in pattern.finditer(words)]
    return found


def assert_french(texts: dict[str, str], *, source: bool = False) -> None:
    """Every text of ``texts`` (its name → its words) is written as a school writes it."""
    problems = [f"{name}: {fault}" for name, text in texts.items() for fault in faults(text, source=source)]
    assert not problems, f"{len(problems)} typography fault(s):\n" + "\n".join(problems)


def test_the_checker_catches_each_fault_and_passes_good_french() -> None:
    assert faults("Identifiant : julie")[0].startswith("ASCII space before « : »")
    assert faults("Identifiant: julie")[0].startswith("no space before « : »")
    assert faults("Êtes-vous là ?")
    assert faults("le bouton « Valider »") and faults("le bouton «\u00a0Valider »")
    assert faults("Connectez vous") and faults("Au delà, votre compte") and faults("un e-mail")
    assert faults("Où en est-il\u00a0?")
    assert not faults("Identifiant\u00a0: julie.baillet\u00a0; «\u00a0Valider\u00a0»\u202f! https://x.org/?code=AB "
                      "10:30 nom;prénom Connectez-vous. Au-delà, un mail à votre adresse mail.")


# ------------------------------------------------------------ every string literal of the modules that speak


def speaking_modules() -> list[Path]:
    """The modules whose strings people read: screens, mails, letters, command line,
    the service's and the domain's refusals, the configuration's errors."""
    return sorted([*SRC.glob("ui/**/*.py"), SRC / "mail" / "messages.py", SRC / "mail" / "transports.py", *SRC.glob("letters/**/*.py"),
                   SRC / "cli.py", SRC / "cli_directory.py", *SRC.glob("directory/*.py"), *SRC.glob("service/*.py"), *SRC.glob("imports/*.py"), SRC / "domain" / "letter_template.py", SRC / "domain" / "errors.py", SRC / "domain" / "classlist.py",
                   SRC / "domain" / "passwords.py", SRC / "domain" / "name_rules.py", SRC / "config.py", SRC / "runtime.py"])


def literals(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal of ``path`` that may be a sentence: not a
    docstring, not a log call's (the log is the IT person's, in English), not a stylesheet,
    not a bare word (a key, a field's id). An f-string's fixed parts are joined with « {} »
    where its values go."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)):
            skipped.add(id(node.body[0].value))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id in ("log", "logger", "logging")):
            skipped.update(id(sub) for arg in node.args for sub in ast.walk(arg))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("CSS") for t in node.targets):
            skipped.update(id(sub) for sub in ast.walk(node.value))
        elif isinstance(node, ast.JoinedStr):
            skipped.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if " " in text.strip():
            yield node.lineno, text


def test_every_string_literal_of_the_speaking_modules() -> None:
    texts = {f"{path.relative_to(SRC)}:{line}": text
             for path in speaking_modules() for line, text in literals(path)}
    assert len(texts) > 500
    assert_french(texts, source=True)


def test_the_bundled_letter_charter_and_sample_config() -> None:
    """The letter's template and the sample charter are printed and shown as they are written."""
    texts = {"domain/data/lettre.txt": (SRC / "domain" / "data" / "lettre.txt").read_text(encoding="utf-8"),
             "domain/data/lettre_parent.txt": (SRC / "domain" / "data" / "lettre_parent.txt").read_text(encoding="utf-8"),
             "data/charte.txt": (SRC / "data" / "charte.txt").read_text(encoding="utf-8")}
    assert_french(texts)


# ------------------------------------------------------------ the domain's refusals


def test_the_domain_errors_messages() -> None:
    texts = {
        "AuthenticationFailed": str(errors.AuthenticationFailed()),
        "Locked(1 min)": str(errors.Locked(30)), "Locked(15 min)": str(errors.Locked(900)),
        "AccountExpired": str(errors.AccountExpired(3)), "SessionExpired": str(errors.SessionExpired()),
        "Conflict": str(errors.Conflict()), "InvalidCode": str(errors.InvalidCode()),
        "RecoveryRefused": str(errors.RecoveryRefused()), "StorageUnavailable": str(errors.StorageUnavailable()),
        "ImportRejected": str(errors.ImportRejected([(3, "date de naissance invalide"), (7, "nom manquant")])),
    }
    assert_french(texts)


def test_the_refusals_of_the_service(service: AccountService) -> None:
    """A few refusals the service composes at run time (their literals are checked above)."""
    from entkiosk.domain.errors import DomainError

    texts = {}
    for name, call in {
        "letters without a target": lambda: service.issue_letters(actor="cli:test"),
        "letters of an unknown student": lambda: service.issue_letters(identifier="personne.inconnue", actor="cli:test"),
        "first connection, bad input": lambda: service.first_connection(
            service.authenticate(*letter_of(service)).token, birth_date="31/02/2010", new_password="court",
            confirm_password="autre", email="pas une adresse", confirm_email="autre"),
    }.items():
        with pytest.raises(DomainError) as refused:
            call()
        error = refused.value
        texts[name] = "\n".join(getattr(error, "errors", {}).values()) or str(error)
    assert_french(texts)


def letter_of(service: AccountService) -> tuple[str, str]:
    letter = service.import_class_list([student()], actor="cli:test")[0]
    return letter.identifier, letter.provisional_password


# ------------------------------------------------------------ the mails


def mails(service: AccountService, outbox) -> dict[str, object]:
    """Every kind of mail, as the service sends them (so with the wording it chooses)."""
    letter = service.import_class_list([student()], actor="cli:test")[0]
    token = activate(service, letter, email=EMAIL)  # first address: validation mail
    found = {"first address": outbox.entries()[-1]}
    service.validate_email(last_code(outbox), token=token)
    service.forgot_identifier(EMAIL)
    found["identifier reminder"] = outbox.entries()[-1]
    service.forgot_password(IDENTIFIER)
    found["password reset"] = outbox.entries()[-1]
    service.reset_password(IDENTIFIER, last_code(outbox), "Nouveau2mdp", "Nouveau2mdp")
    found["notice of change"] = outbox.entries()[-1]
    token = service.authenticate(IDENTIFIER, "Nouveau2mdp").token
    service.update_profile(token, current_password="Nouveau2mdp", new_email="julie.b@example.org",
                           confirm_email="julie.b@example.org")
    new = [e for e in outbox.entries() if e.to == "julie.b@example.org"]
    found["new address"] = new[-1]
    return found


def test_every_mail_is_french_and_ends_the_same_way(service: AccountService, outbox) -> None:
    sent = mails(service, outbox)
    assert_french({f"{name} (subject)": m.subject for name, m in sent.items()}
                  | {f"{name} (body)": m.body for name, m in sent.items()})
    closing = "Cordialement,\nL'administrateur des services en ligne"
    for name, m in sent.items():
        assert m.body.rstrip().endswith(closing), f"{name} ends with {m.body.rstrip()[-80:]!r}"


def test_the_first_address_mail_does_not_say_it_was_changed(service: AccountService, outbox) -> None:
    sent = mails(service, outbox)
    assert "modifié" not in sent["first address"].body
    assert "vous avez indiqué cette adresse mail" in " ".join(sent["first address"].body.split())
    assert "vous avez modifié votre adresse mail" in " ".join(sent["new address"].body.split())


def test_the_mails_name_buttons_the_screens_show(service: AccountService, outbox, tmp_path: Path) -> None:
    """Each « … » of a mail that is no subject is a button's label on the screen it leads to."""
    import asyncio

    sent = mails(service, outbox)
    quoted = {q for m in sent.values() for q in re.findall(r"«\s*(.+?)\s*»", m.body)}
    subjects = {m.subject for m in sent.values()}
    buttons = asyncio.run(button_labels(service, tmp_path))
    assert quoted - subjects, "no mail names a button"
    assert quoted - subjects <= buttons, f"named in a mail, shown on no screen: {quoted - subjects - buttons}"


async def button_labels(service: AccountService, tmp_path: Path) -> set[str]:
    """The labels of the buttons of the accueil, the student's home and profile."""
    from entkiosk.ui.screens.profile import ProfileScreen

    labels: set[str] = set()
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        labels |= {str(b.label) for b in app.screen.query(Button)}
        app.open_session(service.authenticate(IDENTIFIER, "Nouveau2mdp"))
        await settle(app, pilot)
        labels |= {str(b.label) for b in app.screen.query(Button)}
        await app.push_screen(ProfileScreen())
        await settle(app, pilot)
        labels |= {str(b.label) for b in app.screen.query(Button)}
    return labels


# ------------------------------------------------------------ the letters and the command line


def test_the_letters_text(service: AccountService) -> None:
    from entkiosk.letters.text import render_letters

    letters = service.import_class_list([student(), student("Zoé", "N'Diaye", line=3)], actor="cli:test")
    assert_french({"letters": render_letters(letters, service.settings)})


def test_the_command_line_output(service: AccountService, tmp_path: Path, capsys, monkeypatch) -> None:
    """What ``entkiosk`` prints for a refused import, letters written, the outbox, a bad option."""
    from entkiosk import cli

    conf = tmp_path / "kiosk.conf"
    conf.write_text(f'[database]\nurl = "{service.settings.database.url}"\n[mail]\noutbox = "{tmp_path / "out"}"\n',
                    encoding="utf-8")
    monkeypatch.setenv("ENTKIOSK_CONFIG", str(conf))
    bad = tmp_path / "classe.csv"
    bad.write_text("nom;prénom;date de naissance;classe\nBaillet;Julie;31/02/2010;5e B\n;Zoé;01/01/2010;5e B\n",
                   encoding="utf-8")
    good = tmp_path / "bonne.csv"
    good.write_text("nom;prénom;date de naissance;classe\nBaillet;Julie;14/03/2010;5e B\n", encoding="utf-8")
    outputs = {}
    for name, argv in {"refused import": ["import", str(bad)], "import": ["import", str(good)],
                       "letters": ["letters", "--class", "5e B", "-o", str(tmp_path / "l.txt")],
                       "outbox": ["outbox"], "unknown option": ["letters", "--nimporte"]}.items():
        try:
            cli.main(argv)
        except SystemExit:
            pass
        out = capsys.readouterr()
        outputs[name] = out.out + out.err
    assert "Baillet" in (tmp_path / "l.txt").read_text(encoding="utf-8")
    assert_french(outputs)


# ------------------------------------------------------------ every screen, walked with the pilot

Step = Callable[[Pilot], Awaitable[None] | None]


def shown(app) -> str:
    """Every word the screens of the stack show: texts, buttons, fields' placeholders and
    labels, tables' headers and cells, the footer's keys."""
    parts = []
    for screen in app.screen_stack:
        for widget in screen.walk_children(with_self=False):
            if isinstance(widget, (Button, RadioButton)):
                parts.append(str(widget.label))
            elif isinstance(widget, Static):
                parts.append(str(widget.render()))
            elif isinstance(widget, Input):
                parts.append(widget.placeholder)
            elif isinstance(widget, DataTable):
                parts += [str(c.label) for c in widget.columns.values()]
                parts += [str(getattr(c, "plain", c)) for i in range(widget.row_count) for c in widget.get_row_at(i)]
            if widget.border_title:
                parts.append(str(widget.border_title))
    parts += [description for _, description in footer_keys(app)]
    return "\n".join(parts)


def line_breaks(app) -> list[str]:
    """Lines of the terminal that break a guillemet from its word, or a file name in two."""
    bad = []
    lines = [strip.text.rstrip() for strip in rendered(app)]
    for line in lines:
        if line.endswith("«") or line.lstrip().startswith("»") or re.match(r"\s*[;:!?](\s|$)", line):
            bad.append(line)
    return bad


def fill(**values: str) -> Step:
    def action(pilot: Pilot) -> None:
        for field_id, value in values.items():
            pilot.app.screen.query_one(f"#{field_id}", Input).value = value
    return action


def click(selector: str) -> Step:
    async def action(pilot: Pilot) -> None:
        pilot.app.screen.query_one(selector, Button).press()
        await pilot.pause()
    return action


def push(factory: Callable[[], object]) -> Step:
    async def action(pilot: Pilot) -> None:
        await pilot.app.push_screen(factory())
    return action


def student_walks(service: AccountService, outbox) -> dict[str, list[Step]]:
    from entkiosk.ui.screens.forgot import ForgotIdentifierScreen, ForgotPasswordScreen, ResetPasswordScreen
    from entkiosk.ui.screens.guide import GuideScreen
    from entkiosk.ui.screens.login import LoginScreen
    from entkiosk.ui.screens.portal import PortalScreen
    from entkiosk.ui.screens.profile import ProfileScreen
    from entkiosk.ui.screens.validate_email import ValidateEmailScreen

    julie = service.import_class_list([student()], actor="cli:test")[0]
    zoe = service.import_class_list([student("Zoé", "N'Diaye", line=3)], actor="cli:test")[0]
    lea = service.import_class_list([student("Léa", "Blanc", line=4)], actor="cli:test")[0]
    activate(service, zoe, email="zoe@example.org")
    service.validate_email(last_code(outbox), token=service.authenticate(zoe.identifier, GOOD_PASSWORD).token)

    def login(identifier: str, password: str) -> Step:
        return lambda pilot: pilot.app.open_session(service.authenticate(identifier, password))

    first = fill(birth_day="14", birth_month="03", birth_year="2010", new_password=GOOD_PASSWORD,
                 new_password_confirm=GOOD_PASSWORD)
    zoe_in = login(zoe.identifier, GOOD_PASSWORD)
    return {
        "accueil": [],
        "portal": [push(PortalScreen)],
        "login refused": [push(LoginScreen), fill(identifier=IDENTIFIER, password="Mauvais123"), click("#validate")],
        "staff login": [push(lambda: LoginScreen(staff=True))],
        "first connection": [login(IDENTIFIER, julie.provisional_password)],
        "first connection refused": [login(IDENTIFIER, julie.provisional_password),
                                     fill(birth_day="15", birth_month="03", birth_year="2010", new_password="court",
                                          new_password_confirm="autre", email="julie@", email_confirm="x"),
                                     click("#validate")],
        "pending page, charter": [login(IDENTIFIER, julie.provisional_password), first,
                                  fill(email=EMAIL, email_confirm=EMAIL), click("#validate")],
        "charter not ticked": [login(lea.identifier, lea.provisional_password), first, click("#validate"),
                               click("#validate")],
        "home": [zoe_in],
        "home, contact": [zoe_in, click("#contact")],
        "profile": [zoe_in, push(ProfileScreen)],
        "profile, refused": [zoe_in, push(ProfileScreen), fill(current_password="Mauvais123", email="a@b.org",
                                                               email_confirm="a@b.org"), click("#save")],
        "profile, new address": [zoe_in, push(ProfileScreen), fill(current_password=GOOD_PASSWORD, email="z@b.org",
                                                                   email_confirm="z@b.org"), click("#save")],
        "profile, pending": [zoe_in, push(ProfileScreen), fill(current_password=GOOD_PASSWORD, email="z@b.org",
                                                               email_confirm="z@b.org"), click("#save"),
                             click("#ok"), push(ProfileScreen)],
        "validate email, wrong code": [zoe_in, push(ValidateEmailScreen), fill(code="AAAA-BBBB"),
                                       click("#validate")],
        "forgot identifier, refused": [push(ForgotIdentifierScreen), fill(email="x@example.org"), click("#validate")],
        "forgot identifier, sent": [push(ForgotIdentifierScreen), fill(email="zoe@example.org"), click("#validate")],
        "forgot password, reference": [push(ForgotPasswordScreen), fill(identifier=zoe.identifier),
                                       click("#validate")],
        "reset password, wrong code": [push(ResetPasswordScreen), fill(identifier=zoe.identifier, code="AAAA-BBBB",
                                                                       new_password="Nouveau2mdp",
                                                                       new_password_confirm="Nouveau2mdp"),
                                       click("#validate")],
        "guide": [push(GuideScreen)],
    }


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The words do not depend on the database engine: SQLite only."""
    return f"sqlite:///{tmp_path / 'typo.db'}"


@pytest.fixture
def service(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[AccountService]:
    settings = make_settings(db_url, tmp_path, guide={"url": "https://ent.example.org/guide-eleves/"},
                             establishment={"message": "Les conseils de classe ont lieu du 9 au 20 mars."})
    svc = open_test_service(settings, request, clock=FixedClock(START))
    yield svc
    svc.engine.dispose()


async def walk(service: AccountService, tmp_path: Path, walks: dict[str, list[Step]]) -> dict[str, str]:
    """Each walk on a fresh kiosk; what its screens show at the end (and the bad line breaks)."""
    texts = {}
    for name, steps in walks.items():
        async with kiosk(service.settings, service, tmp_path) as (app, pilot):
            for step in steps:
                result = step(pilot)
                if result is not None:
                    await result
                await settle(app, pilot)
            texts[name] = shown(app)
            breaks = line_breaks(app)
            if breaks:
                texts[f"{name} (line breaks)"] = "\n".join(f"« » split at a line break : {b}" for b in breaks)
            assert IDENTIFIER.upper() not in texts[name] and "ZOE.NDIAYE" not in texts[name], (
                f"{name}: an identifier is shown upper-cased")
    return texts


async def test_every_student_screen(service: AccountService, outbox, tmp_path: Path) -> None:
    texts = await walk(service, tmp_path, student_walks(service, outbox))
    assert "Compte en attente de validation" in texts["pending page, charter"]
    assert "Bienvenue Zoé" in texts["home"]
    assert_french(texts)


async def test_every_staff_screen(service: AccountService, tmp_path: Path) -> None:
    from entkiosk.ui.screens.live_session import LiveSessionScreen
    from entkiosk.ui.screens.staff_add import AddStudentScreen
    from entkiosk.ui.screens.staff_class import ClassScreen
    from entkiosk.ui.screens.staff_import import ImportScreen
    from entkiosk.ui.screens.staff_student import StudentScreen

    service.add_staff("prof.martin", "Craie7tableau26", "Craie7tableau26", actor="cli:install")
    service.import_class_list([student(cls="5e B"), student("Zoé", "N'Diaye", cls="5e B", line=3)], actor="cli:test")
    clean = tmp_path / "liste.csv"
    clean.write_text("nom;prénom;date de naissance;classe\nŒuvray;Gaëtan;02/02/2010;5e B\n", encoding="utf-8")
    bad = tmp_path / "mauvaise.csv"
    bad.write_text("nom;prénom;date de naissance;classe\nŒuvray;Gaëtan;31/02/2010;5e B\n", encoding="utf-8")

    def staff(pilot: Pilot) -> None:
        pilot.app.open_session(service.authenticate("prof.martin", "Craie7tableau26", kind="staff"))

    def card() -> StudentScreen:
        return StudentScreen(next(s for s in service.class_students("5e B") if s.identifier == IDENTIFIER))

    texts = await walk(service, tmp_path, {
        "console": [staff],
        "class": [staff, push(lambda: ClassScreen("5e B"))],
        "class letters, confirm": [staff, push(lambda: ClassScreen("5e B")), click("#letters")],
        "card": [staff, push(card)],
        "card, letter confirm": [staff, push(card), click("#letter")],
        "import, clean": [staff, push(ImportScreen), fill(path=str(clean)), click("#preview")],
        "import, bad rows": [staff, push(ImportScreen), fill(path=str(bad)), click("#preview")],
        "import, a folder": [staff, push(ImportScreen), fill(path=str(tmp_path)), click("#preview")],
        "add student, refused": [staff, push(AddStudentScreen), click("#create")],
        "live session": [staff, push(lambda: LiveSessionScreen("5e B"))],
        "close kiosk, confirm": [staff, click("#close")],
    })
    assert "Baillet Julie" in texts["class"]
    assert_french(texts)


# ------------------------------------------------------------ line breaks on screen


def widget_lines(app, widget) -> list[str]:
    """The terminal lines ``widget`` covers, as shown (its padding stripped)."""
    region = widget.region
    strips = rendered(app)
    return [strips[y].crop(region.x, region.right).text.strip() for y in range(region.y, region.bottom)]


async def test_a_guillemet_or_a_colon_never_starts_or_ends_a_line_alone(service: AccountService,
                                                                        tmp_path: Path) -> None:
    """Whatever falls at the end of a line, « J'accepte » stays whole with its guillemets,
    and « : » and « ! » stay with the word before them (Textual alone breaks at any space,
    the non-breaking one included)."""
    from entkiosk.ui.screens.message import MessageScreen

    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        for shift in range(0, 80, 2):
            sentence = ("x" * (shift % 9) + " ") * (shift // 9) + (
                "Cochez «\u00a0J'accepte\u00a0» puis validez\u00a0: c'est tout\u00a0!")
            await app.push_screen(MessageScreen("CONFIRMATION", "Titre", sentence))
            await settle(app, pilot)
            paragraph = app.screen.query_one(".paragraph", Static)
            lines = widget_lines(app, paragraph)
            assert " ".join(" ".join(lines).split()) == " ".join(sentence.split()), lines  # nothing lost
            assert not line_breaks(app), (shift, lines)
            for line in lines:
                assert not line.endswith(("«", "\u00a0")) and not line.startswith(("»", ":", "!")), (shift, lines)
            app.pop_screen()  # (off the stack at once; the next push's settle lets its removal finish)


async def test_a_long_path_in_a_message_breaks_after_a_slash(service: AccountService, tmp_path: Path) -> None:
    """« /…/classes-de-cinquieme/ est un dossier » on the import screen: the path, longer
    than a line, is cut only right after a « / », never inside a folder's name."""
    from entkiosk.ui.screens.staff_import import ImportScreen

    folder = tmp_path / "listes-des-classes-de-cinquieme" / "annee-scolaire-2026-2027" / "definitives"
    folder.mkdir(parents=True)
    path = str(folder)
    assert len(path) > 80
    service.add_staff("prof.martin", "Craie7tableau26", "Craie7tableau26", actor="cli:install")
    async with kiosk(service.settings, service, tmp_path) as (app, pilot):
        app.open_session(service.authenticate("prof.martin", "Craie7tableau26", kind="staff"))
        await settle(app, pilot)
        await app.push_screen(ImportScreen())
        await settle(app, pilot)
        app.screen.query_one("#path", Input).value = path
        app.screen.query_one("#preview", Button).press()
        await settle(app, pilot)
        error = app.screen.query_one("#path-error", Static)
        lines = [line for line in widget_lines(app, error) if line]
        joined = "".join(lines)
        start = joined.index(path)
        assert len(lines) > 1 and "est un dossier" in " ".join(lines)
        ends = [sum(len(line) for line in lines[:i + 1]) for i in range(len(lines) - 1)]
        inside = [end for end in ends if start < end < start + len(path)]
        assert inside, f"the path was not broken at all: {lines}"
        for end in inside:
            assert joined[end - 1] == "/", f"the path is cut inside a name: {lines}"
