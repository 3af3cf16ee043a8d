"""Reading SIECLE's exports (invented ones, written as SIECLE writes them): the pupils, their
keys and divisions, and every refusal of a file that is wrong or unsafe — each in French,
naming the record, and with nothing written."""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from siecle_support import UAJ, Pupil, division_csv, first_year, pupils_xml, pupils_zip

from entkiosk.domain.errors import FileRefused, ImportRejected
from entkiosk.imports import MAX_EXPORT_BYTES, read_pupils
from entkiosk.imports.files import read_export_file


def test_pupils_export_gives_each_pupil_with_keys_division_and_usage_name():
    file = read_pupils(pupils_zip(pupils_xml(first_year())))
    assert (file.format, file.uaj, file.school_year) == ("siecle-xml", UAJ, "2026")
    got = {r.eleve_id: (r.last_name, r.first_name, r.birth_date, r.class_name, r.ine) for r in file.rows}
    assert got == {
        "4101": ("NDIAYE", "Zoé", date(2012, 2, 14), "4A", "1234567890A"),  # the division, not the group 4A_LAT
        "4102": ("MARTIN", "Lucas", date(2012, 5, 3), "4A", "1234567891B"),  # NOM_USAGE wins
        "4103": ("BAILLET", "Julie", date(2012, 11, 21), "4A", "1234567892C"),
        "4104": ("BAILLET", "Julie", date(2011, 6, 2), "4B", "1234567893D"),  # a homonym is a pupil too
        "4105": ("YILDIZ", "Ağça", date(2012, 9, 9), "4B", None),  # &#287; read; no INE yet
        "4106": ("ŒUVRARD", "Çécile", date(2012, 1, 30), "4B", "1234567895F"),  # groups listed first
    }
    assert [r.label for r in file.leavers] == ["élève 4107 (PETIT Hugo)"]
    assert file.without_class == ["élève 4108 (ROUX Inès)"]
    assert file.problems == []


def test_the_xml_alone_reads_like_its_zip_and_the_name_of_the_file_does_not_matter(tmp_path):
    xml = pupils_xml(first_year())
    assert read_pupils(xml).rows == read_pupils(pupils_zip(xml, name="export du 1er septembre.dat")).rows
    assert b"&#287;" in xml and b"ISO-8859-15" in xml  # as SIECLE writes it


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8-sig"])
def test_division_csv_export_in_both_encodings(encoding):
    pupils = first_year()[:4] + [Pupil("1", "LEFÈVRE", "Anaïs", "01/02/2012", "4C")]
    file = read_pupils(division_csv(pupils, encoding=encoding))
    assert file.format == "siecle-csv" and file.problems == []
    assert [(r.line, r.last_name, r.first_name, r.class_name) for r in file.rows] == [
        (2, "NDIAYE", "Zoé", "4A"), (3, "MARTIN", "Lucas", "4A"), (4, "BAILLET", "Julie", "4A"),
        (5, "BAILLET", "Julie", "4B"), (6, "LEFÈVRE", "Anaïs", "4C")]  # ="4A" unquoted, CRLF, accents right


def test_division_csv_keeps_the_ine_column_when_exported():
    file = read_pupils(division_csv(first_year()[:3], encoding="utf-8-sig", ine=True))
    assert [r.ine for r in file.rows] == ["1234567890A", "1234567891B", "1234567892C"]


def test_entkiosk_csv_still_reads_as_before():
    file = read_pupils("nom;prénom;date de naissance;classe\nBaillet;Julie;14/03/2010;2nde 1\n".encode())
    assert file.format == "csv" and [(r.line, r.last_name) for r in file.rows] == [(2, "Baillet")]


# ---------------------------------------------------------------- bad records, named


def _one_bad(**changes) -> list:
    pupils = first_year()[:3]
    pupils[1] = replace(pupils[1], **changes)
    return read_pupils(pupils_xml(pupils)).problems


@pytest.mark.parametrize(("changes", "reason"), [
    ({"born": "31/02/2012"}, "la date de naissance « 31/02/2012 » n'existe pas"),
    ({"division": "4" * 300}, "classe trop long (300 caractères, 60 au plus)"),
    ({"ine": "1234567890A"}, "INE 1234567890A en double (déjà : élève 4101 (NDIAYE Zoé))"),
    ({"eleve_id": "4101"}, "ELEVE_ID en double (déjà : élève 4101 (NDIAYE Zoé))"),
    ({"ine": "12-34"}, "INE « 12-34 » invalide (11 chiffres et lettres attendus)"),
    ({"first": ""}, "prénom manquant (PRENOM)"),
])
def test_a_bad_record_is_named_by_its_eleve_id_and_name(changes, reason):
    problems = _one_bad(**changes)
    assert len(problems) == 1
    where, why = problems[0]
    assert where.startswith("élève 4") and "MARTIN" in where
    assert why == reason


def test_rejection_message_counts_pupils_not_lines():
    message = str(ImportRejected(_one_bad(born="31/02/2012")))
    assert message.startswith("Import refusé, aucun compte n'a été créé (1 élève en erreur) :\n"
                              "  élève 4102 (MARTIN Lucas) : la date de naissance")


# ---------------------------------------------------------------- unsafe or wrong files


def refused(data: bytes) -> str:
    with pytest.raises(FileRefused) as caught:
        read_pupils(data)
    return str(caught.value)


def test_billion_laughs_is_refused_before_any_expansion():
    lol = (b'<?xml version="1.0"?>\n<!DOCTYPE BEE_ELEVES [\n <!ENTITY a "lollollollollollollollollollol">\n'
           + b"".join(f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode() for i in range(9))
           + b"]>\n<BEE_ELEVES><PARAMETRES><UAJ>&j;</UAJ></PARAMETRES></BEE_ELEVES>\n")
    assert refused(lol) == ("Le fichier XML déclare une DTD ou des entités : refusé par sécurité "
                            "(un export SIECLE n'en contient pas).")


def test_external_entity_is_refused():
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b"<BEE_ELEVES><PARAMETRES><UAJ>&e;</UAJ></PARAMETRES></BEE_ELEVES>")
    assert "DTD ou des entités" in refused(xxe)


def test_truncated_xml_says_where():
    xml = pupils_xml(first_year())
    assert refused(xml[: len(xml) // 2]).startswith("Le fichier XML est incomplet (coupé avant sa fin) : ligne ")


def test_wrong_encoding_declarations_are_refused_both_ways():
    latin = pupils_xml(first_year())
    utf8 = pupils_xml(first_year(), encoding="UTF-8")
    assert refused(latin.replace(b"ISO-8859-15", b"UTF-8")).startswith(
        "Le fichier XML déclare l'encodage UTF-8 mais n'est pas écrit ainsi (ligne ")
    assert refused(utf8.replace(b"UTF-8", b"ISO-8859-15", 1)).startswith(
        "Le fichier XML déclare l'encodage ISO-8859-15 mais il est écrit en UTF-8")
    assert "encodage inconnu" in refused(latin.replace(b"ISO-8859-15", b"KLINGON-1"))


def test_zip_of_anything_but_one_xml_is_refused():
    xml = pupils_xml(first_year())
    assert refused(pupils_zip(xml, extra={"ResponsablesAvecAdresses.xml": xml})).startswith(
        "L'archive zip contient 2 fichiers (ElevesSansAdresses.xml, ResponsablesAvecAdresses.xml)")
    assert refused(pupils_zip(b"nom;prenom\n", name="eleves.csv")).startswith(
        "L'archive zip contient eleves.csv, qui n'est pas un fichier XML")
    assert refused(pupils_zip(pupils_zip(xml), name="inner.zip")).startswith("L'archive zip contient inner.zip")
    assert refused(b"PK\x03\x04 not really a zip").startswith("Archive zip illisible")


def test_zip_bomb_is_refused_on_its_declared_size():
    bomb = pupils_zip(b"<" + b" " * (MAX_EXPORT_BYTES + 10))  # compresses to a few dozen kilobytes
    assert len(bomb) < 200_000
    assert refused(bomb) == ("ElevesSansAdresses.xml ferait 50 Mo une fois décompressé : refusé (50 Mo au plus ; "
                             "un export SIECLE en fait quelques-uns).")


def test_zip_bomb_lying_about_its_size_is_refused_while_reading():
    """The sizes in the zip's headers say 1 kB; 60 MB come out: reading stops at the cap."""
    size = MAX_EXPORT_BYTES + 10 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", b"<" + b" " * (size - 1))
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = data.index(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 1024)
    message = refused(bytes(data))
    assert "ElevesSansAdresses.xml" in message and ("décompress" in message)


def test_not_a_pupils_export():
    assert refused(b'<?xml version="1.0" encoding="ISO-8859-15"?><BEE_RESPONSABLES/>').startswith(
        "Ce fichier est l'export des responsables")
    assert refused(b"<html><body>SIECLE</body></html>").startswith(
        "Ce fichier XML n'est pas un export des élèves de SIECLE (élément racine « html »")
    assert "PARAMETRES/UAJ" in refused(b"<BEE_ELEVES><DONNEES/></BEE_ELEVES>")


def test_a_file_of_200_mb_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "ElevesSansAdresses.xml"
    with big.open("wb") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: nothing written to the disk
    with pytest.raises(FileRefused) as caught:
        read_export_file(big)
    assert str(caught.value) == (f"{big} fait 200 Mo : une liste de classe ou un export SIECLE en fait "
                                 "quelques-uns (50 Mo au plus). Vérifiez le fichier choisi.")
