"""12. Importer une liste de classe: a preview of what will be created, bad rows named, then the letters.

Nothing is written until the preview is clean and staff confirm: a list with one
bad row imports nobody (SPEC §7), and the preview says which line to fix and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Input, Static

from ...domain.errors import InvalidInput
from ...service import ImportPreview
from ..text import count, plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import NAME_FIRST, KioskTable, ReadOnlyTable
from .base import KioskScreen, screen_keys
from .staff_common import staff_read
from .staff_actions import JobScreen, letters_job

#: A class list is a few kilobytes; anything this big is the wrong file.
MAX_CSV_BYTES = 5 * 1024 * 1024


def read_class_list(path_text: str) -> bytes:
    """The bytes of the CSV file typed by staff, or a French reason it cannot be read
    (beside the « fichier CSV » field, which gets the focus)."""
    from ...letters import os_reason

    if not path_text.strip():
        raise InvalidInput({"path": "Saisissez le chemin du fichier CSV de la classe."})
    path = Path(path_text.strip()).expanduser()
    try:
        if path.is_dir():
            raise InvalidInput({"path": f"{path} est un dossier : indiquez le fichier CSV lui-même."})
        if path.stat().st_size > MAX_CSV_BYTES:
            raise InvalidInput({"path": f"{path} est trop volumineux pour une liste de classe (5 Mo au plus)."})
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput({"path": f"Impossible de lire {path} ({os_reason(exc)})."}) from None


class ImportScreen(KioskScreen):
    """The CSV path, APERÇU, then IMPORTER ET IMPRIMER LES COURRIERS once the preview is clean."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit="Aperçu", back="Retour")

    BAND = "PERSONNEL DE L'ÉDUCATION NATIONALE"
    HEADING = "Importer une liste de classe"

    def __init__(self) -> None:
        super().__init__()
        self.preview: ImportPreview | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(plain("Fichier CSV en UTF-8, une ligne par élève : nom;prénom;date de naissance (JJ/MM/AAAA);classe. "
                     "Rien n'est enregistré avant la confirmation."), classes="paragraph")
        yield Field("fichier CSV", "path", placeholder="/chemin/vers/classe.csv", max_length=500)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton("APERÇU", id="preview", classes="submit", variant="primary")
            yield KioskButton("RETOUR", id="back-button")
        yield Static("", id="preview-summary", classes="paragraph")
        yield ReadOnlyTable("Ligne", "Élève", "Né(e) le", "Classe", "Identifiant", id="preview-rows",
                            **NAME_FIRST)
        yield ReadOnlyTable("Ligne", "Motif du refus", id="preview-problems", wrap=("Motif du refus",))
        yield KioskButton("IMPORTER ET IMPRIMER LES COURRIERS", id="import", variant="success")

    def on_mount(self) -> None:
        for widget in ("#preview-rows", "#preview-problems", "#import"):
            self.query_one(widget).display = False
        self.query_one("#path").focus()

    @on(Input.Changed, "#path")
    def _path_changed(self) -> None:
        """A new path voids the preview of the old one."""
        if self.preview is not None:
            self.preview = None
            self.query_one("#preview-summary", Static).update("")
            for widget in ("#preview-rows", "#preview-problems", "#import"):
                self.query_one(widget).display = False

    @on(Button.Pressed, "#preview")
    def submit(self) -> None:
        service = self.app.service
        path = self.value("path")
        self.call(lambda: staff_read(service, self.app.token, service.preview_class_list, read_class_list(path)),
                  then=self._show)

    def _show(self, preview: ImportPreview) -> None:
        self.preview = preview
        summary = self.query_one("#preview-summary", Static)
        rows = self.query_one("#preview-rows", KioskTable)
        problems = self.query_one("#preview-problems", KioskTable)
        if preview.problems:
            refused = count(len(preview.problems), "ligne refusée", "lignes refusées")
            summary.update(plain(f"{refused} : aucun élève ne sera importé. Corrigez le fichier "
                                 "puis relancez l'aperçu."))
            summary.set_class(True, "paragraph-error")
            problems.fill([(str(i), (str(line), reason)) for i, (line, reason) in enumerate(preview.problems)])
            problems.display, rows.display = True, False
            self.query_one("#import").display = False
            problems.focus()
            return
        enrolled = ((" 1 élève de la liste, déjà inscrit, ne change pas." if len(preview.enrolled) == 1 else
                     f" {len(preview.enrolled)} élèves de la liste, déjà inscrits, ne changent pas.")
                    if preview.enrolled else "")
        if not preview.rows:
            summary.set_class(False, "paragraph-error")
            summary.update(plain(f"Tous les élèves de cette liste sont déjà inscrits : rien à importer.{enrolled}"))
            rows.display = problems.display = False
            self.query_one("#import").display = False
            return
        counts = [f"{name} ({count})" for name, count in preview.classes.items()]
        classes = ", ".join(counts) if len(counts) <= 6 else f"{', '.join(counts[:5])} et {len(counts) - 5} autres"
        summary.set_class(False, "paragraph-error")
        summary.update(plain(f"{len(preview.rows)} élève(s) à créer dans {len(counts)} classe(s) : {classes}."
                             f"{enrolled} Vérifiez, puis importez : les courriers seront enregistrés dans un fichier "
                             "PDF à imprimer."))
        rows.fill([(str(i), (str(r.line), f"{r.last_name} {r.first_name}", r.birth_date.strftime("%d/%m/%Y"),
                             r.class_name, ident))
                   for i, (r, ident) in enumerate(zip(preview.rows, preview.identifiers, strict=True))])
        rows.display, problems.display = True, False
        button = self.query_one("#import", Button)
        button.display = True
        button.focus()

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#import")
    def _import(self) -> None:
        if self.preview is None or self.preview.problems or self.busy:
            return
        service, rows = self.app.service, self.preview.rows
        label = next(iter(self.preview.classes)) if len(self.preview.classes) == 1 else "import"

        def issue(*, progress, actor, deliver):
            return service.import_class_list(rows, actor=actor, progress=progress, deliver=deliver)

        job = letters_job(self, label, issue, new_accounts=True)
        self.app.push_screen(JobScreen(f"Import de {len(rows)} élève(s)", job), self._imported)

    def _imported(self, ok: bool | None) -> None:
        if ok:
            self.app.pop_screen()
