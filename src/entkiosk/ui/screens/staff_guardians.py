"""12. The legal guardians of a class in the staff console, and one guardian's card: their
children, their account, a new letter by post, a reset, an unlock.

A teacher sees the guardians of their classes' pupils only (the service decides).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup
from textual.widgets import Button, DataTable, Input, Static

from ...domain.i18n import N_, _, ngettext
from ...domain.roles import Right
from ...service import GuardianStatus, guardian_matches
from ..text import local_date, plain
from ..widgets.controls import KioskButton
from ..widgets.fields import Field
from ..widgets.table import KioskTable
from .base import KioskScreen, screen_keys
from .staff_actions import ConfirmScreen, JobScreen, letters_job
from .staff_common import address_state, email_label, info_rows, offers, staff_read, unlock_job


def guardian_cells(guardian: GuardianStatus) -> list[str]:
    state = _("Bloqué") if guardian.locked else guardian.state_label
    children = ", ".join(c.first_name for c in guardian.children)
    return [guardian.name, guardian.identifier, children, state, email_label(guardian.email_state)]


def print_guardian_letters(screen: KioskScreen, *, class_name: str | None = None, identifier: str | None = None,
                           waiting: int = 1, then=None) -> None:
    """The letters by post of a class's guardians not yet activated (or of one guardian),
    after a confirmation that says how many and that they void the previous ones."""
    service = screen.app.service
    if class_name:
        title = _("Courriers des responsables de la classe « {class_name} »").format(class_name=class_name)
    else:
        title = _("Courriers de « {identifier} »").format(identifier=identifier)
    job = letters_job(screen, f"responsables {class_name or identifier}", service.issue_guardian_letters,
                      class_name=class_name, identifier=identifier, by_post=True)

    def confirmed(ok: bool | None) -> None:
        if ok:
            screen.app.push_screen(JobScreen(title, job), then)

    screen.app.push_screen(ConfirmScreen(
        title,
        ngettext("{n} courrier à envoyer par la poste, un par responsable légal qui n'a pas "
                 "encore activé son compte, l'adresse placée pour une enveloppe à fenêtre (DL ou C5, fenêtre à "
                 "droite). Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà envoyés ne "
                 "seront plus valables.",
                 "{n} courriers à envoyer par la poste, un par responsable légal qui n'a pas "
                 "encore activé son compte, l'adresse placée pour une enveloppe à fenêtre (DL ou C5, fenêtre à "
                 "droite). Chaque courrier porte un nouveau mot de passe provisoire : les courriers déjà envoyés ne "
                 "seront plus valables.", waiting).format(n=waiting), _("IMPRIMER")), confirmed)


class GuardiansScreen(KioskScreen):
    """The guardians of a class's pupils; Entrée on one opens their card."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Ouvrir"), back=N_("Retour"))
    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")

    def __init__(self, class_name: str) -> None:
        super().__init__()
        self.class_name = class_name
        self.guardians: list[GuardianStatus] = []

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return _("Responsables légaux — classe {name}").format(name=self.class_name)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="guardian-counts", classes="note")
        yield Field(_("rechercher un responsable"), "search", placeholder=_("nom, prénom, identifiant ou enfant"),
                    max_length=80)
        yield KioskTable(_("Responsable"), _("Identifiant"), _("Enfants"), _("État"), _("Mail"), id="guardians",
                         keep={_("Responsable"): 20}, cut_middle=(_("Identifiant"),))
        with HorizontalGroup(classes="buttons"):
            if offers(self.app, Right.LETTERS):
                yield KioskButton(_("Courriers par la poste"), id="guardian-letters", variant="primary")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.query_one("#guardians", KioskTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    def reload(self) -> None:
        service = self.app.service
        self.call(staff_read, service, self.app.token, service.guardians, self.class_name, then=self._loaded)

    def _loaded(self, guardians: list[GuardianStatus]) -> None:
        self.guardians = guardians
        activated = sum(g.state in ("activated", "ready") for g in guardians)
        waiting = sum(g.state == "waiting" for g in guardians)
        # TRANSLATORS: « 3 responsables légaux : 0 activé, 3 en attente. »
        self.query_one("#guardian-counts", Static).update(plain(
            _("{guardians} : {activated}, {waiting} en attente.").format(
                guardians=ngettext("{n} responsable légal", "{n} responsables légaux", len(guardians)).format(
                    n=len(guardians)),
                activated=ngettext("{n} activé", "{n} activés", activated).format(n=activated), waiting=waiting)
            if guardians else _("Aucun responsable légal pour cette classe : importez l'export des responsables de "
                                "SIECLE (ResponsablesAvecAdresses) avec « Importer une liste » ou « entkiosk import ».")))
        self._filter()

    @on(Input.Changed, "#search")
    def _filter(self) -> None:
        search = self.value("search")
        self.query_one("#guardians", KioskTable).fill([(g.identifier, guardian_cells(g))
                                                        for g in self.guardians if guardian_matches(g, search)])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()
        table = self.query_one("#guardians", KioskTable)
        if table.row_count:
            table.move_cursor(row=0)
            table.focus()

    def submit(self) -> None:
        self._open(self.query_one("#guardians", KioskTable).current_key())

    @on(DataTable.RowSelected, "#guardians")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.row_key.value)

    def _open(self, identifier: str | None) -> None:
        found = next((g for g in self.guardians if g.identifier == identifier), None)
        if found is not None and not self.busy:
            self.app.push_screen(GuardianScreen(found))

    @on(Button.Pressed, "#guardian-letters")
    def _letters(self) -> None:
        print_guardian_letters(self, class_name=self.class_name,
                               waiting=sum(g.state == "waiting" for g in self.guardians))

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()


class GuardianScreen(KioskScreen):
    """Fiche responsable: children and their accounts, the guardian's account, the actions that apply."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Choisir"), back=N_("Retour"))
    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")

    def __init__(self, guardian: GuardianStatus) -> None:
        super().__init__()
        self.guardian = guardian

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return _("Responsable légal : {name}").format(name=self.guardian.name)

    def _rows(self) -> list[tuple[str, str]]:
        g = self.guardian
        tz = self.app.settings.timezone
        rows = [(_("Identifiant"), g.identifier)]
        for number, child in enumerate(g.children):
            child_name = f"{child.first_name} {child.last_name}" + (f" ({child.class_name})" if child.class_name else "")
            rows.append((_("Enfants") if number == 0 else "", _("{child} : {state}").format(
                child=child_name, state=child.state_label)))
        rows += [(_("État du compte"), _("Bloqué (trop d'essais)") if g.locked else g.state_label),
                 (_("Adresse mail"), address_state(g.email_state))]
        if g.state in ("waiting", "expired") and g.deadline:
            rows.append((_("Activation avant le"), g.deadline.strftime("%d/%m/%Y")))
        if g.activated_at:
            rows.append((_("Activé le"), local_date(g.activated_at, tz)))
        if g.postal_address:
            rows.append((_("Adresse postale"), ", ".join(g.postal_address)))
        return rows

    def compose_body(self) -> ComposeResult:
        yield from info_rows(self._rows())
        g = self.guardian
        with HorizontalGroup(classes="buttons"):
            if g.state == "waiting" and offers(self.app, Right.LETTERS):
                yield KioskButton(_("Nouveau courrier par la poste"), id="letter", variant="primary")
            elif g.state in ("activated", "ready", "expired") and offers(self.app, Right.RESET):
                yield KioskButton(_("Réinitialiser le compte"), id="reset", variant="primary")
            if g.locked and offers(self.app, Right.UNLOCK):
                yield KioskButton(_("Débloquer"), id="unlock")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.query(".buttons Button").first().focus()

    def submit(self) -> None:
        if isinstance(self.focused, Button):
            self.focused.press()

    def _then_back(self, done: bool | None) -> None:
        if done:
            self.app.pop_screen()

    @on(Button.Pressed, "#back-button")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#letter")
    def _letter(self) -> None:
        print_guardian_letters(self, identifier=self.guardian.identifier, then=self._then_back)

    @on(Button.Pressed, "#reset")
    def _reset(self) -> None:
        ident = self.guardian.identifier
        service = self.app.service
        job = letters_job(self, f"responsable {ident}",
                          lambda *, progress, actor, deliver: [service.staff_reset(ident, actor=actor, deliver=deliver)],
                          by_post=True)

        title = _("Réinitialiser « {identifier} »").format(identifier=ident)

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.push_screen(JobScreen(title, job), self._then_back)

        self.app.push_screen(ConfirmScreen(
            title,
            _("Le responsable reçoit par la poste un nouveau courrier avec un mot de passe provisoire et un nouveau "
              "délai d'activation. Son mot de passe actuel ne fonctionnera plus ; son adresse mail validée est "
              "conservée."),
            _("RÉINITIALISER")), confirmed)

    @on(Button.Pressed, "#unlock")
    def _unlock(self) -> None:
        ident = self.guardian.identifier
        self.app.push_screen(JobScreen(_("Débloquer « {identifier} »").format(identifier=ident),
                                       unlock_job(self.app, ident, guardian=True)), self._then_back)
