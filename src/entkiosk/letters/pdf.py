"""The notification letter as a printable PDF: one A4 page per student.

Laid out like the guide's example letter: the establishment top left, place and date
then the student top right (where a window envelope shows it), the template's wording,
the head's signature line bottom right and a QR code of the services address bottom
left. Text is real text in the bundled DejaVu Sans, so any name prints and the letter
can be searched; the QR code is ``qrcode``'s matrix as a 1-bit image, stored once in
the file and placed on every page.

Nothing a user typed can push text off the page: establishment and student fields are
wrapped within their column, then made smaller, then cut with « … »; the wording is
made smaller as a whole until the page holds it. Only a template far too long for a
page even at 60 % spills onto a second page rather than losing words.
"""

from __future__ import annotations

import re

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain import i18n
from .content import LetterContent, Wording, letter_content
from ..domain.i18n import N_, _
from ..domain.letter_template import LetterTemplate

if TYPE_CHECKING:
    from fpdf import FPDF
    from PIL import Image

    from ..config import Settings
    from ..domain.letter import IssuedLetter

log = logging.getLogger(__name__)

TITLE = N_("Courriers de notification")
QR_CAPTION = N_("Flashez pour accéder aux services")
FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"

# Page geometry, in millimetres (A4 portrait).
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT_MARGIN, TOP, BOTTOM = 20.0, 20.0, 16.0, 15.0
CONTENT_W = PAGE_W - LEFT - RIGHT_MARGIN
HEADER_W = 90.0  # establishment block
RIGHT_X = 115.0  # place and date, student, signature
RIGHT_W = PAGE_W - RIGHT_MARGIN - RIGHT_X
STUDENT_Y = 48.0  # where a window envelope shows the student block
#: Window envelopes with the window on the right, 45 × 100 mm: a DL (110 × 220 mm, the A4
#: folded in three) has it 15 mm from the bottom and about 20 mm from the right edge, so
#: 50 to 95 mm from the top of the page and 95 to 195 mm across; a C5 (162 × 229 mm, the A4
#: folded in two) has it 65 mm from the bottom (52 to 97 mm down) and 12 to 20 mm from its
#: right edge (99 to 207 mm across, the page centred). A guardian's name and address are set
#: where every one of these windows shows them.
WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H = 110.0, 54.0, 82.0, 38.0
HEADER_MAX_BOTTOM = 90.0  # the establishment block ends above this
KEY_INDENT = 10.0

# Type sizes (points) and the line height as a multiple of the size.
HEADER_MIN_PT = 7.0
HEADER_PT, STUDENT_PT, BODY_PT, FOOTNOTE_PT, CAPTION_PT = 9.5, 11.0, 10.5, 8.5, 7.5
LEADING = 1.4
PARAGRAPH_GAP = 3.2  # mm between paragraphs, at full size
PT = 25.4 / 72  # one point in millimetres
MIN_SCALE = 0.6
PROGRESS_EVERY = 25

# QR code: dark modules about 28 mm wide; a quiet zone of 4 modules around them.
QR_SIZE = 28.0
QR_QUIET_MODULES = 4


@dataclass(frozen=True, slots=True)
class Run:
    """One line of text at its place: ``y`` is the top of the line box."""

    x: float
    y: float
    text: str
    style: str
    size: float
    link: str = ""


class _Writer:
    """Measures and wraps text in the bundled fonts (widths cached per word)."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self._widths: dict[tuple[str, str], float] = {}
        self._font: tuple[str, float] | None = None

    def use(self, style: str, size: float) -> None:
        if self._font != (style, size):
            self.pdf.set_font(FAMILY, style, size)
            self._font = (style, size)

    def width(self, text: str, style: str, size: float) -> float:
        """Width in mm of ``text`` at ``size`` points."""
        key = (style, text)
        unit = self._widths.get(key)
        if unit is None:
            self.use(style, 10.0)
            unit = self.pdf.get_string_width(text) / 10.0
            self._widths[key] = unit
        return unit * size

    def wrap(self, text: str, width: float, style: str, size: float) -> list[str]:
        """``text`` in lines no wider than ``width``; a word too long is cut after a hyphen,
        else between letters."""
        lines: list[str] = []
        current: list[str] = []
        used = 0.0
        space = self.width(" ", style, size)
        # Lines break at ordinary spaces only: a non-breaking one keeps « Identifiant : » whole.
        for word in re.split(r"[^\S\u00a0\u202f]+", text.strip()):
            if not word:
                continue
            w = self.width(word, style, size)
            if current and used + space + w <= width:
                current.append(word)
                used += space + w
                continue
            if current:
                lines.append(" ".join(current))
                current, used = [], 0.0
            while w > width:
                head = self._longest_prefix(word, width, style, size)
                # A long hyphenated name goes on after one of its hyphens (one not too early in the line).
                hyphen = head.rfind("-") + 1
                head = head[:hyphen] if hyphen > len(head) // 2 else head
                lines.append(head)
                word = word[len(head):]
                w = self.width(word, style, size)
            current, used = [word], w
        if current:
            lines.append(" ".join(current))
        return lines or [""]

    def _longest_prefix(self, word: str, width: float, style: str, size: float) -> str:
        low, high = 1, len(word)
        while low < high:
            mid = (low + high + 1) // 2
            if self.width(word[:mid], style, size) <= width:
                low = mid
            else:
                high = mid - 1
        return word[:low]

    def fit(self, text: str, width: float, style: str, size: float, max_lines: int,
            min_size: float) -> tuple[list[str], float]:
        """``text`` wrapped in at most ``max_lines``: smaller type first, then cut with « … »."""
        while True:
            lines = self.wrap(text, width, style, size)
            if len(lines) <= max_lines or size <= min_size:
                break
            size = max(min_size, size - 0.5)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            last = lines[-1]
            while last and self.width(last + "…", style, size) > width:
                last = last[:-1]
            lines[-1] = last.rstrip() + "…"
        return lines, size


def _line_height(size: float) -> float:
    return size * PT * LEADING


def _block(writer: _Writer, x: float, y: float, fields: Iterable[tuple[str, str, float, int]],
           width: float, min_size: float) -> tuple[list[Run], float]:
    """Stacked fields ``(text, style, size, max_lines)`` from ``y``; returns runs and the bottom."""
    runs: list[Run] = []
    for text, style, size, max_lines in fields:
        if not text:
            continue
        lines, size = writer.fit(text, width, style, size, max_lines, min_size)
        for line in lines:
            runs.append(Run(x, y, line, style, size))
            y += _line_height(size)
    return runs, y


@dataclass(frozen=True, slots=True)
class _Qr:
    """The QR code of the services address: a 1-bit image, one pixel per module."""

    image: Image.Image
    module: float  # mm


@lru_cache(maxsize=8)
def _qr(url: str) -> _Qr:
    import qrcode
    from PIL import Image
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    # One image for the whole file: fpdf2 stores an image once and every page only
    # names it, where vector squares were repeated on each of thousands of pages.
    # Mode "1" is a bilevel image, black where ``matrix`` is true; its dictionary has no
    # /Interpolate, so viewers and printers scale it up without smoothing, modules sharp.
    image = Image.new("1", (len(matrix), len(matrix)), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    return _Qr(image, QR_SIZE / len(matrix))


@dataclass(frozen=True, slots=True)
class _Header:
    """What is the same on every page: the establishment block and the bottom band."""

    runs: tuple[Run, ...]
    bottom: float
    qr: _Qr | None
    qr_top: float  # top of the QR code's quiet zone: the wording stays above it
    caption: tuple[Run, ...]
    url: str


def _header(writer: _Writer, content: LetterContent) -> _Header:
    # Long fields wrap in the column; a block too tall is set smaller as a whole, and
    # only at the smallest size is a field cut (with « … ») to a few lines.
    fields = [(content.academy, "B", 2), (content.establishment, "B", 4)]
    fields += [(line, "", 3) for line in content.address_lines[:6]]
    fields += [(_("Tél : {phone}").format(phone=content.phone) if content.phone else "", "", 2),
               (_("Mail : {email}").format(email=content.email) if content.email else "", "", 2)]
    size = HEADER_PT
    while True:
        cut = size <= HEADER_MIN_PT
        runs, bottom = _block(writer, LEFT, TOP, [(text, style, size, most if cut else 99)
                                                  for text, style, most in fields], HEADER_W, size)
        if bottom <= HEADER_MAX_BOTTOM or cut:
            break
        size = max(HEADER_MIN_PT, size - 0.5)
    qr = _qr(content.services_url) if content.services_url else None
    caption: list[Run] = []
    qr_top = PAGE_H - BOTTOM
    if qr is not None:
        lines = writer.wrap(_(QR_CAPTION), QR_SIZE + 30, "", CAPTION_PT)
        y = PAGE_H - BOTTOM - len(lines) * _line_height(CAPTION_PT)
        caption = [Run(LEFT, y + i * _line_height(CAPTION_PT), line, "", CAPTION_PT) for i, line in enumerate(lines)]
        quiet = QR_QUIET_MODULES * qr.module
        qr_top = y - quiet - QR_SIZE - quiet
    return _Header(tuple(runs), bottom, qr, qr_top, tuple(caption), content.services_url)


def _body(writer: _Writer, template: LetterTemplate, content: LetterContent, scale: float,
          top: float) -> tuple[list[Run], float]:
    runs: list[Run] = []
    y = top
    for number, paragraph in enumerate(template.paragraphs):
        if number:
            y += PARAGRAPH_GAP * scale
        for line in paragraph.lines:
            text = line.fill(content.values)
            if line.kind == "key":
                size, style, x = BODY_PT * scale, "B", LEFT + KEY_INDENT * scale
            else:
                size = (FOOTNOTE_PT if paragraph.footnote else BODY_PT) * scale
                style, x = "", LEFT
            link = content.services_url if line.kind == "key" and content.services_url and \
                text == content.services_url else ""
            for piece in writer.wrap(text, LEFT + CONTENT_W - x, style, size):
                runs.append(Run(x, y, piece, style, size, link))
                y += _line_height(size)
    return runs, y


def _page(writer: _Writer, header: _Header, template: LetterTemplate,
          content: LetterContent) -> tuple[list[Run], list[Run], list[Run]]:
    """The runs of one letter: fixed (place, student), wording, signature."""
    place, y = _block(writer, RIGHT_X, TOP, [(content.place_and_date, "", 10.0, 2)], RIGHT_W, 7.0)
    if content.postal:
        student, y = _window(writer, content.postal)
        y = max(y, WINDOW_Y + WINDOW_H + 2.0)  # nothing else shows through the window
    else:
        # Up to 6 lines for the name: two names of 120 characters (the import's limit) fit whole
        # at the smallest size, rather than lose the last name to « … ».
        student, y = _block(writer, RIGHT_X, max(y + 6.0, STUDENT_Y),
                        [(content.student, "B", STUDENT_PT, 6),
                         (_("Classe : {class_name}").format(class_name=content.class_name) if content.class_name
                          else "", "", 10.0, 3),
                         (content.born, "", 10.0, 1)],
                            RIGHT_W, 7.0)
    top = max(header.bottom, y) + 12.0
    scale = 1.0
    while True:
        body, end = _body(writer, template, content, scale, top)
        signature, sig_end = _block(writer, RIGHT_X, end + 10.0 * scale,
                                    [(line, "", 10.0 * scale, 2) for line in content.head_lines], RIGHT_W, 6.0)
        if (end <= header.qr_top - 2.0 and sig_end <= PAGE_H - BOTTOM) or scale <= MIN_SCALE:
            return [*place, *student], body, signature
        scale = round(scale - 0.05, 2)


def _window(writer: _Writer, lines: tuple[str, ...]) -> tuple[list[Run], float]:
    """A guardian's name (bold) and postal lines, one line each, inside the envelope's
    window: set smaller until they fit (at most 7 lines: AFNOR's 6 and the country)."""
    size = STUDENT_PT
    while True:
        runs: list[Run] = []
        y = WINDOW_Y
        for number, line in enumerate(lines[:7]):
            style = "B" if number == 0 else ""
            text = writer.fit(line, WINDOW_W, style, size, 1, size)[0][0]
            runs.append(Run(WINDOW_X, y, text, style, size))
            y += _line_height(size)
        if y <= WINDOW_Y + WINDOW_H or size <= 7.0:
            return runs, y
        size -= 0.5


def render_pdf(letters: Sequence[IssuedLetter], settings: Settings,
               progress: Callable[[int, int], None] | None = None) -> bytes:
    """The letters as one PDF, one A4 page each; ``progress(done, total)`` as pages are laid out."""
    return bytes(render_pdf_buffer(letters, settings, progress))


def render_pdf_buffer(letters: Sequence[IssuedLetter], settings: Settings,
                      progress: Callable[[int, int], None] | None = None) -> bytearray:
    """As :func:`render_pdf`, in fpdf2's own output buffer: a file of thousands of letters
    is written from there without a second copy of it in memory."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(LEFT, TOP, RIGHT_MARGIN)
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    # Metadata is read by anyone the file reaches: it names the document, never a student.
    pdf.set_title(_(TITLE))
    pdf.set_author(settings.establishment.name)
    pdf.set_creator("entkiosk")
    pdf.set_lang("fr")
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(0, 0, 0)
    writer = _Writer(pdf)
    wording = Wording(settings)
    total = len(letters)
    headers: dict[str, _Header] = {}  # one per language: its labels (« Tél : ») and the QR code's caption
    for done, letter in enumerate(letters, start=1):
        language = wording.language(letter)
        with i18n.speaking(language):  # each letter in its own language
            content = letter_content(letter, settings)
            header = headers.get(language) or headers.setdefault(language, _header(writer, content))
            pdf.add_page()
            _draw(pdf, writer, header, *_page(writer, header, wording.template(letter, language), content))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    if not letters and progress is not None:
        progress(0, 0)
    _quiet_fpdf_glyph_warning()
    data = pdf.output()
    missing = sorted({chr(code) for font in pdf.fonts.values() for code in getattr(font, "missing_glyphs", ())})
    if missing:
        # Staff read this (on the command line, or in the kiosk's log): in French.
        log.warning("Courriers : caractères absents de la police, imprimés comme des cases vides : %s",
                    " ".join(missing[:20]) + (" …" if len(missing) > 20 else ""))
    return data


class _GlyphWarningFilter(logging.Filter):
    """fpdf2's own (English) warning about missing glyphs; :func:`render_pdf` says it in French."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is missing the following glyphs" not in str(record.msg)


def _quiet_fpdf_glyph_warning() -> None:
    logger = logging.getLogger("fpdf.output")
    if not any(isinstance(f, _GlyphWarningFilter) for f in logger.filters):
        logger.addFilter(_GlyphWarningFilter())


def _draw(pdf: FPDF, writer: _Writer, header: _Header, fixed: list[Run], body: list[Run],
          signature: list[Run]) -> None:
    # The wording stays above the QR code; the signature, on the right, may go beside it.
    flow = [(run, header.qr_top - 2.0) for run in body] + [(run, PAGE_H - BOTTOM) for run in signature]
    overflows = any(run.y + _line_height(run.size) > limit + 0.01 for run, limit in flow)
    # Drawn in reading order, the order text is extracted (and read aloud) in: the QR
    # code's caption comes last, unless the wording goes on overleaf.
    for run in (*header.runs, *fixed):
        _text(pdf, writer, run, run.y)
    if overflows:
        _draw_qr(pdf, writer, header)
    shift, overleaf = 0.0, False
    for run, limit in flow:
        y = run.y - shift
        if y + _line_height(run.size) > (PAGE_H - BOTTOM if overleaf else limit) + 0.01:
            # Only a template too long even at the smallest size gets here: go on overleaf
            # rather than lose words.
            pdf.add_page()
            shift, overleaf, y = run.y - TOP, True, TOP
        _text(pdf, writer, run, y)
    if not overflows:
        _draw_qr(pdf, writer, header)


def _draw_qr(pdf: FPDF, writer: _Writer, header: _Header) -> None:
    if header.qr is None:
        return
    x0, y0 = LEFT, header.qr_top + QR_QUIET_MODULES * header.qr.module
    pdf.image(header.qr.image, x0, y0, QR_SIZE, QR_SIZE, link=header.url)
    for run in header.caption:
        _text(pdf, writer, run, run.y)


def _text(pdf: FPDF, writer: _Writer, run: Run, y: float) -> None:
    writer.use(run.style, run.size)
    pdf.text(run.x, y + run.size * PT * ((LEADING - 1) / 2 + 0.8), run.text)  # baseline
    if run.link:
        pdf.link(run.x, y, writer.width(run.text, run.style, run.size), _line_height(run.size), run.link)
