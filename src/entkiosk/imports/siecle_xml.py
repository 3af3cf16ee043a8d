"""SIECLE's pupils export, ``ElevesSansAdresses.xml`` (root ``BEE_ELEVES``), as the ENT
connectors read it.

- ``PARAMETRES``: ``UAJ`` (the school's code), ``ANNEE_SCOLAIRE``, ``DATE_EXPORT``;
- ``DONNEES/ELEVES/ELEVE[@ELEVE_ID]``: ``ID_NATIONAL`` (the INE, may be missing),
  ``NOM_DE_FAMILLE``, ``NOM_USAGE`` (the name to use when present), ``PRENOM``,
  ``DATE_NAISS`` (JJ/MM/AAAA), ``DATE_SORTIE`` (present: the pupil has left);
- ``DONNEES/STRUCTURES/STRUCTURES_ELEVE[@ELEVE_ID]/STRUCTURE``: the division is the one
  whose ``TYPE_STRUCTURE`` is ``D`` (``G``: groups, ignored).

Every other tag is ignored. Parsed by :mod:`defusedxml` with DTDs forbidden: an export
has none, so entity expansion (« billion laughs ») and external entities cannot happen.
"""

from __future__ import annotations

import codecs
import re
from datetime import date, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..domain.classlist import (
    MAX_CLASS,
    MAX_KEY,
    MAX_NAME,
    StudentRow,
    parse_birth_date,
    printable,
    spelling_problem,
)
from ..domain.errors import FileRefused
from ..domain.i18n import N_, _
from ..domain.identifiers import base_identifier
from .model import PupilFile, SiecleRecord

_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: An INE: 11 characters, digits and capital letters (10 digits and a letter, or 9 and 2).
_INE = re.compile(r"[0-9A-Z]{11}")


def _encoding_check(data: bytes) -> None:
    """The encoding the prolog declares is the file's (else expat would read it wrong)."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    found = _DECLARED.match(body)
    declared = found[1].decode("ascii") if found else "UTF-8"
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise FileRefused(_("Le fichier XML déclare un encodage inconnu (« {encoding} ») : "
                            "un export SIECLE est en ISO-8859-15.").format(encoding=printable(declared))) from None
    try:
        body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise FileRefused(_("Le fichier XML déclare l'encodage {encoding} mais n'est pas écrit ainsi (ligne {line}) : "
                            "il a été modifié ou converti. Exportez-le à nouveau depuis SIECLE.")
                          .format(encoding=declared, line=line)) from None
    if codec != "utf-8" and any(b > 0x7F for b in body):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return
        raise FileRefused(_("Le fichier XML déclare l'encodage {encoding} mais il est écrit en UTF-8 : "
                            "les accents seraient mal lus. Exportez-le à nouveau depuis SIECLE.").format(encoding=declared))


def text_of(element: Element | None, tag: str) -> str:
    """The text of ``tag`` under ``element``, spaces collapsed ("" when absent)."""
    found = element.find(tag) if element is not None else None
    return " ".join((found.text or "").split()) if found is not None else ""




def _raw(element: Element, tag: str) -> str:
    found = element.find(tag)
    return found.text or "" if found is not None else ""


#: The refusal of an XML file whose root is not the export expected, by that export's root.
_NOT_THE_EXPORT = {
    "BEE_ELEVES": N_("Ce fichier XML n'est pas un export des élèves de SIECLE (élément racine "
                     "« {found} » au lieu de « {expected} »)."),
    "BEE_RESPONSABLES": N_("Ce fichier XML n'est pas un export des responsables (ResponsablesAvecAdresses) de "
                           "SIECLE (élément racine « {found} » au lieu de « {expected} »)."),
}


def parse_root(data: bytes, expected: str, what: str) -> Element:
    """The root element of a SIECLE export, parsed safely, which must be ``expected``
    (``what``: « des élèves », for the refusal of a root :data:`_NOT_THE_EXPORT` does not know)."""
    _encoding_check(data)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise FileRefused(_("Le fichier XML déclare une DTD ou des entités : refusé par sécurité "
                            "(un export SIECLE n'en contient pas).")) from None
    except ParseError as exc:
        line, column = exc.position
        truncated = "no element found" in str(exc) or "unclosed token" in str(exc)
        if truncated:
            why = _("Le fichier XML est incomplet (coupé avant sa fin) : ligne {line}, colonne {column}. "
                    "Exportez-le à nouveau depuis SIECLE.")
        else:
            why = _("Le fichier XML est mal formé : ligne {line}, colonne {column}. "
                    "Exportez-le à nouveau depuis SIECLE.")
        raise FileRefused(why.format(line=line, column=column + 1)) from None
    if root.tag == "BEE_RESPONSABLES" != expected:
        raise FileRefused(_("Ce fichier est l'export des responsables (ResponsablesAvecAdresses) : il ne donne pas "
                            "les élèves. Importez d'abord celui des élèves, ElevesSansAdresses, puis celui-ci avec "
                            "« entkiosk import » ou « entkiosk sync »."))
    if root.tag != expected:
        known = _NOT_THE_EXPORT.get(expected)
        sentence = _(known) if known is not None else _("Ce fichier XML n'est pas un export {what} de SIECLE "
                                                        "(élément racine « {found} » au lieu de « {expected} »).")
        raise FileRefused(sentence.format(what=what, found=printable(root.tag), expected=expected))
    return root


def parse_siecle_xml(data: bytes, *, today: date | None = None) -> PupilFile:
    """The pupils of an export: rows for those to have an account, and every problem
    named by the record (« élève 4321 (DUPONT Zoé) : … »)."""
    root = parse_root(data, "BEE_ELEVES", "des élèves")
    params = root.find("PARAMETRES")
    uaj = text_of(params, "UAJ").upper() or None
    if uaj is None:
        raise FileRefused(_("L'export SIECLE n'indique pas le code de l'établissement (PARAMETRES/UAJ) : "
                            "il est incomplet. Exportez-le à nouveau depuis SIECLE."))
    divisions = _divisions(root)
    records: list[SiecleRecord] = []
    rows: list[StudentRow] = []
    problems: list[tuple[int | str, str]] = []
    without_class: list[str] = []
    seen_ids: dict[str, str] = {}
    seen_ines: dict[str, str] = {}
    for rank, pupil in enumerate(root.iterfind("DONNEES/ELEVES/ELEVE"), start=1):
        eleve_id = " ".join((pupil.get("ELEVE_ID") or "").split())
        last = text_of(pupil, "NOM_USAGE") or text_of(pupil, "NOM_DE_FAMILLE")
        first = text_of(pupil, "PRENOM")
        label = _("élève {id} ({last_name} {first_name})").format(
            id=printable(eleve_id, 20) or "?", last_name=printable(last, 40), first_name=printable(first, 40)
        ).replace(" )", ")")
        if not eleve_id:
            problems.append((label, _("pas d'identifiant ELEVE_ID")))
            continue
        if len(eleve_id) > MAX_KEY or not eleve_id.isalnum():
            problems.append((label, _("ELEVE_ID « {id} » invalide").format(id=printable(eleve_id, 30))))
            continue
        if eleve_id in seen_ids:
            problems.append((label, _("ELEVE_ID en double (déjà : {first})").format(first=seen_ids[eleve_id])))
            continue
        seen_ids[eleve_id] = label
        ine = text_of(pupil, "ID_NATIONAL").upper() or None
        if ine is not None and not _INE.fullmatch(ine):
            problems.append((label, _("INE « {ine} » invalide (11 chiffres et lettres attendus)").format(ine=printable(ine, 30))))
            continue
        if ine is not None:
            if ine in seen_ines:
                problems.append((label, _("INE {ine} en double (déjà : {first})").format(ine=ine, first=seen_ines[ine])))
                continue
            seen_ines[ine] = label
        left = bool(text_of(pupil, "DATE_SORTIE"))
        class_name = divisions.get(eleve_id, "")
        records.append(SiecleRecord(eleve_id, ine, label, left, class_name))
        if left:
            continue  # not imported; the yearly update closes the account
        reason = _record_problem(pupil, last, first, class_name)
        birth = None
        if reason is None:
            try:
                birth = parse_birth_date(text_of(pupil, "DATE_NAISS"), today=today)
            except ValueError as exc:
                reason = str(exc)
        if reason is not None or birth is None:
            problems.append((label, reason or _("date de naissance manquante")))
            continue
        if not class_name:
            without_class.append(label)
            continue
        rows.append(StudentRow(rank, last, first, birth, class_name, ine=ine, eleve_id=eleve_id, label=label))
    if not records and not problems:
        problems.append((_("export SIECLE"), _("aucun élève dans DONNEES/ELEVES")))
    try:
        exported_on = datetime.strptime(text_of(params, "DATE_EXPORT"), "%d/%m/%Y").date()
    except ValueError:
        exported_on = None
    return PupilFile("siecle-xml", rows, problems, uaj=uaj, school_year=text_of(params, "ANNEE_SCOLAIRE") or None,
                     exported_on=exported_on, records=records, without_class=without_class)


def _record_problem(pupil: Element, last: str, first: str, class_name: str) -> str | None:
    for tag in ("NOM_DE_FAMILLE", "NOM_USAGE", "PRENOM", "DATE_NAISS"):
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in _raw(pupil, tag)):
            return _("{tag} : caractère de contrôle interdit").format(tag=tag)
    if not last:
        return _("nom manquant (NOM_DE_FAMILLE)")
    if not first:
        return _("prénom manquant (PRENOM)")
    too_long = (N_("nom trop long ({length} caractères, {limit} au plus)"),
                N_("prénom trop long ({length} caractères, {limit} au plus)"),
                N_("classe trop long ({length} caractères, {limit} au plus)"))
    for sentence, value, limit in zip(too_long, (last, first, class_name), (MAX_NAME, MAX_NAME, MAX_CLASS), strict=True):
        if len(value) > limit:
            return _(sentence).format(length=len(value), limit=limit)
    if (reason := spelling_problem(last, first, class_name)) is not None:
        return reason
    if not text_of(pupil, "DATE_NAISS"):
        return _("date de naissance manquante (DATE_NAISS)")
    try:
        base_identifier(first, last)
    except ValueError as exc:
        return str(exc)
    return None


def _divisions(root: Element) -> dict[str, str]:
    """ELEVE_ID → the code of the pupil's division (``TYPE_STRUCTURE`` D; groups ignored)."""
    found: dict[str, str] = {}
    for structures in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE"):
        eleve_id = " ".join((structures.get("ELEVE_ID") or "").split())
        for structure in structures.iterfind("STRUCTURE"):
            if text_of(structure, "TYPE_STRUCTURE").upper() == "D":
                found[eleve_id] = text_of(structure, "CODE_STRUCTURE")
                break
    return found
