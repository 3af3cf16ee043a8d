"""The guide's QR code is read back by a real decoder, from what is actually on screen.

Each terminal cell becomes two pixels (its top and bottom half) in the colour the
terminal would show there: the foreground for the half a block character covers, the
background otherwise (other characters count as their background). The image is
scaled up and handed to zxing-cpp with inversion off, so a light-on-dark code, a
missing quiet zone or theme colours would fail the test the way they would fail a
phone.

The Textual tests run the app with ``asyncio.run`` inside plain tests, so they need no
pytest plugin.
"""

from __future__ import annotations

import asyncio

import pytest
import zxingcpp
from PIL import Image
from rich.cells import cell_len
from rich.color import Color
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip

from entkiosk.config import Settings
from entkiosk.domain.clock import FixedClock
from entkiosk.ui.screens.guide import GuideScreen
from entkiosk.ui.widgets.qr import TOO_SMALL, QrCode, qr_matrix, to_half_blocks

URL = "https://ent.example.org/guide-eleves/"
SCALE = 8
TOP = "█▀"
BOTTOM = "█▄"
#: A terminal's own colours where a cell leaves them unset: light text on black.
DEFAULT_FG = (229, 229, 229)
DEFAULT_BG = (0, 0, 0)


# ------------------------------------------------------------------ images


def decode(image: Image.Image) -> list[str]:
    """Texts of the QR codes zxing-cpp reads in ``image`` (dark on light only)."""
    big = image.resize((image.width * SCALE, image.height * SCALE), Image.Resampling.NEAREST)
    found = zxingcpp.read_barcodes(big, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
    return [barcode.text for barcode in found]


def blocks_image(lines: list[str]) -> Image.Image:
    """Half-block text as black and white pixels, two per character."""
    image = Image.new("L", (max(map(len, lines)), 2 * len(lines)), 255)
    for y, line in enumerate(lines):
        for x, char in enumerate(line):
            if char in TOP:
                image.putpixel((x, 2 * y), 0)
            if char in BOTTOM:
                image.putpixel((x, 2 * y + 1), 0)
    return image


def _rgb(color: Color | None, default: tuple[int, int, int], foreground: bool) -> tuple[int, int, int]:
    if color is None or color.is_default:
        return default
    triplet = color.get_truecolor(foreground=foreground)
    return (triplet.red, triplet.green, triplet.blue)


def screen_image(strips: list[Strip]) -> Image.Image:
    """What the terminal shows for ``strips``, with each cell's two halves in their colours."""
    width = max(strip.cell_length for strip in strips)
    image = Image.new("RGB", (width, 2 * len(strips)), DEFAULT_BG)
    for y, strip in enumerate(strips):
        x = 0
        for segment in strip:
            if segment.control:
                continue
            style = segment.style or Style()
            fg = _rgb(style.color, DEFAULT_FG, True)
            bg = _rgb(style.bgcolor, DEFAULT_BG, False)
            if style.reverse:
                fg, bg = bg, fg
            for char in segment.text:
                for _ in range(cell_len(char)):
                    image.putpixel((x, 2 * y), fg if char in TOP else bg)
                    image.putpixel((x, 2 * y + 1), fg if char in BOTTOM else bg)
                    x += 1
    return image.convert("L")


def rendered(app: App) -> list[Strip]:
    """The lines Textual composed for the whole terminal (what the driver would write)."""
    return app.screen._compositor.render_strips()


def screen_text(app: App) -> str:
    return "\n".join(strip.text for strip in rendered(app))


# ------------------------------------------------------------------ pure helpers


def test_half_blocks_decode_to_the_url() -> None:
    matrix = qr_matrix(URL)
    lines = to_half_blocks(matrix, 4)
    side = len(matrix) + 8
    assert len(lines) == (side + 1) // 2
    assert {len(line) for line in lines} == {side}
    assert lines[0].strip() == lines[1].strip() == ""  # 4 light module rows on top
    assert all(line[:4] == line[-4:] == "    " for line in lines)
    assert decode(blocks_image(lines)) == [URL]


def test_matrix_is_square_without_quiet_zone() -> None:
    matrix = qr_matrix(URL)
    assert len(matrix) == 29  # version 3: 37 bytes at level M
    assert all(len(row) == 29 for row in matrix)
    assert matrix[0][:7] == [True] * 7  # finder pattern right at the edge: border=0


@pytest.mark.parametrize("quiet", [2, 3])
def test_narrower_quiet_zones_still_decode(quiet: int) -> None:
    assert decode(blocks_image(to_half_blocks(qr_matrix(URL), quiet))) == [URL]


# ------------------------------------------------------------------ the widget on screen


class QrApp(App[None]):
    def __init__(self, data: str, theme: str = "textual-dark") -> None:
        super().__init__()
        self.data = data
        self._theme_name = theme

    def compose(self) -> ComposeResult:
        yield QrCode(self.data)

    def on_mount(self) -> None:
        self.theme = self._theme_name


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_widget_on_screen_decodes_to_the_url(theme: str) -> None:
    async def run() -> None:
        app = QrApp(URL, theme)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            qr = app.query_one(QrCode)
            assert qr.quiet == 4
            assert qr.region.size == (29 + 8, (29 + 8 + 1) // 2)
            assert decode(screen_image(rendered(app))) == [URL]
            assert TOO_SMALL not in screen_text(app)

    asyncio.run(run())


def test_widget_shrinks_its_quiet_zone_before_giving_up() -> None:
    async def run() -> None:
        app = QrApp(URL)
        async with app.run_test(size=(34, 17)) as pilot:
            await pilot.pause()
            assert app.query_one(QrCode).quiet == 2
            assert decode(screen_image(rendered(app))) == [URL]

    asyncio.run(run())


@pytest.mark.parametrize("size", [(30, 10), (80, 12), (32, 24)])
def test_widget_too_small_shows_the_message(size: tuple[int, int]) -> None:
    async def run() -> None:
        app = QrApp(URL)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            qr = app.query_one(QrCode)
            assert qr.quiet is None
            assert qr.has_class("-too-small")
            text = screen_text(app)
            assert " ".join(text.split()) == TOO_SMALL
            assert not any(char in text for char in "█▀▄")

    asyncio.run(run())


def test_widget_follows_the_terminal_size() -> None:
    async def run() -> None:
        app = QrApp(URL)
        async with app.run_test(size=(30, 10)) as pilot:
            await pilot.pause()
            assert app.query_one(QrCode).quiet is None
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            assert app.query_one(QrCode).quiet == 4
            assert not app.query_one(QrCode).has_class("-too-small")
            assert decode(screen_image(rendered(app))) == [URL]

    asyncio.run(run())


# ------------------------------------------------------------------ the guide screen


class GuideOnlyApp(App[None]):
    """Just enough of the kiosk for GuideScreen: settings, and a two-line band.

    The band's height is the only outside rule the screen depends on; the kiosk's own
    stylesheet sets it (test_guide_screen_in_the_kiosk checks the real thing).
    """

    CSS = "#band { height: auto; }"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield from ()


def test_guide_screen_shows_a_readable_code_and_the_words() -> None:
    settings = Settings()

    async def run() -> None:
        app = GuideOnlyApp(settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(GuideScreen())
            await pilot.pause()
            assert isinstance(app.screen, GuideScreen)
            assert decode(screen_image(rendered(app))) == [settings.guide.url]
            text = screen_text(app)
            for words in ("VERSIONS DU GUIDE UTILISATEUR", "Version mobile du guide utilisateur",
                          "Contenu consultable", "Scenari Reader", settings.guide.url, "RETOUR"):
                assert words in text
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, GuideScreen)
            await app.push_screen(GuideScreen())
            await pilot.pause()
            await pilot.click("#back")
            await pilot.pause()
            assert not isinstance(app.screen, GuideScreen)

    asyncio.run(run())


def test_guide_url_is_shown_as_text_not_markup() -> None:
    settings = Settings()
    settings.guide.url = "https://ent.example.org/[b]guide[/b]?a=1&b=[red]2"

    async def run() -> None:
        app = GuideOnlyApp(settings)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(GuideScreen())
            await pilot.pause()
            assert settings.guide.url in screen_text(app)
            assert decode(screen_image(rendered(app))) == [settings.guide.url]

    asyncio.run(run())


def test_guide_screen_in_the_kiosk(settings: Settings, clock: FixedClock) -> None:
    from entkiosk.runtime import open_service
    from entkiosk.ui.app import make_app

    service = open_service(settings, clock=clock)

    async def run() -> None:
        app = make_app(settings, service, blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.push_screen(GuideScreen())
            await pilot.pause()
            assert isinstance(app.screen, GuideScreen)
            assert decode(screen_image(rendered(app))) == [settings.guide.url]
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, GuideScreen)

    try:
        asyncio.run(run())
    finally:
        service.engine.dispose()
