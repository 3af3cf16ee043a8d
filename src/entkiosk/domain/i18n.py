"""The words of the kiosk in the pupil's language: gettext catalogs, French the reference.

Every sentence a pupil or staff member sees is written in French in the code, inside
``_()`` (or ``ngettext()``), and translated by the catalogs under ``entkiosk/locale``
(``<code>/LC_MESSAGES/entkiosk.po``, extracted and compiled with Babel; the compiled
``.mo`` files are built when the package is installed). A sentence defined before any
language is known (a constant, a key's label) is marked with ``N_()`` and translated where
it is shown.

One kiosk process serves one person at a time: the language in use is the process's,
set by :func:`use` (the school's ``[kiosk] language`` at start-up, the pupil's choice on
the accueil for one session). A language without a usable catalog is never shown as
message ids: :func:`use` keeps French and :func:`problem` says why, naming the key.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "entkiosk"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: The language the code is written in: no catalog, the default.
REFERENCE = "fr"
#: The languages offered on the accueil, each named in itself.
LANGUAGES: dict[str, str] = {"fr": "Français", "en": "English", "uk": "Українська"}

class French(gettext.NullTranslations):
    """The reference: the code's own words, with French's plural rule (0 and 1 singular:
    « 0 compte », « 1 compte », « 2 comptes »)."""

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid1 if n <= 1 else msgid2


_translations: gettext.NullTranslations = French()
_language = REFERENCE
#: The language of a block of :func:`speaking` (a letter in its class's language), for the
#: thread that runs it only: the screens, in the pupil's language, are not affected.
_speaking: ContextVar[gettext.NullTranslations | None] = ContextVar("speaking", default=None)
_override: ContextVar[str | None] = ContextVar("speaking_code", default=None)


def _(message: str) -> str:
    """``message`` (French) in the language in use."""
    return (_speaking.get() or _translations).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the language in use (its own plural rules)."""
    return (_speaking.get() or _translations).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogs without translating it yet (translated where shown)."""
    return message


class CatalogUnusable(Exception):
    """No catalog, or a broken one, for a language; ``str()`` is French."""


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` (French: none). :class:`CatalogUnusable` if it is missing or broken."""
    if language == REFERENCE:
        return French()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as file:
            return gettext.GNUTranslations(file)
    except FileNotFoundError:
        raise CatalogUnusable(_("aucune traduction « {language} » n'est installée").format(
            language=language)) from None
    except (OSError, ValueError, UnicodeDecodeError):
        raise CatalogUnusable(_("la traduction « {language} » est illisible ({path})").format(
            language=language, path=path)) from None


def problem(language: str) -> str | None:
    """Why ``language`` cannot be used (French), or None if it can."""
    try:
        translations(language)
    except CatalogUnusable as exc:
        return str(exc)
    return None


def use(language: str) -> str:
    """From now on, speak ``language`` (French if it has no usable catalog); the language in use."""
    global _translations, _language
    try:
        found = translations(language)
    except CatalogUnusable:
        found, language = French(), REFERENCE
    _translations, _language = found, language
    return language


def language() -> str:
    """The code of the language in use."""
    return _override.get() or _language


def language_of(wanted: str) -> str:
    """The language :func:`use` would put in use for ``wanted`` (French if it has no usable catalog)."""
    return wanted if problem(wanted) is None else REFERENCE


@contextmanager
def speaking(language: str) -> Iterator[str]:
    """``language`` (French if it has no usable catalog) for the time of a block, in this
    thread only (a letter laid out in a worker while the screen stays in the pupil's
    language); the language used."""
    code = language_of(language)
    found, used = _speaking.set(translations(code)), _override.set(code)
    try:
        yield code
    finally:
        _speaking.reset(found)
        _override.reset(used)


def use_catalog(found: gettext.NullTranslations, code: str) -> None:
    """Speak a catalog loaded from elsewhere (a school's draft translation being reviewed, the
    tests' pseudo-language that shows every word not taken from a catalog)."""
    global _translations, _language
    _translations, _language = found, code


def translated(path: Path, language: str) -> Path:
    """A school's document in ``language``: its translation beside it, under the same name
    followed by the language's code (``charte.en.txt`` for ``charte.txt``), if there is one;
    else the document itself."""
    if language != REFERENCE:
        sibling = path.with_name(f"{path.stem}.{language}{path.suffix}")
        if sibling.is_file():
            return sibling
    return path
