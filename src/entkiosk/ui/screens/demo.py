"""The demo's letters (pupils and legal guardians) and staff account, readable while trying the kiosk (``entkiosk demo`` only).

Entrée on a student opens the student login with that letter's identifier and
provisional password filled in; « Console du personnel » opens the staff login with
the demo's staff account. Both are the real logins: only the typing is saved.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Button, DataTable, Input, Static

from ...domain.i18n import N_, _
from ..text import plain
from ..widgets.controls import KioskButton
from ..widgets.table import KioskTable
from .base import KioskScreen


class DemoLettersScreen(KioskScreen):
    BAND = N_("DÉMONSTRATION")
    HEADING = N_("Courriers de notification de la classe d'exemple")

    def compose_body(self) -> ComposeResult:
        yield Static(_("Entrée sur un élève ou un parent\u00a0: sa connexion s'ouvre, déjà saisie. Les mails "
                       "envoyés (codes)\u00a0: entkiosk outbox dans un autre terminal."),
                     classes="paragraph")
        yield KioskTable(_("Identifiant"), _("Mot de passe"), _("Né(e) le"), _("Élève"), id="letters")
        if self.app.demo_staff:
            identifier, password = self.app.demo_staff
            staff = (_("Console du personnel\u00a0: «\u00a0Se connecter\u00a0», profil «\u00a0Personnel "
                        "de l'Éducation Nationale\u00a0», identifiant {identifier}, mot de passe {password}")
                     .format(identifier=identifier, password=password))
            yield Static(plain(staff), id="demo-staff", classes="paragraph")
        with HorizontalGroup(classes="buttons"):
            if self.app.demo_staff:
                yield KioskButton(_("Console du personnel"), id="staff")
            yield KioskButton(_("RETOUR"), id="back", classes="submit", variant="primary")

    def on_mount(self) -> None:
        table = self.query_one("#letters", KioskTable)

        def who(letter) -> str:
            if letter.guardian:
                return _("parent de {children}").format(
                    children=", ".join(c.rsplit(" (", 1)[0] for c in letter.children))
            return f"{letter.first_name} {letter.last_name}"

        table.fill([(letter.identifier, [letter.identifier, letter.provisional_password,
                                         letter.birth_date.strftime("%d/%m/%Y") if letter.birth_date else "",
                                         who(letter)])
                    for letter in self.app.demo_letters])
        table.focus()

    @on(DataTable.RowSelected, "#letters")
    def _student(self, event: DataTable.RowSelected) -> None:
        event.stop()
        letter = next(x for x in self.app.demo_letters if x.identifier == event.row_key.value)
        if letter.guardian:
            self._log_in(False, letter.identifier, letter.provisional_password,
                         _("Démonstration\u00a0: {addressee}, parent de {children} — la date de "
                           "naissance d'un enfant est demandée à la première connexion. Appuyez sur Entrée.").format(
                             addressee=letter.addressee, children=self._children(letter)),
                         guardians=True)
            return
        born = letter.birth_date.strftime("%d/%m/%Y") if letter.birth_date else ""
        self._log_in(False, letter.identifier, letter.provisional_password,
                     _("Démonstration : {first_name} {last_name}, né(e) le {born} — la date de "
                       "naissance est demandée à la première connexion. Appuyez sur Entrée.").format(
                         first_name=letter.first_name, last_name=letter.last_name, born=born))

    @on(Button.Pressed, "#staff")
    def _staff(self) -> None:
        if self.app.demo_staff:
            self._log_in(True, *self.app.demo_staff,
                         _("Démonstration : le compte du personnel est saisi pour vous. "
                           "Appuyez sur Entrée."))

    def _children(self, guardian) -> str:
        """A guardian's children with their birth dates, read on the pupils' letters of the demo."""
        born = {f"{x.first_name} {x.last_name}": x.birth_date for x in self.app.demo_letters if not x.guardian}
        said = []
        for child in guardian.children:
            name = child.rsplit(" (", 1)[0]
            date = born.get(name)
            said.append(_("{name}, né(e) le {date}").format(name=name, date=f"{date:%d/%m/%Y}") if date else name)
        return " ; ".join(said)

    def _log_in(self, staff: bool, identifier: str, password: str, note: str, *, guardians: bool = False) -> None:
        """The real login screen in place of this one, its two fields typed, VALIDER focused."""
        from .login import LoginScreen

        login = (self.app.way_in(LoginScreen, guardians=True) if guardians
                 else self.app.way_in(LoginScreen, staff=staff))

        async def fill() -> None:
            await self.app.switch_screen(login)
            login.query_one("#identifier", Input).value = identifier
            login.query_one("#password", Input).value = password
            login.query_one("#validate", Button).focus()
            login.show_info(note)

        self.app.call_later(fill)

    def submit(self) -> None:
        """Entrée on a button presses it (on the table it chooses the student)."""
        if isinstance(self.focused, Button):
            self.focused.press()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.app.pop_screen()
