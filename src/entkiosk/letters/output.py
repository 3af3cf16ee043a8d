"""Letter files: checked before any password is issued, written whole and private.

The command line and the staff console both go through here, so that a letter file is
refused, named and written the same way wherever it is asked for.
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
from ..domain.system import os_reason

if TYPE_CHECKING:
    from ..config import Settings
    from ..domain.letter import IssuedLetter

FORMATS = (".pdf", ".txt")

__all__ = ["FORMATS", "check_output", "console_letters_path", "os_reason", "write_letters", "write_private"]


def check_output(path: Path) -> None:
    """Refuse an unusable letters file *before* any password is issued for it.

    New letters void the old ones: finding out afterwards that the file cannot be
    written would leave students with neither letter.
    """
    path = Path(path).expanduser()
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise DomainError(f"Impossible d'écrire les courriers dans {path} : le dossier {folder} n'existe pas "
                          "ou n'est pas accessible en écriture.")
    if path.suffix.lower() not in FORMATS:
        raise DomainError(f"Format de courrier inconnu « {path.suffix or path.name} » : "
                          "utilisez un fichier .pdf ou .txt.")
    if path.is_dir():
        raise DomainError(f"Impossible d'écrire les courriers dans {path} : c'est un dossier.")


def write_private(path: Path, data: str | bytes | bytearray) -> Path:
    """Write ``data`` readable by the owner only (0600), whole or not at all.

    Letters hold provisional passwords. The file appears under its name only once
    complete, so a printer or a reader never sees half a letter.
    """
    path = Path(path).expanduser()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise DomainError(f"Impossible d'écrire {path} ({os_reason(exc)}).") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def write_letters(path: Path, letters: Sequence[IssuedLetter], settings: Settings,
                  progress: Callable[[int, int], None] | None = None) -> Path:
    """Render ``letters`` by the suffix of ``path`` (.pdf or .txt) and write them privately.

    ``progress(done, total)`` follows the PDF layout. Returns the path written.
    Raises :class:`DomainError` (French) when there is no letter, the format is unknown
    or the file cannot be written; nothing is left behind then.
    """
    path = Path(path).expanduser()
    if not letters:
        raise DomainError("Aucun courrier à écrire : aucun élève n'est concerné.")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from .pdf import render_pdf_buffer

        data: str | bytes | bytearray = render_pdf_buffer(letters, settings, progress=progress)
    elif suffix == ".txt":
        from .text import render_letters

        data = render_letters(letters, settings)
        if progress is not None:
            progress(len(letters), len(letters))
    else:
        raise DomainError(f"Format de courrier inconnu « {path.suffix or path.name} » : "
                          "utilisez un fichier .pdf ou .txt.")
    return write_private(path, data)


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
        raise DomainError(f"Impossible de créer le dossier des courriers {folder} ({os_reason(exc)}).") from None
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
