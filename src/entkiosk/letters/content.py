"""What one letter says, whatever it is printed on: its template and its values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain import i18n
from ..domain.i18n import _
from ..domain.letter_template import (
    LetterTemplate,
    default_template,
    guardian_template,
    read_template,
    single_line,
)

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.letter import IssuedLetter


class Wording:
    """The wording of one batch of letters: each letter's language and template.

    A letter is written in the language of its pupil's class when ``[letters] languages``
    names one (an UPE2A class in Ukrainian), else in the school's ``[kiosk] language`` (French
    when that language has no catalog). A template is read once per batch — so an edited
    school template applies to the next batch without restarting the kiosk; if it became
    unusable since the settings were loaded, its last good version is used — and its
    translation beside it (``modele.en.txt``), or the bundled one, serves that language.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pupils: dict[str, LetterTemplate] = {}

    def language(self, letter: IssuedLetter) -> str:
        chosen = {name.casefold().strip(): code for name, code in self.settings.letters.languages.items()}
        wanted = chosen.get((letter.class_name or "").casefold().strip(), self.settings.kiosk.language)
        return i18n.language_of(wanted)

    def template(self, letter: IssuedLetter, language: str) -> LetterTemplate:
        if letter.guardian:
            return guardian_template(language)
        if language not in self._pupils:
            own = self.settings.letters.template
            self._pupils[language] = (read_template(i18n.translated(Path(own).expanduser(), language), last_good=True)
                                      if own else default_template(language))
        return self._pupils[language]


@dataclass(frozen=True, slots=True)
class LetterContent:
    """The fixed parts around the template, and the values its placeholders take."""

    academy: str
    establishment: str
    address_lines: tuple[str, ...]
    phone: str
    email: str
    place_and_date: str
    student: str
    class_name: str
    born: str  # « Né(e) le … »: tells apart the letters of two homonyms of one class
    head_lines: tuple[str, ...]
    services_url: str
    values: dict[str, str]
    #: A guardian's letter: the name and postal lines placed in the envelope's window.
    postal: tuple[str, ...] = ()


def letter_content(letter: IssuedLetter, settings: Settings) -> LetterContent:
    est = settings.establishment
    issued = letter.issued_at.astimezone(settings.timezone)
    date = issued.strftime("%d/%m/%Y")
    student = letter.addressee if letter.guardian else f"{letter.first_name} {letter.last_name}".strip()
    greeting = {"Mme": _("Madame,"), "M.": _("Monsieur,")}.get(letter.civility) or _("Madame, Monsieur,")
    values = {
        "academy": est.academy,
        "establishment": est.name,
        "address": ", ".join(_lines(est.address)),
        "phone": est.phone,
        "email": est.email,
        "city": est.city,
        "head": " ".join(_lines(est.head)),
        "services_url": est.services_url,
        "first_name": letter.first_name,
        "last_name": letter.last_name,
        "student": student,
        "class_name": letter.class_name or "",
        "identifier": letter.identifier,
        "password": letter.provisional_password,
        "months": str(settings.accounts.activation_months),
        "deadline": letter.deadline.strftime("%d/%m/%Y"),
        "birth_date": letter.birth_date.strftime("%d/%m/%Y") if letter.birth_date else "",
        "date": date,
        "addressee": letter.addressee,
        "greeting": greeting,
        "children": ", ".join(letter.children),
    }
    return LetterContent(
        academy=single_line(est.academy),
        establishment=single_line(est.name),
        address_lines=_lines(est.address),
        phone=single_line(est.phone),
        email=single_line(est.email),
        place_and_date=(_("{city}, le {date}").format(city=single_line(est.city), date=date) if est.city.strip()
                        else _("Le {date}").format(date=date)),
        student=single_line(student),
        class_name=single_line(letter.class_name or ""),
        born=_("Né(e) le {birth_date}").format(birth_date=f"{letter.birth_date:%d/%m/%Y}") if letter.birth_date else "",
        head_lines=_lines(est.head),
        services_url=single_line(est.services_url),
        values={name: single_line(value) for name, value in values.items()},
        postal=tuple(single_line(line) for line in (letter.addressee, *letter.postal_address)) if letter.guardian else (),
    )


def _lines(value: str) -> tuple[str, ...]:
    """A multi-line setting (address, signature) as its non-empty lines."""
    return tuple(single_line(line) for line in value.splitlines() if line.strip())
