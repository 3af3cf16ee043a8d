"""The door that reads any file of pupils, its format recognised from its content."""

from __future__ import annotations

from datetime import date

from ..domain.classlist import parse_class_list
from ..domain.errors import FileRefused
from ..domain.i18n import _
from .files import MAX_EXPORT_BYTES, is_zip, looks_like_xml, unzip_one_xml
from .model import PupilFile


def read_pupils(data: bytes, *, today: date | None = None) -> PupilFile:
    """Any file of pupils entkiosk reads, its format recognised from its content.

    Raises :class:`~entkiosk.domain.errors.FileRefused` for a file that cannot be read
    safely or is no list of pupils; bad records are in ``problems``.
    """
    if len(data) > MAX_EXPORT_BYTES:
        raise FileRefused(_("Fichier trop volumineux pour une liste d'élèves (50 Mo au plus)."))
    if is_zip(data):
        _name, data = unzip_one_xml(data)
    if looks_like_xml(data):
        from .siecle_xml import parse_siecle_xml

        return parse_siecle_xml(data, today=today)
    from .siecle_csv import is_siecle_csv, parse_siecle_csv

    if is_siecle_csv(data):
        return parse_siecle_csv(data, today=today)
    rows, problems = parse_class_list(data, today=today)
    return PupilFile("csv", rows, problems)
