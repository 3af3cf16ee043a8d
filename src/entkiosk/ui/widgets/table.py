"""A list to choose from with the arrows, whose keys the footer names in French."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ..text import cell


class KioskTable(DataTable[Text], inherit_bindings=False):
    """A row-cursor table: ↑↓ choose a row, Entrée opens it (``RowSelected``).

    Cells are always shown as written (never read as markup). :meth:`fill` replaces
    the rows and keeps the cursor on the same key when it is still there, so a table
    refreshed every few seconds does not jump under the reader's eyes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Ouvrir", key_display="Entrée", id="table-open"),
        Binding("down", "cursor_down", "Choisir", key_display="↑↓", id="table-down"),
        Binding("up", "cursor_up", "Choisir", show=False, id="table-up"),
        Binding("pagedown", "page_down", "Page suivante", show=False, id="table-page-down"),
        Binding("pageup", "page_up", "Page précédente", show=False, id="table-page-up"),
        Binding("home", "scroll_top", "Début", show=False, id="table-home"),
        Binding("end", "scroll_bottom", "Fin", show=False, id="table-end"),
        Binding("left", "scroll_left", "Gauche", show=False, id="table-left"),
        Binding("right", "scroll_right", "Droite", show=False, id="table-right"),
    ]

    def __init__(self, *columns: str, **kwargs) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self._columns = columns

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def fill(self, rows: Sequence[tuple[str, Sequence[str]]]) -> None:
        """``rows`` as (key, cells); the cursor stays on its row when it can.

        Column widths are set here, from the cells, rather than measured by the table
        when it next has nothing to do: a table refilled behind a dialog (whose screen
        is not laid out again until the dialog closes) shows whole cells all the same.
        """
        current = self.current_key()
        self.clear()
        widths = [cell_len(str(column.label)) for column in self.ordered_columns]
        for key, cells in rows:
            texts = [cell(c) for c in cells]
            widths = [max(width, text.cell_len) for width, text in zip(widths, texts)] + widths[len(texts):]
            self.add_row(*texts, key=key)
        for column, width in zip(self.ordered_columns, widths):
            column.content_width = max(column.content_width, width)
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False, scroll=True)

    def current_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value


class ReadOnlyTable(KioskTable):
    """A list to read with the arrows, with nothing in it to open (Entrée is not offered)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "select_cursor"
