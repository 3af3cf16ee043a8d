"""The wording of the letter: a text template the establishment can replace.

The template holds only the body of the letter (from « Objet » to the closing words);
the establishment block, place and date, the student block, the head's signature line
and the QR code are laid out around it by each renderer. One template drives both the
plain-text and the PDF letter, with a small line syntax:

- paragraphs are separated by blank lines; the lines of a paragraph are joined and
  re-wrapped to the page;
- a line that starts with spaces (or a tab) is a *key line*, kept on its own line and
  indented (bold in the PDF): the services address, « Identifiant : $identifier »...;
- a paragraph that starts with ``* `` is a footnote (smaller in the PDF);
- a line that starts with ``#`` is a comment, left out of the letter;
- ``$name`` (or ``${name}``) is replaced by the value named in :data:`PLACEHOLDERS`,
  ``$$`` prints a dollar sign.

It lives in the domain, below the settings (which check a school's template when they
are loaded) and the letters package (which renders it). It reads no settings and
issues no password: it parses and checks text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Literal

from .errors import DomainError
from .i18n import _, translated
from .system import os_reason

DEFAULT_TEMPLATE = Path(__file__).parent / "data" / "lettre.txt"
#: The legal guardians' letter, sent by post (always the bundled wording).
GUARDIAN_TEMPLATE = Path(__file__).parent / "data" / "lettre_parent.txt"

#: Every placeholder a template may use, with what it stands for (documentation).
PLACEHOLDERS: dict[str, str] = {
    "academy": "l'académie (establishment.academy)",
    "establishment": "le nom de l'établissement (establishment.name)",
    "address": "l'adresse de l'établissement (establishment.address)",
    "phone": "le téléphone de l'établissement",
    "email": "l'adresse mail de l'établissement",
    "city": "la ville de l'établissement",
    "head": "la ligne de signature (establishment.head)",
    "services_url": "l'adresse des services (establishment.services_url)",
    "first_name": "le prénom de l'élève",
    "last_name": "le nom de l'élève",
    "student": "le prénom et le nom de l'élève",
    "class_name": "la classe de l'élève",
    "identifier": "l'identifiant de l'élève",
    "password": "le mot de passe provisoire",
    "months": "le délai d'activation en mois (accounts.activation_months)",
    "deadline": "la date limite d'activation (JJ/MM/AAAA)",
    "birth_date": "la date de naissance de l'élève (JJ/MM/AAAA)",
    "date": "la date du courrier (JJ/MM/AAAA)",
    "addressee": "le responsable légal destinataire (« Mme Awa NDIAYE »)",
    "greeting": "la formule d'appel du courrier d'un responsable (« Madame, »)",
    "children": "les enfants d'un responsable légal et leur classe",
}
#: A letter that does not give these is useless: the student cannot log in.
REQUIRED = ("identifier", "password")


class TemplateError(DomainError):
    """A template that cannot be used; ``str()`` is French and names the file."""


@dataclass(frozen=True, slots=True)
class Line:
    """One piece of a paragraph: flowing text, or a key line kept on its own."""

    kind: Literal["text", "key"]
    template: Template

    def fill(self, values: Mapping[str, str]) -> str:
        return self.template.substitute(values)


@dataclass(frozen=True, slots=True)
class Paragraph:
    lines: tuple[Line, ...]
    footnote: bool = False


@dataclass(frozen=True, slots=True)
class LetterTemplate:
    """A parsed template: paragraphs of text and key lines, placeholders checked."""

    paragraphs: tuple[Paragraph, ...]
    origin: str


def parse_template(text: str, origin: str | None = None) -> LetterTemplate:
    """Parse and check ``text``; ``origin`` names it in error messages (usually the file)."""
    if origin is None:
        origin = _("modèle intégré")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    _check_placeholders(text, origin)
    paragraphs: list[Paragraph] = []
    pending: list[Line] = []
    flowing: list[str] = []
    footnote = False

    def end_text() -> None:
        if flowing:
            pending.append(Line("text", Template(" ".join(flowing))))
            flowing.clear()

    def end_paragraph() -> None:
        nonlocal footnote
        end_text()
        if pending:
            paragraphs.append(Paragraph(tuple(pending), footnote))
            pending.clear()
        footnote = False

    for raw in text.split("\n"):
        if raw.startswith("#"):
            continue
        if not raw.strip():
            end_paragraph()
        elif raw[0] in " \t":
            end_text()
            pending.append(Line("key", Template(raw.strip())))
        else:
            if not pending and not flowing and raw.startswith("* "):
                footnote = True
            flowing.append(raw.strip())
    end_paragraph()
    return LetterTemplate(tuple(paragraphs), origin)


def _check_placeholders(text: str, origin: str) -> None:
    used: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("#"):
            continue
        for match in Template.pattern.finditer(line):
            if match["invalid"] is not None:
                raise TemplateError(
                    _("le modèle {origin} contient un « $ » isolé ligne {number} : écrivez « $$ » pour imprimer un "
                      "signe dollar, ou le nom d'une valeur (par exemple $identifier).")
                    .format(origin=origin, number=number)
                )
            name = match["named"] or match["braced"]
            if name is None:
                continue
            if name not in PLACEHOLDERS:
                known = ", ".join(f"${key}" for key in PLACEHOLDERS)
                raise TemplateError(
                    _("le modèle {origin} utilise « ${name} » ligne {number}, qui n'existe pas (valeurs possibles : "
                      "{known}).").format(origin=origin, name=name, number=number, known=known)
                )
            used.add(name)
    if missing := [name for name in REQUIRED if name not in used]:
        listed = "$" + missing[0]
        for name in missing[1:]:
            listed = _("{first} et {second}").format(first=listed, second="$" + name)
        raise TemplateError(
            _("le modèle {origin} doit contenir $identifier et $password (l'identifiant et le mot de passe "
              "provisoire de l'élève) ; il manque {missing}.").format(origin=origin, missing=listed)
        )


_LAST_GOOD: dict[Path, LetterTemplate] = {}


def read_template(path: Path, *, last_good: bool = False) -> LetterTemplate:
    """The template in ``path``, parsed and checked.

    With ``last_good``, a file that became unreadable or invalid since it was last read
    gives its last good version instead of an error: letters are rendered after their
    passwords were issued, and an edit in progress must not leave students without a
    letter. Settings are checked when loaded, so a bad template is still reported.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        error = TemplateError(_("le modèle {path} n'est pas encodé en UTF-8.").format(path=path))
    except OSError as exc:
        error = TemplateError(_("le modèle {path} est illisible ({reason}).").format(path=path, reason=os_reason(exc)))
    except ValueError:  # a NUL byte or a lone surrogate: no file can have that name
        error = TemplateError(_("le modèle {path} est illisible (nom de fichier invalide).").format(path=path))
    else:
        try:
            template = parse_template(text, str(path))
        except TemplateError as exc:
            error = exc
        else:
            _LAST_GOOD[path] = template
            return template
    if last_good and path in _LAST_GOOD:
        return _LAST_GOOD[path]
    raise error




def guardian_template(language: str = "fr") -> LetterTemplate:
    """The guardians' bundled wording in ``language`` (``lettre_parent.<code>.txt``), else French."""
    return _bundled(GUARDIAN_TEMPLATE, language)


def default_template(language: str = "fr") -> LetterTemplate:
    """The pupils' bundled wording in ``language`` (``lettre.<code>.txt``), else French."""
    return _bundled(DEFAULT_TEMPLATE, language)


_BUNDLED: dict[Path, LetterTemplate] = {}


def _bundled(path: Path, language: str) -> LetterTemplate:
    path = translated(path, language)
    if path not in _BUNDLED:
        _BUNDLED[path] = read_template(path)
    return _BUNDLED[path]


def single_line(value: object) -> str:
    """A value for the body of the letter: line breaks and runs of spaces become one space
    (a non-breaking space stays: it is French typography, not layout)."""
    return re.sub(r"[^\S\u00a0\u202f]+", " ", str(value)).strip(" ")
