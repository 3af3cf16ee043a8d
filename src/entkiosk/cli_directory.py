"""``entkiosk directory status|sync``: the school's LDAP directory seen from the command line.

``status`` is what a network administrator's monitoring runs (exit 1 when the directory does
not answer or an update is blocked); ``sync`` compares, and repairs with ``--apply``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from .domain.errors import DomainError
from .domain.i18n import _, ngettext

if TYPE_CHECKING:
    import argparse

    from .config import Settings

EXIT_OK, EXIT_REFUSED = 0, 1

def _attribute(name: str) -> str:
    """An attribute a comparison names, as staff read it."""
    return {
        "userPassword": _("empreinte du mot de passe"),
        "cn": _("nom"), "sn": _("nom"), "givenName": _("prénom"), "displayName": _("nom"),
        "ou": _("classe"),
    }.get(name, name)


def _when(moment: datetime | None, settings: Settings) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(settings.timezone).strftime(_("%d/%m/%Y à %H:%M"))


def require_directory(settings: Settings) -> None:
    if not settings.directory.enabled:
        raise DomainError(_("Aucun annuaire n'est configuré : ajoutez une section [directory] à kiosk.conf "
                            "(voir « Mettre en service » dans le README)."))


def cmd_directory(args: argparse.Namespace, settings: Settings, _stdin: TextIO, service) -> int:
    if args.directory_command == "status":
        return _status(settings, service)
    return _sync(settings, service, apply=args.apply)


def _status(settings: Settings, service) -> int:
    from .service.directory_outbox import CHANGES

    status = service.directory_status(check=True)
    print(_("Annuaire : {url}, branche des élèves {base}.").format(url=status.url, base=settings.directory.base))
    print(_("Il répond.") if status.answer is None else status.answer)
    if status.waiting:
        kinds = ", ".join(f"{count} × {_(CHANGES.get(change, change))}" for change, count in status.changes.items())
        pupils = ngettext("{count} élève", "{count} élèves", status.pupils).format(count=status.pupils)
        print(ngettext("{count} mise à jour en attente ({pupils}), la plus ancienne du {oldest} : {kinds}.",
                       "{count} mises à jour en attente ({pupils}), la plus ancienne du {oldest} : {kinds}.",
                       status.waiting)
              .format(count=status.waiting, pupils=pupils, oldest=_when(status.oldest, settings), kinds=kinds))
    else:
        print(_("Aucune mise à jour en attente."))
    print(_("Dernière livraison : {when}.").format(when=_when(status.delivered_at, settings)))
    if status.holder:
        print(_("Livrées par : {holder}.").format(holder=status.holder))
    if status.problem:
        print(_("Dernier problème, le {when} : {problem}").format(when=_when(status.problem_at, settings),
                                                                  problem=status.problem))
    if status.next_try_at and status.waiting:
        print(_("Prochain essai : {when}.").format(when=_when(status.next_try_at, settings)))
    for identifier, problem in status.blocked:
        print(_("Bloquée : {identifier} — {problem}").format(identifier=identifier, problem=problem))
    return EXIT_OK if status.answer is None and not status.blocked else EXIT_REFUSED


def _sync(settings: Settings, service, *, apply: bool) -> int:
    report = service.directory_sync(apply=apply)
    print(ngettext("Annuaire {url} : {count} élève comparé.", "Annuaire {url} : {count} élèves comparés.",
                   report.checked).format(url=settings.directory.url, count=report.checked))

    def group(title: str, items: list[str]) -> None:
        if items:
            print(f"{title} ({len(items)}) :")
            for item in items:
                print(f"  {item}")

    done = apply
    group(_("Ajoutées") if done else _("À ajouter"), report.missing)
    group(_("Réécrites") if done else _("À réécrire"),
          [f"{uid} ({', '.join(dict.fromkeys(_attribute(a) for a in attrs))})" for uid, attrs in report.stale])
    group(_("Déplacées dans la branche de leur classe") if done else _("À déplacer dans la branche de leur classe"),
          [f"{uid} → {branch}" for uid, branch in report.moved])
    group(_("Supprimées (créées par entkiosk, élève absent de la base)") if done
          else _("À supprimer (créées par entkiosk, élève absent de la base)"), report.extra)
    group(_("Branches de classe vides supprimées") if done else _("Branches de classe vides à supprimer"),
          report.branches)
    group(_("Entrées créées par quelqu'un d'autre avec l'identifiant d'un élève : laissées telles quelles"),
          [f"{uid} — {dn}" for uid, dn in report.foreign])
    if not report.differences:
        print(_("L'annuaire est à jour."))
    elif not apply:
        print(_("Rien n'a été modifié : relancez avec --apply pour réparer l'annuaire."))
    else:
        print(_("L'annuaire est réparé."))
    sys.stdout.flush()
    return EXIT_OK
