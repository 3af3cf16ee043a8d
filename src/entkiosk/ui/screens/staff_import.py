"""12. Importer une liste de classe: a preview of what will be created, bad rows named, then the letters.

Nothing is written until the preview is clean and staff confirm: a list with one
bad row imports nobody (SPEC §7), and the preview says which line to fix and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Input, Static

from ...domain.errors import FileRefused, InvalidInput
from ...domain.i18n import N_, _, ngettext
from ...service import ImportPreview
from ...service.guardians import GuardianPlan
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import NAME_FIRST, KioskTable, ReadOnlyTable
from .base import KioskScreen, screen_keys
from .staff_common import staff_read
from .staff_actions import JobScreen, letters_job

#: The preview's tables and its button, hidden until a preview shows one of them.
TABLES = ("#preview-rows", "#preview-pupils", "#preview-guardians", "#preview-problems", "#preview-bad-pupils",
          "#import")


def read_class_list(path_text: str) -> bytes:
    """The bytes of the file typed by staff, or a French reason it cannot be read
    (beside the « fichier » field, which gets the focus)."""
    from ...imports import read_export_file

    if not path_text.strip():
        raise InvalidInput({"path": _("Saisissez le chemin du fichier : l'export SIECLE ou la liste CSV de la "
                                      "classe.")})
    try:
        return read_export_file(Path(path_text.strip()).expanduser())
    except FileRefused as exc:
        raise InvalidInput({"path": str(exc)}) from None


def source_sentence(label: str, uaj: str | None, leavers: int = 0, without_class: Sequence[str] = ()) -> str:
    """What the file is (« Export XML de SIECLE … de l'établissement 0590000X. »), and the
    pupils of a SIECLE export who get no account: the leavers, those with no division yet."""
    shown = _(label)  # the format's name, French marked with N_ where the file was read
    what = f"{shown[:1].upper()}{shown[1:]}"
    text = _("{what} de l'établissement {uaj}.").format(what=what, uaj=uaj) if uaj else f"{what}."
    if leavers:
        text += " " + ngettext("{n} élève sorti (date de sortie dans SIECLE) : pas de compte.",
                               "{n} élèves sortis (date de sortie dans SIECLE) : pas de compte.",
                               leavers).format(n=leavers)
    if without_class:
        if len(without_class) > 3:
            names = _("{names} et {n} autres").format(names=", ".join(without_class[:3]), n=len(without_class) - 3)
        else:
            names = ", ".join(without_class)
        text += " " + _("Sans division dans SIECLE, pas encore de compte : {names}.").format(names=names)
    return text


class ImportScreen(KioskScreen):
    """The CSV path, APERÇU, then IMPORTER ET IMPRIMER LES COURRIERS once the preview is clean."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Aperçu"), back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Importer une liste de classe")

    def __init__(self) -> None:
        super().__init__()
        self.preview: ImportPreview | None = None
        #: The guardians' export (ResponsablesAvecAdresses): its plan and the bytes it was made from.
        self.guardians: tuple[GuardianPlan, bytes] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Export SIECLE des élèves (zip ou XML), export CSV d'une division, liste CSV en UTF-8 "
                             "nom;prénom;date de naissance (JJ/MM/AAAA);classe, ou, après les élèves, l'export SIECLE "
                             "des responsables (ResponsablesAvecAdresses). Rien n'est enregistré avant la "
                             "confirmation.")),
                     classes="paragraph")
        yield Field(_("fichier"), "path", placeholder=_("chemin du .zip, .xml ou .csv"), max_length=500)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("APERÇU"), id="preview", classes="submit", variant="primary")
            yield KioskButton(_("RETOUR"), id="back-button")
        yield Static("", id="preview-summary", classes="paragraph")
        yield ReadOnlyTable(_("Ligne"), _("Élève"), _("Né(e) le"), _("Classe"), _("Identifiant"), id="preview-rows",
                            **NAME_FIRST)
        # A SIECLE export has records, not lines: its pupils are named instead.
        yield ReadOnlyTable(_("Élève"), _("Né(e) le"), _("Classe"), _("Identifiant"), id="preview-pupils",
                            **NAME_FIRST)
        yield ReadOnlyTable(_("Responsable"), _("Enfants"), _("Identifiant"), id="preview-guardians",
                            keep={_("Responsable"): 20}, cut_middle=(_("Identifiant"),))
        yield ReadOnlyTable(_("Ligne"), _("Motif du refus"), id="preview-problems", wrap=(_("Motif du refus"),))
        yield ReadOnlyTable(_("Élève"), _("Motif du refus"), id="preview-bad-pupils",
                            wrap=(_("Élève"), _("Motif du refus")))
        yield KioskButton(_("IMPORTER ET IMPRIMER LES COURRIERS"), id="import", variant="success")

    def on_mount(self) -> None:
        for widget in TABLES:
            self.query_one(widget).display = False
        self.query_one("#path").focus()

    @on(Input.Changed, "#path")
    def _path_changed(self) -> None:
        """A new path voids the preview of the old one."""
        if self.preview is not None or self.guardians is not None:
            self.preview = self.guardians = None
            self.query_one("#preview-summary", Static).update("")
            for widget in TABLES:
                self.query_one(widget).display = False

    @on(Button.Pressed, "#preview")
    def submit(self) -> None:
        path = self.value("path")
        self.call(lambda: self._read_preview(path), then=self._show)

    def _read_preview(self, path: str) -> ImportPreview | tuple[GuardianPlan, bytes]:
        """In the worker: the file read, and the preview of pupils or of guardians it gives."""
        from ...imports.siecle_guardians import is_guardians_file

        service, token = self.app.service, self.app.token
        data = read_class_list(path)
        try:
            guardians = is_guardians_file(data)
        except FileRefused:
            guardians = False  # the pupils' reader says why, as for any file
        if guardians:
            return staff_read(service, token, service.preview_guardians, data, mode="import"), data
        return staff_read(service, token, service.preview_class_list, data)

    def _show(self, preview: ImportPreview | tuple[GuardianPlan, bytes]) -> None:
        if isinstance(preview, tuple):
            self._show_guardians(*preview)
            return
        self.guardians = None
        self.preview = preview
        summary = self.query_one("#preview-summary", Static)
        for widget in TABLES:
            self.query_one(widget).display = False
        siecle = preview.uaj is not None
        rows = self.query_one("#preview-pupils" if siecle else "#preview-rows", KioskTable)
        records = any(isinstance(where, str) for where, _reason in preview.problems)
        problems = self.query_one("#preview-bad-pupils" if records else "#preview-problems", KioskTable)
        source = (source_sentence(preview.format_label, preview.uaj, preview.leavers, preview.without_class) + " "
                  if preview.format_label != "liste de classe CSV" else "")
        if preview.problems:
            n = len(preview.problems)
            if records:
                refused = ngettext("{n} élève refusé : aucun élève ne sera importé. Corrigez-le dans SIECLE, exportez "
                                   "à nouveau, puis relancez l'aperçu.",
                                   "{n} élèves refusés : aucun élève ne sera importé. Corrigez-les dans SIECLE, "
                                   "exportez à nouveau, puis relancez l'aperçu.", n).format(n=n)
            else:
                refused = ngettext("{n} ligne refusée : aucun élève ne sera importé. Corrigez le fichier puis "
                                   "relancez l'aperçu.",
                                   "{n} lignes refusées : aucun élève ne sera importé. Corrigez le fichier puis "
                                   "relancez l'aperçu.", n).format(n=n)
            summary.update(plain(f"{source}{refused}"))
            summary.set_class(True, "paragraph-error")
            problems.fill([(str(i), (str(where), reason)) for i, (where, reason) in enumerate(preview.problems)])
            problems.display = True
            problems.focus()
            return
        enrolled = (" " + ngettext("{n} élève de la liste, déjà inscrit, ne change pas.",
                                   "{n} élèves de la liste, déjà inscrits, ne changent pas.",
                                   len(preview.enrolled)).format(n=len(preview.enrolled))
                    if preview.enrolled else "")
        if not preview.rows:
            summary.set_class(False, "paragraph-error")
            sync = (" " + _("À la rentrée, « Mise à jour SIECLE » applique les changements de classe, les nouveaux "
                            "élèves et les départs.") if preview.uaj else "")
            summary.update(plain(source + _("Tous les élèves de cette liste sont déjà inscrits : rien à importer.")
                                 + sync))
            return
        counts = [f"{name} ({number})" for name, number in preview.classes.items()]
        classes = (", ".join(counts) if len(counts) <= 6 else
                   _("{names} et {n} autres").format(names=", ".join(counts[:5]), n=len(counts) - 5))
        summary.set_class(False, "paragraph-error")
        summary.update(plain(source + _("{pupils} élève(s) à créer dans {classes} classe(s) : {names}.").format(
            pupils=len(preview.rows), classes=len(counts), names=classes) + enrolled + " "
            + _("Vérifiez, puis importez : les courriers seront enregistrés dans un fichier PDF à imprimer.")))
        cells = [((f"{r.last_name} {r.first_name}", r.birth_date.strftime("%d/%m/%Y"), r.class_name, ident)
                  if siecle else (str(r.line), f"{r.last_name} {r.first_name}", r.birth_date.strftime("%d/%m/%Y"),
                                  r.class_name, ident))
                 for r, ident in zip(preview.rows, preview.identifiers, strict=True)]
        rows.fill([(str(i), row) for i, row in enumerate(cells)])
        rows.display = True
        button = self.query_one("#import", Button)
        button.display = True
        button.focus()

    def _show_guardians(self, plan: GuardianPlan, data: bytes) -> None:
        """The guardians' export: who gets an account (and a letter by post), or why nobody does."""
        self.preview, self.guardians = None, (plan, data)
        summary = self.query_one("#preview-summary", Static)
        for widget in TABLES:
            self.query_one(widget).display = False
        source = _("{what} de l'établissement {uaj}.").format(
            what=f"{_(plan.format_label)[:1].upper()}{_(plan.format_label)[1:]}", uaj=plan.uaj)
        if plan.problems:
            n = len(plan.problems)
            summary.update(plain(source + " " + ngettext(
                "{n} responsable refusé : aucun compte ne sera créé. Corrigez dans SIECLE, exportez à nouveau, puis "
                "relancez l'aperçu.",
                "{n} responsables refusés : aucun compte ne sera créé. Corrigez dans SIECLE, exportez à nouveau, puis "
                "relancez l'aperçu.", n).format(n=n)))
            summary.set_class(True, "paragraph-error")
            problems = self.query_one("#preview-bad-pupils", KioskTable)
            problems.fill([(str(i), (str(where), reason)) for i, (where, reason) in enumerate(plan.problems)])
            problems.display = True
            problems.focus()
            return
        summary.set_class(False, "paragraph-error")
        notes = []
        if plan.enrolled:
            notes.append(ngettext("{n} responsable déjà inscrit : inchangés (« Mise à jour SIECLE » pour leurs "
                                  "changements).",
                                  "{n} responsables déjà inscrits : inchangés (« Mise à jour SIECLE » pour leurs "
                                  "changements).", plan.enrolled).format(n=plan.enrolled))
        if plan.contacts:
            notes.append(ngettext("{n} autre contact (pas responsable légal) : pas de compte.",
                                  "{n} autres contacts (pas responsable légal) : pas de compte.",
                                  plan.contacts).format(n=plan.contacts))
        if plan.unknown:
            notes.append(ngettext("{n} lien vers un élève sans compte, ignoré(s) : {links}.",
                                  "{n} liens vers des élèves sans compte, ignoré(s) : {links}.",
                                  len(plan.unknown)).format(
                n=len(plan.unknown), links="; ".join(plan.unknown[:2]) + (" …" if len(plan.unknown) > 2 else "")))
        if not plan.newcomers:
            summary.update(plain(" ".join([source, _("Aucun nouveau responsable : rien à importer."), *notes])))
            return
        summary.update(plain(" ".join([source, ngettext(
            "{n} responsable légal à créer, un courrier chacun à envoyer par la poste.",
            "{n} responsables légaux à créer, un courrier chacun à envoyer par la poste.",
            len(plan.newcomers)).format(n=len(plan.newcomers)), *notes])))
        children = plan.children_names
        table = self.query_one("#preview-guardians", KioskTable)
        table.fill([(str(i), (f"{g.civility} {g.last_name} {g.first_name}".strip(), children.get(g.personne_id, ""),
                              ident))
                    for i, (g, ident) in enumerate(zip(plan.newcomers, plan.identifiers, strict=True))])
        table.display = True
        button = self.query_one("#import", Button)
        button.display = True
        button.focus()

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#import")
    def _import(self) -> None:
        if self.guardians is not None and not self.guardians[0].problems and not self.busy:
            self._import_guardians(*self.guardians)
            return
        if self.preview is None or self.preview.problems or self.busy:
            return
        service, rows, uaj, exported_on = (self.app.service, self.preview.rows, self.preview.uaj,
                                           self.preview.exported_on)
        label = next(iter(self.preview.classes)) if len(self.preview.classes) == 1 else "import"

        def issue(*, progress, actor, deliver):
            return service.import_class_list(rows, actor=actor, uaj=uaj, exported_on=exported_on, progress=progress,
                                             deliver=deliver)

        job = letters_job(self, label, issue, new_accounts=True)
        self.app.push_screen(JobScreen(_("Import de {n} élève(s)").format(n=len(rows)), job), self._imported)

    def _import_guardians(self, plan: GuardianPlan, data: bytes) -> None:
        service, expected = self.app.service, plan.fingerprint("import")

        def issue(*, progress, actor, deliver):
            return service.apply_guardians(data, mode="import", actor=actor, expected=expected, progress=progress,
                                           deliver=deliver).letters

        job = letters_job(self, "responsables", issue, new_accounts=True, by_post=True)
        n = len(plan.newcomers)
        self.app.push_screen(JobScreen(ngettext("Import de {n} responsable", "Import de {n} responsables", n).format(n=n),
                                       job), self._imported)

    def _imported(self, ok: bool | None) -> None:
        if ok:
            self.app.pop_screen()
