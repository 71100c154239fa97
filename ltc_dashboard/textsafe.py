"""Record text shown as text: one function per medium (issue 13 item 9).

Whatever comes from a record or from the person (a name, a letter's title, a medicine and its
dosage, a goal, a care plan, a result's name, value or note, their own questions and notes) is
data, never markup. Markdown image syntax in it made the browser fetch a remote address (a
tracking pixel), and a right-to-left override reversed the text around it. Every medium that
shows such text calls the one function here for it:

* `plain`: every medium, first. Bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
  U+061C), zero-width and other invisible format characters (U+200B-U+200D, U+2060-U+2064,
  U+FEFF, tag characters) and control characters other than tab and line feed are removed, so
  nothing reorders, hides or smuggles what is shown; line ends become "\\n".
* `markdown` / `markdown_line`: Streamlit's Markdown (st.markdown, st.write, captions, alerts,
  headings, widget and expander labels, st.table cells, which all read Markdown) and the Markdown
  sheet: every punctuation character Markdown gives a meaning to (in one line only, for
  `markdown_line`) is backslash-escaped (CommonMark section 2.4), so no emphasis, link, image, HTML, table pipe, heading or maths survives.
* `xml`: reportlab Paragraph markup (the PDF) and the HTML subset plotly draws in hover text
  and titles.
* `csv_cell`: a spreadsheet cell; one that begins like a formula (=, +, -, @, tab, CR) is
  prefixed with an apostrophe, so a spreadsheet shows it instead of running it (=IMAGE(...) would
  fetch a remote address).
* `name_problem`: a typed name (a carer's, on a request the practice acts on) must hold at least
  one letter and none of the invisible "filler" letters that draw as blank (U+3164 Hangul filler,
  U+2800 braille blank, U+034F, variation selectors...; none is White_Space, so strip() keeps
  them) nor anything `plain` removes: one rule wherever a name is typed.
* `json_text`: JSON written to a file (FHIR exports): the characters `plain` removes are written
  as \\u escapes instead, so the data stays exact and an editor showing it cannot be fooled.

Pure functions, no imports from the project: pages (through pages/ui.py and pages/text.py),
ltc_dashboard/summary/sheet.py and ltc_dashboard/exports/ all use them.
"""

from __future__ import annotations

import json
import re

# Removed from shown text: C0 controls except tab and line feed, DEL and C1 controls; soft
# hyphen; Arabic letter mark; Mongolian vowel separator; zero-width space, non-joiner and joiner;
# left-to-right and right-to-left marks; embeddings, overrides and their pop; word joiner and the
# invisible operators; isolates and the deprecated format characters; byte order mark; interlinear
# annotation characters; tag characters.
_INVISIBLE = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_LINE_ENDS = re.compile("\r\n|[\r\u2028\u2029\x85]")
# The ASCII punctuation Markdown (CommonMark and GFM) gives a meaning to, with "=" (a setext
# heading's underline); each escapes to itself. Two more are escaped only where they mean
# something: "&" starting a character reference ("&#8238;" is a right-to-left override), and ":"
# starting one of Streamlit's shortcodes (":material/home:", ":smile:").
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=]|&(?=#?\w+;)|:(?=[\w+/-]+:))")
# What can mean something inside one line (a table cell, a label, a heading's words): emphasis,
# code, links and images, HTML, strikethrough, maths, table pipes, references, shortcodes.
_INLINE = re.compile(r"([\\`*_\[\]!<>~$|]|&(?=#?\w+;)|:(?=[\w+/-]+:))")
# A line that would start a block (heading, quote, list, setext underline): its marker escaped.
_BLOCK_START = re.compile(r"^(\s*)(?=#{1,6}(?:\s|$)|>|[-+](?:\s|$)|\d{1,9}[.)](?:\s|$)|[-=](?:\s*[-=]){2,}\s*$)(\d*)(.)")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_XML_RE = re.compile("[&<>\"']")
# Characters that draw as nothing (or blank) yet are not White_Space and not format characters:
# Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), combining grapheme joiner (U+034F), Khmer
# inherent vowels (U+17B4, U+17B5), Mongolian variation selectors (U+180B-U+180F), braille blank
# (U+2800), variation selectors (U+FE00-U+FE0F, U+E0100-U+E01EF), and the invisible the
# `_INVISIBLE` set already removes from shown text.
_FILLER_RE = re.compile(f"[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\uffa0"
                        f"\ufe00-\ufe0f\U000e0100-\U000e01ef\u2028\u2029{_INVISIBLE}]")
_JSON_INVISIBLE = re.compile(f"[{_INVISIBLE}\u2028\u2029]+")


def plain(text) -> str:
    """The text with bidi, zero-width and control characters removed and line ends as "\\n"."""
    if text is None:
        return ""
    text = text if isinstance(text, str) else str(text)
    return _INVISIBLE_RE.sub("", _LINE_ENDS.sub("\n", text))


def markdown(text) -> str:
    """Plain text made safe for Markdown: shown exactly as written, line breaks kept."""
    escaped = _PUNCTUATION.sub(r"\\\1", plain(text))
    return "  \n".join(escaped.split("\n"))


def markdown_line(text) -> str:
    """Plain text for a place that holds one line of inline Markdown and no blocks (a heading's
    words, a table cell, a widget or expander label): what means something inline is escaped,
    line breaks become spaces, and a marker that would start a block (Streamlit reads a table
    cell as a whole Markdown document) is escaped too."""
    line = _INLINE.sub(r"\\\1", " ".join(plain(text).split("\n")))
    return _BLOCK_START.sub(r"\1\2\\\3", line, count=1)


def xml(text) -> str:
    """Plain text for XML-like markup (reportlab Paragraph, plotly's text): &, <, >, quotes escaped."""
    return _XML_RE.sub(lambda m: _XML[m[0]], plain(text))


def csv_cell(value):
    """A CSV cell value: text made plain, with a leading apostrophe when it would start a formula.
    Numbers and empty values pass unchanged."""
    if not isinstance(value, str):
        return value
    text = plain(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def name_problem(text) -> str | None:
    """Why a typed name cannot be used, in plain words, or None: it must contain at least one letter
    and no invisible or blank-drawing character (the printed name must be the name that was meant)."""
    name = text if isinstance(text, str) else ""
    if _FILLER_RE.search(name):
        return ("has an invisible or blank character in it (one that prints as nothing). Remove it and "
                "type the name again.")
    if not any(char.isalpha() for char in name):
        return "has no letters in it. Type the name in letters."
    return None


def _escape_invisible(match: re.Match) -> str:
    return "".join(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else
                   "".join(f"\\u{u:04x}" for u in _surrogates(ord(c))) for c in match[0])


def _surrogates(point: int) -> tuple[int, int]:
    point -= 0x10000
    return 0xD800 + (point >> 10), 0xDC00 + (point & 0x3FF)


def json_text(value, **dump_args) -> str:
    """`json.dumps(value, ensure_ascii=False, ...)` with every character `plain` would remove
    (and the line separators U+2028, U+2029) written as a \\u escape: the same data, but nothing
    in it can reorder or hide text in an editor."""
    return json_escaped(json.dumps(value, ensure_ascii=False, **dump_args))


def json_escaped(text: str) -> str:
    """JSON text (already written, e.g. by pydantic) with those characters as \\u escapes."""
    return _JSON_INVISIBLE.sub(_escape_invisible, text)
