"""A QR code drawn with half blocks, black on white, sized to what the terminal allows.

Two QR rows share one terminal row (``▀`` top module, ``▄`` bottom module, ``█`` both),
and one module takes one column: a cell is about twice as tall as it is wide, so the
modules come out roughly square. The colours are explicit RGB (never the theme, never
the terminal's ANSI palette) so a phone reads the same code on a dark or a light theme,
and the white quiet zone is drawn by the widget itself: 4 modules when there is room,
down to 2. When even that does not fit, the widget says so in one French sentence
rather than showing a code no phone could read.
"""

from __future__ import annotations

from collections.abc import Sequence

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from rich.segment import Segment
from rich.style import Style
from textual.app import RenderResult
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from ...domain.i18n import N_, _

#: Shown instead of the code when the window is too small for a readable one.
TOO_SMALL = N_("Agrandissez la fenêtre pour afficher le QR code.")

#: The message wraps within this many columns, to leave room beside it.
MESSAGE_WIDTH = 24

#: Quiet zone in modules: the standard's 4 when possible, never below 2.
QUIET_ZONES = (4, 3, 2)

#: Dark modules on a light background, as truecolor so no palette can remap them.
QR_STYLE = Style(color="#000000", bgcolor="#ffffff")

_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of ``data``'s QR code (error correction M), without any quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def to_half_blocks(matrix: Sequence[Sequence[bool]], quiet: int) -> list[str]:
    """``matrix`` with a ``quiet``-module light margin, two rows per line of half blocks.

    A dark module is the foreground, a light one the background; an odd last row is
    completed with a light half row (a little more quiet zone at the bottom).
    """
    size = len(matrix)
    width = size + 2 * quiet
    light = [False] * width
    rows = [light] * quiet + [[False] * quiet + [bool(m) for m in row] + [False] * quiet for row in matrix]
    rows += [light] * quiet
    if len(rows) % 2:
        rows.append(light)
    return ["".join(_BLOCKS[top, bottom] for top, bottom in zip(upper, lower, strict=True))
            for upper, lower in zip(rows[::2], rows[1::2], strict=True)]


def code_size(modules: int, quiet: int) -> Size:
    """Cells taken by a code of ``modules`` modules with its quiet zone."""
    side = modules + 2 * quiet
    return Size(side, (side + 1) // 2)


class QrCode(Widget):
    """The QR code of ``data``, or a French sentence asking for a larger window."""

    DEFAULT_CSS = """
    QrCode {
        width: auto;
        height: auto;
    }
    QrCode.-too-small {
        color: $text-warning;
    }
    """

    def __init__(self, data: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._data = data
        self._matrix = qr_matrix(data)
        self._lines: tuple[int, list[Strip]] | None = None

    @property
    def data(self) -> str:
        return self._data

    @data.setter
    def data(self, data: str) -> None:
        self._data = data
        self._matrix = qr_matrix(data)
        self._lines = None
        self.refresh(layout=True)

    @property
    def modules(self) -> int:
        """Modules on a side of the code, quiet zone excluded."""
        return len(self._matrix)

    def quiet_for(self, width: int, height: int) -> int | None:
        """The widest quiet zone that fits ``width`` × ``height`` cells, or None if none does."""
        for quiet in QUIET_ZONES:
            need = code_size(self.modules, quiet)
            if need.width <= width and need.height <= height:
                return quiet
        return None

    @property
    def quiet(self) -> int | None:
        """The quiet zone drawn at the current size (None: the message is shown)."""
        width, height = self.content_size
        return self.quiet_for(width, height)

    # ------------------------------------------------------------ sizing

    @staticmethod
    def _available_height(container: Size, viewport: Size) -> int:
        # A container of auto height measures its children with a height of 0: the
        # terminal's height is then the best bound we have.
        return container.height if container.height > 0 else viewport.height

    def get_content_width(self, container: Size, viewport: Size) -> int:
        quiet = self.quiet_for(container.width, self._available_height(container, viewport))
        if quiet is None:
            return max(1, min(Content(_(TOO_SMALL)).get_optimal_width(self.styles, container.width),
                              MESSAGE_WIDTH, container.width))
        return code_size(self.modules, quiet).width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        quiet = self.quiet_for(width, self._available_height(container, viewport))
        if quiet is None:
            return Content(_(TOO_SMALL)).get_height(self.styles, max(width, 1))
        return code_size(self.modules, quiet).height

    # ------------------------------------------------------------ rendering

    def render(self) -> RenderResult:
        """What is shown when the code does not fit (the code itself is drawn line by line)."""
        return Content(_(TOO_SMALL))

    def on_resize(self) -> None:
        self.set_class(self.quiet is None, "-too-small")

    def render_line(self, y: int) -> Strip:
        quiet = self.quiet
        if quiet is None:
            return super().render_line(y)
        if self._lines is None or self._lines[0] != quiet:
            self._lines = (quiet, [Strip([Segment(line, QR_STYLE)]) for line in to_half_blocks(self._matrix, quiet)])
        lines = self._lines[1]
        width = self.content_size.width
        if y < len(lines):
            return lines[y].adjust_cell_length(width, self.visual_style.rich_style)
        return Strip.blank(width, self.visual_style.rich_style)
