"""The demo's letters, readable while trying the kiosk (``entkiosk demo`` only)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, DataTable, Static

from ..text import cell
from ..widgets.controls import KioskButton
from .base import KioskScreen


class DemoLettersScreen(KioskScreen):
    BAND = "DÉMONSTRATION"
    HEADING = "Courriers de notification de la classe d'exemple"

    def compose_body(self) -> ComposeResult:
        yield Static("Choisissez un élève : identifiant, mot de passe provisoire et date de naissance "
                     "servent à la première connexion. Les mails envoyés (codes) se lisent dans un autre "
                     "terminal avec : entkiosk outbox", classes="paragraph")
        table: DataTable[str] = DataTable(id="letters", cursor_type="row", zebra_stripes=True)
        table.add_columns("Identifiant", "Mot de passe", "Né(e) le", "Élève")
        for letter in self.app.demo_letters:
            born = letter.birth_date.strftime("%d/%m/%Y") if letter.birth_date else ""
            table.add_row(cell(letter.identifier), cell(letter.provisional_password), cell(born),
                          cell(f"{letter.first_name} {letter.last_name}"))
        yield table
        yield KioskButton("RETOUR", id="back", classes="submit", variant="primary")

    @on(Button.Pressed, "#back")
    def submit(self) -> None:
        self.app.pop_screen()
