"""Notification letters: the wording template, plain text, PDF, and the files they go to.

PDFs are read back as a student's printer would see them: pypdf for the text,
pypdfium2 to render a page and zxing-cpp to read its QR code.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from conftest import make_settings, student
from pypdf import PdfReader

from entkiosk.config import ConfigError, Settings, load_settings
from entkiosk.domain import errors
from entkiosk.domain.errors import DomainError
from entkiosk.letters import check_output, console_letters_path, write_letters
from entkiosk.letters.pdf import render_pdf
from entkiosk.domain.letter_template import DEFAULT_TEMPLATE, PLACEHOLDERS, TemplateError, parse_template
from entkiosk.letters.text import render_letter, render_letters

MM = 72 / 25.4  # PDF points in a millimetre
SERVICES = "https://ent.example.org/activer?etab=0590000A"
GUIDE_SENTENCES = [
    "Objet : mise à disposition de services en ligne",
    "Identifiant :",
    "Mot de passe * :",
    "* Mot de passe provisoire, à modifier lors de la première connexion.",
    "Vous disposez d'un délai de 3 mois pour activer votre compte. Au-delà, votre compte sera supprimé",
    "Les règles de bon usage de ces services sont précisées dans la charte en vigueur dans l'établissement.",
    "Avec mes encouragements.",
]
PASSWORD = re.compile(r"Mot de passe \* : (\S+)")


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (wrapping aside)."""
    return re.sub(r"[^\S\u00a0\u202f]+", " ", text).strip()  # a non-breaking space is typography: kept


def pdf_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def printed_password(page_text: str) -> str:
    [password] = PASSWORD.findall(page_text)
    return password


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, establishment={"services_url": SERVICES},
                         letters={"folder": str(tmp_path / "courriers")})


@pytest.fixture
def class_letters(service):
    """Three students of « 2nde 3 », just imported (the letters of their first password)."""
    return service.import_class_list([student("Julie", "Baillet", cls="2nde 3"),
                                      student("Zoé", "N'Diaye", cls="2nde 3", line=3),
                                      student("Łukasz", "Żółć", cls="2nde 3", line=4)], actor="cli:t")


# ------------------------------------------------------------ PDF


def test_pdf_has_one_a4_page_per_student_with_only_its_own_credentials(class_letters, settings):
    data = render_pdf(class_letters, settings)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    for letter, page in zip(class_letters, reader.pages, strict=True):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) <= 1 and abs(height - 841.89) <= 1
        text = page.extract_text()
        assert f"Identifiant : {letter.identifier}" in text
        assert printed_password(text) == letter.provisional_password
        for other in class_letters:
            if other is not letter:
                assert other.identifier not in text
                assert other.provisional_password not in text
        assert f"{letter.first_name} {letter.last_name}" in text
        assert "Classe : 2nde 3" in text
        assert "Lille, le 01/09/2026" in text  # START is 10:00 in Lille
        for sentence in GUIDE_SENTENCES:
            assert sentence in flat(text), sentence
        assert SERVICES in text
        assert "Flashez pour accéder aux services" in text


def test_pdf_metadata_names_the_document_never_a_student(class_letters, settings):
    reader = PdfReader(io.BytesIO(render_pdf(class_letters, settings)))
    assert reader.metadata.title == "Courriers de notification"
    everything = " ".join(str(value) for value in reader.metadata.values())
    for letter in class_letters:
        assert letter.provisional_password not in everything
        assert letter.identifier not in everything
        assert letter.last_name not in everything


def test_pdf_text_is_in_the_bundled_fonts(class_letters, settings):
    reader = PdfReader(io.BytesIO(render_pdf(class_letters, settings)))
    fonts = {str(font["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVuSans" in font for font in fonts), fonts
    assert all("/FontFile2" in font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
               for font in reader.pages[0]["/Resources"]["/Font"].values())  # embedded, not assumed


def test_each_page_has_a_readable_qr_code_of_the_services_address(class_letters, settings):
    data = render_pdf(class_letters, settings)
    with pdfium.PdfDocument(data) as pdf:
        for index in range(len(pdf)):
            page = pdf[index]
            image = page.render(scale=3).to_pil()
            page.close()
            codes = zxingcpp.read_barcodes(image)
            assert [(code.format, code.text) for code in codes] == [(zxingcpp.BarcodeFormat.QRCode, SERVICES)]


def test_names_outside_latin_1_print_as_written(class_letters, settings):
    pages = pdf_texts(render_pdf(class_letters, settings))
    assert "Łukasz Żółć" in pages[2]
    assert "Zoé N'Diaye" in pages[1]
    assert "Łukasz Żółć" in render_letter(class_letters[2], settings)


def test_characters_the_font_lacks_are_reported_in_french(service, settings, caplog):
    [letter] = service.import_class_list([student("Wei", "Li 李")], actor="cli:t")
    with caplog.at_level("WARNING"):
        render_pdf([letter], settings)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["Courriers : caractères absents de la police, imprimés comme des cases vides : 李"]


def text_boxes_outside(data: bytes, margin_mm: float = 12.0) -> list[tuple[int, str]]:
    """Characters (page, char) whose box leaves the page minus ``margin_mm`` on any side."""
    outside = []
    with pdfium.PdfDocument(data) as pdf:
        for index in range(len(pdf)):
            page = pdf[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            for i in range(textpage.count_chars()):
                left, bottom, right, top = textpage.get_charbox(i)
                if right <= left:  # no ink (a space)
                    continue
                if (left < margin_mm * MM or right > width - margin_mm * MM
                        or bottom < margin_mm * MM or top > height - margin_mm * MM):
                    outside.append((index, textpage.get_text_range(i, 1)))
            textpage.close()
            page.close()
    return outside


def test_long_establishment_and_student_fields_stay_on_the_page(service, db_url, tmp_path):
    settings = make_settings(db_url, tmp_path, establishment={
        "name": ("Lycée polyvalent régional " + "Jean-Baptiste de La Salle " * 8)[:200],
        "address": "Cité scolaire, " + "bâtiment des sciences et techniques industrielles " * 4
                   + "\n" + "123456789 " * 20 + "\n59000 LILLE CEDEX",
        "email": "ce." + "x" * 120 + "@ac-lille.fr",
        "head": "Le proviseur de la cité scolaire " * 6,
        "services_url": "https://teleservices.ac-lille.fr/" + "chemin/" * 30,
    })
    assert len(settings.establishment.name) == 200
    [letter] = service.import_class_list([student("Marie-Charlotte Éléonore Anne-Sophie " * 3,
                                                  "de La Tour d'Auvergne-Lauraguais " * 3,
                                                  cls="Terminale générale option " + "X" * 34)], actor="cli:t")
    data = render_pdf([letter], settings)
    [text] = pdf_texts(data)
    assert text_boxes_outside(data) == []
    assert f"Identifiant : {letter.identifier}" in text
    assert printed_password(text) == letter.provisional_password
    with pdfium.PdfDocument(data) as pdf:
        page = pdf[0]
        [code] = zxingcpp.read_barcodes(page.render(scale=3).to_pil())
        page.close()
    assert code.text == settings.establishment.services_url


def test_ordinary_letters_stay_within_the_margins(class_letters, settings):
    assert text_boxes_outside(render_pdf(class_letters, settings), margin_mm=14.0) == []


def test_pdf_progress_reports_every_25_pages_and_the_end(service, settings):
    rows = [student("Élève", f"Numéro{chr(65 + i // 26)}{chr(65 + i % 26)}", line=i + 2) for i in range(60)]
    letters = service.import_class_list(rows, actor="cli:t")
    calls: list[tuple[int, int]] = []
    data = render_pdf(letters, settings, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(25, 60), (50, 60), (60, 60)]
    assert len(PdfReader(io.BytesIO(data)).pages) == 60


def test_reprinting_voids_the_first_letter_and_the_second_pdf_works(service, class_letters, settings):
    julie = class_letters[0]
    [first] = service.issue_letters(identifier=julie.identifier, actor="cli:t")
    [second] = service.issue_letters(identifier=julie.identifier, actor="cli:t")
    first_password = printed_password(pdf_texts(render_pdf([first], settings))[0])
    second_password = printed_password(pdf_texts(render_pdf([second], settings))[0])
    assert first_password != second_password
    for stale in (julie.provisional_password, first_password):
        with pytest.raises(errors.AuthenticationFailed):
            service.authenticate(julie.identifier, stale)
    assert service.authenticate(julie.identifier, second_password).next_step == "first_connection"


# ------------------------------------------------------------ plain text


def test_text_letters_follow_the_guide(class_letters, settings):
    text = render_letters(class_letters, settings)
    letters = text.split("\f")
    assert len(letters) == 3
    for letter, page in zip(class_letters, letters, strict=True):
        for sentence in GUIDE_SENTENCES:
            assert sentence in flat(page), sentence
        assert f"    Identifiant : {letter.identifier}\n" in page
        assert f"    Mot de passe * : {letter.provisional_password}\n" in page
        assert f"\n    {SERVICES}\n" in page
        assert "Date limite d'activation : 01/12/2026" in page
        assert max(len(line) for line in page.splitlines()) <= 80


def test_the_wording_does_not_open_a_sentence_with_the_raw_establishment_name(class_letters, settings):
    text = flat(render_letter(class_letters[0], settings))
    assert "Votre établissement, Lycée de démonstration, met à la disposition des élèves" in text
    body = render_letter(class_letters[0], settings).split("Objet :", 1)[1]
    assert not any(line.startswith("Lycée de démonstration") for line in body.splitlines())


def test_empty_establishment_fields_leave_no_empty_label(service, db_url, tmp_path):
    settings = make_settings(db_url, tmp_path, establishment={"phone": "", "email": ""})
    [letter] = service.import_class_list([student()], actor="cli:t")
    assert "Tél" not in render_letter(letter, settings)
    assert "Mail :" not in pdf_texts(render_pdf([letter], settings))[0]


# ------------------------------------------------------------ the template

CUSTOM = """\
# Notre courrier
Objet : votre compte pour l'ENT du $establishment

Bonjour $first_name, voici de quoi activer votre compte
avant le $deadline (prix : 0 $$).

    Votre identifiant : $identifier
    Votre mot de passe : ${password}

* Ce mot de passe ne sert qu'une fois.
"""


def test_template_syntax():
    template = parse_template(CUSTOM)
    kinds = [[(line.kind, line.template.template) for line in p.lines] for p in template.paragraphs]
    assert kinds == [
        [("text", "Objet : votre compte pour l'ENT du $establishment")],
        [("text", "Bonjour $first_name, voici de quoi activer votre compte avant le $deadline (prix : 0 $$).")],
        [("key", "Votre identifiant : $identifier"), ("key", "Votre mot de passe : ${password}")],
        [("text", "* Ce mot de passe ne sert qu'une fois.")],
    ]
    assert [p.footnote for p in template.paragraphs] == [False, False, False, True]


def test_bundled_template_uses_known_placeholders_only():
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{?(\w+)", "\n".join(line for line in text.splitlines() if not line.startswith("#"))))
    assert {"identifier", "password", "services_url", "establishment", "months", "deadline"} <= used <= set(PLACEHOLDERS)
    parse_template(text)


def test_custom_template_changes_the_text_and_the_pdf(service, db_url, tmp_path):
    path = tmp_path / "mon-courrier.txt"
    path.write_text(CUSTOM, encoding="utf-8")
    settings = make_settings(db_url, tmp_path, letters={"template": str(path)})
    [letter] = service.import_class_list([student()], actor="cli:t")
    for text in (render_letter(letter, settings), pdf_texts(render_pdf([letter], settings))[0]):
        flowing = flat(text)
        assert "Objet : votre compte pour l'ENT du Lycée de démonstration" in flowing
        assert "Bonjour Julie, voici de quoi activer votre compte avant le 01/12/2026 (prix : 0 $)." in flowing
        assert f"Votre identifiant : {letter.identifier}" in text
        assert f"Votre mot de passe : {letter.provisional_password}" in text
        assert "Ce mot de passe ne sert qu'une fois." in flowing
        assert "mise à disposition" not in flowing and "Notre courrier" not in flowing
        # The fixed layout is still around the wording.
        assert "Julie Baillet" in text and "Lille, le 01/09/2026" in text


@pytest.mark.parametrize(("content", "expected"), [
    (None, "est illisible (fichier ou dossier introuvable)."),
    ("Bonjour $prenom,\n\n    $identifier $password\n", "utilise « $prenom » ligne 1, qui n'existe pas"),
    ("Bonjour $first_name,\n\n    Identifiant : $identifier\n", "doit contenir $identifier et $password"),
    ("Rien à dire.\n", "il manque $identifier et $password."),
    ("Prix : 5 $ net\n\n    $identifier $password\n", "contient un « $ » isolé ligne 1"),
    (b"Cl\xe9 : $identifier $password\n", "n'est pas encodé en UTF-8."),
], ids=["missing-file", "unknown-placeholder", "no-password", "neither", "lone-dollar", "not-utf8"])
def test_bad_custom_template_is_a_french_config_error(tmp_path, content, expected):
    path = tmp_path / "courrier.txt"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        path.write_bytes(content)
    conf = tmp_path / "kiosk.conf"
    conf.write_text(f"[letters]\ntemplate = {json.dumps(str(path))}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(conf)
    message = str(err.value)
    assert message.startswith(f"{conf} : clé « letters.template » : le modèle {path} ")
    assert expected in message


def test_unknown_letters_key_is_refused(tmp_path):
    conf = tmp_path / "kiosk.conf"
    conf.write_text('[letters]\nmodele = "courrier.txt"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="clé inconnue « letters.modele »"):
        load_settings(conf)


def test_a_template_spoiled_after_loading_prints_its_last_good_version(service, db_url, tmp_path):
    """Passwords are issued before letters are rendered: a bad edit must not lose them."""
    path = tmp_path / "courrier.txt"
    path.write_text(CUSTOM, encoding="utf-8")
    settings = make_settings(db_url, tmp_path, letters={"template": str(path)})
    path.write_text("Bonjour $prenom", encoding="utf-8")
    [letter] = service.import_class_list([student()], actor="cli:t")
    assert f"Votre mot de passe : {letter.provisional_password}" in render_letter(letter, settings)
    with pytest.raises(TemplateError):
        parse_template(path.read_text(encoding="utf-8"), str(path))


# ------------------------------------------------------------ files


def test_check_output_accepts_pdf_and_txt_in_a_writable_folder(tmp_path):
    for name in ("a.pdf", "b.PDF", "c.txt", "d.Txt"):
        check_output(tmp_path / name)


@pytest.mark.parametrize(("name", "expected"), [
    ("lettres.doc", "Format de courrier inconnu « .doc » : utilisez un fichier .pdf ou .txt."),
    ("lettres", "Format de courrier inconnu « lettres » : utilisez un fichier .pdf ou .txt."),
    ("absent/lettres.pdf", "le dossier {tmp}/absent n'existe pas ou n'est pas accessible en écriture."),
])
def test_check_output_refusals_are_french(tmp_path, name, expected):
    with pytest.raises(DomainError) as err:
        check_output(tmp_path / name)
    assert expected.format(tmp=tmp_path) in str(err.value)


def test_check_output_refuses_a_folder_named_like_a_pdf(tmp_path):
    (tmp_path / "lettres.pdf").mkdir()
    with pytest.raises(DomainError, match="c'est un dossier"):
        check_output(tmp_path / "lettres.pdf")


@pytest.mark.parametrize("suffix", [".pdf", ".txt"])
def test_write_letters_is_private_and_replaces_a_readable_file(class_letters, settings, tmp_path, suffix):
    path = tmp_path / f"lettres{suffix}"
    path.write_text("ancien", encoding="utf-8")
    os.chmod(path, 0o644)
    assert write_letters(path, class_letters, settings) == [path]
    assert mode(path) == 0o600
    data = path.read_bytes()
    if suffix == ".pdf":
        assert data.startswith(b"%PDF-")
        assert len(pdf_texts(data)) == 3
    else:
        assert data.decode("utf-8") == render_letters(class_letters, settings)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_write_letters_failure_is_french_and_leaves_nothing(class_letters, settings, tmp_path):
    path = tmp_path / "absent" / "lettres.pdf"
    with pytest.raises(DomainError) as err:
        write_letters(path, class_letters, settings)
    assert str(err.value) == f"Impossible d'écrire {path} (fichier ou dossier introuvable)."
    with pytest.raises(DomainError, match="Format de courrier inconnu"):
        write_letters(tmp_path / "lettres.odt", class_letters, settings)
    with pytest.raises(DomainError, match="Aucun courrier à écrire"):
        write_letters(tmp_path / "lettres.pdf", [], settings)
    assert [p.name for p in tmp_path.iterdir() if "lettres" in p.name or p.name == "absent"] == []


def test_letters_of_several_classes_make_one_pdf_per_class(service, settings, tmp_path):
    """Asked for as lettres.pdf, the letters of three classes are three PDFs beside it, each
    with its class's letters only, private, and no lettres.pdf nor temporary file."""
    rows = [student("Julie", "Baillet", cls="2nde 1"), student("Paul", "Petit", cls="2nde 10", line=3),
            student("Zoé", "N'Diaye", cls="2nde 1", line=4), student("Léa", "Roux", cls="1ère STI2D", line=5)]
    letters = service.import_class_list(rows, actor="cli:t")
    out = tmp_path / "sortie"
    out.mkdir()
    calls: list[tuple[int, int]] = []
    written = write_letters(out / "lettres.pdf", letters, settings, progress=lambda d, t: calls.append((d, t)))
    assert [p.name for p in written] == ["lettres-2nde-1.pdf", "lettres-2nde-10.pdf", "lettres-1ere-sti2d.pdf"]
    pages = {p.name: [printed_password(text) for text in pdf_texts(p.read_bytes())] for p in written}
    by_class = {}
    for letter in letters:
        by_class.setdefault(letter.class_name, []).append(letter.provisional_password)
    assert list(pages.values()) == list(by_class.values())
    assert all(mode(p) == 0o600 for p in written)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert calls[-1] == (4, 4) and [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_class_bigger_than_a_file_is_split_in_parts(service, settings, tmp_path, monkeypatch):
    import entkiosk.letters.output as output

    monkeypatch.setattr(output, "PAGES_PER_FILE", 2)
    rows = [student("Élève", f"Nom{chr(65 + i)}", cls="2nde 3", line=i + 2) for i in range(5)]
    written = write_letters(tmp_path / "lettres.pdf", service.import_class_list(rows, actor="cli:t"), settings)
    assert [p.name for p in written] == ["lettres-2nde-3.pdf", "lettres-2nde-3-2.pdf", "lettres-2nde-3-3.pdf"]
    assert [len(pdf_texts(p.read_bytes())) for p in written] == [2, 2, 1]


def test_one_class_file_that_cannot_be_written_leaves_none_of_them(service, settings, tmp_path):
    """Letters are handed out together or not at all: the second class's file cannot take its
    name (a folder has it), so the first class's file does not appear either."""
    rows = [student("Julie", "Baillet", cls="2nde 1"), student("Paul", "Petit", cls="2nde 2", line=3)]
    letters = service.import_class_list(rows, actor="cli:t")
    out = tmp_path / "sortie"
    (out / "lettres-2nde-2.pdf").mkdir(parents=True)
    with pytest.raises(DomainError) as err:
        write_letters(out / "lettres.pdf", letters, settings)
    assert str(err.value).startswith(f"Impossible d'écrire {out / 'lettres-2nde-2.pdf'} (")
    assert sorted(p.name for p in out.iterdir()) == ["lettres-2nde-2.pdf"]


@pytest.mark.parametrize(("label", "slug"), [
    ("2NDE 3", "2nde-3"), ("julie.baillet", "julie-baillet"), ("Zoé N'Diaye", "zoe-n-diaye"),
    ("Łukasz Żółć", "lukasz-zolc"), ("1ère STI2D / groupe B", "1ere-sti2d-groupe-b"), ("../..", "eleves"),
])
def test_console_letters_path(settings, label, slug):
    when = datetime(2026, 9, 1, 12, 5, 9, tzinfo=UTC)  # 14:05:09 in Lille
    path = console_letters_path(settings, label, when)
    assert path == settings.letters_folder() / f"courriers-{slug}-20260901-140509.pdf"
    assert path.parent.is_dir() and mode(path.parent) == 0o700
    assert not path.exists()


def test_console_letters_path_never_reuses_a_file(settings):
    when = datetime(2026, 9, 1, 14, 5, 9)
    first = console_letters_path(settings, "2nde 3", when)
    first.write_bytes(b"%PDF-")
    second = console_letters_path(settings, "2nde 3", when)
    assert second.name == "courriers-2nde-3-20260901-140509-2.pdf"


def test_letters_folder_defaults_to_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings().letters_folder() == tmp_path / "xdg" / "entkiosk" / "courriers"


def test_letters_of_homonyms_tell_them_apart_by_birth_date(service, settings):
    from datetime import date

    letters = service.import_class_list([student("Camille", "Dubois", born=date(2010, 5, 6)),
                                         student("Camille", "Dubois", born=date(2010, 9, 1), line=3)], actor="cli:t")
    pages = pdf_texts(render_pdf(letters, settings))
    assert ["Né(e) le 06/05/2010" in flat(p) for p in pages] == [True, False]
    assert ["Né(e) le 01/09/2010" in flat(p) for p in pages] == [False, True]
    text = render_letters(letters, settings).split("\f")
    assert "Né(e) le 06/05/2010" in text[0] and "Né(e) le 01/09/2010" in text[1]



def longest_names() -> tuple[str, str, list]:
    """The import's longest names (120 characters, the last name with no space to break at)
    and class, on a pupil's letter and a guardian's, made from their values."""
    from datetime import date

    from entkiosk.domain.identifiers import base_identifier
    from entkiosk.domain.letter import IssuedLetter

    last = ("Delacroix-Fontaine-" * 7)[:119] + "e"
    first = ("Marie-Éléonore Anne-Charlotte " * 5)[:120]
    assert len(last) == len(first) == 120
    issued = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    pupil = IssuedLetter(base_identifier(first, last), first, last, "T_STMG.2-" + "A" * 51, date(2026, 12, 1), issued,
                         date(2010, 3, 14), "Bateau7voile")
    guardian = IssuedLetter("anne.delacroix", first, last, None, date(2026, 12, 1), issued, None, "Bateau7voile",
                            guardian=True, civility="Mme", postal_address=("12 RUE DES TILLEULS", "59000 LILLE"),
                            children=(f"{first} {last} (4A)",))
    return first, last, [pupil, guardian]


def bare(text: str) -> str:
    """``text`` without its spaces and line breaks: a name wrapped over lines reads whole."""
    return re.sub(r"\s+", "", text)


def test_a_text_letter_keeps_names_of_120_characters_whole_within_80_columns(tmp_path):
    """No line of a pupil's or a guardian's letter passes 80 columns, and every name is
    there whole, over several lines (no database: the letters are made from their values)."""
    from entkiosk.letters.text import columns

    settings = make_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)
    first, last, letters = longest_names()
    for letter in letters:
        page = render_letter(letter, settings)
        assert max(columns(line) for line in page.splitlines()) <= 80
        assert f"    Identifiant\u00a0: {letter.identifier}\n" in page  # a key line, whole
        assert bare(f"{first} {last}") in bare(page)  # wrapped, not cut: the whole name
    assert bare(f"Classe : {letters[0].class_name}") in bare(render_letter(letters[0], settings))


def test_a_pdf_letter_keeps_a_pupils_names_of_120_characters_whole_on_the_page(tmp_path):
    """The pupil's block holds both names whole (smaller type, up to six lines) and nothing
    leaves the page; a guardian's name in the envelope's window is one line, cut with « … »."""
    settings = make_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)
    first, last, [pupil, guardian] = longest_names()
    data = render_pdf([pupil, guardian], settings)
    assert text_boxes_outside(data) == []
    pupil_page, guardian_page = pdf_texts(data)
    assert bare(f"{first} {last}") in bare(pupil_page)
    assert bare(pupil.class_name) in bare(pupil_page)
    assert "Mme Marie-Éléonore" in guardian_page and "…" in guardian_page
