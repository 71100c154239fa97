"""Turn a letter's attached content (plain text, HTML or PDF) into text a person can read.

Pure functions over bytes: nothing here knows about FHIR. Content comes from GP systems, hospitals and
apps, so every input is treated as hostile: HTML is rebuilt from an allow-list and then sanitised by
bleach, PDFs are read with limits, and anything that cannot be read raises `UnreadableLetter` with a
plain reason the page can show. Reasons never quote the letter.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import io
import re
from html.parser import HTMLParser

import bleach

MAX_INPUT_BYTES = 20_000_000  # a letter bigger than this is not decoded at all
MAX_TEXT_BYTES = 2_000_000  # extracted text is cut here (UTF-8 bytes)
MAX_HTML_TO_SANITISE = 2_000_000  # bigger HTML is shown as plain text only
MAX_PDF_PAGES = 300

ALLOWED_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "h1", "h2", "h3", "h4",
     "table", "thead", "tbody", "tr", "th", "td"}
)
# Elements whose content is never text for a reader (and may be code).
_SKIP_CONTENT = frozenset(
    {"script", "style", "template", "title", "iframe", "object", "embed", "noscript"}
)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr", "source",
                   "embed", "param", "track"})
# Elements that stand apart as paragraphs (a blank line around them) or start a new line.
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "section", "article", "header",
     "footer", "blockquote", "pre", "hr", "address", "dl"}
)
_LINE = frozenset({"br", "li", "tr", "dt", "dd", "div"})
_PLAIN_TYPES = frozenset({"text/plain", "text/markdown"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_PDF_TYPES = frozenset({"application/pdf"})
SUPPORTED_TYPES = _PLAIN_TYPES | _HTML_TYPES | _PDF_TYPES


class UnreadableLetter(ValueError):
    """A letter's content could not be turned into text; the message is a plain reason to show."""


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """Split "text/plain; charset=latin-1" into ("text/plain", "latin-1")."""
    if not isinstance(content_type, str) or not content_type.strip():
        return "", None
    kind, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return kind.strip().lower(), charset


def decode_base64(data: str) -> bytes:
    """Decode FHIR base64Binary, refusing anything too large or not base64."""
    if not isinstance(data, str):
        raise UnreadableLetter("The letter's content could not be decoded")
    compact = re.sub(r"\s+", "", data)
    if len(compact) * 3 // 4 > MAX_INPUT_BYTES:
        raise UnreadableLetter("The letter is too large to show here")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableLetter("The letter's content could not be decoded") from exc


def extract_text(content_type: str | None, data: bytes) -> tuple[str | None, str | None]:
    """Return (plain text, sanitised HTML or None) for one attachment's bytes.

    Plain text is decoded with its charset (UTF-8 when none is given); HTML gives both plain text
    and allow-listed HTML; a PDF gives its extracted text. Raises `UnreadableLetter` otherwise.
    """
    kind, charset = media_type(content_type)
    if not isinstance(data, (bytes, bytearray)):
        raise UnreadableLetter("The letter's content could not be decoded")
    if len(data) > MAX_INPUT_BYTES:
        raise UnreadableLetter("The letter is too large to show here")
    if kind in _PLAIN_TYPES:
        return _cap(_decode(bytes(data), charset)), None
    if kind in _HTML_TYPES:
        source = _decode(bytes(data), charset)
        text, rebuilt = _parse_html(source)
        safe = _bleach(rebuilt) if len(rebuilt) <= MAX_HTML_TO_SANITISE else None
        return _cap(text), safe
    if kind in _PDF_TYPES:
        return pdf_to_text(bytes(data)), None
    shown = kind or "unknown"
    raise UnreadableLetter(f"This kind of document ({shown:.60}) cannot be shown as text")


def html_to_text(source: str) -> str:
    """Plain text of an HTML fragment: tags dropped, script and style content removed."""
    return _cap(_parse_html(source)[0])


def sanitise_html(source: str) -> str:
    """HTML reduced to the allow-list, with no attributes, comments, scripts or styles."""
    return _bleach(_parse_html(source)[1])


def pdf_to_text(data: bytes) -> str:
    """Text of a PDF's pages (up to MAX_PDF_PAGES); raises UnreadableLetter if it cannot be read."""
    # pypdf is imported here so that reading a record without PDFs never pays for it.
    from pypdf import PdfReader

    parts: list[str] = []
    size = 0
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableLetter("The PDF is protected by a password")
        for number, page in enumerate(reader.pages):
            if number >= MAX_PDF_PAGES or size > MAX_TEXT_BYTES:
                break
            part = page.extract_text() or ""
            parts.append(part)
            size += len(part.encode("utf-8", "replace"))
    except UnreadableLetter:
        raise
    except Exception as exc:  # untrusted file through a third-party parser: any failure is "broken"
        raise UnreadableLetter("The PDF could not be read (the file may be damaged)") from exc
    text = _tidy("\n\n".join(parts))
    if not text:
        raise UnreadableLetter("The PDF has no text that can be read (it may be a scanned image)")
    return _cap(text)


def _bleach(rebuilt: str) -> str:
    # The rebuild already holds only allow-listed, attribute-free tags; bleach is the second lock.
    return bleach.clean(rebuilt, tags=ALLOWED_TAGS, attributes={}, protocols=[], strip=True,
                        strip_comments=True)


def _decode(data: bytes, charset: str | None) -> str:
    encoding = "utf-8-sig"
    if charset:
        try:
            encoding = codecs.lookup(charset).name
        except LookupError:
            encoding = "utf-8-sig"
    if encoding == "utf-8":
        encoding = "utf-8-sig"
    return data.decode(encoding, errors="replace")


def _cap(text: str) -> str:
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= MAX_TEXT_BYTES:
        return text
    return encoded[:MAX_TEXT_BYTES].decode("utf-8", "ignore")


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\f\v\xa0]+", " ", line).strip() for line in text.splitlines()]
    tidied = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", tidied).strip()


class _LetterParser(HTMLParser):
    """Collects plain text and an allow-listed rebuild of the HTML in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.safe: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_CONTENT:
            if tag not in _VOID:
                self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "pre":
            self.pre_depth += 1
        if tag in _PARAGRAPH:
            self.text.append("\n\n")
        elif tag in _LINE:
            self.text.append("\n")
        if tag == "li":
            self.text.append("- ")
        elif tag in ("td", "th"):
            self.text.append(" ")
        if tag in ALLOWED_TAGS:
            self.safe.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in _PARAGRAPH:
            self.text.append("\n\n")
        elif tag == "div":
            self.text.append("\n")
        if tag in ALLOWED_TAGS and tag not in _VOID:
            self.safe.append(f"</{tag}>")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        self.text.append(data if self.pre_depth else re.sub(r"\s+", " ", data))
        self.safe.append(html.escape(data, quote=False))


def _parse_html(source: str) -> tuple[str, str]:
    parser = _LetterParser()
    try:
        parser.feed(source)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser's reaction to badly broken markup
        pass
    return _tidy("".join(parser.text)), "".join(parser.safe)
