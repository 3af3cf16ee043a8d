"""Journal d'audit: what happened, newest first, filtered, and exported as CSV (« entkiosk audit »).

Every use case writes its event (never a secret); this screen reads them: by an account
(a pupil's, or a staff member's — what they did and what is about them), a class, a kind
of event (« login », « sync.left »…) and a first day. The table shows the 500 newest of
the selection; the export writes the whole selection to a CSV file readable by the kiosk's
user only, in the letters folder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Static

from ...domain.errors import InvalidInput
from ...domain.i18n import N_, _, ngettext
from ...service import AuditFilter, AuditRecord, audit_csv
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import ReadOnlyTable
from .base import KioskScreen, screen_keys
from .staff_common import staff_read

#: Rows the table shows; the export has them all.
SHOWN = 500


def read_filter(who: str, class_name: str, kind: str, since: str) -> AuditFilter:
    """The criteria typed, or a French reason beside the field in error."""
    day = None
    if since.strip():
        try:
            day = datetime.strptime(since.strip(), "%d/%m/%Y").date()
        except ValueError:
            raise InvalidInput({"since": _("Date « {typed} » invalide : JJ/MM/AAAA, par exemple "
                                           "01/09/2026.").format(typed=since.strip())}) from None
    return AuditFilter(since=day, staff=who.strip() or None, class_name=class_name.strip() or None,
                       kind=kind.strip() or None)


class AuditScreen(KioskScreen):
    """The criteria, FILTRER, the events; EXPORTER EN CSV writes the selection to a file."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Filtrer"), back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Journal d'audit")

    def __init__(self) -> None:
        super().__init__()
        self.where = AuditFilter()

    def compose_body(self) -> ComposeResult:
        yield Field(_("compte (élève ou personnel)"), "who", placeholder=_("identifiant"), max_length=80)
        yield Field(_("classe"), "class_name", placeholder=_("toutes"), max_length=60)
        yield Field(_("genre d'événement"), "kind", placeholder=_("connexion, courrier, demande…"), max_length=40)
        yield Field(_("depuis le"), "since", placeholder=_("JJ/MM/AAAA"), max_length=10)
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("FILTRER"), id="filter", classes="submit", variant="primary")
            yield KioskButton(_("EXPORTER EN CSV"), id="export")
            yield KioskButton(_("RETOUR"), id="back-button")
        yield Static("", id="audit-summary", classes="paragraph")
        yield ReadOnlyTable(_("Date"), _("Événement"), _("Compte"), _("Par"), id="audit-events",
                            wrap=(_("Événement"),))

    def on_mount(self) -> None:
        self.query_one("#who").focus()
        self.reload()

    def reload(self) -> None:
        service = self.app.service
        self.call(staff_read, service, self.app.token, service.audit_log, self.where, limit=SHOWN + 1,
                  then=self._show)

    @on(Button.Pressed, "#filter")
    def submit(self) -> None:
        service = self.app.service
        values = (self.value("who"), self.value("class_name"), self.value("kind"), self.value("since"))

        def read() -> tuple[AuditFilter, list[AuditRecord]]:
            where = read_filter(*values)
            return where, staff_read(service, self.app.token, service.audit_log, where, limit=SHOWN + 1)

        self.call(read, then=self._filtered)

    def _filtered(self, found: tuple[AuditFilter, list[AuditRecord]]) -> None:
        self.where, records = found
        self._show(records)

    def _show(self, records: list[AuditRecord]) -> None:
        tz = self.app.settings.timezone
        more = len(records) > SHOWN
        records = records[:SHOWN]
        summary = self.query_one("#audit-summary", Static)
        if not records:
            summary.update(_("Aucun événement ne correspond."))
        else:
            shown = (_("Les {shown} plus récents : l'export en CSV les contient tous.").format(shown=SHOWN) if more else
                     ngettext("{n} événement, du plus récent au plus ancien.",
                              "{n} événements, du plus récent au plus ancien.", len(records)).format(n=len(records)))
            summary.update(plain(shown))
        self.query_one("#audit-events", ReadOnlyTable).fill([
            (str(i), (r.at.astimezone(tz).strftime("%d/%m/%Y %H:%M"), r.label, r.identifier or "", r.actor or ""))
            for i, r in enumerate(records)])

    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        from ...letters import write_private

        service, settings, where = self.app.service, self.app.settings, self.where

        def export() -> tuple[Path, int]:
            records = staff_read(service, self.app.token, service.audit_log, where)
            folder = settings.letters_folder()
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            now = service.clock.now().astimezone(settings.timezone)
            path = folder / f"journal-audit-{now:%Y%m%d-%H%M%S}.csv"
            write_private(path, audit_csv(records, settings.timezone))
            return path, len(records)

        self.call(export, then=self._exported)

    def _exported(self, done: tuple[Path, int]) -> None:
        path, n = done
        self.query_one("#audit-summary", Static).update(plain(
            ngettext("{n} événement exporté dans le fichier :\n{path}",
                     "{n} événements exportés dans le fichier :\n{path}", n).format(n=n, path=path)))

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()
