"""SIECLE's guardians export, ``ResponsablesAvecAdresses.xml`` (root ``BEE_RESPONSABLES``),
read as the ENT connectors and school software (GEPI, SACoche) read it.

- ``PARAMETRES``: ``UAJ``, ``ANNEE_SCOLAIRE``, ``DATE_EXPORT`` as in the pupils' export;
- ``DONNEES/PERSONNES/PERSONNE[@PERSONNE_ID]``: ``NOM`` (newer exports: ``NOM_USAGE`` or
  ``NOM_DE_FAMILLE``), ``PRENOM``, ``LC_CIVILITE`` (« M. », « MME »), ``MEL``, ``ADRESSE_ID``;
- ``DONNEES/RESPONSABLES/RESPONSABLE_ELEVE``: ``ELEVE_ID``, ``PERSONNE_ID``, ``RESP_LEGAL``
  (1 or 2: a legal guardian; 0: another contact, who gets no account), ``CODE_PARENTE``;
- ``DONNEES/ADRESSES/ADRESSE[@ADRESSE_ID]``: ``LIGNE1_ADRESSE`` … ``LIGNE4_ADRESSE``,
  ``CODE_POSTAL``, ``LIBELLE_POSTAL``, ``LL_PAYS``, ``COMMUNE_ETRANGERE``.

Phones and every other tag are ignored. Same safety as the pupils' export: DTDs and
entities refused, the declared encoding checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree.ElementTree import Element

from ..domain.classlist import MAX_KEY, MAX_NAME, Where, printable, spelling_problem
from ..domain.i18n import N_, _
from ..domain.identifiers import base_identifier
from .siecle_xml import parse_root, text_of

#: The address lines SIECLE holds (``LIGNE1_ADRESSE`` … ``LIGNE4_ADRESSE``); a record with more
#: is not SIECLE's and would not fit the envelope's window.
MAX_ADDRESS_LINES = 4
_LINE_TAG = re.compile(r"LIGNE(\d+)_ADRESSE")
#: What ``RESP_LEGAL`` may be: 1 and 2 are the legal guardians, 0 another contact.
LEGAL = ("1", "2")
CONTACT = "0"
FRANCE = ("", "FRANCE")


@dataclass(frozen=True)
class ChildLink:
    """A guardian's link to a pupil of the export (by ``ELEVE_ID``)."""

    eleve_id: str
    resp_legal: int  # 1 or 2
    relation: str  # CODE_PARENTE, as SIECLE codes it (10 mother, 20 father, …)


@dataclass(frozen=True)
class GuardianRecord:
    """A legal guardian of the export: one per ``PERSONNE_ID``, with every child linked."""

    personne_id: str
    civility: str  # « M. », « Mme » or ""
    last_name: str
    first_name: str
    email: str | None  # MEL, when it is a valid address (offered, never trusted)
    address: tuple[str, ...]  # the postal lines under the name, country last when abroad
    label: str  # « responsable 7001 (MARTIN Sophie) »
    children: tuple[ChildLink, ...]

    @property
    def where(self) -> Where:
        return self.label


@dataclass(frozen=True)
class GuardianFile:
    """A guardians' export read: its legal guardians, how many other contacts it holds
    (no account for them), and every bad record named."""

    uaj: str
    school_year: str | None
    exported_on: date | None
    guardians: list[GuardianRecord]
    contacts: int
    problems: list[tuple[Where, str]] = field(default_factory=list)

    #: French (marked with ``N_``): ``_(label)`` where it is shown.
    label = N_("export XML de SIECLE des responsables (ResponsablesAvecAdresses)")


def is_guardians_export(data: bytes) -> bool:
    """An XML file whose root element is ``BEE_RESPONSABLES`` (checked on its first bytes)."""
    head = data[:4096]
    return re.search(rb"<BEE_RESPONSABLES[\s>]", head) is not None


def is_guardians_file(data: bytes) -> bool:
    """The guardians' export, alone or in its zip (the zip's own refusals when it is damaged)."""
    from .files import is_zip, unzip_one_xml

    return is_guardians_export(unzip_one_xml(data)[1] if is_zip(data) else data)


def civility(code: str) -> str:
    """``LC_CIVILITE`` as a letter writes it: « M. », « Mme » (SIECLE: « MME »), or ""."""
    folded = code.strip().rstrip(".").upper()
    return {"M": "M.", "MME": "Mme", "MLLE": "Mme"}.get(folded, "")


def parse_guardians_xml(data: bytes) -> GuardianFile:
    """The legal guardians of an export, their children and addresses, and every problem
    named by the record (« responsable 7001 (MARTIN Sophie) : … »)."""
    root = parse_root(data, "BEE_RESPONSABLES", "des responsables (ResponsablesAvecAdresses)")
    params = root.find("PARAMETRES")
    uaj = text_of(params, "UAJ").upper()
    problems: list[tuple[Where, str]] = []
    if not uaj:
        from ..domain.errors import FileRefused

        raise FileRefused(_("L'export des responsables n'indique pas le code de l'établissement (PARAMETRES/UAJ) : "
                            "il est incomplet. Exportez-le à nouveau depuis SIECLE."))
    addresses, address_problems = _addresses(root)
    people: dict[str, Element] = {}
    labels: dict[str, str] = {}
    for person in root.iterfind("DONNEES/PERSONNES/PERSONNE"):
        pid = " ".join((person.get("PERSONNE_ID") or "").split())
        last, first = _names(person)
        label = _("responsable {id} ({last_name} {first_name})").format(
            id=printable(pid, 20) or "?", last_name=printable(last, 40), first_name=printable(first, 40)
        ).replace(" )", ")")
        if not pid or len(pid) > MAX_KEY or not pid.isalnum():
            problems.append((label, _("PERSONNE_ID « {id} » invalide").format(id=printable(pid, 30))))
            continue
        if pid in people:
            problems.append((label, _("PERSONNE_ID en double (déjà : {first})").format(first=labels[pid])))
            continue
        people[pid], labels[pid] = person, label
    links: dict[str, list[ChildLink]] = {}
    contacts: set[str] = set()
    for rank, link in enumerate(root.iterfind("DONNEES/RESPONSABLES/RESPONSABLE_ELEVE"), start=1):
        pid, eleve_id = text_of(link, "PERSONNE_ID"), text_of(link, "ELEVE_ID")
        resp = text_of(link, "RESP_LEGAL")
        where = labels.get(pid) or _("lien responsable-élève n° {rank}").format(rank=rank)
        if pid not in people:
            problems.append((where, _("PERSONNE_ID « {id} » absent de DONNEES/PERSONNES").format(id=printable(pid, 30))))
            continue
        if not eleve_id or len(eleve_id) > MAX_KEY or not eleve_id.isalnum():
            problems.append((where, _("ELEVE_ID « {id} » invalide").format(id=printable(eleve_id, 30))))
            continue
        if resp == CONTACT:
            contacts.add(pid)
            continue
        if resp not in LEGAL:
            problems.append((where, _("RESP_LEGAL « {value} » pour l'élève {pupil} : 1 ou 2 "
                                      "(responsable légal) ou 0 (autre contact) attendu")
                             .format(value=printable(resp, 10), pupil=eleve_id)))
            continue
        mine = links.setdefault(pid, [])
        if any(c.eleve_id == eleve_id for c in mine):
            problems.append((where, _("lié deux fois à l'élève {pupil}").format(pupil=eleve_id)))
            continue
        mine.append(ChildLink(eleve_id, int(resp), text_of(link, "CODE_PARENTE")))
    guardians: list[GuardianRecord] = []
    for pid, children in links.items():
        person, label = people[pid], labels[pid]
        last, first = _names(person)
        reason = _person_problem(person, last, first)
        address_id = text_of(person, "ADRESSE_ID")
        if reason is None and address_id in address_problems:
            reason = address_problems[address_id]
        if reason is not None:
            problems.append((label, reason))
            continue
        guardians.append(GuardianRecord(pid, civility(text_of(person, "LC_CIVILITE")), last, first,
                                        _email(text_of(person, "MEL")), addresses.get(address_id, ()), label,
                                        tuple(children)))
    try:
        exported_on = datetime.strptime(text_of(params, "DATE_EXPORT"), "%d/%m/%Y").date()
    except ValueError:
        exported_on = None
    if not people and not problems:
        problems.append((_("export SIECLE"), _("aucun responsable dans DONNEES/PERSONNES")))
    return GuardianFile(uaj, text_of(params, "ANNEE_SCOLAIRE") or None, exported_on, guardians,
                        len(contacts - set(links)), problems)


def _names(person: Element) -> tuple[str, str]:
    last = text_of(person, "NOM_USAGE") or text_of(person, "NOM_DE_FAMILLE") or text_of(person, "NOM")
    return last, text_of(person, "PRENOM")


def _person_problem(person: Element, last: str, first: str) -> str | None:
    for tag in ("NOM", "NOM_USAGE", "NOM_DE_FAMILLE", "PRENOM"):
        found = person.find(tag)
        if found is not None and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in found.text or ""):
            return _("{tag} : caractère de contrôle interdit").format(tag=tag)
    if not last:
        return _("nom manquant (NOM)")
    if not first:
        return _("prénom manquant (PRENOM)")
    too_long = (N_("nom trop long ({length} caractères, {limit} au plus)"),
                N_("prénom trop long ({length} caractères, {limit} au plus)"))
    for sentence, value in zip(too_long, (last, first), strict=True):
        if len(value) > MAX_NAME:
            return _(sentence).format(length=len(value), limit=MAX_NAME)
    if (reason := spelling_problem(last, first, "")) is not None:
        return reason
    try:
        base_identifier(first, last)
    except ValueError as exc:
        return str(exc)
    return None


def _email(typed: str) -> str | None:
    """``MEL`` when it is an address a mail can go to; otherwise nothing is offered."""
    if not typed or len(typed) > 254:
        return None
    from email_validator import EmailNotValidError, validate_email  # here: see service/forms.py

    try:
        return validate_email(typed, check_deliverability=False, allow_smtputf8=False).normalized.lower()
    except EmailNotValidError:
        return None


def _addresses(root: Element) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """ADRESSE_ID → the postal lines (French: lines, « CP VILLE »; abroad: lines, city,
    COUNTRY), and ADRESSE_ID → why it cannot be printed."""
    found: dict[str, tuple[str, ...]] = {}
    bad: dict[str, str] = {}
    for address in root.iterfind("DONNEES/ADRESSES/ADRESSE"):
        aid = " ".join((address.get("ADRESSE_ID") or "").split())
        numbered = sorted((int(m[1]), " ".join((child.text or "").split()))
                          for child in address if (m := _LINE_TAG.fullmatch(child.tag)))
        if any(n > MAX_ADDRESS_LINES for n, _text in numbered):
            count = max(n for n, _text in numbered)
            bad[aid] = _("adresse {id} de {count} lignes : {limit} au plus "
                         "(LIGNE1_ADRESSE à LIGNE4_ADRESSE), elle ne tiendrait pas dans la fenêtre de l'enveloppe"
                         ).format(id=printable(aid, 20), count=count, limit=MAX_ADDRESS_LINES)
            continue
        if any(any(ord(c) < 32 for c in child.text or "") for child in address):
            bad[aid] = _("adresse {id} : caractère de contrôle interdit").format(id=printable(aid, 20))
            continue
        lines = [text for _number, text in numbered if text]
        postcode, town = text_of(address, "CODE_POSTAL"), text_of(address, "LIBELLE_POSTAL")
        country = text_of(address, "LL_PAYS").upper()
        abroad_town = text_of(address, "COMMUNE_ETRANGERE")
        if country in FRANCE and not abroad_town:
            city = " ".join(p for p in (postcode, town.upper()) if p)
            lines += [city] if city else []
        else:
            city = " ".join(p for p in (postcode, (abroad_town or town).upper()) if p)
            lines += [city] if city else []
            lines += [country] if country not in FRANCE else []
        found[aid] = tuple(lines)
    return found, bad
