"""12. Personnel (direction only): the staff accounts, their role and classes; add one,
change a role or the classes of a teacher, disable an account that left, or bring it back.

The service refuses all of it to any other role, and the last active direction account
cannot be disabled nor given another role (:mod:`entkiosk.service.team`).
"""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.widgets import Button, DataTable, RadioSet, Static

from ...domain.i18n import N_, _, ngettext
from ...domain.passwords import staff_rule
from ...domain.roles import ROLE_LABELS, Role, parse_classes
from ...service import StaffView
from ..text import local_date, plain
from ..widgets.controls import KioskButton, KioskRadioButton, KioskRadioSet
from ..widgets.fields import Field, PasswordField
from ..widgets.table import KioskTable
from .base import KioskScreen, screen_keys
from .staff_common import staff_act

ROLE_CHOICES = (Role.TEACHER, Role.SECRETARIAT, Role.DIRECTION)
ROLE_HINTS = {
    Role.TEACHER: N_("Enseignant : ses classes seulement (listes, fiches, séance en direct, courriers, déblocages, "
                     "demandes sans adresse mail)."),
    Role.SECRETARIAT: N_("Secrétariat : les comptes de toutes les classes (imports, mise à jour SIECLE, courriers, "
                         "réinitialisations, suppressions)."),
    Role.DIRECTION: N_("Direction : tout, y compris les comptes du personnel et le journal d'audit."),
}


def staff_cells(view: StaffView, tz: ZoneInfo) -> list[str]:
    name = " ".join(p for p in (view.last_name, view.first_name) if p)
    return [view.identifier, name, _(ROLE_LABELS[view.role]), ", ".join(view.classes),
            _("actif") if view.active else _("désactivé le {day}").format(
                day=local_date(view.disabled_at, tz, "%d/%m/%Y"))]


class TeamScreen(KioskScreen):
    """Personnel: every staff account; Entrée on one changes its role or classes."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Modifier"), back=N_("Retour"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")
    HEADING = N_("Comptes du personnel")

    def __init__(self) -> None:
        super().__init__()
        self.views: dict[str, StaffView] = {}

    def compose_body(self) -> ComposeResult:
        yield KioskTable(_("Identifiant"), _("Nom"), _("Rôle"), _("Classes"), _("État"), id="team")
        yield Static("", id="team-count", classes="note")
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("Ajouter un compte"), id="team-add", variant="primary")
            yield KioskButton(_("Désactiver ou réactiver"), id="team-toggle")
            yield KioskButton(_("RETOUR"), id="back-button")

    def on_mount(self) -> None:
        self.query_one("#team", KioskTable).focus()

    def on_screen_resume(self) -> None:
        """Shown first, or back from a change: the accounts read again."""
        self.reload()

    def reload(self) -> None:
        service = self.app.service
        self.call(staff_act, service, self.app.token, service.staff_accounts, then=self._show)

    def _show(self, views: list[StaffView]) -> None:
        self.views = {v.identifier: v for v in views}
        self.query_one("#team", KioskTable).fill([(v.identifier, staff_cells(v, self.app.settings.timezone)) for v in views])
        active = sum(v.active for v in views)
        # TRANSLATORS: « 3 comptes, 2 actifs. »
        accounts = _("{accounts}, {active}.").format(
            accounts=ngettext("{n} compte", "{n} comptes", len(views)).format(n=len(views)),
            active=ngettext("{n} actif", "{n} actifs", active).format(n=active))
        self.query_one("#team-count", Static).update(plain(
            accounts + " " + _("Entrée modifie le rôle ou les classes du compte choisi.")))

    def _current(self) -> StaffView | None:
        key = self.query_one("#team", KioskTable).current_key()
        return self.views.get(key) if key else None

    def submit(self) -> None:
        if (view := self._current()) is not None and not self.busy:
            self.app.push_screen(StaffMemberScreen(view))

    @on(DataTable.RowSelected, "#team")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#team-add")
    def _add(self) -> None:
        self.app.push_screen(StaffMemberScreen())

    @on(Button.Pressed, "#team-toggle")
    def _toggle(self) -> None:
        from .staff_actions import ConfirmScreen

        view = self._current()
        if view is None or self.busy:
            return
        service, token = self.app.service, self.app.token
        if not view.active:
            self.call(staff_act, service, token, service.enable_staff, view.identifier,
                      then=lambda _done: self.reload())
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.call(staff_act, service, token, service.disable_staff, view.identifier,
                          then=lambda _done: self.reload())

        self.app.push_screen(ConfirmScreen(
            _("Désactiver le compte {identifier}").format(identifier=view.identifier),
            _("Ce compte ne pourra plus se connecter et ses sessions ouvertes se terminent maintenant. Il pourra être "
              "réactivé ici."), _("DÉSACTIVER")), confirmed)


class StaffMemberScreen(KioskScreen):
    """A staff account: a new one (identifier, names, role, classes, password twice), or
    the role and classes of an existing one."""

    BINDINGS: ClassVar[list[BindingType]] = screen_keys(submit=N_("Enregistrer"), back=N_("Annuler"))

    BAND = N_("PERSONNEL DE L'ÉDUCATION NATIONALE")

    def __init__(self, view: StaffView | None = None) -> None:
        super().__init__()
        self.view = view

    @property
    def HEADING(self) -> str:  # type: ignore[override]
        return (_("Compte {identifier}").format(identifier=self.view.identifier) if self.view else
                _("Ajouter un compte du personnel"))

    def compose_body(self) -> ComposeResult:
        view = self.view
        if view is None:
            yield Field(_("identifiant*"), "identifier", max_length=80, placeholder=_("prenom.nom"))
            yield Field(_("prénom"), "first_name", max_length=120)
            yield Field(_("nom"), "last_name", max_length=120)
        with VerticalGroup(id="role-choice"):
            with HorizontalGroup(classes="field-row"):
                yield Static(_("rôle*"), classes="field-label")
                with KioskRadioSet(id="role"):
                    for role in ROLE_CHOICES:
                        yield KioskRadioButton(_(ROLE_LABELS[role]), value=role == (view.role if view else Role.TEACHER))
            yield Static("", id="role-hint", classes="field-hint")
            yield Static("", id="role-error", classes="field-error")
        yield Field(_("classes (enseignant)"), "classes", max_length=400, placeholder="3A, 3B",
                    value=", ".join(view.classes) if view else "")
        if view is None:
            yield PasswordField(_("mot de passe*"), "password", hint=staff_rule(*self.app.service.staff_password_bounds()))
            yield PasswordField(_("confirmation*"), "confirm")
        with HorizontalGroup(classes="buttons"):
            yield KioskButton(_("ENREGISTRER"), id="save", classes="submit", variant="primary")
            yield KioskButton(_("ANNULER"), id="cancel")

    def on_mount(self) -> None:
        self._role_hint()
        self.query_one("#identifier" if self.view is None else "#role").focus()

    def _role(self) -> Role:
        index = self.query_one("#role", RadioSet).pressed_index
        return ROLE_CHOICES[max(index, 0)]

    @on(RadioSet.Changed, "#role")
    def _role_hint(self) -> None:
        self.query_one("#role-hint", Static).update(plain(_(ROLE_HINTS[self._role()])))

    def show_error(self, error) -> None:
        """A role refused is said under the choice (it has no field of its own)."""
        from ...domain.errors import InvalidInput

        role_error = self.query_one("#role-error", Static)
        role_error.update(plain(error.errors.get("role", "")) if isinstance(error, InvalidInput) else "")
        super().show_error(error)

    @on(Button.Pressed, "#save")
    def submit(self) -> None:
        service, token = self.app.service, self.app.token
        # The classes typed count for a teacher only: the other roles see every class.
        classes = parse_classes(self.value("classes")) if self._role() == Role.TEACHER else []
        if self.view is None:
            self.call(staff_act, service, token, service.add_staff, self.value("identifier"), self.value("password"),
                      self.value("confirm"), role=self._role(), classes=classes, first_name=self.value("first_name"),
                      last_name=self.value("last_name"), then=self._saved)
        else:
            self.call(staff_act, service, token, service.set_staff, self.view.identifier, role=self._role(),
                      classes=classes, then=self._saved)

    def _saved(self, _result: object) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_back()
