"""The ``entkiosk`` command line (SPEC §7). Thin: it parses, calls the service, prints.

Every message a member of staff reads is French; any refusal exits with status 1 and
one clear sentence, never a traceback.
"""

from __future__ import annotations

import time
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .config import SERVED_ENV, ConfigError, RenamedKey, Settings, find_config, load_settings
from .domain.errors import DomainError, InvalidInput
from .domain.i18n import _, ngettext

if TYPE_CHECKING:
    import argparse

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
#: Set by « entkiosk serve » for the kiosk of each browser tab: the serving instance's id.

def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv:
        from .cli_args import build_parser

        _speak_early(argv)  # the parser's help and usage errors in the school's language
        args = build_parser().parse_args(argv)
        command, config = args.command, args.config
    else:  # the kiosk as a lab terminal starts it: no parser to load before the first paint
        args, command, config = None, None, None
    try:
        if command is None:
            # The sender address is checked with the database start-up, after the first paint.
            renamed: list[RenamedKey] = []
            settings = load_settings(config, check_sender=False, renamed=renamed)
            _speak(settings)
            _check_theme(settings)
            _check_renamed(renamed)
            served = os.environ.get(SERVED_ENV)
            if served:  # a browser tab of « entkiosk serve »: its own kiosk id, for the audit
                settings = _tab_settings(settings, served)
            return run_kiosk(settings, sender_unchecked=True, config_source=str(find_config(config) or "kiosk.conf"),
                             served=bool(served))
        renamed = []
        settings = load_settings(config, renamed=renamed)
        _speak(settings)
        _check_renamed(renamed)
        handler = COMMANDS[command]
        code = handler(args, settings, stdin or sys.stdin)
        _deliver_directory()
        return code
    except InvalidInput as exc:
        for message in exc.errors.values():
            print(_("Erreur : {message}").format(message=message), file=sys.stderr)
        return EXIT_REFUSED
    except (DomainError, ConfigError) as exc:
        print(_("Erreur : {message}").format(message=exc), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print(_("Interrompu : rien n'a été enregistré pour l'opération en cours."), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into ``head`` or ``less`` that closed early: not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("ENTKIOSK_DEBUG"):
            raise
        print(_("Erreur inattendue ({kind}) : l'opération a été annulée. "
                "Relancez avec ENTKIOSK_DEBUG=1 pour le détail technique.").format(kind=type(exc).__name__),
              file=sys.stderr)
        return EXIT_REFUSED


def _prog() -> str:
    """How this command was typed (``.venv/bin/entkiosk`` when not on the PATH)."""
    import shutil

    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else "entkiosk"
    name = Path(argv0).name
    if name in ("entkiosk", "entkiosk.exe") and shutil.which(name) and Path(shutil.which(name)).resolve() == Path(argv0).resolve():
        return name
    return argv0 if name.startswith("entkiosk") else "entkiosk"


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:?"


#: The services a command opened: the directory's updates they recorded leave before it ends.
_OPENED: list = []


def _service(settings: Settings, *, kiosk: bool = False):
    """The service; a kiosk's sends reset mails after answering the student."""
    from .runtime import open_service

    service = open_service(settings, mail_after_answer=kiosk)
    if not kiosk:
        _OPENED.append(service)
    return service


def _deliver_directory() -> None:
    """The directory's updates a command recorded (accounts created, reset, purged…) leave now,
    rather than with the next kiosk opened; when the directory cannot take them, they wait
    and the command says so."""
    import socket

    while _OPENED:
        service = _OPENED.pop()
        if service.directory.connect is None:
            continue
        holder = f"{_actor()}@{socket.gethostname()}:{os.getpid()}"
        try:
            try:
                result = service.deliver_directory(holder)
                while result.more:
                    result = service.deliver_directory(holder)
            finally:
                service.directory.release(holder)
        except (Exception, KeyboardInterrupt):  # noqa: BLE001 - the command's work is committed: only the delivery waits
            logging.getLogger(__name__).warning("directory delivery after a command", exc_info=True)
            print(_("Annuaire\u00a0: les mises à jour de cette commande attendent\u00a0; elles partiront avec le "
                    "prochain kiosque ouvert, ou par «\u00a0entkiosk directory sync --apply\u00a0»."), file=sys.stderr)
            continue
        if result.blocked:
            print(ngettext("Annuaire\u00a0: {count} élève attend parce que l'annuaire refuse son entrée\u00a0: "
                           "«\u00a0entkiosk directory status\u00a0» dit pourquoi.",
                           "Annuaire\u00a0: {count} élèves attendent parce que l'annuaire refuse leur entrée\u00a0: "
                           "«\u00a0entkiosk directory status\u00a0» dit pourquoi.", result.blocked)
                  .format(count=result.blocked), file=sys.stderr)
        if result.waiting:
            print(ngettext("Annuaire : {count} élève attend sa mise à jour ; elle partira avec le prochain kiosque "
                           "ouvert, ou par « entkiosk directory sync --apply ».",
                           "Annuaire : {count} élèves attendent leur mise à jour ; elle partira avec le prochain "
                           "kiosque ouvert, ou par « entkiosk directory sync --apply ».", result.waiting)
                  .format(count=result.waiting)
                  + (f" {result.problem}" if result.problem else ""), file=sys.stderr)


def _progress(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress bar on stderr (a plain line per step when it is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, transient=False, disable=not console.is_terminal)
    task = progress.add_task(label, total=None)
    progress.start()
    last = [0]

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)
        if not console.is_terminal and (done == total or done - last[0] >= max(total // 10, 1)):
            last[0] = done
            print(f"{label} {done}/{total}", file=sys.stderr)

    return update, progress.stop


def _write_letters(path: Path, letters, settings: Settings, *, one_file: bool = False) -> list[Path]:
    """Letters to ``path`` (0600, whole or nothing; one PDF per class, see
    :func:`letter_files`), with a progress bar for the PDF layout."""
    from .letters.output import write_letters

    if path.suffix.lower() != ".pdf":
        return write_letters(path, letters, settings)
    update, stop = _progress(_("Mise en page"))
    try:
        return write_letters(path, letters, settings, progress=update, one_file=one_file)
    finally:
        stop()


def _deliver(path: Path, settings: Settings, stop_previous: Callable[[], None],
             written: list[Path], *, one_file: bool = False, identifiers: Path | None = None) -> Callable[[list], None]:
    """Write the letters inside the transaction that issues them: if the file cannot be
    written, no provisional password changes (the previous letters still work). The
    files written are added to ``written``; ``identifiers``: a CSV of the identifiers
    issued (no password), written with them."""

    def deliver(letters: list) -> None:
        from .letters.output import write_identifiers

        stop_previous()
        listed = [write_identifiers(identifiers, letters)] if identifiers is not None else []
        try:
            written.extend(_write_letters(path, letters, settings, one_file=one_file))
        except BaseException:
            for file in listed:  # no list of identifiers for letters that were never issued
                file.unlink(missing_ok=True)
            raise
        written.extend(listed)

    return deliver


def _read(path: Path) -> bytes:
    from .imports import read_export_file

    return read_export_file(path)


def cmd_import(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .letters.output import check_output

    from .domain.errors import ImportRejected

    if args.letters:
        check_output(args.letters)
    data = _read(args.file)
    service = _service(settings)
    if _is_guardians(data):
        return _guardians(args, settings, service, data, mode="import")
    preview = service.preview_class_list(data)
    if preview.problems:
        raise ImportRejected(preview.problems)
    source = _capitalised(_(preview.format_label))
    print(_("{format} de l'établissement {uaj}.").format(format=source, uaj=preview.uaj) if preview.uaj
          else f"{source}.")
    if preview.leavers:
        print(ngettext("{count} élève sorti de l'établissement (date de sortie dans SIECLE) : pas de compte.",
                       "{count} élèves sortis de l'établissement (date de sortie dans SIECLE) : pas de compte.",
                       preview.leavers).format(count=preview.leavers))
    if preview.without_class:
        print(ngettext("{count} élève sans division dans SIECLE, pas encore importé : {pupils}",
                       "{count} élèves sans division dans SIECLE, pas encore importés : {pupils}",
                       len(preview.without_class)).format(count=len(preview.without_class),
                                                          pupils=", ".join(preview.without_class)))
    rows = preview.rows
    if preview.enrolled and not args.skip_enrolled:
        hint = (_("À la rentrée, « {prog} sync FICHIER » montre puis applique les changements de classe, les "
                  "nouveaux élèves et les départs.").format(prog=_prog()) + " ") if preview.uaj else ""
        raise DomainError(f"{ImportRejected(preview.enrolled_problems)}\n{hint}"
                          + _("Avec --skip-enrolled, seuls les élèves qui n'ont pas encore de compte sont créés."))
    if preview.enrolled:
        print(_("{count} élève(s) de la liste déjà inscrit(s) : inchangé(s).").format(count=len(preview.enrolled))
              + (" " + _("Pour leurs changements de classe et les départs : {prog} sync FICHIER.").format(prog=_prog())
                 if preview.uaj else ""))
    if not rows:
        print(_("Aucun nouvel élève dans cette liste : aucun compte créé."))
        return EXIT_OK
    update, stop = _progress(_("Création des comptes"))
    written: list[Path] = []
    try:
        letters = service.import_class_list(rows, actor=_actor(), uaj=preview.uaj,
                                            exported_on=preview.exported_on, progress=update,
                                            deliver=_deliver(args.letters, settings, stop, written) if args.letters else None)
    finally:
        stop()
    _letters_done(letters, args.letters, written)
    return EXIT_OK


def _is_guardians(data: bytes) -> bool:
    """SIECLE's guardians' export (``ResponsablesAvecAdresses``), alone or in its zip."""
    from .imports.siecle_guardians import is_guardians_file

    return is_guardians_file(data)


def _guardians(args: argparse.Namespace, settings: Settings, service, data: bytes, *, mode: str) -> int:
    """``import`` (new guardians only) or ``sync`` (everything, ``--apply`` to write) of the guardians' export."""
    from .domain.errors import ImportRejected
    from .letters.output import check_output, console_letters_path

    plan = service.preview_guardians(data, mode=mode)
    if plan.problems:
        raise ImportRejected(plan.problems, update=mode == "sync", guardians=True)
    print(_("{format} de l'établissement {uaj}.").format(format=_capitalised(_(plan.format_label)), uaj=plan.uaj))
    width = max([len(i) for i in plan.identifiers] + [len(c.identifier) for c in
                 plan.linked + plan.unlinked + plan.updated + plan.leaving + plan.returning], default=0)

    def group(title: str, items: list[str]) -> None:
        print("\n" + _("{title} : {count}").format(title=title, count=len(items)))
        for item in items:
            print(f"  {item}")

    def children(g) -> str:
        count = len(plan._children[g.personne_id])
        return ngettext("{count} enfant", "{count} enfants", count).format(count=count)

    group(_("Nouveaux responsables légaux (comptes et courriers à créer)"),
          [f"{ident.ljust(width)}  {g.civility + ' ' if g.civility else ''}{g.last_name} {g.first_name} "
           f"({children(g)})"
           for g, ident in zip(plan.newcomers, plan.identifiers, strict=True)])
    if mode == "sync":
        group(_("Liens avec les enfants changés"),
              [f"{c.identifier.ljust(width)}  " + _("{name} : {change}").format(name=c.name, change=c.what)
               for c in plan.linked + plan.unlinked])
        group(_("Noms ou adresses corrigés"), [f"{c.identifier.ljust(width)}  {c.name} ({c.what})" for c in plan.updated])
        group(_("Départs (comptes fermés : plus responsables d'aucun élève inscrit)"),
              [f"{c.identifier.ljust(width)}  {c.name} ({c.what})" for c in plan.leaving])
        group(_("Retours (comptes rouverts)"), [f"{c.identifier.ljust(width)}  {c.name}" for c in plan.returning])
        print("\n" + _("Inchangés : {count}").format(count=plan.unchanged))
    elif plan.enrolled:
        print("\n" + ngettext("{count} responsable déjà inscrit : inchangé(s). Pour leurs changements (enfants, "
                              "adresses, départs) : {prog} sync {file}",
                              "{count} responsables déjà inscrits : inchangé(s). Pour leurs changements (enfants, "
                              "adresses, départs) : {prog} sync {file}",
                              plan.enrolled).format(count=plan.enrolled, prog=_prog(), file=args.file))
    if plan.contacts:
        print("\n" + ngettext("{count} autre contact (RESP_LEGAL 0, pas responsable légal) : pas de compte.",
                              "{count} autres contacts (RESP_LEGAL 0, pas responsable légal) : pas de compte.",
                              plan.contacts).format(count=plan.contacts))
    if plan.unknown:
        group(_("Enfants absents des comptes de l'établissement (lien ignoré ; importez ou mettez à jour les élèves)"),
              plan.unknown)
    if plan.without_child:
        group(_("Responsables dont aucun enfant n'a de compte (pas de compte créé)"), plan.without_child)
    if plan.without_address:
        group(_("Sans adresse postale dans SIECLE (leur courrier est à remettre en main propre ou à compléter)"),
              plan.without_address)
    fingerprint = plan.fingerprint(mode)
    if mode == "sync" and not args.apply:
        if plan.changes:
            print("\n" + _("Aperçu seulement : rien n'a été enregistré. Pour appliquer ces changements :")
                  + f"\n  {_prog()} sync {args.file} --apply")
        else:
            print("\n" + _("Les responsables sont déjà à jour : rien à appliquer."))
        return EXIT_OK
    if not plan.changes:
        print("\n" + _("Aucun changement : rien n'a été enregistré."))
        return EXIT_OK
    path = args.letters
    if path is None and plan.newcomers:
        path = console_letters_path(settings, "responsables", service.clock.now())
        check_output(path)
    update, stop = _progress(_("Création des comptes"))
    written: list[Path] = []
    try:
        done = service.apply_guardians(data, mode=mode, actor=_actor(), expected=fingerprint, progress=update,
                                       deliver=_deliver(path, settings, stop, written, one_file=True) if path else None)
    finally:
        stop()
    if mode == "import":
        print("\n" + ngettext("{count} compte de responsable créé.", "{count} comptes de responsables créés.",
                              len(done.letters)).format(count=len(done.letters)))
    else:
        print("\n" + _("Mise à jour des responsables appliquée : {counts}.").format(counts=done.plan.counts))
    if done.letters:
        from .letters.output import files_sentence

        print(ngettext("{count} courrier à envoyer par la poste écrit dans {files}.",
                       "{count} courriers à envoyer par la poste écrits dans {files}.",
                       len(done.letters)).format(count=len(done.letters), files=files_sentence(written)))
    return EXIT_OK


def cmd_parents(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    import csv

    from .domain.errors import NotFound

    service = _service(settings)
    found = service.guardians(args.class_name)
    if args.class_name is not None and not found:
        raise NotFound(_("Aucun responsable pour les élèves de la classe « {class_name} ».").format(class_name=args.class_name))
    rows = [(g.identifier, g.last_name, g.first_name, ",".join(c.identifier for c in g.children),
             _state_word(g, args.csv)) for g in found]
    if args.csv:
        writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
        writer.writerow(("identifiant", "nom", "prénom", "enfants", "état"))
        writer.writerows(rows)
        return EXIT_OK
    if not rows:
        print(_("Aucun responsable : importez l'export des responsables de SIECLE ({prog} import "
                "ResponsablesAvecAdresses.zip) après celui des élèves.").format(prog=_prog()))
        return EXIT_OK
    header = (_("Identifiant"), _("Nom"), _("Prénom"), _("Enfants"), _("État"))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print("\n" + ngettext("{count} responsable.", "{count} responsables.", len(found)).format(count=len(found)))
    return EXIT_OK


def _capitalised(text: str) -> str:
    """``text`` with a capital first letter (a format's name opening a sentence)."""
    return text[:1].upper() + text[1:]


def _letters_done(letters, path: Path | None, written: list[Path]) -> None:
    """What became of the accounts created: the letters written, or how to print them."""
    from .letters.output import files_sentence
    from .service import class_order

    classes = sorted({letter.class_name or "" for letter in letters}, key=class_order)
    print(_("{count} compte(s) créé(s) ({classes}).").format(count=len(letters), classes=", ".join(classes)))
    if path:
        print(_("Courriers écrits dans {files}.").format(files=files_sentence(written)))
    else:
        from .letters.output import slug

        for name in classes:
            print(_("Imprimez les courriers de la classe avec : {command}")
                  .format(command=f'{_prog()} letters --class "{name}" -o courriers-{slug(name)}.pdf'))


def cmd_sync(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .letters.output import check_output

    if args.letters and not args.apply:
        raise DomainError(_("--letters écrit les courriers des nouveaux élèves : il va avec --apply."))
    if args.letters:
        check_output(args.letters)
    data = _read(args.file)
    service = _service(settings)
    if _is_guardians(data):
        return _guardians(args, settings, service, data, mode="sync")
    plan = service.preview_update(data)
    if plan.problems:
        from .domain.errors import ImportRejected

        raise ImportRejected(plan.problems, update=True)
    _print_plan(plan, details=args.details)
    if plan.mass_departure:
        print(f"\n{plan.departure_warning}")
    force = " --force" if plan.mass_departure else ""
    if not args.apply:
        if plan.changes:
            print("\n" + _("Aperçu seulement : rien n'a été enregistré. Pour appliquer ces changements :")
                  + f"\n  {_prog()} sync {args.file} --apply{force}")
        else:
            print("\n" + _("La base est déjà à jour : rien à appliquer."))
        return EXIT_OK
    if not plan.changes:
        print("\n" + _("La base est déjà à jour : rien n'a été modifié."))
        return EXIT_OK
    if plan.mass_departure and not args.force:
        raise DomainError(_("Rien n'a été modifié. Si c'est bien l'export de tout l'établissement, relancez avec "
                            "--force :") + f"\n  {_prog()} sync {args.file} --apply --force")
    path = args.letters
    if path is None and plan.newcomers:
        # The newcomers' provisional passwords exist only now: their letters are always written.
        from .letters.output import console_letters_path

        path = console_letters_path(settings, "rentree", service.clock.now())
        check_output(path)
    update, stop = _progress(_("Création des comptes"))
    written: list[Path] = []
    try:
        done = service.apply_update(data, actor=_actor(), expected=plan.fingerprint, progress=update,
                                    deliver=_deliver(path, settings, stop, written) if path else None,
                                    many_departures=args.force)
    finally:
        stop()
    print("\n" + _("Mise à jour appliquée : {counts}.").format(counts=done.plan.counts))
    if done.letters:
        _letters_done(done.letters, path, written)
    return EXIT_OK


def _print_plan(plan, *, details: bool) -> None:
    """The preview of a yearly update, grouped and counted, as staff read it before applying."""
    print(_("{format} de l'établissement {uaj}, année scolaire {year}.")
          .format(format=_capitalised(_(plan.format_label)), uaj=plan.uaj, year=plan.year_label))

    def group(title: str, items: list[str]) -> None:
        print("\n" + _("{title} : {count}").format(title=title, count=len(items)))
        for item in items:
            print(f"  {item}")

    width = max((len(c.identifier) for c in plan.moves + plan.leaving + plan.returning + plan.renamed + plan.linked),
                default=0)
    width = max([width] + [len(i) for i in plan.identifiers])
    group(_("Nouveaux élèves (comptes et courriers à créer)"),
          [f"{ident.ljust(width)}  {row.last_name} {row.first_name} ({row.class_name})"
           for row, ident in zip(plan.newcomers, plan.identifiers, strict=True)])
    pairs: dict[tuple[str, str], list] = {}
    for change in plan.moves:
        pairs.setdefault((change.before or _("sans classe"), change.after), []).append(change)
    from .service import class_order

    print("\n" + _("Changements de classe (compte, mot de passe et adresse gardés) : {count}").format(count=len(plan.moves)))
    for (before, after), changes in sorted(pairs.items(), key=lambda item: (class_order(item[0][0]), class_order(item[0][1]))):
        print("  " + ngettext("{before} → {after} : {count} élève", "{before} → {after} : {count} élèves",
                              len(changes)).format(before=before, after=after, count=len(changes)))
        if details:
            for change in changes:
                print(f"      {change.identifier.ljust(width)}  {change.name}")
    group(_("Départs (comptes fermés aussitôt, supprimés après le délai de conservation)"),
          [f"{c.identifier.ljust(width)}  {c.name} ({c.before or _('sans classe')}, {_(c.why)})" for c in plan.leaving])
    group(_("Retours (comptes rouverts)"), [f"{c.identifier.ljust(width)}  {c.name} ({c.after})" for c in plan.returning])
    group(_("Noms corrigés (l'identifiant ne change pas)"),
          [f"{c.identifier.ljust(width)}  {c.before} → {c.after}" for c in plan.renamed])
    if plan.linked:
        group(_("Comptes créés avant SIECLE, rattachés à leur élève (mêmes nom, prénom et date de naissance)"),
              [f"{c.identifier.ljust(width)}  {c.name} (ELEVE_ID {c.after})" for c in plan.linked])
    print("\n" + _("Inchangés : {count}").format(count=plan.unchanged))
    if plan.without_class:
        group(_("Sans division dans SIECLE (pas encore de compte)"), plan.without_class)
    if plan.outside:
        group(_("Comptes sans identifiant SIECLE, absents de l'export (laissés tels quels)"), plan.outside)


def cmd_students(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    import csv

    from .domain.errors import NotFound

    service = _service(settings)
    students = service.class_students(args.class_name)
    if args.class_name is not None and not students:
        raise NotFound(_("Aucun élève dans la classe « {class_name} ».").format(class_name=args.class_name))
    rows = [(st.identifier, st.last_name, st.first_name,
             st.birth_date.strftime("%d/%m/%Y") if st.birth_date else "", st.class_name or "",
             _state_word(st, args.csv)) for st in students]
    if args.csv:
        writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
        writer.writerow(("identifiant", "nom", "prénom", "date de naissance", "classe", "état"))
        writer.writerows(rows)
        return EXIT_OK
    if not rows:
        print(_("Aucun élève : importez une liste de classe ou un export SIECLE (entkiosk import FICHIER)."))
        return EXIT_OK
    header = (_("Identifiant"), _("Nom"), _("Prénom"), _("Né(e) le"), _("Classe"), _("État"))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    left = sum(st.state == "left" for st in students)
    if left:
        pupils = ngettext("{count} élève", "{count} élèves", len(students)).format(count=len(students))
        leavers = ngettext("{count} sorti", "{count} sortis", left).format(count=left)
        print("\n" + _("{pupils}, dont {leavers}.").format(pupils=pupils, leavers=leavers))
    else:
        print("\n" + ngettext("{count} élève.", "{count} élèves.", len(students)).format(count=len(students)))
    return EXIT_OK


def cmd_letters(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .letters.output import check_output, files_sentence

    check_output(args.output)
    if args.csv is not None:
        _check_csv(args.csv)
    service = _service(settings)
    update, stop = _progress(_("Courriers"))
    written: list[Path] = []
    if args.parents:
        try:
            if args.student or args.students is not None or args.csv is not None:
                raise DomainError(_("--parents va avec --class ou --all (pas --student, --students ni --csv)."))
            letters = service.issue_guardian_letters(class_name=args.class_name, everyone=args.everyone, actor=_actor(),
                                                     progress=update,
                                                     deliver=_deliver(args.output, settings, stop, written, one_file=True))
        finally:
            stop()
        if not letters:
            print(_("Aucun responsable en attente d'activation : aucun courrier à imprimer."))
            return EXIT_OK
        print(ngettext("{count} courrier écrit dans {files}, à envoyer par la poste (enveloppe DL ou C5 à fenêtre à "
                       "droite) : chacun porte un nouveau mot de passe provisoire, les courriers précédents de ces "
                       "responsables ne sont plus valables.",
                       "{count} courriers écrits dans {files}, à envoyer par la poste (enveloppe DL ou C5 à fenêtre à "
                       "droite) : chacun porte un nouveau mot de passe provisoire, les courriers précédents de ces "
                       "responsables ne sont plus valables.",
                       len(letters)).format(count=len(letters), files=files_sentence(written)))
        return EXIT_OK
    try:
        group = [i for i in args.students.split(",") if i.strip()] if args.students is not None else None
        if group is not None and (args.class_name or args.student or args.everyone):
            raise DomainError(_("--students va seul : il nomme déjà les élèves dont imprimer les courriers."))
        letters = service.issue_letters(class_name=args.class_name, identifier=args.student, identifiers=group,
                                        everyone=args.everyone, actor=_actor(), progress=update,
                                        deliver=_deliver(args.output, settings, stop, written,
                                                         one_file=group is not None, identifiers=args.csv))
    finally:
        stop()
    if not letters:
        print(_("Aucun compte en attente d'activation : aucun courrier à imprimer."))
        return EXIT_OK
    listed = [p for p in written if args.csv is not None and p == Path(args.csv).expanduser()]
    print(ngettext("{count} courrier écrit dans {files} : chacun porte un nouveau mot de passe provisoire, les "
                   "courriers précédents de ces élèves ne sont plus valables.",
                   "{count} courriers écrits dans {files} : chacun porte un nouveau mot de passe provisoire, les "
                   "courriers précédents de ces élèves ne sont plus valables.",
                   len(letters)).format(count=len(letters), files=files_sentence([p for p in written if p not in listed])))
    if listed:
        print(_("Identifiants (sans mot de passe) pour l'administrateur de l'ENT : {file}").format(file=listed[0]))
    return EXIT_OK


def _check_csv(path: Path) -> None:
    """A CSV of identifiers that could not be written is refused before any letter."""
    folder = Path(path).expanduser().parent
    if Path(path).suffix.lower() != ".csv":
        raise DomainError(_("La liste des identifiants s'écrit dans un fichier .csv, pas « {file} ».")
                          .format(file=Path(path).name))
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise DomainError(_("Impossible d'écrire {path} : le dossier {folder} n'existe pas ou n'est pas accessible "
                            "en écriture.").format(path=path, folder=folder))


def _read_password(prompt: str, stdin: TextIO) -> str:
    if stdin.isatty():
        return getpass.getpass(prompt)
    line = stdin.readline()
    return line.rstrip("\r\n")


def cmd_staff(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    from .domain.roles import ROLE_LABELS, parse_classes

    service = _service(settings)
    if args.staff_command == "add":
        return _staff_add(args, service, stdin)
    if args.staff_command == "set":
        if args.role is None and args.classes is None:
            raise DomainError(_("Précisez le nouveau rôle (--role) ou les nouvelles classes (--classes)."))
        view = service.set_staff(args.identifier, role=args.role, actor=_actor(),
                                 classes=None if args.classes is None else parse_classes(args.classes))
        print(_("Compte « {identifier} » : {account}. Ses sessions ouvertes sont fermées.")
              .format(identifier=view.identifier, account=_staff_line(view, ROLE_LABELS)))
    elif args.staff_command == "disable":
        service.disable_staff(args.identifier, actor=_actor())
        print(_("Compte du personnel « {identifier} » désactivé ; ses sessions sont fermées.")
              .format(identifier=args.identifier.strip().lower()))
    elif args.staff_command == "enable":
        service.enable_staff(args.identifier, actor=_actor())
        print(_("Compte du personnel « {identifier} » réactivé.").format(identifier=args.identifier.strip().lower()))
    else:
        views = service.staff_accounts(actor=_actor())
        if args.csv:
            import csv

            out = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
            out.writerow(["identifiant", "nom", "prénom", "rôle", "classes", "état"])
            for v in views:
                out.writerow([v.identifier, v.last_name, v.first_name, str(v.role), ",".join(v.classes),
                              "actif" if v.active else "désactivé"])
        else:
            for v in views:
                name = " ".join(p for p in (v.last_name, v.first_name) if p)
                print(_("{account} : {description}").format(account=f"{v.identifier} ({name})" if name else v.identifier,
                                                            description=_staff_line(v, ROLE_LABELS)))
            print(ngettext("{count} compte du personnel.", "{count} comptes du personnel.", len(views))
                  .format(count=len(views)))
    return EXIT_OK


def _staff_line(view, labels) -> str:
    """« enseignant, classes 3A, 3B, désactivé »: a staff account's role and state."""
    parts = [_(labels[view.role]).lower()]  # the role's label, marked for the catalogs where it is defined
    if view.classes:
        parts.append(ngettext("classe {classes}", "classes {classes}", len(view.classes))
                     .format(classes=", ".join(view.classes)))
    if not view.active:
        parts.append(_("désactivé"))
    return ", ".join(parts)


def _staff_add(args: argparse.Namespace, service, stdin: TextIO) -> int:
    from .domain.passwords import staff_rule
    from .domain.roles import parse_classes

    # The role and the classes first: the password is not typed twice for nothing.
    service.check_staff_role(args.role, parse_classes(args.classes), actor=_actor())
    # Said before the question, so that the first try can be the right one.
    print(staff_rule(*service.staff_password_bounds()))
    password = _read_password(_("Mot de passe :") + " ", stdin)
    confirm = _read_password(_("Confirmation du mot de passe :") + " ", stdin)
    ident = service.add_staff(args.identifier, password, confirm, role=args.role, classes=parse_classes(args.classes),
                              first_name=args.first_name, last_name=args.last_name, actor=_actor())
    print(_("Compte du personnel « {identifier} » créé.").format(identifier=ident))
    return EXIT_OK


def cmd_unlock(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    _service(settings).unlock(args.identifier, actor=_actor())
    print(_("Identifiant « {identifier} » débloqué.").format(identifier=args.identifier.strip().lower()))
    return EXIT_OK


def cmd_reset(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .letters.output import check_output, write_letters

    from .letters.text import render_letter

    if args.output:
        check_output(args.output)
    service = _service(settings)
    deliver = (lambda letters: write_letters(args.output, letters, settings)) if args.output else None
    letter = service.staff_reset(args.identifier, actor=_actor(), deliver=deliver)
    if args.output:
        print(_("Nouveau courrier de « {identifier} » écrit dans {file}.").format(identifier=letter.identifier,
                                                                                 file=args.output))
    else:
        print(render_letter(letter, settings))
    return EXIT_OK


def cmd_force_change(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    count = _service(settings).force_password_change(identifier=args.student, class_name=args.class_name,
                                                     everyone=args.everyone, actor=_actor())
    print(_("{count} compte(s) activé(s) devront choisir un nouveau mot de passe à leur prochaine connexion ; "
            "leurs sessions ouvertes sont fermées.").format(count=count))
    return EXIT_OK


def cmd_request(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    request = _service(settings).find_reset_request(args.reference)
    rows = request.rows(settings.timezone)
    if request.student is not None:
        st = request.student
        pupil = f"{st.first_name} {st.last_name}" + (f", {st.class_name}" if st.class_name else "")
        rows.append((_("Élève"), _("{pupil} (compte {state})").format(pupil=pupil, state=st.state_label.lower())))
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(_("{label} : {value}").format(label=label.ljust(width), value=value))
    return EXIT_OK


def _day(text: str | None, option: str):
    """A date typed on the command line (JJ/MM/AAAA), or a French refusal naming the option."""
    from datetime import datetime

    if text is None:
        return None
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise DomainError(_("{option} : date « {text} » invalide (attendu JJ/MM/AAAA, par exemple 01/09/2026).")
                          .format(option=option, text=text)) from None


def cmd_audit(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .service import AuditFilter, audit_csv, audit_rows

    where = AuditFilter(since=_day(args.since, "--since"), until=_day(args.until, "--until"), student=args.student,
                        staff=args.staff, class_name=args.class_name, kind=args.kind)
    if where.since and where.until and where.until < where.since:
        raise DomainError(_("--until : la date de fin précède la date de début."))
    records = _service(settings).audit_log(where, limit=args.last or None)
    if args.csv:
        sys.stdout.write(audit_csv(records, settings.timezone))
        return EXIT_OK
    rows = audit_rows(records, settings.timezone)
    if not rows:
        print(_("Aucun événement ne correspond."))
        return EXIT_OK
    header = (_("Date"), _("Événement"), _("Compte"), _("Par"), _("Poste"), _("Détails"))
    table = [header] + [(d, label, ident, actor, kiosk, det) for d, _e, label, ident, actor, kiosk, det in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    print("\n" + ngettext("{count} événement, du plus récent au plus ancien.",
                          "{count} événements, du plus récent au plus ancien.", len(rows)).format(count=len(rows)))
    return EXIT_OK


def cmd_purge(_args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    service = _service(settings)
    purged = service.purge_expired(actor=_actor())
    events = service.forget_old_events(actor=_actor())
    print(_("{count} compte(s) supprimé(s) (non activés à temps, ou élèves sortis depuis plus de {days} jours).")
          .format(count=len(purged), days=settings.accounts.leaver_retention_days)
          + ("" if not purged else " " + ", ".join(purged)))
    if events:
        print(ngettext("{count} événement du journal d'audit de plus de {days} jours supprimé.",
                       "{count} événements du journal d'audit de plus de {days} jours supprimés.",
                       events).format(count=events, days=settings.audit.retention_days))
    return EXIT_OK


def cmd_outbox(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .mail import OutboxTransport

    if settings.mail.transport != "outbox":
        raise DomainError(_("Les mails partent par SMTP (mail.transport = \"smtp\") : il n'y a pas de boîte d'envoi "
                            "locale."))
    entries = OutboxTransport(settings.outbox_path()).entries()
    if args.last > 0:
        entries = entries[-args.last:]
    if not entries:
        print(_("Boîte d'envoi vide ({folder}).").format(folder=settings.outbox_path()))
        return EXIT_OK
    for entry in entries:
        when = entry.date.astimezone(settings.timezone).strftime("%d/%m/%Y %H:%M") if entry.date else "?"
        print(_("=== {date} — à : {to}").format(date=when, to=entry.to) + "\n"
              + _("Objet : {subject}").format(subject=entry.subject) + f"\n\n{entry.body.rstrip()}\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, _settings: Settings, _stdin: TextIO) -> int:
    """A throw-away SQLite database with the sample class: its letters are printed to read and try."""
    from .letters.output import write_letters, write_private

    import json
    import tempfile
    from dataclasses import replace

    from .domain.classlist import parse_class_list
    from .letters.text import render_letters

    folder = args.dir or Path(tempfile.mkdtemp(prefix="entkiosk-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "kiosk.conf"
    # The outbox is the default one, so that a plain « entkiosk outbox » in another
    # terminal shows the demo's mails and their codes.
    # The establishment's name and message are shown by the kiosk: in the language in use
    # (quoted as TOML basic strings, which JSON's quoting is a subset of).
    name = json.dumps(_("Lycée de démonstration"), ensure_ascii=False)
    message = json.dumps(_("Bienvenue dans la démonstration d'entkiosk : les codes envoyés par mail se lisent avec "
                           "« entkiosk outbox » dans un autre terminal."), ensure_ascii=False)
    conf.write_text(
        "# Configuration de la démonstration (base jetable)\n"
        f"[database]\nurl = \"sqlite:///{(folder / 'demo.db').as_posix()}\"\n\n"
        f"[mail]\noutbox = \"{Settings().outbox_path().as_posix()}\"\n\n"
        f"[establishment]\nname = {name}\n"
        f"message = {message}\n",
        encoding="utf-8",
    )
    settings = load_settings(conf)
    service = _service(settings, kiosk=True)
    sample = Path(__file__).parent / "data" / "classe-exemple.csv"
    rows, problems = parse_class_list(sample.read_bytes())
    if problems:  # the shipped sample is tested; this would be a packaging fault
        raise DomainError(_("Liste d'exemple illisible : {problem}").format(problem=problems[0][1]))
    # A second run on the same folder prints new letters instead of importing twice.
    letters = service.issue_letters(everyone=True, actor=_actor())
    parents = service.issue_guardian_letters(everyone=True, actor=_actor()) if letters else []
    if not letters:
        # The sample pupils get SIECLE keys (D01…), so that the sample guardians' export links them.
        keyed = [replace(row, eleve_id=f"D{n:02d}") for n, row in enumerate(rows, start=1)]
        letters = service.import_class_list(keyed, actor=_actor())
        guardians = (Path(__file__).parent / "data" / "responsables-exemple.xml").read_bytes()
        parents = service.apply_guardians(guardians, mode="import", actor=_actor()).letters
    staff_password = _demo_staff(service)
    text_out, pdf_out = folder / "lettres.txt", folder / "lettres.pdf"
    write_private(text_out, render_letters(letters, settings))
    write_letters(pdf_out, letters, settings)
    parents_pdf = folder / "lettres-parents.pdf"
    if parents:
        write_letters(parents_pdf, parents, settings, one_file=True)
    _say(_("Démonstration prête dans {folder}").format(folder=folder))
    _say(_("{count} élèves de la classe d'exemple ; leurs courriers sont dans {pdf} (à imprimer) "
           "et {text}").format(count=len(letters), pdf=pdf_out, text=text_out) + "\n")
    width = max(len(letter.identifier) for letter in letters + parents)
    print(f"{_('Identifiant').ljust(width)}  {_('Mot de passe').ljust(12)}  {_('Né(e) le').ljust(10)}  {_('Élève')}")
    for letter in letters:
        born = letter.birth_date.strftime("%d/%m/%Y") if letter.birth_date else "?"
        print(f"{letter.identifier.ljust(width)}  {letter.provisional_password.ljust(12)}  {born}  "
              f"{letter.first_name} {letter.last_name}")
    if parents:
        _say("\n" + _("{count} responsables légaux (profil « Parent » du portail ; à la première connexion, la date "
                      "de naissance de l'un de leurs enfants) ; leurs courriers par la poste sont dans {pdf}")
             .format(count=len(parents), pdf=parents_pdf) + "\n")
        print(f"{_('Identifiant').ljust(width)}  {_('Mot de passe').ljust(12)}  {_('Responsable de')}")
        for letter in parents:
            print(f"{letter.identifier.ljust(width)}  {letter.provisional_password.ljust(12)}  {', '.join(letter.children)}")
    _say("\n" + _("Console du personnel : « Se connecter », puis « Lycées et collèges » et « Personnel de "
                  "l'Éducation Nationale », avec l'identifiant {identifier} et le mot de passe {password}")
         .format(identifier=DEMO_STAFF, password=staff_password))
    prog = _prog()
    # Each command on a line of its own, never cut: copied whole into another terminal.
    _say("\n" + _("Les mails (et leurs codes) se lisent dans un autre terminal avec :"))
    print(f"  {prog} outbox")
    _say(_("Pour administrer cette base depuis un autre terminal :"))
    print(f"  export ENTKIOSK_CONFIG={conf}")
    _say(_("puis par exemple :"))
    print(f"  {prog} reset julie.baillet\n  {prog} unlock julie.baillet")
    if args.print_only:
        return EXIT_OK
    return run_kiosk(settings, service=service, demo_letters=letters + parents,
                     demo_staff=(DEMO_STAFF, staff_password))


def _say(text: str) -> None:
    """Print ``text`` wrapped to the terminal: never inside a word, a command or a path, nor
    at a non-breaking space (French typography); each line break of ``text`` is kept."""
    import shutil
    import textwrap

    width = min(shutil.get_terminal_size((80, 24)).columns, 100) - 1
    for line in text.split("\n"):
        print(textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) if line else "")


#: The demo's staff account: its password is drawn again at each run (a throw-away database).
DEMO_STAFF = "prof.demo"


def _demo_staff(service) -> str:
    """The demo's staff account with a new random password (made on the first run on a folder)."""
    from .domain.errors import NotFound
    from .domain.passwords import generated_staff_password

    password = generated_staff_password(service.rng, service.staff_password_bounds()[0])
    try:
        service.set_staff_password(DEMO_STAFF, password, actor=_actor())
    except NotFound:
        service.add_staff(DEMO_STAFF, password, password, role="direction", actor=_actor())
    return password


class _ServiceOnce:
    """Builds the service the first time it is asked for; a kiosk restarted after a bug keeps it.

    With ``sender_source``, the sender address of the settings read from there is checked
    first (``load_settings(check_sender=False)`` left it to this start-up).
    """

    def __init__(self, settings: Settings, sender_source: str | None = None) -> None:
        self.settings = settings
        self.sender_source = sender_source
        self.service = None

    def __call__(self):
        if self.service is None:
            if self.sender_source is not None:
                from .config import check_sender_address

                check_sender_address(self.settings, self.sender_source)
            self.service = _service(self.settings, kiosk=True)
            self.service.start_directory_worker()  # the directory learns what this kiosk changes
        return self.service


def _state_word(view, csv_file: bool) -> str:
    """An account's state as a list shows it: in the language in use on the terminal, in
    French in a CSV file (a spreadsheet or a script filters on these words)."""
    from .service.views import STATE_LABELS

    return (STATE_LABELS[view.state] if csv_file else view.state_label).lower()


def _speak(settings: Settings) -> None:
    """The school's language (``[kiosk] language``) from now on; one without a usable
    catalog is said on standard error, naming the key, and French is used instead."""
    from .domain import i18n

    language = settings.kiosk.language
    problem = i18n.problem(language)
    if problem:
        print(_("Attention : [kiosk] language = « {language} » : {problem} ; le kiosque et les commandes "
                "s'affichent en français (langues disponibles : {languages}).")
              .format(language=language, problem=problem, languages=", ".join(i18n.LANGUAGES)), file=sys.stderr)
    i18n.use(language)


def _speak_early(argv: Sequence[str]) -> None:
    """The school's language before the command line is parsed, so that its help and its usage
    errors speak it: ``[kiosk] language`` of the configuration that ``--config`` (or the usual
    lookup) names. Quietly French if the file cannot be read or the language has no catalog:
    the reading of the settings after parsing says why, as before."""
    import argparse

    from .domain import i18n

    class _Quiet(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            raise ValueError(message)

    early = _Quiet(add_help=False)
    early.add_argument("--config")
    try:
        known, _rest = early.parse_known_args(list(argv))
        language = load_settings(known.config, check_sender=False).kiosk.language
    except Exception:  # noqa: BLE001 - said by the real reading of the settings, after parsing
        return
    if i18n.problem(language) is None:
        i18n.use(language)


def _check_theme(settings: Settings) -> None:
    """An unknown ``[kiosk] theme`` is said on standard error, naming the key (the kiosk then
    shows its standard colours)."""
    from .ui.themes import THEMES

    if settings.kiosk.theme not in THEMES:
        print(_("Attention : [kiosk] theme = « {theme} » : ce thème n'existe pas ; le kiosque s'affiche avec ses "
                "couleurs standard (thèmes : {themes}).").format(theme=settings.kiosk.theme, themes=", ".join(THEMES)),
              file=sys.stderr)


def _check_renamed(renamed: list[RenamedKey]) -> None:
    """A key of kiosk.conf under its old name is said on standard error (it still counts)."""
    for key in renamed:
        print(key.notice(), file=sys.stderr)


def _tab_settings(settings: Settings, tab: str) -> Settings:
    """The settings of one browser tab: ``[kiosk] id`` is the one its server gave it (the
    serving instance's plus the tab's)."""
    import msgspec

    return msgspec.structs.replace(settings, kiosk=msgspec.structs.replace(settings.kiosk, id=tab[:60]))


def cmd_serve(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    """The kiosk for browsers, by textual-serve: each tab runs its own kiosk process."""
    from .serve import serve

    if settings.directory.enabled:  # every tab's kiosk would refuse to start: said once, here
        from .directory.password import bind_password

        bind_password(settings.directory, settings.source or _("configuration par défaut"))
    return serve(settings, host=args.host, port=args.port, public_url=args.public_url,
                 config=find_config(args.config))


def run_kiosk(settings: Settings, *, service=None, demo_letters=(), demo_staff=None, sender_unchecked: bool = False,
              config_source: str = "kiosk.conf", served: bool = False) -> int:
    """The full-screen kiosk on the configured database (schema upgraded, expired accounts purged).

    ``sender_unchecked``: the settings were read with ``check_sender=False`` (from
    ``config_source``); the sender address is checked as the service starts."""
    import logging

    from .config import data_dir, private_log
    from .runtime import check_files

    check_files(settings)
    if not served and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise DomainError(_("Le kiosque s'affiche dans un terminal : lancez « entkiosk » depuis une console."))
    log_dir = data_dir()
    logging.basicConfig(filename=private_log(), level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # fpdf2's font subsetting reports every table it prunes: not news for a school's log.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from .ui.app import make_app

    # The database side (SQLAlchemy, schema check) loads once the accueil is painted.
    source = service or _ServiceOnce(settings, config_source if sender_unchecked else None)
    crashes: list[float] = []
    try:
        while True:
            app = make_app(settings, source, state_path=log_dir / "kiosk-state.json", demo_letters=demo_letters,
                           demo_staff=demo_staff)
            app.freeze_after_start = True
            if served:  # a tab left on the accueil closes its kiosk (the page offers to reopen it)
                app.close_when_idle = settings.serve.idle_close
            app.run()
            if app.startup_error is not None:
                raise app.startup_error
            if app.return_code in (0, None):  # closed by a member of staff, or a browser tab done with
                return EXIT_OK
            if served:  # the tab's page already shows « Ce kiosque est fermé »: the server's console says why
                raise DomainError(_("Le kiosque de l'onglet {tab} s'est arrêté sur une erreur ; l'onglet "
                                    "propose de le rouvrir. Détails dans le journal {log}.")
                                  .format(tab=settings.kiosk.id, log=log_dir / "entkiosk.log"))
            # A bug: the student's session is gone with that run; a fresh accueil comes back.
            now = time.monotonic()
            crashes = [t for t in crashes if now - t < 60] + [now]
            if len(crashes) >= 3:
                raise DomainError(_("Le kiosque s'est arrêté après des erreurs répétées : voir le journal {log}.")
                                  .format(log=log_dir / "entkiosk.log"))
            time.sleep(1)
    finally:
        opened = getattr(source, "service", None)
        if opened is not None:  # another kiosk takes over the directory's deliveries at once
            opened.stop_directory_worker()


def cmd_db(args: argparse.Namespace, settings: Settings, _stdin: TextIO) -> int:
    from .store.db import current_revision

    service = _service(settings)  # upgrades on open
    print(_("Schéma à jour (révision {revision}).").format(revision=current_revision(service.engine)))
    return EXIT_OK


def cmd_directory(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    from .cli_directory import cmd_directory as run, require_directory

    from .runtime import open_service

    require_directory(settings)
    # Not _service(): a comparison without --apply, or a status, must not deliver anything.
    return run(args, settings, stdin, open_service(settings))


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings, TextIO], int]] = {
    "directory": cmd_directory,
    "import": cmd_import,
    "sync": cmd_sync,
    "students": cmd_students,
    "parents": cmd_parents,
    "audit": cmd_audit,
    "letters": cmd_letters,
    "staff": cmd_staff,
    "unlock": cmd_unlock,
    "reset": cmd_reset,
    "force-change": cmd_force_change,
    "request": cmd_request,
    "purge": cmd_purge,
    "serve": cmd_serve,
    "outbox": cmd_outbox,
    "demo": cmd_demo,
    "db": cmd_db,
}

if __name__ == "__main__":
    raise SystemExit(main())
