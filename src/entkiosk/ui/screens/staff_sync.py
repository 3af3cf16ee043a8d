"""Mise à jour SIECLE: the yearly update, previewed then applied (« entkiosk sync » in the console).

The secretariat names the export of the new school year; the preview says what it would
change — newcomers, pupils changing class, leavers, names corrected — and writes nothing.
« APPLIQUER » applies exactly that, in one transaction, and writes the newcomers' letters
to a PDF; if the accounts changed since the preview (another kiosk), nothing is written
and the preview must be read again.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Input, Static

from ...domain.i18n import N_, _, ngettext
from ...service import UpdatePlan
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import NAME_FIRST, KioskTable, ReadOnlyTable
from .base import KioskScreen, screen_keys
from .staff_actions import ConfirmScreen, JobScreen, letters_job
from .staff_common import staff_read
from .staff_import import read_class_list


def change_rows(plan: UpdatePlan) -> list[tuple[str, str, str, str]]:
    """(what, pupil, identifier, detail) of every change, grouped in the order staff check them."""
    rows = [(_("Nouvel élève"), f"{r.last_name} {r.first_name}", ident, r.class_name)
            for r, ident in zip(plan.newcomers, plan.identifiers, strict=True)]
    rows += [(_("Classe"), c.name, c.identifier, f"{c.before or '—'} → {c.after}") for c in plan.moves]
    rows += [(_("Départ"), c.name, c.identifier, f"{c.before or '—'}, {_(c.why)}") for c in plan.leaving]
    rows += [(_("Retour"), c.name, c.identifier, c.after) for c in plan.returning]
    rows += [(_("Nom corrigé"), c.name, c.identifier, f"→ {c.after}") for c in plan.renamed]
    rows += [(_("Rattaché"), c.name, c.identifier, f"ELEVE_ID {c.after}") for c in plan.linked]
    return rows


class SyncScreen(KioskScreen):
    """The export's path, APERÇU, then APPLIQUER once the preview is clean."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Aperçu"), back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Mise à jour annuelle depuis SIECLE")

    def __init__(self) -> None:
        super().__init__()
        self.plan: UpdatePlan | None = None
        self.data: bytes = b""

    def compose_body(self) -> ComposeResult:
        yield Static(plain(_("Indiquez l'export SIECLE des élèves de la rentrée (ExportXML_ElevesSansAdresses.zip ou "
                             "son XML), puis lisez l'aperçu. Rien n'est enregistré avant APPLIQUER.")),
                     classes="paragraph")
        yield Field(_("fichier"), "path", placeholder=_("chemin du .zip ou du .xml"), max_length=500)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("APERÇU"), id="preview", classes="submit", variant="primary")
            yield KioskButton(_("RETOUR"), id="back-button")
        yield Static("", id="sync-summary", classes="paragraph")
        # Above the list: in September most pupils change class, and the list is long.
        yield KioskButton(_("APPLIQUER"), id="apply", variant="success")
        yield ReadOnlyTable(_("Changement"), _("Élève"), _("Identifiant"), _("Détail"), id="sync-changes",
                            wrap=(_("Détail"),), **NAME_FIRST)
        yield ReadOnlyTable(_("Élève"), _("Motif du refus"), id="sync-problems",
                            wrap=(_("Élève"), _("Motif du refus")))

    def on_mount(self) -> None:
        self._hide()
        self.query_one("#path").focus()

    def _hide(self) -> None:
        for widget in ("#sync-changes", "#sync-problems", "#apply"):
            self.query_one(widget).display = False

    @on(Input.Changed, "#path")
    def _path_changed(self) -> None:
        """A new path voids the preview of the old one."""
        if self.plan is not None:
            self.plan, self.data = None, b""
            self.query_one("#sync-summary", Static).update("")
            self._hide()

    @on(Button.Pressed, "#preview")
    def submit(self) -> None:
        service = self.app.service
        path = self.value("path")

        def read() -> tuple[bytes, UpdatePlan]:
            data = read_class_list(path)
            return data, staff_read(service, self.app.token, service.preview_update, data)

        self.call(read, then=self._show)

    def _show(self, found: tuple[bytes, UpdatePlan]) -> None:
        self.data, plan = found
        self.plan = plan
        summary = self.query_one("#sync-summary", Static)
        changes = self.query_one("#sync-changes", KioskTable)
        problems = self.query_one("#sync-problems", KioskTable)
        source = _("Export SIECLE de l'établissement {uaj}, année {year} :").format(uaj=plan.uaj, year=plan.year_label)
        apply = self.query_one("#apply", Button)
        if plan.problems:
            summary.set_class(True, "paragraph-error")
            n = len(plan.problems)
            summary.update(plain(source + " " + ngettext(
                "{n} élève refusé, rien ne sera modifié. Corrigez-le dans SIECLE, exportez à nouveau, puis relancez "
                "l'aperçu.",
                "{n} élèves refusés, rien ne sera modifié. Corrigez-les dans SIECLE, exportez à nouveau, puis relancez "
                "l'aperçu.", n).format(n=n)))
            problems.fill([(str(i), (str(where), reason)) for i, (where, reason) in enumerate(plan.problems)])
            problems.display, changes.display, apply.display = True, False, False
            problems.focus()
            return
        summary.set_class(False, "paragraph-error")
        extra = ""
        if plan.without_class:
            names = ", ".join(plan.without_class[:3])
            if len(plan.without_class) > 3:
                names = _("{names} et {n} autres").format(names=names, n=len(plan.without_class) - 3)
            extra += " " + _("Sans division dans SIECLE, pas encore de compte : {names}.").format(names=names)
        if plan.outside:
            extra += " " + ngettext("{n} compte créé hors SIECLE reste tel quel.",
                                    "{n} comptes créés hors SIECLE restent tels quels.",
                                    len(plan.outside)).format(n=len(plan.outside))
        if not plan.changes:
            summary.update(plain(source + " " + _("les comptes sont déjà à jour, rien à appliquer.") + extra))
            changes.display = problems.display = apply.display = False
            return
        warning = f" {plan.departure_warning}" if plan.mass_departure else ""
        check = (_("Vérifiez, puis appliquez (les courriers des nouveaux élèves iront dans un PDF à imprimer).")
                 if plan.newcomers else _("Vérifiez, puis appliquez."))
        summary.set_class(plan.mass_departure, "paragraph-error")
        summary.update(plain(f"{source} {plan.counts}.{extra}{warning} {check}"))
        changes.fill([(str(i), row) for i, row in enumerate(change_rows(plan))])
        changes.display, problems.display, apply.display = True, False, True
        apply.focus(scroll_visible=False)
        self.call_after_refresh(apply.scroll_visible, animate=False)

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        plan = self.plan
        if plan is None or plan.problems or not plan.changes or self.busy:
            return
        service, data, expected, many = self.app.service, self.data, plan.fingerprint, plan.mass_departure
        done: list = []

        def issue(*, progress, actor, deliver):
            result = service.apply_update(data, actor=actor, expected=expected, progress=progress, deliver=deliver,
                                          many_departures=many)
            done.append(result)
            return result.letters

        letters = letters_job(self, "rentree", issue, new_accounts=True)

        def job(progress) -> str:
            text = letters(progress)
            applied = done[0].plan
            sentence = _("Mise à jour appliquée : {counts}.").format(counts=applied.counts)
            return f"{sentence}\n\n{text}" if done[0].letters else sentence

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.push_screen(JobScreen(_("Mise à jour annuelle"), job), self._applied)

        closed = (" " + ngettext("{n} compte sera fermé aussitôt.", "{n} comptes seront fermés aussitôt.",
                                 len(plan.leaving)).format(n=len(plan.leaving))
                  if plan.leaving else "")
        warning = f" {plan.departure_warning}" if plan.mass_departure else ""
        self.app.push_screen(ConfirmScreen(
            _("Appliquer la mise à jour annuelle"), f"{plan.counts[:1].upper()}{plan.counts[1:]}.{closed}{warning}",
            _("APPLIQUER")), confirmed)

    def _applied(self, ok: bool | None) -> None:
        if ok:
            self.app.pop_screen()
