"""The command line's parser: ``entkiosk`` and its commands, with argparse's words in French.

Loaded only when ``entkiosk`` is given arguments: a bare ``entkiosk`` (the kiosk, as a lab
terminal starts it) paints its accueil without building it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .domain.i18n import N_, _

EXIT_USAGE = 2

# argparse's own words, in French (it looks them up through gettext at call time), then in
# the language in use: the French is marked for the catalogs and translated as argparse asks.
_ARGPARSE_FR = {
    "usage: ": N_("usage : "),
    "positional arguments": N_("arguments"),
    "options": N_("options"),
    "show this help message and exit": N_("afficher cette aide et quitter"),
    "the following arguments are required: %s": N_("argument(s) obligatoire(s) manquant(s) : %s"),
    "invalid choice: %(value)r (choose from %(choices)s)": N_("choix invalide : %(value)r (choix possibles : %(choices)s)"),
    "invalid %(type)s value: %(value)r": N_("valeur invalide : %(value)r"),
    "argument %(argument_name)s: %(message)s": N_("argument %(argument_name)s : %(message)s"),
    "unrecognized arguments: %s": N_("argument(s) non reconnu(s) : %s"),
    "expected one argument": N_("une valeur est attendue"),
    "ambiguous option: %(option)s could match %(matches)s": N_("option ambiguë : %(option)s (%(matches)s)"),
    "not allowed with argument %s": N_("incompatible avec l'argument %s"),
    "one of the arguments %s is required": N_("un de ces arguments est obligatoire : %s"),
}


def _argparse_words(message: str) -> str:
    """argparse's ``message`` in the language in use (French, or its catalog's translation)."""
    french = _ARGPARSE_FR.get(message)
    return message if french is None else _(french)


argparse._ = _argparse_words  # type: ignore[attr-defined]

class _Parser(argparse.ArgumentParser):
    """argparse with French usage errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, _("{prog} : erreur : {message}").format(prog=self.prog, message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="entkiosk", description=_("Kiosque d'activation des comptes ENT et Scolarité Services."))
    parser.add_argument("--config", metavar=_("FICHIER"), help=_("fichier de configuration kiosk.conf"))
    parser._positionals.title = _("commandes")
    sub = parser.add_subparsers(dest="command", metavar=_("COMMANDE"), parser_class=_Parser)

    p = sub.add_parser("import", help=_("importer une liste de classe ou un export SIECLE (élèves, ou responsables)"))
    p.add_argument("file", metavar=_("FICHIER"), type=Path,
                   help=_("export SIECLE des élèves (ExportXML_ElevesSansAdresses.zip ou ElevesSansAdresses.xml), "
                          "export CSV d'une division de SIECLE (ISO-8859-1 ou UTF-8), ou liste CSV nom;prénom;date de "
                          "naissance;classe (séparateur ; ou , — UTF-8 — dates JJ/MM/AAAA) ; le format est reconnu au "
                          "contenu"))
    p.add_argument("--letters", metavar=_("FICHIER.pdf|FICHIER.txt"), type=Path,
                   help=_("écrire aussitôt les courriers de notification des comptes créés (PDF à imprimer, ou texte)"))
    p.add_argument("--skip-enrolled", action="store_true",
                   help=_("liste mise à jour : créer seulement les élèves qui n'ont pas encore de compte"))

    p = sub.add_parser("sync", help=_("mise à jour annuelle depuis SIECLE : nouveaux élèves, changements de classe, "
                                      "départs (aperçu ; --apply pour appliquer)"))
    p.add_argument("file", metavar=_("FICHIER"), type=Path,
                   help=_("export XML de SIECLE (ExportXML_ElevesSansAdresses.zip ou ElevesSansAdresses.xml), puis "
                          "celui des responsables (ResponsablesAvecAdresses.zip ou .xml)"))
    p.add_argument("--apply", action="store_true", help=_("appliquer les changements (sinon : aperçu, rien n'est écrit)"))
    p.add_argument("--letters", metavar=_("FICHIER.pdf|FICHIER.txt"), type=Path,
                   help=_("avec --apply : où écrire les courriers des nouveaux élèves (par défaut, un PDF dans le "
                          "dossier des courriers, [letters] folder)"))
    p.add_argument("--details", action="store_true", help=_("nommer chaque élève qui change de classe"))
    p.add_argument("--force", action="store_true",
                   help=_("avec --apply : appliquer même si plus de la moitié des élèves quitteraient l'établissement"))

    p = sub.add_parser("students", help=_("lister les comptes des élèves, élèves sortis compris"))
    p.add_argument("--class", dest="class_name", metavar=_("CLASSE"), help=_("seulement cette classe"))
    p.add_argument("--csv", action="store_true",
                   help=_("en CSV (;) : identifiant;nom;prénom;date de naissance;classe;état"))

    p = sub.add_parser("parents", help=_("lister les comptes des responsables légaux et leurs enfants"))
    p.add_argument("--class", dest="class_name", metavar=_("CLASSE"), help=_("seulement les responsables des élèves de cette classe"))
    p.add_argument("--csv", action="store_true", help=_("en CSV (;) : identifiant;nom;prénom;enfants;état"))

    p = sub.add_parser("audit", help=_("lire le journal d'audit, du plus récent au plus ancien (filtres possibles)"))
    p.add_argument("--since", metavar=_("JJ/MM/AAAA"), help=_("à partir de ce jour"))
    p.add_argument("--until", metavar=_("JJ/MM/AAAA"), help=_("jusqu'à ce jour inclus"))
    p.add_argument("--student", metavar=_("IDENTIFIANT"), help=_("les événements de ce compte d'élève"))
    p.add_argument("--staff", metavar=_("IDENTIFIANT"), help=_("les actions de ce membre du personnel (et ses connexions)"))
    p.add_argument("--class", dest="class_name", metavar=_("CLASSE"), help=_("les événements des élèves de cette classe"))
    p.add_argument("--kind", metavar=_("GENRE"), help=_("un mot du libellé (connexion, courrier…), un événement (login.failed) ou une famille (login, sync, staff…)"))
    p.add_argument("--last", type=int, default=0, metavar="N", help=_("seulement les N plus récents"))
    p.add_argument("--csv", action="store_true", help=_("en CSV (;) : date;événement;libellé;compte;par;poste;détails"))

    p = sub.add_parser("letters", help=_("imprimer les courriers de notification (nouveau mot de passe provisoire)"))
    p.add_argument("--class", dest="class_name", metavar=_("CLASSE"), help=_("seulement les élèves de cette classe"))
    p.add_argument("--student", metavar=_("IDENTIFIANT"), help=_("seulement cet élève"))
    p.add_argument("--parents", action="store_true",
                   help=_("les courriers des responsables légaux (envoyés par la poste, adresse dans la fenêtre de "
                          "l'enveloppe), avec --class ou --all"))
    p.add_argument("--students", metavar=_("ID,ID,…"),
                   help=_("un groupe d'élèves de n'importe quelles classes, en un seul PDF (tous ou aucun)"))
    p.add_argument("--all", dest="everyone", action="store_true",
                   help=_("tous les élèves non activés de l'établissement (annule tous les courriers déjà remis)"))
    p.add_argument("-o", "--output", metavar=_("FICHIER.pdf|FICHIER.txt"), type=Path, required=True,
                   help=_("fichier à écrire : PDF à imprimer (une page par élève) ou texte"))
    p.add_argument("--csv", metavar=_("FICHIER.csv"), type=Path,
                   help=_("écrire aussi la liste des identifiants émis (sans mot de passe) pour l'administrateur de "
                          "l'ENT : identifiant;nom;prénom;classe;date limite d'activation"))

    staff = sub.add_parser("staff", help=_("comptes du personnel"))
    staff_sub = staff.add_subparsers(dest="staff_command", metavar=_("ACTION"), required=True, parser_class=_Parser)
    roles = _("direction : tout, comptes du personnel et journal d'audit compris ; secretariat : les comptes de "
               "toutes les classes (imports, mise à jour SIECLE, courriers, réinitialisations, suppressions) ; "
               "enseignant : seulement ses classes (--classes)")
    p = staff_sub.add_parser("add", help=_("créer un compte du personnel (le mot de passe est demandé deux fois)"))
    p.add_argument("identifier", metavar=_("IDENTIFIANT"))
    p.add_argument("--role", required=True, metavar=_("RÔLE"), help=roles)
    p.add_argument("--classes", default="", metavar="3A,3B", help=_("les classes d'un enseignant, séparées par des virgules"))
    p.add_argument("--first-name", default="", metavar=_("PRÉNOM"))
    p.add_argument("--last-name", default="", metavar=_("NOM"))
    p = staff_sub.add_parser("set", help=_("changer le rôle ou les classes d'un compte du personnel "
                                           "(ses sessions ouvertes se terminent)"))
    p.add_argument("identifier", metavar=_("IDENTIFIANT"))
    p.add_argument("--role", metavar=_("RÔLE"), help=roles)
    p.add_argument("--classes", metavar="3A,3B", help=_("les classes d'un enseignant, séparées par des virgules "
                                                        "(remplacent les précédentes)"))
    p = staff_sub.add_parser("list", help=_("lister les comptes du personnel : rôle, classes, état"))
    p.add_argument("--csv", action="store_true", help=_("en CSV (séparateur ;)"))
    p = staff_sub.add_parser("disable", help=_("désactiver un compte du personnel (plus de connexion ; le dernier "
                                               "compte actif de la direction ne peut pas l'être)"))
    p.add_argument("identifier", metavar=_("IDENTIFIANT"))
    p = staff_sub.add_parser("enable", help=_("réactiver un compte du personnel désactivé"))
    p.add_argument("identifier", metavar=_("IDENTIFIANT"))

    p = sub.add_parser("unlock", help=_("débloquer un identifiant"))
    p.add_argument("identifier", metavar=_("IDENTIFIANT"))
    p = sub.add_parser("reset", help=_("nouveau mot de passe provisoire et nouveau courrier pour un élève"))
    p.add_argument("identifier", metavar=_("IDENTIFIANT"))
    p.add_argument("-o", "--output", metavar=_("FICHIER.pdf|FICHIER.txt"), type=Path,
                   help=_("écrire le courrier dans ce fichier, PDF ou texte (sinon il est affiché)"))
    p = sub.add_parser("force-change", help=_("imposer un nouveau mot de passe à la prochaine connexion "
                                              "(après une divulgation de mots de passe)"))
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--class", dest="class_name", metavar=_("CLASSE"), help=_("les élèves activés de cette classe"))
    who.add_argument("--student", metavar=_("IDENTIFIANT"), help=_("cet élève"))
    who.add_argument("--all", dest="everyone", action="store_true", help=_("tous les élèves activés de l'établissement"))
    p = sub.add_parser("request", help=_("retrouver une demande de mot de passe oublié par son n° de référence"))
    p.add_argument("reference", metavar=_("RÉFÉRENCE"), help=_("les 13 chiffres lus par l'élève (espaces permis)"))
    sub.add_parser("purge", help=_("supprimer les comptes non activés dont le délai est dépassé, et ceux des élèves "
                                   "sortis depuis plus de [accounts] leaver_retention_days jours"),
                   description=_("Supprime les comptes non activés dont le délai d'activation est dépassé, et ceux des "
                                 "élèves sortis de l'établissement depuis plus de [accounts] leaver_retention_days jours "
                                 "(90 par défaut)."))
    p = sub.add_parser("outbox", help=_("lister les mails de la boîte d'envoi locale"))
    p.add_argument("--last", type=int, default=0, metavar="N", help=_("seulement les N derniers"))
    p = sub.add_parser("serve", help=_("servir le kiosque à des navigateurs (un kiosque par onglet), sur cette "
                                       "machine seulement sauf --host"))
    p.add_argument("--host", default="127.0.0.1", metavar=_("ADRESSE"),
                   help=_("adresse d'écoute (par défaut 127.0.0.1 : cette machine seulement ; 0.0.0.0 : toutes)"))
    p.add_argument("--port", type=int, default=8000, metavar="PORT", help=_("port d'écoute (par défaut 8000)"))
    p.add_argument("--public-url", metavar="URL",
                   help=_("l'adresse que les navigateurs ouvrent, derrière un proxy inverse (https://…)"))

    p = sub.add_parser("demo", help=_("démonstration : base jetable, classe d'exemple et ses courriers"))
    p.add_argument("--dir", type=Path, metavar=_("DOSSIER"), help=_("dossier de la démonstration (par défaut : un dossier temporaire)"))
    p.add_argument("--print", dest="print_only", action="store_true",
                   help=_("seulement afficher les courriers, sans lancer le kiosque"))
    directory = sub.add_parser("directory", help=_("l'annuaire LDAP de l'établissement : mises à jour en attente, "
                                                   "comparaison et réparation"))
    directory_sub = directory.add_subparsers(dest="directory_command", metavar=_("ACTION"), required=True,
                                             parser_class=_Parser)
    directory_sub.add_parser("status", help=_("l'annuaire répond-il, et quelles mises à jour attendent (code de "
                                              "sortie 1 s'il ne répond pas ou si une mise à jour est bloquée)"))
    p = directory_sub.add_parser("sync", help=_("comparer l'annuaire et la base : entrées manquantes, en trop, "
                                                "périmées ou hors de la branche de leur classe"))
    p.add_argument("--apply", action="store_true",
                   help=_("réparer l'annuaire (sans jamais toucher une entrée que entkiosk n'a pas créée)"))
    db = sub.add_parser("db", help=_("base de données"))
    db_sub = db.add_subparsers(dest="db_command", metavar=_("ACTION"), required=True, parser_class=_Parser)
    db_sub.add_parser("upgrade", help=_("créer ou mettre à jour le schéma"))
    return parser
