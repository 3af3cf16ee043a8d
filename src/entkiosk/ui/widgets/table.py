"""A list to choose from with the arrows, whose keys the footer names in French.

Tables fit their width: at 80 columns, a list of long names is not cut at its last
columns (a deadline, a state) but in its widest cells, which end in « … ».
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ..text import cell

#: Below this, a cell cut short says too little: the table scrolls sideways instead.
NARROWEST = 6


def fit_widths(natural: Sequence[int], floors: Sequence[int], room: int) -> list[int]:
    """Column widths within ``room`` cells: the widest columns give way first, evenly,
    down to their floor (their heading's width, at most the natural width); the narrow
    ones keep theirs. Floors that do not fit are kept all the same (the table scrolls)."""
    if sum(natural) <= room:
        return list(natural)
    floors = [min(width, floor) for width, floor in zip(natural, floors)]
    low, high = max(floors, default=0), max(natural, default=0)
    # The highest level L at which min(natural, max(floor, L)) fits.
    def total(level: int) -> int:
        return sum(min(width, max(floor, level)) for width, floor in zip(natural, floors))
    level = 0
    while low <= high:
        middle = (low + high) // 2
        if total(middle) <= room:
            level, low = middle, middle + 1
        else:
            high = middle - 1
    return [min(width, max(floor, level)) for width, floor in zip(natural, floors)]


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
        self._rows: list[tuple[str, Sequence[str]]] = []
        self._fitted_for = 0

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def fill(self, rows: Sequence[tuple[str, Sequence[str]]]) -> None:
        """``rows`` as (key, cells); the cursor stays on its row when it can.

        Column widths are set here, from the cells and the table's width, rather than
        measured by the table when it next has nothing to do: a table refilled behind a
        dialog (whose screen is not laid out again until the dialog closes) shows whole
        cells all the same. A cell wider than its column ends in « … ».
        """
        self._rows = list(rows)
        self._fitted_for = self.size.width
        current = self.current_key()
        self.clear()
        columns = self.ordered_columns
        labels = [cell_len(str(column.label)) for column in columns]
        texts = [[cell(c) for c in cells] for _key, cells in self._rows]
        natural = list(labels)
        for row in texts:
            natural = [max(width, text.cell_len) for width, text in zip(natural, row)] + natural[len(row):]
        widths = fit_widths(natural, [max(label, NARROWEST) for label in labels], self._room())
        for (key, _cells), row in zip(self._rows, texts):
            for text, width in zip(row, widths):
                if text.cell_len > width:
                    text.truncate(width, overflow="ellipsis")
            self.add_row(*row, key=key)
        for column, width in zip(columns, widths):
            column.content_width = width
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False, scroll=True)

    def _room(self) -> int:
        """The cells' width the table has for its columns' contents (its scrollbar kept
        aside: a long list shows one); unbounded before the table is first laid out."""
        width = self.size.width - self.styles.scrollbar_size_vertical
        return width - 2 * self.cell_padding * len(self.ordered_columns) if self.size.width else 10**6

    def on_resize(self, event: events.Resize) -> None:
        """A new width (the terminal grew or shrank): the same rows, fitted again."""
        if self._rows and event.size.width != self._fitted_for:
            self._fitted_for = event.size.width
            self.fill(self._rows)

    def current_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value


class ReadOnlyTable(KioskTable):
    """A list to read with the arrows, with nothing in it to open (Entrée is not offered)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "select_cursor"
