"""A list to choose from with the arrows, whose keys the footer names in French.

Tables fit their width: at 80 columns, a list of long names is not cut at its last
columns (a deadline, a state) but in its widest cells, which end in « … » (an
identifier loses its middle, not its end: ``julie.baillet1`` stays told apart from
``julie.baillet2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ...domain.i18n import N_, _
from ..text import cell

#: Below this, a cell cut short says too little: the table scrolls sideways instead.
NARROWEST = 6

#: For the lists of pupils: the name keeps 20 cells (a surname and the start of a first
#: name) before the identifier gives way, which then loses its middle.
NAME_FIRST = {"keep": {N_("Élève"): 20}, "cut_middle": (N_("Identifiant"),)}


def fit_widths(natural: Sequence[int], floors: Sequence[int], room: int) -> list[int]:
    """Column widths within ``room`` cells: the widest columns give way first, evenly,
    down to their floor (their heading's width, at most the natural width); the narrow
    ones keep theirs. Floors that do not fit are kept all the same (the table scrolls)."""
    if sum(natural) <= room:
        return list(natural)
    floors = [min(width, floor) for width, floor in zip(natural, floors)]

    def total(level: int) -> int:
        return sum(min(width, max(floor, level)) for width, floor in zip(natural, floors))

    # The highest level L at which min(natural, max(floor, L)) fits.
    low, high, level = 0, max(natural, default=0), 0
    while low <= high:
        middle = (low + high) // 2
        if total(middle) <= room:
            level, low = middle, middle + 1
        else:
            high = middle - 1
    return [min(width, max(floor, level)) for width, floor in zip(natural, floors)]


def shorten(text: Text, width: int, *, middle: bool = False) -> Text:
    """``text`` within ``width`` cells, ending in « … » (or with « … » in its middle)."""
    if text.cell_len <= width:
        return text
    if not middle or width < 5:
        text.truncate(width, overflow="ellipsis")
        return text
    tail = (width - 1) // 2
    head = width - 1 - tail
    return Text.assemble(text[:head], "…", text[len(text) - tail:], no_wrap=True)


class KioskTable(DataTable[Text], inherit_bindings=False):
    """A row-cursor table: ↑↓ choose a row, Entrée opens it (``RowSelected``).

    Cells are always shown as written (never read as markup). :meth:`fill` replaces
    the rows and keeps the cursor on the same key when it is still there, so a table
    refreshed every few seconds does not jump under the reader's eyes.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", N_("Ouvrir"), key_display=N_("Entrée"), id="table-open"),
        Binding("down", "cursor_down", N_("Choisir"), key_display="↑↓", id="table-down"),
        Binding("up", "cursor_up", N_("Choisir"), show=False, id="table-up"),
        Binding("pagedown", "page_down", N_("Page suivante"), show=False, id="table-page-down"),
        Binding("pageup", "page_up", N_("Page précédente"), show=False, id="table-page-up"),
        Binding("home", "scroll_top", N_("Début"), show=False, id="table-home"),
        Binding("end", "scroll_bottom", N_("Fin"), show=False, id="table-end"),
        Binding("left", "scroll_left", N_("Gauche"), show=False, id="table-left"),
        Binding("right", "scroll_right", N_("Droite"), show=False, id="table-right"),
    ]

    def __init__(self, *columns: str, keep: dict[str, int] | None = None, cut_middle: Sequence[str] = (),
                 wrap: Sequence[str] = (), **kwargs) -> None:
        """``keep``: the width a column keeps before the others give way (the pupil's name);
        ``cut_middle``: the columns whose cells lose their middle (identifiers); ``wrap``:
        the columns whose long cells go on over several lines instead (a reason to read)."""
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self._columns = columns
        # Columns are named as shown (translated by the screen), or in French (``N_``): both match.
        self._keep = {**(keep or {}), **{_(name): width for name, width in (keep or {}).items()}}
        self._cut_middle = frozenset(cut_middle) | {_(name) for name in cut_middle}
        self._wrap = frozenset(wrap) | {_(name) for name in wrap}
        self._rows: list[tuple[str, Sequence[str]]] = []
        self._fitted_for = 0

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    def fill(self, rows: Sequence[tuple[str, Sequence[str]]]) -> None:
        """``rows`` as (key, cells); the cursor stays on its row when it can.

        Column widths are set here, from the cells and the table's width, rather than
        measured by the table when it next has nothing to do: a table refilled behind a
        dialog (whose screen is not laid out again until the dialog closes) shows whole
        cells all the same. A cell wider than its column ends in « … », or goes on over
        the next lines in a ``wrap`` column.
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
        floors = [max(width, NARROWEST, self._keep.get(str(column.label), 0))
                  for width, column in zip(labels, columns)]
        widths = fit_widths(natural, floors, self._room())
        middle = [str(column.label) in self._cut_middle for column in columns]
        wraps = [str(column.label) in self._wrap for column in columns]
        for (key, _cells), row in zip(self._rows, texts):
            tall = any(wrap and text.cell_len > width for text, width, wrap in zip(row, widths, wraps))
            for text, wrap in zip(row, wraps):
                text.no_wrap = not wrap
            self.add_row(*(text if wrap else shorten(text, width, middle=cut)
                           for text, width, cut, wrap in zip(row, widths, middle, wraps)),
                         key=key, height=None if tall else 1)
        for column, width, wrap in zip(columns, widths, wraps):
            column.content_width = width
            if wrap:  # a fixed width, for the table to wrap the cell within it
                column.auto_width, column.width = False, width
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
