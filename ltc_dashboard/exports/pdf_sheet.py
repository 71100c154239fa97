"""The pre-consultation sheet as a PDF, made with reportlab.

The words are `sheet.summary_markdown`'s, unchanged (one sheet, three forms: Markdown, app and
PDF); this module lays that Markdown out on A4 (reading its backslash escapes back, so record text
shows as written and reaches reportlab's Paragraph markup only XML-escaped: a `<img src=...>` or
`<a href=...>` in a record is words, never a fetch or a link) and adds, at the end of each condition's section,
a trend chart per tracked measure (`ltc_dashboard/exports/pdf_charts.py`) with a sentence saying what it shows.

Fonts: DejaVu Sans when the system has it, else the Bitstream Vera that ships inside reportlab;
both have "µ" and "≤". A character the font lacks is written in an ASCII form rather than lost.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ltc_dashboard.exports import pdf_charts
from ltc_dashboard.summary.core import Summary
from ltc_dashboard.summary.sheet import summary_markdown
from ltc_dashboard.textsafe import markdown_line, plain

FAMILY = "LtcSans"
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = (
    {"": _DEJAVU / "DejaVuSans.ttf", "-Bold": _DEJAVU / "DejaVuSans-Bold.ttf",
     "-Italic": _DEJAVU / "DejaVuSans-Oblique.ttf", "-BoldItalic": _DEJAVU / "DejaVuSans-BoldOblique.ttf"},
    {"": "Vera.ttf", "-Bold": "VeraBd.ttf", "-Italic": "VeraIt.ttf", "-BoldItalic": "VeraBI.ttf"},
)
_ASCII = {"≤": "<=", "≥": ">=", "µ": "u", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
          "…": "...", "⁹": "^9", "¹": "1", "²": "2", "³": "3"}
_SHARES = {"Check": [0.34, 0.22, 0.22, 0.22], "Measure": [0.27, 0.21, 0.18, 0.34]}  # column widths by first header
# The sheet's inline Markdown, token by token: an escaped character, the ** of bold, an _ that can
# open or close italics (not inside a word), a pipe between table cells, or a run of other text.
_TOKEN = re.compile(r"\\(.)|(\*\*)|(?<![\w*\\])(_)(?=\S)|(?<=\S)(_)(?![\w*])|(\|)|([^\\*_|]+|.)", re.S)


def register_fonts() -> str:
    """Register the sheet's font family once; returns the name of the regular face."""
    if FAMILY in pdfmetrics.getRegisteredFontNames():
        return FAMILY
    bundled = Path(reportlab.__file__).parent / "fonts"
    for files in _FONT_FILES:
        paths = {suffix: Path(f) if Path(f).is_absolute() else bundled / f for suffix, f in files.items()}
        if all(p.exists() for p in paths.values()):
            break
    for suffix, path in paths.items():
        pdfmetrics.registerFont(TTFont(FAMILY + suffix, str(path)))
    pdfmetrics.registerFontFamily(FAMILY, normal=FAMILY, bold=FAMILY + "-Bold", italic=FAMILY + "-Italic",
                                  boldItalic=FAMILY + "-BoldItalic")
    return FAMILY


def font_text(text: str) -> str:
    """The text with any character the font cannot draw replaced by an ASCII form."""
    glyphs = pdfmetrics.getFont(FAMILY).face.charToGlyph
    return "".join(ch if ord(ch) in glyphs or ch in "\n\t" else _ASCII.get(ch, "?") for ch in text)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FAMILY, fontSize=10, leading=13.5, alignment=TA_LEFT, spaceAfter=4)
    return {
        "body": base,
        "h1": ParagraphStyle("h1", base, fontName=FAMILY + "-Bold", fontSize=17, leading=21, spaceAfter=8),
        "h2": ParagraphStyle("h2", base, fontName=FAMILY + "-Bold", fontSize=13, leading=16, spaceBefore=10,
                             spaceAfter=5),
        "item": ParagraphStyle("item", base, leftIndent=14, bulletIndent=2, spaceAfter=2),
        "notice": ParagraphStyle("notice", base, leftIndent=8, borderPadding=4, borderColor=colors.HexColor("#AE2573"),
                                 borderWidth=0.8, spaceBefore=4, spaceAfter=8),
        "cell": ParagraphStyle("cell", base, fontSize=9, leading=11.5, spaceAfter=0),
        "head": ParagraphStyle("head", base, fontName=FAMILY + "-Bold", fontSize=9, leading=11.5, spaceAfter=0),
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")),
    }


def inline(text: str) -> str:
    """The sheet's Markdown **bold** and _italic_ as reportlab markup; escaped characters (the
    sheet's record text) and everything else as XML-escaped text. An unpaired marker is text."""
    parts: list[str] = []
    opened: dict[str, int] = {}  # tag -> index in parts of its opening marker
    for match in _TOKEN.finditer(text):
        escaped, bold, opening, closing, pipe, other = match.groups()
        marker, tag = (bold, "b") if bold else (opening or closing, "i") if (opening or closing) else (None, None)
        if marker is None:
            parts.append(escape(font_text(escaped if escaped is not None else pipe or other)))
        elif tag in opened and (tag == "b" or closing):
            parts[opened.pop(tag)] = f"<{tag}>"
            parts.append(f"</{tag}>")
        elif tag == "b" or opening:
            opened[tag] = len(parts)
            parts.append(escape(marker))
        else:
            parts.append(escape(marker))
    for tag, at in sorted(opened.items(), key=lambda item: item[1], reverse=True):
        parts[at] = escape("**" if tag == "b" else "_")  # never closed: the marker was text
    return "".join(parts)


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells, split at pipes that are not escaped (the sheet escapes
    every pipe in record text)."""
    cells, current = [], []
    for match in _TOKEN.finditer(line.strip()):
        if match[5]:
            cells.append("".join(current))
            current = []
        else:
            current.append(match[0])
    cells.append("".join(current))
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return [c.strip() for c in cells]


def _table(lines: list[str], styles) -> Table:
    rows = [_cells(l) for l in lines if not set(l.replace("|", "").strip()) <= {"-", " ", ":"}]
    data = [[Paragraph(inline(c), styles["head" if i == 0 else "cell"]) for c in row] for i, row in enumerate(rows)]
    width = A4[0] - 36 * mm
    shares = _SHARES.get(rows[0][0], [1 / len(rows[0])] * len(rows[0]))
    table = Table(data, colWidths=[width * s for s in shares], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#768692")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EDEE")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _charts(view, styles) -> list:
    flowables = []
    for measure in view.measures:
        if pdf_charts.has_chart(measure):
            flowables.append(KeepTogether([
                Paragraph(inline(f"**{markdown_line(measure.plain_name[:1].upper() + measure.plain_name[1:])}**"),
                          styles["body"]),
                pdf_charts.measure_chart(measure, FAMILY, lambda text: font_text(plain(text))),
                Paragraph(inline(markdown_line(pdf_charts.describe(measure))), styles["small"]),
                Spacer(1, 4 * mm),
            ]))
    return flowables


def flowables(summary: Summary) -> list:
    """The sheet's Markdown as reportlab flowables, with each condition's charts after its tables."""
    styles = _styles()
    views = {font_text(markdown_line(v.title)): v for v in summary.conditions}  # as the sheet writes it
    out, table_lines, section = [], [], None

    def flush_table():
        if table_lines:
            out.append(_table(table_lines, styles))
            out.append(Spacer(1, 3 * mm))
            table_lines.clear()

    def end_section():
        if section in views:
            out.extend(_charts(views[section], styles))

    for raw in summary_markdown(summary).splitlines():
        line = raw.rstrip()
        if line.startswith("|"):
            table_lines.append(line)
            continue
        flush_table()
        if line.startswith("## "):
            end_section()
            section = font_text(line[3:])
            out.append(Paragraph(inline(line[3:]), styles["h2"]))
        elif line.startswith("# "):
            out.append(Paragraph(inline(line[2:]), styles["h1"]))
        elif line.startswith("- "):
            out.append(Paragraph(inline(line[2:]), styles["item"], bulletText="•"))
        elif (m := re.match(r"(\d+)\. (.*)", line)):
            out.append(Paragraph(inline(m[2]), styles["item"], bulletText=f"{m[1]}."))
        elif line.startswith("> "):
            out.append(Paragraph(inline(line[2:]), styles["notice"]))
        elif line == "---":
            out.append(HRFlowable(width="100%", thickness=0.5, color=colors.HexColor("#768692"),
                                  spaceBefore=6, spaceAfter=6))
        elif line:
            out.append(Paragraph(inline(line), styles["body"]))
    flush_table()
    end_section()
    return out


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(FAMILY, 8)
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
    canvas.restoreState()


def pdf_sheet(summary: Summary) -> bytes:
    """The pre-consultation sheet for one viewer and day as PDF bytes (the same bytes each time)."""
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=18 * mm,
        title="Appointment preparation sheet", author="Long-term condition dashboard", lang="en-GB",
        invariant=True,
    )
    doc.build(flowables(summary), onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()
