"""Bytes from a file staff name, and from the zip SIECLE wraps its XML in, with limits.

A school's SIECLE export is a few megabytes (``ElevesSansAdresses.xml``: about 2 kB per
pupil, 6 MB for a 3,000-pupil lycée); anything past :data:`MAX_EXPORT_BYTES` is the wrong
file or an attack, and is refused before it is read, whether on disk or inside a zip.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from ..domain.classlist import printable
from ..domain.errors import FileRefused
from ..domain.i18n import _
from ..domain.system import os_reason

#: The largest file (or zip member, once uncompressed) entkiosk reads.
MAX_EXPORT_BYTES = 50 * 1024 * 1024
_MEGA = 1024 * 1024


def _size(n: int) -> str:
    if n >= _MEGA:
        return _("{size} Mo").format(size=f"{n / _MEGA:.0f}")
    return _("{size} ko").format(size=max(n // 1024, 1))


def read_export_file(path: Path) -> bytes:
    """The bytes of ``path``, or a French refusal (a folder, too big, unreadable)."""
    try:
        if path.is_dir():
            raise FileRefused(_("{path} est un dossier : indiquez le fichier lui-même.").format(path=path))
        size = path.stat().st_size
        if size > MAX_EXPORT_BYTES:
            raise FileRefused(_("{path} fait {size} : une liste de classe ou un export SIECLE en fait "
                                "quelques-uns ({limit} au plus). Vérifiez le fichier choisi.")
                              .format(path=path, size=_size(size), limit=_size(MAX_EXPORT_BYTES)))
        with path.open("rb") as file:
            data = file.read(MAX_EXPORT_BYTES + 1)
    except OSError as exc:
        raise FileRefused(_("Impossible de lire {path} ({reason}).").format(path=path, reason=os_reason(exc))) from None
    if len(data) > MAX_EXPORT_BYTES:  # grew while being read
        raise FileRefused(_("{path} dépasse {limit} : ce n'est pas une liste de classe.")
                          .format(path=path, limit=_size(MAX_EXPORT_BYTES)))
    return data


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def unzip_one_xml(data: bytes) -> tuple[str, bytes]:
    """The name and bytes of the one XML file a SIECLE zip holds.

    Refused: a damaged zip, a zip of several files or of anything but XML, a member
    that would uncompress past :data:`MAX_EXPORT_BYTES` (checked on the sizes the zip
    declares, then again while reading, since a zip bomb can lie about them), an
    encrypted member.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, IndexError, ValueError, EOFError):
        # Let through by zipfile from a damaged central directory: NotImplementedError (a zip
        # version Python does not know), IndexError (a member without a name).
        raise FileRefused(_("Archive zip illisible ou endommagée : téléchargez à nouveau l'export depuis SIECLE.")) from None
    # A member's name is the sender's text: shown without its control characters (an escape
    # sequence would drive the terminal the refusal is printed on).
    names = ", ".join(printable(m.filename, 60) for m in members[:5]) + (" …" if len(members) > 5 else "")
    if len(members) != 1:
        raise FileRefused(_("L'archive zip contient {count} fichiers ({names}) : un export "
                            "SIECLE en contient un seul, ElevesSansAdresses.xml.")
                          .format(count=len(members), names=names or _("aucun")))
    member = members[0]
    shown = printable(member.filename, 60)
    if member.flag_bits & 0x1:
        raise FileRefused(_("{file} est chiffré dans l'archive : exportez-le sans mot de passe.")
                          .format(file=shown))
    if member.file_size > MAX_EXPORT_BYTES:
        raise FileRefused(_("{file} ferait {size} une fois décompressé : refusé "
                            "({limit} au plus ; un export SIECLE en fait quelques-uns).")
                          .format(file=shown, size=_size(member.file_size), limit=_size(MAX_EXPORT_BYTES)))
    try:
        with archive.open(member) as file:
            content = file.read(MAX_EXPORT_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError):
        # zlib.error: a damaged deflate stream (zipfile lets it through).
        raise FileRefused(_("{file} ne peut pas être décompressé : archive endommagée.")
                          .format(file=shown)) from None
    if len(content) > MAX_EXPORT_BYTES:
        raise FileRefused(_("{file} dépasse {limit} une fois décompressé : refusé "
                            "(une archive qui annonce une taille et en contient une autre).")
                          .format(file=shown, limit=_size(MAX_EXPORT_BYTES)))
    if not looks_like_xml(content):
        raise FileRefused(_("L'archive zip contient {file}, qui n'est pas un fichier XML : un export "
                            "SIECLE contient ElevesSansAdresses.xml.").format(file=shown))
    return member.filename, content


def looks_like_xml(data: bytes) -> bool:
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")
