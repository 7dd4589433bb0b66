"""Text from an uploaded file, by type. Blocking: run it in a worker thread.

Plain text, Markdown, CSV and JSON are decoded as text; HTML loses its markup (stdlib
parser); PDF pages go through pypdf, DOCX paragraphs and tables through python-docx.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path


class Unsupported(Exception):
    """No text can be taken from this type (the file is marked failed with this message)."""


TEXT_TYPES = set(
    "txt md markdown rst log py js ts yaml yml xml toml ini cfg sql sh c h cpp java go rs "
    "tex".split()
)


def extract(path: Path, filename: str, content_type: str) -> str:
    """The file's text, without NUL characters (no database stores them faithfully)."""
    try:
        return _extract(path, filename, content_type).replace("\x00", "")
    except (Unsupported, OSError):
        raise
    except (Exception, RecursionError) as exc:  # a malformed document of a supported type
        raise Unsupported(
            f"The file could not be read as {Path(filename).suffix or 'text'}"
        ) from exc


def _extract(path: Path, filename: str, content_type: str) -> str:
    ext = Path(filename).suffix.lower().lstrip(".")
    raw = path.read_bytes()
    if ext == "pdf" or content_type == "application/pdf":
        return _pdf(raw)
    if ext == "docx" or content_type.endswith("wordprocessingml.document"):
        return _docx(raw)
    if ext in ("html", "htm") or content_type == "text/html":
        return html_text(_decode(raw))
    if ext == "csv" or content_type == "text/csv":
        return _csv(_decode(raw))
    if ext == "json" or content_type == "application/json":
        return _json(_decode(raw))
    if ext in TEXT_TYPES or content_type.startswith("text/") or _looks_like_text(raw):
        return _decode(raw)
    raise Unsupported(
        f"File type {content_type or ext or 'unknown'} is not supported for processing"
    )


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        return text.replace("\x00", "")
    return raw.decode("latin-1").replace("\x00", "")


def _looks_like_text(raw: bytes) -> bool:
    sample = raw[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 4  # cut in the middle of a character
    return True


def _pdf(raw: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise Unsupported(f"The PDF could not be read: {exc}") from exc
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _docx(raw: bytes) -> str:
    import zipfile

    from docx import Document

    try:
        document = Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Unsupported(f"The DOCX file could not be read: {exc}") from exc
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(parts)


class _Text(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg"}
    # Tags that start a new line, so words of neighbouring blocks are not run together.
    BLOCKS = set(
        "p br div li tr h1 h2 h3 h4 h5 h6 title section article header footer nav aside main "
        "blockquote pre ul ol table dt dd hr figcaption".split()
    )

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


CLOSE_AT_MOST = 4096  # characters of an unfinished tail `html_text` still parses


def html_text(text: str) -> str:
    """The readable text of an HTML document: markup, scripts and styles gone, one line per
    block, runs of white space made one space (stdlib parser; docs/retrieval.md says why)."""
    parser = _Text()
    parser.feed(text)
    # What the parser still holds is an unfinished tag; `close()` would re-scan it in time
    # quadratic in its length (minutes for a page of "</</</..."), so only a short one is
    # flushed (trailing text without markup) and a long one is dropped.
    if len(parser.rawdata) <= CLOSE_AT_MOST:
        parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _csv(text: str) -> str:
    rows = csv.reader(io.StringIO(text))
    return "\n".join(", ".join(cell.strip() for cell in row) for row in rows if any(row))


def _json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
