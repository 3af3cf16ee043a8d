"""Letter files: checked before any password is issued, written whole and private.

The command line and the staff console both go through here, so that a letter file is
refused, named and written the same way wherever it is asked for.

A PDF holds the letters of one class, as a school hands them out: letters of several
classes asked for as ``lettres.pdf`` become ``lettres-2nde-1.pdf``, ``lettres-2nde-2.pdf``…
beside it (one class above :data:`PAGES_PER_FILE` letters in parts). Each file is laid
out and written in turn, so the memory of a whole school's letters stays that of one
class; all of them appear together, or none.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.errors import DomainError
from ..domain.i18n import _, ngettext
from ..domain.system import os_reason

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.letter import IssuedLetter

FORMATS = (".pdf", ".txt")
#: Letters in one PDF file at most (a class is far fewer).
PAGES_PER_FILE = 400

__all__ = ["FORMATS", "IDENTIFIERS_HEADER", "check_output", "console_letters_path", "files_sentence", "letter_files",
           "os_reason", "write_identifiers", "write_letters", "write_private"]


def check_output(path: Path) -> None:
    """Refuse an unusable letters file *before* any password is issued for it.

    New letters void the old ones: finding out afterwards that the file cannot be
    written would leave students with neither letter.
    """
    path = Path(path).expanduser()
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise DomainError(_("Impossible d'écrire les courriers dans {path} : le dossier {folder} n'existe pas "
                            "ou n'est pas accessible en écriture.").format(path=path, folder=folder))
    if path.suffix.lower() not in FORMATS:
        raise DomainError(_("Format de courrier inconnu « {format} » : utilisez un fichier .pdf ou .txt.")
                          .format(format=path.suffix or path.name))
    if path.is_dir():
        raise DomainError(_("Impossible d'écrire les courriers dans {path} : c'est un dossier.").format(path=path))


def write_private(path: Path, data: str | bytes | bytearray) -> Path:
    """Write ``data`` readable by the owner only (0600), whole or not at all.

    Letters hold provisional passwords. The file appears under its name only once
    complete, so a printer or a reader never sees half a letter.
    """
    path = Path(path).expanduser()
    with _Staging() as staging:
        staging.stage(path, data)
    return path


class _Staging:
    """Files written under temporary names (0600), renamed to theirs together at the end;
    on any error, none of them appears and the temporary ones are removed."""

    def __init__(self) -> None:
        self.staged: list[tuple[str, Path]] = []

    def stage(self, path: Path, data: str | bytes | bytearray) -> None:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        except OSError as exc:
            raise DomainError(_("Impossible d'écrire {path} ({reason}).").format(path=path, reason=os_reason(exc))) from None
        self.staged.append((tmp, path))
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise DomainError(_("Impossible d'écrire {path} ({reason}).").format(path=path, reason=os_reason(exc))) from None

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_details: object) -> None:
        done: list[Path] = []
        try:
            if kind is None:
                for tmp, path in self.staged:
                    try:
                        os.replace(tmp, path)
                    except OSError as exc:
                        raise DomainError(_("Impossible d'écrire {path} ({reason}).")
                                          .format(path=path, reason=os_reason(exc))) from None
                    done.append(path)
        except DomainError:
            for path in done:  # the letters of a batch that failed must not be handed out
                _remove(path)
            raise
        finally:
            for tmp, _path in self.staged:
                _remove(Path(tmp))


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def letter_files(path: Path, letters: Sequence[IssuedLetter], *,
                 one_file: bool = False) -> list[tuple[Path, list[IssuedLetter]]]:
    """Which letters go in which PDF: all in ``path`` when they are of one class (and not
    more than :data:`PAGES_PER_FILE`); else one file per class beside it, named after the
    class, in the order the letters come in (``-2``, ``-3``… for the parts of a big class).
    ``one_file``: a group of pupils chosen one by one, whatever their classes, in ``path``."""
    by_class: dict[str | None, list[IssuedLetter]] = {}
    for letter in letters:
        by_class.setdefault("groupe" if one_file else letter.class_name, []).append(letter)
    parts = [(name, group[start:start + PAGES_PER_FILE]) for name, group in by_class.items()
             for start in range(0, len(group), PAGES_PER_FILE)]
    if len(parts) == 1:
        return [(path, parts[0][1])]
    files: list[tuple[Path, list[IssuedLetter]]] = []
    taken: set[str] = set()
    for name, batch in parts:
        stem = f"{path.stem}-{slug(name or 'sans-classe')}"
        candidate, number = stem, 2
        while candidate in taken:
            candidate, number = f"{stem}-{number}", number + 1
        taken.add(candidate)
        files.append((path.with_name(candidate + path.suffix), batch))
    return files


def files_sentence(paths: Sequence[Path]) -> str:
    """« X » or « 3 fichiers, un par classe, dans D : X, Y, Z », for the staff's message."""
    if len(paths) == 1:
        return str(paths[0])
    return ngettext("{count} fichier, un par classe, dans {folder} : {files}",
                    "{count} fichiers, un par classe, dans {folder} : {files}", len(paths)).format(
        count=len(paths), folder=paths[0].parent, files=", ".join(p.name for p in paths))


def write_letters(path: Path, letters: Sequence[IssuedLetter], settings: Settings,
                  progress: Callable[[int, int], None] | None = None, *, one_file: bool = False) -> list[Path]:
    """Render ``letters`` by the suffix of ``path`` (.pdf or .txt) and write them privately.

    A PDF holds one class (:func:`letter_files`), or with ``one_file`` a group of pupils
    chosen one by one; a text file holds them all.
    ``progress(done, total)`` follows the PDF layout. Returns the paths written.
    Raises :class:`DomainError` (French) when there is no letter, the format is unknown
    or a file cannot be written; nothing is left behind then.
    """
    path = Path(path).expanduser()
    if not letters:
        raise DomainError(_("Aucun courrier à écrire : aucun élève n'est concerné."))
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from .pdf import render_pdf_buffer

        files = letter_files(path, letters, one_file=one_file)
        total, before = len(letters), 0
        with _Staging() as staging:
            for target, batch in files:
                step = None if progress is None else (lambda done, _t, before=before: progress(before + done, total))
                staging.stage(target, render_pdf_buffer(batch, settings, progress=step))
                before += len(batch)
        return [target for target, _batch in files]
    if suffix == ".txt":
        from .text import render_letters

        data = render_letters(letters, settings)
        if progress is not None:
            progress(len(letters), len(letters))
        return [write_private(path, data)]
    raise DomainError(_("Format de courrier inconnu « {format} » : utilisez un fichier .pdf ou .txt.")
                      .format(format=path.suffix or path.name))


#: The identifiers issued, for the ENT's administrator: never a password.
IDENTIFIERS_HEADER = ("identifiant", "nom", "prénom", "classe", "date limite d'activation")


def write_identifiers(path: Path, letters: Sequence[IssuedLetter]) -> Path:
    """The identifiers of ``letters`` as a CSV (``;``, UTF-8 with a BOM for spreadsheets),
    without any password: what the ENT's administrator needs to create the same accounts."""
    import csv
    import io

    out = io.StringIO()
    rows = csv.writer(out, delimiter=";", lineterminator="\r\n")
    rows.writerow(IDENTIFIERS_HEADER)
    for letter in letters:
        rows.writerow([letter.identifier, letter.last_name, letter.first_name, letter.class_name or "",
                       letter.deadline.strftime("%d/%m/%Y")])
    return write_private(path, "\ufeff" + out.getvalue())


def console_letters_path(settings: Settings, label: str, when: datetime) -> Path:
    """A new file name in ``letters.folder`` for letters printed from the staff console.

    ``label`` names what was printed (a class, an identifier): ``"2NDE 3"`` at 14:05:09
    on 1 September 2026 gives ``courriers-2nde-3-20260901-140509.pdf``. The folder is
    created (owner only) if missing; an existing file is never overwritten.
    """
    folder = settings.letters_folder()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DomainError(_("Impossible de créer le dossier des courriers {folder} ({reason}).")
                          .format(folder=folder, reason=os_reason(exc))) from None
    if when.tzinfo is not None:
        when = when.astimezone(settings.timezone)
    stem = f"courriers-{slug(label)}-{when:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.pdf"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}.pdf"
        number += 1
    return path


def slug(label: str) -> str:
    """``label`` as lower-case ASCII letters, digits and dashes (``"Zoé N'Diaye"`` → ``zoe-n-diaye``)."""
    from ..domain.identifiers import fold

    parts = (fold(part) for part in re.split(r"[\W_]+", label))
    return "-".join(part for part in parts if part)[:60].strip("-") or "eleves"
