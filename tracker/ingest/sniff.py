"""Decide what an upload really is from its content, against an allow-list of types."""

from __future__ import annotations

import codecs
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from tracker.ingest.limits import IngestError, display_name, zip_entry_count

HEAD_BYTES = 64 * 1024

KIND_LABELS: dict[str, str] = {
    "pdf": "PDF",
    "docx": "Word document",
    "xlsx": "Excel spreadsheet",
    "pptx": "PowerPoint presentation",
    "csv": "CSV file",
    "txt": "text file",
    "md": "Markdown file",
    "html": "HTML page",
}

KIND_MIMETYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "csv": "text/csv",
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
}

EXTENSION_KINDS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pptx": "pptx",
    ".csv": "csv",
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
}
ACCEPTED_EXTENSIONS: tuple[str, ...] = tuple(EXTENSION_KINDS)

TEXT_KINDS = frozenset({"csv", "txt", "md", "html"})
OOXML_KINDS = frozenset({"docx", "xlsx", "pptx"})

_KIND_DESCRIPTIONS = {
    "pdf": "a PDF",
    "docx": "a Word document",
    "xlsx": "an Excel spreadsheet",
    "pptx": "a PowerPoint presentation",
    "txt": "plain text",
    "html": "a web page (HTML)",
}
_KIND_EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "pptx": ".pptx"}

_OOXML_MAIN_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
_OOXML_MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# A real [Content_Types].xml is a few KB; a bigger one is not worth parsing in the web process.
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
# Reading a zip's central directory builds one object per entry, so refuse absurd counts first.
_MAX_SNIFF_ENTRIES = 65_535

_ACCEPTED_SENTENCE = (
    "Upload a PDF, Word document, Excel spreadsheet or PowerPoint presentation, "
    "or a CSV, text, Markdown or HTML file."
)
_UNKNOWN = "not a type of file the tracker recognises"
_SAVE_AS_OFFICE = "Save it as a .docx, .xlsx or .pptx file and upload it again."

# Signatures of common files people upload by mistake, to name them in the message.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\xcf\xfa\xed\xfe", "a program"),
    (b"\xca\xfe\xba\xbe", "a program"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"ID3", "an audio file"),
    (b"RIFF", "an image, audio or video file"),
)
# Formats that are text on the inside but not on the allow-list.
_TEXT_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"{\\rtf", "a Rich Text (RTF) document"),
    (b"%!PS", "a PostScript file"),
)
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class _Content:
    """What the bytes are: an allowed kind, or a description of something else."""

    kind: str | None
    description: str
    # A message that applies whatever the file is called, with {name} for the file name.
    message: str | None = None


def sniff(path: str | os.PathLike[str], filename: str) -> str:
    """Return the allowed kind of the file at path, judged by content; raise IngestError if not."""
    shown = display_name(filename)
    extension = PurePath(shown).suffix.lower()
    expected = EXTENSION_KINDS.get(extension)

    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
        complete = len(head) < HEAD_BYTES or not handle.read(1)
    if not head:
        raise IngestError(f"{shown} is empty. Check the file and upload it again.")

    content = _identify(Path(path), head, complete)
    if content.message is not None:
        raise IngestError(content.message.format(name=shown))

    if content.kind in TEXT_KINDS:
        if expected in TEXT_KINDS:
            return expected
        if expected is None and (
            extension == "" or (content.kind == "html" and extension in (".xhtml", ".shtml"))
        ):
            return content.kind
    elif content.kind is not None and (expected == content.kind or extension == ""):
        return content.kind

    if expected is not None:
        advice = "Rename it or upload the right file." if content.kind else "Upload the right file."
        raise IngestError(
            f"{shown} is not a real {KIND_LABELS[expected]}: its content is "
            f"{content.description}. {advice}"
        )
    if content.kind in _KIND_EXTENSIONS:
        raise IngestError(
            f"{shown} is {content.description}, but its name does not end in "
            f"{_KIND_EXTENSIONS[content.kind]}. Rename it and upload it again."
        )
    if content.kind is None and content.description != _UNKNOWN:
        raise IngestError(f"{shown} is {content.description}. {_ACCEPTED_SENTENCE}")
    raise IngestError(f"{shown} is not a type of file the tracker accepts. {_ACCEPTED_SENTENCE}")


def _identify(path: Path, head: bytes, complete: bool) -> _Content:
    """Classify the first bytes (and, for zips, the directory) of a file."""
    if head.startswith(b"%PDF-"):
        return _Content("pdf", _KIND_DESCRIPTIONS["pdf"])
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _identify_zip(path, head)
    if head.startswith(_OLE2_MAGIC):
        return _Content(
            None,
            "an older or password-protected Office file",
            "{name} is password-protected, or is an older Office file (.doc, .xls or .ppt). "
            "Remove the password or save it as a .docx, .xlsx or .pptx file, "
            "then upload it again.",
        )
    if _looks_like_text(head, complete):
        foreign = next((desc for magic, desc in _TEXT_MAGIC if head.startswith(magic)), None)
        if foreign is not None:
            return _Content(None, foreign)
        if _looks_like_html(head):
            return _Content("html", _KIND_DESCRIPTIONS["html"])
        return _Content("txt", _KIND_DESCRIPTIONS["txt"])
    foreign = next((desc for magic, desc in _BINARY_MAGIC if head.startswith(magic)), None)
    if foreign is None and head[4:8] == b"ftyp":
        foreign = "a video, audio or phone photo file"
    return _Content(None, foreign or _UNKNOWN)


def _identify_zip(path: Path, head: bytes) -> _Content:
    """Tell an Office Open XML file from any other zip archive."""
    if b"application/vnd.oasis.opendocument" in head[:200]:
        return _Content(
            None,
            "an OpenDocument file",
            "{name} is an OpenDocument file (.odt, .ods or .odp). " + _SAVE_AS_OFFICE,
        )
    damaged = "{name} is damaged and cannot be opened. Upload a new copy of the file."
    count = zip_entry_count(path)
    if count is None:
        return _Content(None, "a damaged zip file", damaged)
    if count > _MAX_SNIFF_ENTRIES:
        return _Content(
            None,
            "a zip file",
            f"{{name}} has too many parts inside it ({count:,}). It may be damaged. "
            "Save it again and upload the new copy.",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return _Content(None, "a zip file")
            kind = next((k for part, k in _OOXML_MAIN_PARTS.items() if part in names), None)
            if kind is None:
                return _Content(None, "a zip file")
            main_type = _main_content_type(archive, kind)
    # RuntimeError covers encrypted members and unsupported compression methods.
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError, zlib.error):
        return _Content(None, "a damaged zip file", damaged)

    if main_type is None or main_type == _OOXML_MAIN_TYPES[kind]:
        return _Content(kind, _KIND_DESCRIPTIONS[kind])
    label = KIND_LABELS[kind]
    extension = _KIND_EXTENSIONS[kind]
    if "macroenabled" in main_type.lower():
        return _Content(
            None,
            f"a macro-enabled {label}",
            f"{{name}} contains macros. Save it as a normal {label} ({extension}) "
            "and upload it again.",
        )
    return _Content(
        None,
        f"a {label} template or show",
        f"{{name}} is a template or show, not a normal {label}. "
        f"Save it as a {extension} file and upload it again.",
    )


def _main_content_type(archive: zipfile.ZipFile, kind: str) -> str | None:
    """Return the declared content type of the main part, or None if it cannot be read."""
    # Imported here so plain-text uploads never pay for it.
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > _MAX_CONTENT_TYPES_BYTES:
        return None
    try:
        root = fromstring(archive.read(info))
    except (ParseError, DefusedXmlException):
        return None
    main_part = "/" + next(p for p, k in _OOXML_MAIN_PARTS.items() if k == kind)
    for override in root.iter(f"{_CONTENT_TYPES_NS}Override"):
        if override.get("PartName", "").lower() == main_part.lower():
            return override.get("ContentType")
    return None


def _looks_like_text(head: bytes, complete: bool) -> bool:
    """Whether the bytes decode as text with almost no control characters."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" and Notepad's "Unicode" are UTF-16, full of NUL bytes.
        encodings: tuple[str, ...] = ("utf-16",)
        head = head[: len(head) - len(head) % 2]
    elif b"\x00" in head:
        return False
    else:
        encodings = ("utf-8", "cp1252")
    text = None
    for encoding in encodings:
        try:
            # The head may end part-way through a character unless it is the whole file.
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(head).best()
        if best is None:
            return False
        text = str(best)
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or ch == "\x7f")
    return controls <= max(2, len(text) // 50)


def _looks_like_html(head: bytes) -> bool:
    """Whether text starts the way an HTML document does."""
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        start = start.decode("utf-16", "ignore").encode("ascii", "ignore").lstrip().lower()
    if start.startswith(b"<?xml"):
        start = start[start.find(b"?>") + 2 :].lstrip()
    return start.startswith((b"<!doctype html", b"<html"))
