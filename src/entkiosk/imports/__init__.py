"""Reading the files a school brings: entkiosk's own CSV class list and SIECLE's exports.

One door, :func:`read_pupils`: it recognises the format from the content (never the
file name), reads it safely and returns a :class:`PupilFile`. Pure: bytes in, checked
rows and named problems out; the service decides what to do with them.

- entkiosk's CSV (``nom;prénom;date de naissance;classe``): :mod:`entkiosk.domain.classlist`;
- SIECLE's ``ElevesSansAdresses.xml``, alone or in its zip: :mod:`.siecle_xml`;
- SIECLE's per-division CSV export (``NOM;PRENOM;NE(E) LE;…;DIV.;…``): :mod:`.siecle_csv`.
"""

from __future__ import annotations

from .files import MAX_EXPORT_BYTES, read_export_file
from .model import PupilFile, SiecleRecord
from .pupils import read_pupils

__all__ = ["MAX_EXPORT_BYTES", "PupilFile", "SiecleRecord", "read_export_file", "read_pupils"]
