"""12. Groupe coché: pupils ticked one by one in their classes (Espace on a class's list),
across classes for the direction and the secretariat, and what is done for them at once —
their letters, or a reset — in one PDF, with the CSV of the identifiers issued (no
password) beside it for the ENT's administrator.

The group lives with the staff session: it is forgotten at logout or idle.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, Static

from ...domain.i18n import N_, _, ngettext
from ...domain.roles import Right
from ...service import StudentStatus
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.table import NAME_FIRST, ReadOnlyTable
from .base import KioskScreen, screen_keys
from .staff_actions import ConfirmScreen, JobScreen, letters_job
from .staff_common import offers, student_names


class GroupScreen(KioskScreen):
    """The pupils ticked, and their letters or their reset in one PDF."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Groupe d'élèves cochés")

    def compose_body(self) -> ComposeResult:
        yield Static("", id="group-count", classes="note")
        yield ReadOnlyTable(_("Élève"), _("Identifiant"), _("Classe"), _("État"), id="group", **NAME_FIRST)
        with HorizontalGroup(classes="buttons"):
            if offers(self.app, Right.LETTERS):
                yield KioskButton(_("Imprimer les courriers"), id="group-letters", variant="primary")
            if offers(self.app, Right.RESET):
                yield KioskButton(_("Réinitialiser"), id="group-reset")
            yield KioskButton(_("Vider"), id="group-clear")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.show_group()
        self.query_one("#group", ReadOnlyTable).focus()

    @property
    def pupils(self) -> list[StudentStatus]:
        return list(self.app.staff_group.values())

    def show_group(self) -> None:
        pupils = self.pupils
        names = student_names(pupils)
        self.query_one("#group", ReadOnlyTable).fill(
            [(p.identifier, (name, p.identifier, p.class_name or "", p.state_label)) for p, name in zip(pupils, names,
                                                                                                     strict=True)])
        self.query_one("#group-count", Static).update(plain(
            ngettext("{n} élève coché. Espace, sur la liste d'une classe, coche ou décoche un élève.",
                     "{n} élèves cochés. Espace, sur la liste d'une classe, coche ou décoche un élève.",
                     len(pupils)).format(n=len(pupils)) if pupils else
            _("Aucun élève coché : sur la liste d'une classe, Espace coche un élève (autant de classes que voulu).")))
        for button in self.query("#group-letters, #group-reset"):
            button.disabled = not pupils

    def _job(self, title: str, text: str, confirm: str, issue) -> None:
        identifiers = [p.identifier for p in self.pupils]
        job = letters_job(self, "groupe", issue, identifiers=identifiers, group=True)

        def done(ok: bool | None) -> None:
            if ok:
                self.app.staff_group.clear()
                self.show_group()

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.push_screen(JobScreen(title, job), done)

        self.app.push_screen(ConfirmScreen(title, text, confirm), confirmed)

    @on(Button.Pressed, "#group-letters")
    def _letters(self) -> None:
        n = len(self.pupils)
        self._job(_("Courriers du groupe"),
                  ngettext("{n} courrier dans un seul PDF, avec la liste de leurs identifiants (sans mot "
                           "de passe). Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà "
                           "remis ne seront plus valables. Un élève déjà activé arrête tout : rien n'est imprimé.",
                           "{n} courriers dans un seul PDF, avec la liste de leurs identifiants (sans mot "
                           "de passe). Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà "
                           "remis ne seront plus valables. Un élève déjà activé arrête tout : rien n'est imprimé.",
                           n).format(n=n),
                  _("IMPRIMER"), self.app.service.issue_letters)

    @on(Button.Pressed, "#group-reset")
    def _reset(self) -> None:
        n = len(self.pupils)
        self._job(_("Réinitialiser le groupe"),
                  ngettext("{n} compte reçoivent un nouveau mot de passe provisoire et un courrier, dans "
                           "un seul PDF : leurs mots de passe actuels ne fonctionneront plus, leurs sessions se "
                           "terminent. Leur adresse mail validée est gardée.",
                           "{n} comptes reçoivent un nouveau mot de passe provisoire et un courrier, dans "
                           "un seul PDF : leurs mots de passe actuels ne fonctionneront plus, leurs sessions se "
                           "terminent. Leur adresse mail validée est gardée.",
                           n).format(n=n),
                  _("RÉINITIALISER"), self.app.service.reset_group)

    @on(Button.Pressed, "#group-clear")
    def _clear(self) -> None:
        self.app.staff_group.clear()
        self.show_group()

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()
