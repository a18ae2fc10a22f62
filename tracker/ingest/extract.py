"""Text extraction from checked uploads, run in a child process with a memory limit and a timeout.

The parent half (`extract_text`) forks a child per file, with the format libraries already
imported by the parent, so a child costs a fork rather than a new interpreter and its imports.
The child caps its own address space (at its size when forked plus the memory limit) and CPU
time, reads the file, hands back a JSON result through a pipe and exits without running any of
the parent's clean-up. A child that is killed, runs out of memory or overruns the timeout is
reported with a reason; the parent never raises for a file.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import select
import signal
import threading
import time
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from tracker.ingest.sniff import KIND_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tracker.ingest.limits import Limits

log = logging.getLogger(__name__)

Status = Literal["ok", "empty", "failed"]

REASON_ENCRYPTED = "encrypted PDF: upload an unprotected copy"
REASON_NO_TEXT_LAYER = "no text layer (scanned image?)"
REASON_NO_TEXT = "no text found"
REASON_TOO_LARGE = "too large to index"
REASON_PARTIAL = "too large to index in full: only the first part is searchable"
REASON_TIMEOUT = "timed out"
REASON_MEMORY = "ran out of memory"
REASON_CRASHED = "the text reader stopped unexpectedly"
REASON_UNREADABLE = "the file could not be read"

KINDS = frozenset({"pdf", "docx", "xlsx", "pptx", "csv", "txt", "md", "html"})

MIB = 1024 * 1024
# The child stops itself at this share of the timeout so that it can hand back what it has.
_SOFT_DEADLINE_SHARE = 0.8
# What the parent imports once, so that each child starts with them loaded.
_PRELOAD = ("pypdf", "docx", "openpyxl", "pptx", "lxml.etree", "charset_normalizer")
# Signals whose handlers (gunicorn's, Flask's) the child must not run.
_RESET_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD")
# Exit codes of a child that died: SIGKILL (the kernel's out-of-memory killer) and SIGXCPU.
_KILLED, _OUT_OF_CPU = -9, -24


def damaged_reason(label: str) -> str:
    """Return the failure reason for a file its library could not parse."""
    return f"damaged file or not a real {label}"


@dataclass(frozen=True)
class Extraction:
    """The text taken from one file, or why there is none."""

    text: str
    status: Status
    reason: str | None = None
    truncated: bool = False
    pages: int | None = None

    @property
    def searchable(self) -> bool:
        """Whether there is any text to index."""
        return self.status == "ok"


def extract_text(path: str | os.PathLike[str], kind: str, limits: Limits) -> Extraction:
    """Extract the text of a checked file in a child process; never raises for a bad file."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    request = {
        "path": os.path.abspath(path),
        "kind": kind,
        "label": KIND_LABELS[kind],
        "memory_mb": limits.memory_mb,
        "timeout_s": limits.timeout_s,
        "max_pdf_pages": limits.max_pdf_pages,
        "max_xlsx_cells": limits.max_xlsx_cells,
        "max_text_chars": limits.max_text_chars,
    }
    return _extract_in_child(request, limits.timeout_s, path)


_preload_lock = threading.Lock()
_preloaded = False


def _preload() -> None:
    """Import the format libraries in this process once, so that forked children share them."""
    global _preloaded
    with _preload_lock:
        if not _preloaded:
            for name in _PRELOAD:
                importlib.import_module(name)
            _preloaded = True


def _extract_in_child(request: dict[str, Any], timeout_s: float, path: object) -> Extraction:
    """Run one request in a forked child; wait at most timeout_s for its answer."""
    _preload()
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        log.exception("could not start the extraction child for %s", path)
        os.close(read_end)
        os.close(write_end)
        return _failed(REASON_CRASHED)
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child_main(request, write_end)
    os.close(write_end)
    try:
        payload = _read_until(read_end, time.monotonic() + timeout_s)
    finally:
        os.close(read_end)
    if payload is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        log.info("extraction of %s timed out after %s s", path, timeout_s)
        return _failed(REASON_TIMEOUT)
    _, status = os.waitpid(pid, 0)
    return _read_child_result(payload or None, os.waitstatus_to_exitcode(status), path)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to the pipe until its writer closes it; None if the deadline passes."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _failed(reason: str) -> Extraction:
    """Build a failed extraction with no text."""
    return Extraction(text="", status="failed", reason=reason)


def _read_child_result(payload: bytes | None, exitcode: int | None, path: object) -> Extraction:
    """Turn the child's answer, or how it died, into an Extraction."""
    if payload is not None:
        try:
            result = json.loads(payload)
            extraction = Extraction(
                text=str(result["text"]),
                status=result["status"],
                reason=result["reason"],
                truncated=bool(result["truncated"]),
                pages=result["pages"],
            )
        except (ValueError, KeyError, TypeError):
            log.warning("extraction child gave unreadable output for %s", path)
            return _failed(REASON_CRASHED)
        if result.get("detail"):
            log.info("extraction of %s: %s (%s)", path, extraction.reason, result["detail"])
        return extraction
    log.warning("extraction child for %s exited with %s", path, exitcode)
    if exitcode == _KILLED:
        return _failed(REASON_MEMORY)
    if exitcode == _OUT_OF_CPU:
        # The CPU-time backstop fired before the wall-clock timeout.
        return _failed(REASON_TIMEOUT)
    return _failed(REASON_CRASHED)


def _mentions_memory(message: str) -> bool:
    """Whether an error message is about running out of memory."""
    lowered = message.lower()
    return any(
        marker in lowered
        for marker in (
            "memoryerror",
            "memory allocation failed",
            "cannot allocate",
            "bad_alloc",
            "err_no_memory",
        )
    )


# --------------------------------------------------------------------------------------------
# Child side. Everything below runs in the child process.
# --------------------------------------------------------------------------------------------


class _Failed(Exception):
    """Stop extraction with a reason for the user."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class _Full(Exception):
    """The output budget or the soft deadline is used up."""


class _Sink:
    """Collects text pieces until a character budget or a deadline runs out."""

    def __init__(self, max_chars: int, deadline: float) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.deadline = deadline
        self.truncated = False

    def add(self, text: str | None) -> None:
        """Append one piece (a line, paragraph or page); raise _Full when out of room or time."""
        if time.monotonic() > self.deadline:
            self.truncated = True
            raise _Full
        if not text:
            return
        room = self.max_chars - self.size
        if len(text) > room:
            self.parts.append(text[:room])
            self.size = self.max_chars
            self.truncated = True
            raise _Full
        self.parts.append(text)
        self.size += len(text) + 1

    def stop(self) -> None:
        """Record that a format-specific cap (pages, cells, bytes) cut the text short."""
        self.truncated = True

    def text(self) -> str:
        """Return the collected text, tidied and within the budget."""
        return _normalise("\n".join(self.parts))[: self.max_chars]


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BREAKS = re.compile(r"[\v\f\x1c-\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    """Unify line ends, drop control characters and lone surrogates, squeeze blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # python-pptx and Word use vertical tab and form feed for line and page breaks.
    text = _BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    # A broken font map can yield lone surrogates, which cannot be stored or sent as UTF-8.
    return text.encode("utf-8", "replace").decode("utf-8").strip()


def _status_bytes(field: str) -> int:
    """A size from /proc/self/status (VmSize, VmPeak) in bytes; 0 where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# The address space this child may reach: its size when forked plus the memory limit.
_memory_cap = 0


def _apply_limits(memory_mb: int, timeout_s: float) -> None:
    """Cap this process's address space and CPU time, and turn off core dumps."""
    global _memory_cap
    try:
        import resource
    except ImportError:  # not on POSIX: rely on the parent's wall-clock timeout alone
        return

    def cap(which: int, value: int) -> None:
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    # A forked child starts as big as its parent: the limit is on what reading the file adds.
    _memory_cap = _status_bytes("VmSize") + memory_mb * MIB
    cap(resource.RLIMIT_AS, _memory_cap)
    # A backstop for a child whose parent died and can no longer kill it on time.
    cap(resource.RLIMIT_CPU, int(timeout_s) + 5)
    cap(resource.RLIMIT_CORE, 0)


def _run(request: dict[str, Any]) -> dict[str, Any]:
    """Extract text as the request asks and return the result as a plain dict."""
    kind = request["kind"]
    label = request["label"]
    deadline = time.monotonic() + float(request["timeout_s"]) * _SOFT_DEADLINE_SHARE
    sink = _Sink(int(request["max_text_chars"]), deadline)
    reader = _READERS[kind]
    pages: int | None = None
    try:
        pages = reader(request["path"], sink, request)
    except _Full:
        pass
    except _Failed as failure:
        return _result(_failed(failure.reason), failure.detail)
    except MemoryError:
        return _result(_failed(REASON_MEMORY))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        return _result(_failed(REASON_UNREADABLE), repr(exc))
    except Exception as exc:  # any library error on a hostile file means "damaged"
        # lxml reports an allocation failure as a syntax error; its error log says which.
        detail = (
            f"{type(exc).__name__}: {str(exc)[:300]} {str(getattr(exc, 'error_log', ''))[:300]}"
        )
        if _mentions_memory(detail) or _near_memory_limit():
            return _result(_failed(REASON_MEMORY), detail)
        return _result(_failed(damaged_reason(label)), detail)

    text = sink.text()
    if not text:
        empty = REASON_NO_TEXT_LAYER if kind == "pdf" else REASON_NO_TEXT
        return _result(Extraction("", "empty", empty, sink.truncated, pages))
    partial = REASON_PARTIAL if sink.truncated else None
    return _result(Extraction(text, "ok", partial, sink.truncated, pages))


def _near_memory_limit() -> bool:
    """Whether this process's peak address space came close to its cap (Linux only)."""
    return bool(_memory_cap) and _status_bytes("VmPeak") >= _memory_cap * 0.9


def _result(extraction: Extraction, detail: str | None = None) -> dict[str, Any]:
    """Serialise an Extraction plus an optional log detail for the parent."""
    return {**asdict(extraction), "detail": detail}


def _read_pdf(path: str, sink: _Sink, request: dict[str, Any]) -> int:
    """Extract each page's text layer with pypdf, up to the page cap."""
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

    # Text needs no images, so never hand image streams to an outside JBIG2 decoder.
    pypdf.overwrite_configuration(jbig2dec_binary=None, disable_legacy_handling=True)
    try:
        reader = pypdf.PdfReader(path)
        # Many PDFs carry only an owner password, which an empty user password opens.
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise _Failed(REASON_ENCRYPTED)
        page_count = len(reader.pages)
    except (FileNotDecryptedError, DependencyError) as exc:
        raise _Failed(REASON_ENCRYPTED, repr(exc)) from exc
    except LimitReachedError as exc:
        raise _Failed(REASON_TOO_LARGE, repr(exc)) from exc

    limit = min(page_count, int(request["max_pdf_pages"]))
    errors: list[Exception] = []
    for index in range(limit):
        try:
            text = reader.pages[index].extract_text()
        except MemoryError:
            raise
        except Exception as exc:  # one bad page should not lose the rest of the document
            errors.append(exc)
            continue
        sink.add(text)
    if errors and len(errors) == limit:
        first = errors[0]
        reason = (
            REASON_TOO_LARGE
            if isinstance(first, LimitReachedError)
            else damaged_reason(request["label"])
        )
        raise _Failed(reason, f"{type(first).__name__}: {str(first)[:300]}")
    if page_count > limit:
        sink.stop()
    return page_count


def _read_docx(path: str, sink: _Sink, request: dict[str, Any]) -> None:
    """Extract body text in order, with tables, headers and footers, using python-docx."""
    import docx

    document = docx.Document(path)
    seen: set[str] = set()

    def add_once(parts: Iterable[Any]) -> None:
        for part in parts:
            # Reading a linked (absent) header would make python-docx create one.
            if part.is_linked_to_previous:
                continue
            text = _blocks_text(part.iter_inner_content())
            # Sections often repeat the same header; once is enough for search.
            if text and text not in seen:
                seen.add(text)
                sink.add(text)

    sections = list(document.sections)
    add_once(p for s in sections for p in (s.first_page_header, s.header, s.even_page_header))
    for block in document.iter_inner_content():
        sink.add(_blocks_text([block]))
    add_once(p for s in sections for p in (s.first_page_footer, s.footer, s.even_page_footer))


def _blocks_text(blocks: Iterable[Any]) -> str:
    """Return the text of paragraphs and tables, recursing into table cells."""
    from docx.table import Table

    lines = []
    for block in blocks:
        if isinstance(block, Table):
            lines.append(_table_text(block))
        else:
            lines.append(block.text)
    return "\n".join(line for line in lines if line)


def _table_text(table: Any) -> str:
    """Return a Word table as tab-separated rows, each merged cell once."""
    # A merged cell comes back once per grid column (and row) it spans. lxml elements
    # compare by identity and the set keeps them alive, so membership is reliable.
    seen: set[Any] = set()
    rows = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            text = _blocks_text(cell.iter_inner_content())
            if text:
                cells.append(text)
        if cells:
            rows.append("\t".join(cells))
    return "\n".join(rows)


def _read_xlsx(path: str, sink: _Sink, request: dict[str, Any]) -> None:
    """Extract every worksheet's values with openpyxl in read-only mode, up to the cell cap."""
    import openpyxl

    max_cells = int(request["max_xlsx_cells"])
    # Given a path, openpyxl refuses names not ending in .xlsx, and the evidence store names
    # files by checksum; an open file is judged by content (already sniffed) instead.
    handle = open(path, "rb")  # noqa: SIM115  (closed in the finally below)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except BaseException:
        handle.close()
        raise
    try:
        cells = 0
        for sheet in workbook.worksheets:
            title: str | None = sheet.title
            # The stored dimensions may be wrong or hostile; read only the cells present.
            sheet.reset_dimensions()
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > max_cells:
                    sink.stop()
                    return
                line = "\t".join(filter(None, (_cell_text(v) for v in row if v is not None)))
                if line:
                    # Name the sheet once, and only if it has something in it.
                    if title is not None:
                        sink.add(title)
                        title = None
                    sink.add(line)
    finally:
        # Read-only mode keeps the file open until closed.
        workbook.close()
        handle.close()


def _cell_text(value: object) -> str:
    """Format one spreadsheet value the way a person would type it."""
    import datetime as dt

    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    return str(value).strip()


def _read_pptx(path: str, sink: _Sink, request: dict[str, Any]) -> int:
    """Extract slide text, tables, grouped shapes and speaker notes with python-pptx."""
    from pptx import Presentation

    presentation = Presentation(path)
    slides = presentation.slides
    for slide in slides:
        _add_shapes(slide.shapes, sink)
        # has_notes_slide avoids creating an empty notes slide just to read it.
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            if frame is not None:
                sink.add(frame.text)
    return len(slides)


def _add_shapes(shapes: Iterable[Any], sink: _Sink) -> None:
    """Add the text of shapes, recursing into groups."""
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            _add_shapes(shape.shapes, sink)
        elif getattr(shape, "has_text_frame", False):
            sink.add(shape.text_frame.text)
        elif getattr(shape, "has_table", False):
            rows = []
            for row in shape.table.rows:
                cells = [cell.text for cell in row.cells if not cell.is_spanned and cell.text]
                if cells:
                    rows.append("\t".join(cells))
            sink.add("\n".join(rows))


def _read_plain(path: str, sink: _Sink, request: dict[str, Any]) -> None:
    """Decode a CSV, text or Markdown file, reading no more bytes than the text cap needs."""
    sink.add(_read_decoded(path, sink, request))


_HTML_SKIP_TAGS = frozenset({"script", "style", "template"})
_HTML_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl"),
        *("dt", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
        *("hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "title", "tr", "ul"),
    }
)
_WHITESPACE = re.compile(r"\s+")


class _HtmlText(HTMLParser):
    """Collects the text a browser would show, with block elements on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the start of a skipped element, a block or a cell."""
        if tag in _HTML_SKIP_TAGS:
            self.skipping += 1
        elif tag in _HTML_BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        """Note the end of a skipped element or a block."""
        if tag in _HTML_SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _HTML_BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        """Keep text outside scripts and styles."""
        if not self.skipping:
            # Source line breaks inside a paragraph are not breaks on the page.
            self.parts.append(_WHITESPACE.sub(" ", data))

    def text(self) -> str:
        """Return the text collected so far."""
        return re.sub(r"[ \t]*\n[ \t]*", "\n", "".join(self.parts))


def _read_html(path: str, sink: _Sink, request: dict[str, Any]) -> None:
    """Extract the visible text of an HTML file, leaving out scripts, styles and tags."""
    parser = _HtmlText()
    parser.feed(_read_decoded(path, sink, request))
    parser.close()
    sink.add(parser.text())


def _read_decoded(path: str, sink: _Sink, request: dict[str, Any]) -> str:
    """Read up to the byte cap and decode: BOM, then UTF-8, then Windows-1252, then a guess."""
    import codecs

    # Four bytes per character covers any UTF-8 text that fits the character cap.
    cap = int(request["max_text_chars"]) * 4
    with open(path, "rb") as handle:
        data = handle.read(cap + 1)
    complete = len(data) <= cap
    if not complete:
        data = data[:cap]
        sink.stop()

    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return codecs.getincrementaldecoder(encoding)("replace").decode(data, final=complete)
    for encoding in ("utf-8", "cp1252"):
        try:
            return codecs.getincrementaldecoder(encoding)().decode(data, final=complete)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("cp1252", "replace")


_READERS = {
    "pdf": _read_pdf,
    "docx": _read_docx,
    "xlsx": _read_xlsx,
    "pptx": _read_pptx,
    "csv": _read_plain,
    "txt": _read_plain,
    "md": _read_plain,
    "html": _read_html,
}


def _child_main(request: dict[str, Any], fd: int) -> NoReturn:
    """Serve one extraction request in this forked child, write the result to fd, and exit."""
    code = 0
    try:
        for name in _RESET_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        _apply_limits(int(request["memory_mb"]), float(request["timeout_s"]))
        # Library chatter about odd files would only fill the parent's log.
        logging.disable(logging.CRITICAL)
        import warnings

        warnings.simplefilter("ignore")
        try:
            result = _run(request)
            payload = json.dumps(result, ensure_ascii=False).encode("utf-8")
        except MemoryError:
            payload = json.dumps(_result(_failed(REASON_MEMORY))).encode("utf-8")
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:  # noqa: BLE001 - the parent sees an empty answer and says "crashed"
        code = 1
    finally:
        # No atexit handlers, no flushing of the parent's buffers, no database goodbyes.
        os._exit(code)
