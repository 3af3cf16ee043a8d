"""Invented SIECLE exports, written the way SIECLE writes them (never a real pupil).

:func:`pupils_xml` writes ``ElevesSansAdresses.xml`` (ISO-8859-15, with character
references for the letters outside it, other tags SIECLE puts there, groups beside the
division); :func:`pupils_zip` wraps it as ``ExportXML_ElevesSansAdresses.zip``;
:func:`division_csv` writes the per-division CSV export (ISO-8859-1 or UTF-8 with BOM,
``="…"`` cells, CRLF).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

UAJ = "0599999Z"  # no such school


@dataclass
class Pupil:
    eleve_id: str
    last: str
    first: str
    born: str  # JJ/MM/AAAA
    division: str | None
    ine: str | None = None
    usage: str | None = None
    left: str | None = None  # DATE_SORTIE
    groups: list[str] = field(default_factory=list)
    sex: str = "2"


def _ref(text: str, encoding: str) -> str:
    """Characters the encoding lacks as character references, as SIECLE writes them."""
    out = []
    for c in escape(text):
        try:
            c.encode(encoding)
            out.append(c)
        except UnicodeEncodeError:
            out.append(f"&#{ord(c)};")
    return "".join(out)


def pupils_xml(pupils: list[Pupil], *, uaj: str = UAJ, year: str = "2026", exported: str = "01/09/2026",
               encoding: str = "ISO-8859-15") -> bytes:
    e = lambda text: _ref(text, encoding)
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>\r\n<BEE_ELEVES VERSION="3.1">\r\n  <PARAMETRES>\r\n'
             f"    <UAJ>{uaj}</UAJ>\r\n    <ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE>\r\n"
             f"    <DATE_EXPORT>{exported}</DATE_EXPORT>\r\n    <HORODATAGE>{exported} 08:12:44</HORODATAGE>\r\n"
             "  </PARAMETRES>\r\n  <DONNEES>\r\n    <ELEVES>\r\n"]
    for n, p in enumerate(pupils):
        parts.append(f'      <ELEVE ELEVE_ID="{p.eleve_id}" ELENOET="{2000 + n}">\r\n')
        if p.ine:
            parts.append(f"        <ID_NATIONAL>{p.ine}</ID_NATIONAL>\r\n")
        parts.append(f"        <ELENOET>{2000 + n}</ELENOET>\r\n        <NOM_DE_FAMILLE>{e(p.last)}</NOM_DE_FAMILLE>\r\n")
        if p.usage:
            parts.append(f"        <NOM_USAGE>{e(p.usage)}</NOM_USAGE>\r\n")
        parts.append(f"        <PRENOM>{e(p.first)}</PRENOM>\r\n        <PRENOM2>Marie</PRENOM2>\r\n"
                     f"        <DATE_NAISS>{p.born}</DATE_NAISS>\r\n        <CODE_SEXE>{p.sex}</CODE_SEXE>\r\n"
                     "        <CODE_PAYS>100</CODE_PAYS>\r\n        <DATE_ENTREE>01/09/2025</DATE_ENTREE>\r\n")
        if p.left:
            parts.append(f"        <DATE_SORTIE>{p.left}</DATE_SORTIE>\r\n        <CODE_MOTIF_SORTIE>1</CODE_MOTIF_SORTIE>\r\n")
        parts.append("        <CODE_MEF>10310019110</CODE_MEF>\r\n      </ELEVE>\r\n")
    parts.append("    </ELEVES>\r\n    <OPTIONS>\r\n      <OPTION ELEVE_ID=\"0\"><OPTIONS_ELEVE><NUM_OPTION>1</NUM_OPTION>"
                 "</OPTIONS_ELEVE></OPTION>\r\n    </OPTIONS>\r\n    <STRUCTURES>\r\n")
    for p in pupils:
        if p.division is None and not p.groups:
            continue
        parts.append(f'      <STRUCTURES_ELEVE ELEVE_ID="{p.eleve_id}">\r\n')
        for group in p.groups:  # a group first: the division is the one of type D, not the first
            parts.append(f"        <STRUCTURE>\r\n          <CODE_STRUCTURE>{e(group)}</CODE_STRUCTURE>\r\n"
                         "          <TYPE_STRUCTURE>G</TYPE_STRUCTURE>\r\n        </STRUCTURE>\r\n")
        if p.division is not None:
            parts.append(f"        <STRUCTURE>\r\n          <CODE_STRUCTURE>{e(p.division)}</CODE_STRUCTURE>\r\n"
                         "          <TYPE_STRUCTURE>D</TYPE_STRUCTURE>\r\n        </STRUCTURE>\r\n")
        parts.append("      </STRUCTURES_ELEVE>\r\n")
    parts.append("    </STRUCTURES>\r\n  </DONNEES>\r\n</BEE_ELEVES>\r\n")
    return "".join(parts).encode(encoding)


def pupils_zip(xml: bytes, name: str = "ElevesSansAdresses.xml", *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, xml)
        for other, content in (extra or {}).items():
            archive.writestr(other, content)
    return buffer.getvalue()


def division_csv(pupils: list[Pupil], *, encoding: str = "latin-1", ine: bool = False) -> bytes:
    header = ["NOM", "PRENOM", "NE(E) LE", "SEXE", "MEF", "DIV.", "REG.", "OPT1"] + (["INE"] if ine else [])
    lines = [";".join(header)]
    for p in pupils:
        cells = [p.usage or p.last, p.first, p.born, "F" if p.sex == "2" else "M", "3EME", f'="{p.division}"',
                 "DP DAN", "ANGLAIS LV1"] + ([p.ine or ""] if ine else [])
        lines.append(";".join(cells))
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" + text).encode("utf-8") if encoding == "utf-8-sig" else text.encode(encoding)


def first_year() -> list[Pupil]:
    """A small school's September: two divisions, a usage name, a pupil without INE yet,
    homonyms, letters outside ISO-8859-15, groups, a pupil who left, one with no division."""
    return [
        Pupil("4101", "NDIAYE", "Zoé", "14/02/2012", "4A", ine="1234567890A", groups=["4A_LAT"]),
        Pupil("4102", "DURAND", "Lucas", "03/05/2012", "4A", ine="1234567891B", usage="MARTIN"),
        Pupil("4103", "BAILLET", "Julie", "21/11/2012", "4A", ine="1234567892C"),
        Pupil("4104", "BAILLET", "Julie", "02/06/2011", "4B", ine="1234567893D"),  # homonym
        Pupil("4105", "YILDIZ", "Ağça", "09/09/2012", "4B"),  # no INE yet, ğ outside ISO-8859-15
        Pupil("4106", "ŒUVRARD", "Çécile", "30/01/2012", "4B", ine="1234567895F", groups=["4B_ESP", "4B_GR2"]),
        Pupil("4107", "PETIT", "Hugo", "17/07/2012", "4A", ine="1234567896G", left="15/06/2026"),
        Pupil("4108", "ROUX", "Inès", "11/10/2012", None, ine="1234567897H"),  # division not set yet
    ]


def second_year() -> list[Pupil]:
    """The next September, with every kind of change against :func:`first_year` once imported:

    - 4101 Zoé and 4102 Lucas move up to 3A, 4103 Julie to 3B;
    - 4104 Julie (the homonym) is absent: she left without a DATE_SORTIE;
    - 4105 Ağça has her INE at last (matched by ELEVE_ID) and moves to 3B;
    - 4106 Çécile's usage name is now recorded: her name is corrected, her class is kept;
    - 4102 Lucas… no: 4109 Nathan arrives in 6C, 4110 Julie BAILLET (a third homonym) in 6C;
    - 4108 Inès, who had no division, now has one (3A): a newcomer;
    - 4107 Hugo, who had left before any account, is still listed as left: ignored.
    """
    return [
        Pupil("4101", "NDIAYE", "Zoé", "14/02/2012", "3A", ine="1234567890A", groups=["3A_LAT"]),
        Pupil("4102", "DURAND", "Lucas", "03/05/2012", "3A", ine="1234567891B", usage="MARTIN"),
        Pupil("4103", "BAILLET", "Julie", "21/11/2012", "3B", ine="1234567892C"),
        Pupil("4105", "YILDIZ", "Ağça", "09/09/2012", "3B", ine="1234567894E"),
        Pupil("4106", "ŒUVRARD", "Çécile", "30/01/2012", "4B", ine="1234567895F", usage="ŒUVRARD-LEROY"),
        Pupil("4107", "PETIT", "Hugo", "17/07/2012", None, ine="1234567896G", left="15/06/2026"),
        Pupil("4108", "ROUX", "Inès", "11/10/2012", "3A", ine="1234567897H"),
        Pupil("4109", "LEFEBVRE", "Nathan", "05/04/2015", "6C", ine="1234567898J"),
        Pupil("4110", "BAILLET", "Julie", "12/12/2014", "6C", ine="1234567899K"),
    ]


@dataclass
class Person:
    """A person of ``ResponsablesAvecAdresses.xml``: ``links`` are (ELEVE_ID, RESP_LEGAL)."""

    personne_id: str
    last: str
    first: str
    links: list[tuple[str, str]]
    civility: str = "MME"  # LC_CIVILITE as SIECLE writes it: « M. », « MME »
    mel: str | None = None
    lines: list[str] = field(default_factory=lambda: ["12 RUE DES TILLEULS"])
    postcode: str = "59000"
    town: str = "LILLE"
    country: str | None = "FRANCE"
    foreign_town: str | None = None
    relation: str = "20"  # CODE_PARENTE


def guardians_xml(people: list[Person], *, uaj: str = UAJ, year: str = "2026", exported: str = "01/09/2026",
                  encoding: str = "ISO-8859-15", extra_links: list[tuple[str, str, str]] = ()) -> bytes:
    """``ResponsablesAvecAdresses.xml`` as SIECLE writes it (phones and codes it adds too);
    ``extra_links``: (PERSONNE_ID, ELEVE_ID, RESP_LEGAL) written as they are, for bad input."""
    e = lambda text: _ref(text, encoding)
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>\r\n<BEE_RESPONSABLES VERSION="3.0">\r\n  <PARAMETRES>\r\n'
             f"    <UAJ>{uaj}</UAJ>\r\n    <ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE>\r\n"
             f"    <DATE_EXPORT>{exported}</DATE_EXPORT>\r\n    <HORODATAGE>{exported} 08:14:02</HORODATAGE>\r\n"
             "  </PARAMETRES>\r\n  <DONNEES>\r\n    <PERSONNES>\r\n"]
    for n, p in enumerate(people):
        parts.append(f'      <PERSONNE PERSONNE_ID="{p.personne_id}">\r\n        <NOM>{e(p.last)}</NOM>\r\n'
                     f"        <PRENOM>{e(p.first)}</PRENOM>\r\n        <LC_CIVILITE>{p.civility}</LC_CIVILITE>\r\n"
                     f"        <LL_CIVILITE>{'Madame' if p.civility == 'MME' else 'Monsieur'}</LL_CIVILITE>\r\n"
                     f"        <TEL_PORTABLE>06 00 00 00 {n:02d}</TEL_PORTABLE>\r\n")
        if p.mel:
            parts.append(f"        <MEL>{e(p.mel)}</MEL>\r\n")
        parts.append(f"        <ACCEPTE_SMS>1</ACCEPTE_SMS>\r\n        <ADRESSE_ID>{9000 + n}</ADRESSE_ID>\r\n"
                     "        <CODE_PROFESSION>54</CODE_PROFESSION>\r\n      </PERSONNE>\r\n")
    parts.append("    </PERSONNES>\r\n    <RESPONSABLES>\r\n")
    links = [(p.personne_id, eleve_id, resp, p.relation) for p in people for eleve_id, resp in p.links]
    links += [(pid, eleve_id, resp, "90") for pid, eleve_id, resp in extra_links]
    for pid, eleve_id, resp, relation in links:
        parts.append(f"      <RESPONSABLE_ELEVE>\r\n        <ELEVE_ID>{eleve_id}</ELEVE_ID>\r\n"
                     f"        <PERSONNE_ID>{pid}</PERSONNE_ID>\r\n        <RESP_LEGAL>{resp}</RESP_LEGAL>\r\n"
                     f"        <CODE_PARENTE>{relation}</CODE_PARENTE>\r\n        <RESP_FINANCIER>1</RESP_FINANCIER>\r\n"
                     f"        <PERS_PAIEMENT>0</PERS_PAIEMENT>\r\n        <PERS_CONTACT>{1 if resp == '0' else 0}</PERS_CONTACT>\r\n"
                     "      </RESPONSABLE_ELEVE>\r\n")
    parts.append("    </RESPONSABLES>\r\n    <ADRESSES>\r\n")
    for n, p in enumerate(people):
        parts.append(f'      <ADRESSE ADRESSE_ID="{9000 + n}">\r\n')
        for k, line in enumerate(p.lines, start=1):
            parts.append(f"        <LIGNE{k}_ADRESSE>{e(line)}</LIGNE{k}_ADRESSE>\r\n")
        parts.append(f"        <CODE_POSTAL>{p.postcode}</CODE_POSTAL>\r\n")
        if p.foreign_town:
            parts.append(f"        <COMMUNE_ETRANGERE>{e(p.foreign_town)}</COMMUNE_ETRANGERE>\r\n")
        else:
            parts.append(f"        <LIBELLE_POSTAL>{e(p.town)}</LIBELLE_POSTAL>\r\n")
        if p.country:
            parts.append(f"        <LL_PAYS>{e(p.country)}</LL_PAYS>\r\n")
        parts.append("      </ADRESSE>\r\n")
    parts.append("    </ADRESSES>\r\n  </DONNEES>\r\n</BEE_RESPONSABLES>\r\n")
    return "".join(parts).encode(encoding)


def families() -> list[Person]:
    """The guardians of :func:`first_year`'s pupils (invented): both parents of Zoé; one mother
    of two (Lucas MARTIN and Julie BAILLET 4103) with another surname; a father whose first name
    is outside ISO-8859-15 and lives abroad; a contact only (RESP_LEGAL 0), who gets no account;
    a guardian linked to a pupil not on file (4199) besides Ağça."""
    return [
        Person("7001", "NDIAYE", "Awa", [("4101", "1")], mel="awa.ndiaye@example.org", relation="10"),
        Person("7002", "NDIAYE", "Moussa", [("4101", "2")], civility="M."),
        Person("7003", "LEMAIRE", "Sophie", [("4102", "1"), ("4103", "1")], mel="s.lemaire@example.net",
               lines=["APPARTEMENT 12", "RÉSIDENCE LES ÉRABLES", "3 BIS AVENUE JEAN JAURÈS"], postcode="59650",
               town="VILLENEUVE D'ASCQ"),
        Person("7004", "YILDIZ", "Doğan", [("4105", "1"), ("4199", "1")], civility="M.",
               lines=["KÖNIGSTRASSE 14"], postcode="70173", foreign_town="Stuttgart", country="ALLEMAGNE"),
        Person("7005", "ROUSSEAU", "Pierre", [("4106", "0")], civility="M."),  # a contact: no account
        Person("7006", "ŒUVRARD", "Claire", [("4106", "1")]),
    ]
