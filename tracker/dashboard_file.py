"""Read a performance dashboard file (CSV or XLSX) into plain dataclasses.

The file has one measure per row under a fixed header (``TEMPLATE_COLUMNS``), as in the
council's published dashboards. Problems are reported, never raised, as ``RowError`` objects
with the 1-based line of the file (header = line 1), the column and a plain-English message,
so the upload page can list every problem at once.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from tracker import judgements
from tracker.judgements import Aim, Counts, Judgement, Tolerance, Unit

TEMPLATE_COLUMNS: tuple[str, ...] = (
    "layer",
    "plan_outcome",
    "measure_code",
    "description",
    "aim",
    "unit",
    "benchmark",
    "benchmark_label",
    "current_period",
    "current_value",
    "current_numerator",
    "current_denominator",
    "current_note",
    "previous_period",
    "previous_value",
    "previous_numerator",
    "previous_denominator",
    "previous_note",
)

#: A dashboard has a few dozen measures; more than this is almost certainly the wrong file.
MAX_ROWS = 1000
#: Uploads are checked for size before they reach here; this guards direct callers.
MAX_BYTES = 10 * 1024 * 1024

# Spellings seen in published dashboards ("High", "Information only") plus obvious variants.
_AIMS: dict[str, Aim] = {
    "high": Aim.HIGHER,
    "higher": Aim.HIGHER,
    "higher is better": Aim.HIGHER,
    "low": Aim.LOWER,
    "lower": Aim.LOWER,
    "lower is better": Aim.LOWER,
    "band": Aim.BAND,
    "target band": Aim.BAND,
    "information only": Aim.INFORMATION,
    "for information only": Aim.INFORMATION,
    "information": Aim.INFORMATION,
}

_UNITS: dict[str, Unit] = {
    "percent": Unit.PERCENT,
    "percentage": Unit.PERCENT,
    "%": Unit.PERCENT,
    "count": Unit.COUNT,
    "number": Unit.COUNT,
    "thousands": Unit.THOUSANDS,
    "rate per 100k": Unit.RATE_PER_100K,
    "rate per 100,000": Unit.RATE_PER_100K,
    "per 100k": Unit.RATE_PER_100K,
    "score": Unit.SCORE,
    "days": Unit.DAYS,
}

_EXAMPLES: dict[str, str] = {
    "benchmark": "84.6",
    "current_value": "87.2",
    "previous_value": "85.3",
    "current_numerator": "1,198",
    "current_denominator": "1,374",
    "previous_numerator": "1,206",
    "previous_denominator": "1,414",
    "current_period": "'Apr-Nov 2024'",
    "previous_period": "'2023/24'",
}

# Plain numbers, optionally with correctly placed thousands separators: "1,221", "87.2", "-3".
# "12,5" is rejected rather than read as 125, because it is probably a decimal comma.
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
_BAND = re.compile(r"^(\d+(?:\.\d+)?)\s*%?\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)\s*%?$", re.IGNORECASE)

# Excel stores these; we treat them as cell contents still to be interpreted by column.
_CellValue = str | int | float | bool | dt.datetime | dt.date | dt.time | None
# The per-row error callback: fail(column, message).
_Fail = Callable[[str | None, str], None]


@dataclass(frozen=True)
class RowError:
    """One problem in the file: 1-based line (None for the whole file), column and message."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class DashboardRow:
    """One measure from the file, with typed values; blank values are None (no data)."""

    line: int
    layer: str
    plan_outcome: str
    measure_code: str
    description: str
    aim: Aim
    unit: Unit
    benchmark: Decimal | None
    band: tuple[Decimal, Decimal] | None
    benchmark_label: str
    current_period: str
    current_value: Decimal | None
    current_numerator: int | None
    current_denominator: int | None
    current_note: str
    previous_period: str
    previous_value: Decimal | None
    previous_numerator: int | None
    previous_denominator: int | None
    previous_note: str

    @property
    def counts(self) -> Counts | None:
        """Return numerators and denominators for both periods, or None if any is missing."""
        counts = Counts(
            self.current_numerator,
            self.current_denominator,
            self.previous_numerator,
            self.previous_denominator,
        )
        return counts if counts.complete() else None

    def rating(self, tolerance: Tolerance | None = None) -> Judgement:
        """Judge the current value against the benchmark or band."""
        return judgements.rate(
            self.current_value,
            self.benchmark,
            self.aim,
            tolerance,
            self.band,
            unit=self.unit,
            benchmark_label=self.benchmark_label,
            note=self.current_note,
        )

    def progress(self, tolerance: Tolerance | None = None) -> Judgement:
        """Judge the current value against the previous period's value."""
        return judgements.progress(
            self.current_value,
            self.previous_value,
            self.aim,
            tolerance,
            self.counts,
            band=self.band,
            unit=self.unit,
            previous_period=self.previous_period,
            note=self.current_note,
            previous_note=self.previous_note,
        )


@dataclass
class ParsedDashboard:
    """The result of reading a file: good rows, errors that block an import, and warnings.

    ``rows`` holds only rows without errors; import nothing unless ``ok`` is True.
    """

    filename: str
    format: Literal["csv", "xlsx", "unknown"]
    rows: list[DashboardRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when the file has no errors (warnings are allowed)."""
        return not self.errors


class _FileProblem(Exception):
    """The file as a whole cannot be read; the message is for the user."""


@dataclass
class _Cell:
    value: _CellValue
    percent_format: bool = False  # an Excel number shown as a percentage: 0.872 means 87.2%


# --- public functions ------------------------------------------------------------------------


def parse_dashboard(
    source: str | os.PathLike[str] | bytes | BinaryIO, filename: str | None = None
) -> ParsedDashboard:
    """Read a dashboard CSV or XLSX (a path, bytes or a binary file) into rows and errors.

    A ``str`` is a path, not file contents. ``filename`` names the file in messages and helps
    tell CSV from XLSX; the contents decide in the end.
    """
    try:
        data, name = _read_source(source, filename)
        kind = _detect_format(data, name)
    except _FileProblem as problem:
        if filename is None and isinstance(source, str | os.PathLike):
            filename = Path(source).name
        return ParsedDashboard(
            filename or "", "unknown", errors=[RowError(None, None, str(problem))]
        )

    result = ParsedDashboard(name, kind)
    try:
        lines = _xlsx_lines(data) if kind == "xlsx" else _csv_lines(data)
        _parse_lines(lines, result)
    except _FileProblem as problem:
        result.rows.clear()
        result.warnings.clear()
        result.errors.append(RowError(getattr(problem, "line", None), None, str(problem)))
    result.errors.sort(key=lambda e: (e.line or 0, _column_order(e.column)))
    return result


def template_rows() -> list[list[str]]:
    """Return the template: the header row and one example row, as strings."""
    example = {
        "layer": "Delay",
        "plan_outcome": "Safe and Well: people with care needs live independent lives",
        "measure_code": "ASCOF 2A",
        "description": "% of people who had no need for ongoing services following reablement",
        "aim": "High",
        "unit": "percent",
        "benchmark": "79.4",
        "benchmark_label": "23/24 national average",
        "current_period": "Apr-Nov 2024",
        "current_value": "88.8",
        "current_numerator": "2739",
        "current_denominator": "3085",
        "current_note": "",
        "previous_period": "2023/24",
        "previous_value": "89.6",
        "previous_numerator": "3857",
        "previous_denominator": "4305",
        "previous_note": "",
    }
    return [list(TEMPLATE_COLUMNS), [example[c] for c in TEMPLATE_COLUMNS]]


def write_template_csv(fileobj: TextIO) -> None:
    """Write the template CSV to a text stream (open files with ``newline=""``)."""
    writer = csv.writer(fileobj)
    writer.writerows(template_rows())


def template_csv_bytes() -> bytes:
    """Return the template CSV as UTF-8 with a BOM, so Excel opens it with the right encoding."""
    buffer = io.StringIO(newline="")
    write_template_csv(buffer)
    return buffer.getvalue().encode("utf-8-sig")


def map_old_code(code: str) -> str:
    """Return the 2023/24 ASCOF code for a pre-2023/24 one; an unmapped code comes back as is.

    Only call this for figures from before April 2023: some codes were reused for different
    measures (old 2D became 2A, and the new 2D is another measure), so mapping a new code
    would give a wrong answer. A trailing qualifier is kept: "ASCOF 2A pt 2 (BCF)" gives
    "ASCOF 2C (BCF)". "ASCOF 2A(2)" is read as "ASCOF 2A pt 2".
    """
    stripped = " ".join(code.split())
    match = re.match(r"^(.*?)(\s+\([^)]*\))?$", stripped)
    assert match is not None  # the pattern matches any string
    base, qualifier = match.group(1), match.group(2) or ""
    mapping = _ascof_codes().get(_code_key(base))
    if mapping is None:
        return stripped
    return mapping[0] + qualifier


def ascof_mappings() -> list[tuple[str, str, str]]:
    """Return every (old_code, new_code, basis) row of the ASCOF code mapping."""
    return [(row[2], row[0], row[1]) for row in _ascof_codes().values()]


def parse_aim(text: str) -> Aim | None:
    """Return the aim for a spelling such as "High" or "Information only", or None."""
    return _AIMS.get(" ".join(text.replace("_", " ").lower().split()))


def parse_unit(text: str) -> Unit | None:
    """Return the unit for a spelling such as "rate per 100k" or "percent", or None."""
    return _UNITS.get(" ".join(text.replace("_", " ").lower().split()))


# --- reading the file ------------------------------------------------------------------------


def _read_source(
    source: str | os.PathLike[str] | bytes | BinaryIO, filename: str | None
) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        data, name = bytes(source), filename or ""
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise _FileProblem(_too_big())
            data = path.read_bytes()
        except OSError as exc:
            raise _FileProblem(f"The file {path.name} could not be opened.") from exc
        name = filename or path.name
    else:
        data = source.read(MAX_BYTES + 1)
        name = filename or getattr(source, "name", "") or ""
    if len(data) > MAX_BYTES:
        raise _FileProblem(_too_big())
    if not data.strip():
        raise _FileProblem("The file is empty.")
    return data, os.path.basename(name)


def _too_big() -> str:
    return f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: is it the right file?"


def _detect_format(data: bytes, name: str) -> Literal["csv", "xlsx"]:
    lower = name.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        raise _FileProblem(
            "This is an old-style Excel file (.xls). Save it as an Excel Workbook (.xlsx) or as "
            "CSV and upload it again."
        )
    if lower.endswith((".xlsx", ".xlsm")):
        raise _FileProblem("The file is named .xlsx but is not an Excel workbook.")
    if lower and not lower.endswith((".csv", ".txt")):
        raise _FileProblem("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")
    return "csv"


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[_Cell]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for record in reader:
            # A quoted cell can span lines; report the line the record starts on.
            yield start, [_Cell(value) for value in record]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _FileProblem(
            f"Line {reader.line_num}: the file could not be read as CSV ({exc}). Check for an "
            "unclosed quotation mark."
        ) from exc


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _FileProblem(
            'The file is saved as UTF-16 (Excel\'s "Unicode Text"). Save it as '
            '"CSV UTF-8 (Comma delimited)" and upload it again.'
        )
    has_bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if has_bom else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if has_bom:
            # The file claims to be UTF-8, so Windows-1252 would only turn one error into many.
            line = body[: exc.start].count(b"\n") + 1
            raise _FileProblem(
                f"Line {line}: the file says it is UTF-8 but contains a character that is not. "
                "Save it again as CSV UTF-8."
            ) from exc
    # Excel's plain "CSV (Comma delimited)" on Windows writes Windows-1252.
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise _FileProblem(
            f'Line {line}: the file is not readable text. Save it as "CSV UTF-8" and upload it '
            "again."
        ) from exc


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[_Cell]]]:
    # Imported here so that reading CSV does not pay for importing openpyxl.
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles, data validation and extensions it cannot read;
            # none of them affects cell values.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _FileProblem(
            "The file could not be opened as an Excel workbook. Open it in Excel, save it as "
            ".xlsx and upload it again."
        ) from exc
    try:
        if not workbook.worksheets:
            raise _FileProblem("The workbook has no worksheets.")
        sheet = workbook.worksheets[0]
        # Some writers store a wrong sheet size, which makes read-only mode skip cells.
        sheet.reset_dimensions()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for line, row in enumerate(sheet.iter_rows(min_row=1, min_col=1), start=1):
                cells = []
                for cell in row:
                    value = cell.value
                    fmt = getattr(cell, "number_format", "") or ""
                    is_number = isinstance(value, int | float) and not isinstance(value, bool)
                    cells.append(_Cell(value, percent_format=is_number and "%" in fmt))
                yield line, cells
    finally:
        workbook.close()


# --- checking rows ---------------------------------------------------------------------------


def _parse_lines(lines: Iterator[tuple[int, list[_Cell]]], result: ParsedDashboard) -> None:
    columns: list[str] | None = None
    seen: dict[tuple[str, str], int] = {}
    measures = 0
    for line, cells in lines:
        if all(_is_blank(c.value) for c in cells):
            continue
        if columns is None:
            columns = _check_header(line, cells)
            continue
        measures += 1
        if measures > MAX_ROWS:
            raise _FileProblem(f"The file has more than {MAX_ROWS} measures: is it the right file?")
        row, errors = _parse_row(line, columns, cells)
        result.errors.extend(errors)
        if row is None:
            continue
        result.rows.append(row)
        result.warnings.extend(_row_warnings(row))
        key = (row.measure_code.casefold(), row.description.casefold())
        if key in seen:
            result.warnings.append(
                RowError(
                    line,
                    "description",
                    f"Line {line}: this repeats the measure on line {seen[key]} "
                    f"({row.measure_code}: {row.description}).",
                )
            )
        else:
            seen[key] = line
    if columns is None:
        raise _FileProblem("The file has no header row and no measures.")
    if not result.rows and not result.errors:
        raise _FileProblem("The file has a header row but no measures.")


def _check_header(line: int, cells: list[_Cell]) -> list[str]:
    raw = [_header_text(c.value) for c in cells]
    while raw and not raw[-1]:
        raw.pop()  # Excel and some CSV writers leave empty trailing columns
    names = [_header_key(h) for h in raw]
    missing = [c for c in TEMPLATE_COLUMNS if c not in names]
    unknown = [h for h, n in zip(raw, names, strict=True) if n not in TEMPLATE_COLUMNS]
    duplicated = sorted({n for n in names if n in TEMPLATE_COLUMNS and names.count(n) > 1})
    if not (missing or unknown or duplicated):
        return names
    parts = []
    if missing:
        parts.append("Missing: " + ", ".join(missing) + ".")
    if unknown:
        described = []
        for heading in unknown:
            key = _header_key(heading)
            guess = difflib.get_close_matches(key, missing, n=1, cutoff=0.6)
            if not guess:
                # "code" for measure_code, "numerator" when only one numerator is missing.
                guess = [m for m in missing if key and key in m.split("_")]
                guess = guess if len(guess) == 1 else []
            shown = f"'{heading}'" if heading else "a blank heading"
            described.append(f"{shown} (did you mean {guess[0]}?)" if guess else shown)
        parts.append("Not recognised: " + ", ".join(described) + ".")
    if duplicated:
        parts.append("More than once: " + ", ".join(duplicated) + ".")
    raise _FileProblemAt(
        line,
        f"Line {line}: the header row does not match the template. " + " ".join(parts) + " "
        "Download the template to see the expected header.",
    )


class _FileProblemAt(_FileProblem):
    """A whole-file problem that still has a line (the header)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _parse_row(
    line: int, columns: list[str], cells: list[_Cell]
) -> tuple[DashboardRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: str | None, message: str) -> None:
        where = f"Line {line}, column {column}" if column else f"Line {line}"
        errors.append(RowError(line, column, f"{where}: {message}"))

    extra = cells[len(columns) :]
    if any(not _is_blank(c.value) for c in extra):
        fail(None, f"there are values beyond the last column ({columns[-1]}); remove them.")
    cell = {name: cells[i] if i < len(cells) else _Cell(None) for i, name in enumerate(columns)}

    text: dict[str, str] = {}
    for name in columns:
        if name in ("benchmark",) or name.endswith(("_value", "_numerator", "_denominator")):
            continue
        value = cell[name].value
        if isinstance(value, dt.datetime | dt.date | dt.time):
            fail(name, _date_message(cell[name], _EXAMPLES.get(name, "the text you meant")))
            text[name] = ""
        elif name.endswith("_note"):
            # Notes may run over several lines; keep their line breaks.
            text[name] = "" if value is None else str(value).replace("\r\n", "\n").strip()
        else:
            text[name] = _as_text(value)

    for name, what in (
        ("layer", "the strategy layer, like Prevent"),
        ("measure_code", "the measure code, or Local for a local measure"),
        ("description", "a description of the measure"),
    ):
        if not text[name]:
            fail(name, f"enter {what}.")

    aim = parse_aim(text["aim"])
    if aim is None:
        found = f" (found '{text['aim']}')" if text["aim"] else ""
        fail("aim", f"enter High, Low, Band or Information only{found}.")
    unit = parse_unit(text["unit"])
    if unit is None:
        found = f" (found '{text['unit']}')" if text["unit"] else ""
        fail("unit", f"enter percent, count, thousands, rate per 100k, score or days{found}.")

    benchmark, band = _parse_benchmark(cell["benchmark"], aim, unit, fail)

    values: dict[str, Decimal | None] = {}
    whole: dict[str, int | None] = {}
    for period in ("current", "previous"):
        values[period] = _parse_number(cell[f"{period}_value"], f"{period}_value", unit, fail)
        numerator = _parse_whole(cell[f"{period}_numerator"], f"{period}_numerator", fail)
        denominator = _parse_whole(cell[f"{period}_denominator"], f"{period}_denominator", fail)
        whole[f"{period}_numerator"], whole[f"{period}_denominator"] = numerator, denominator
        _check_counts(period, values[period], numerator, denominator, cell, fail)
        has_figures = not all(
            _is_blank(cell[f"{period}_{part}"].value)
            for part in ("value", "numerator", "denominator")
        )
        if has_figures and _is_blank(cell[f"{period}_period"].value):
            fail(
                f"{period}_period",
                f"enter the period these figures cover, like {_EXAMPLES[f'{period}_period']}.",
            )

    if errors or aim is None or unit is None:
        return None, errors
    return (
        DashboardRow(
            line=line,
            layer=text["layer"],
            plan_outcome=text["plan_outcome"],
            measure_code=text["measure_code"],
            description=text["description"],
            aim=aim,
            unit=unit,
            benchmark=benchmark,
            band=band,
            benchmark_label=text["benchmark_label"],
            current_period=text["current_period"],
            current_value=values["current"],
            current_numerator=whole["current_numerator"],
            current_denominator=whole["current_denominator"],
            current_note=text["current_note"],
            previous_period=text["previous_period"],
            previous_value=values["previous"],
            previous_numerator=whole["previous_numerator"],
            previous_denominator=whole["previous_denominator"],
            previous_note=text["previous_note"],
        ),
        [],
    )


def _parse_benchmark(
    cell: _Cell, aim: Aim | None, unit: Unit | None, fail: _Fail
) -> tuple[Decimal | None, tuple[Decimal, Decimal] | None]:
    if _is_blank(cell.value):
        if aim is Aim.BAND:
            fail("benchmark", "enter the target band as low-high, like 55-60.")
        return None, None
    if isinstance(cell.value, dt.datetime | dt.date | dt.time):
        # Typing a band such as 7-12 into Excel stores the date 7 December.
        fail("benchmark", _date_message(cell, "55-60" if aim is Aim.BAND else "84.6"))
        return None, None
    if isinstance(cell.value, str):
        match = _BAND.match(_clean_number_text(cell.value))
        if match:
            low, high = Decimal(match.group(1)), Decimal(match.group(2))
            if aim not in (Aim.BAND, None):
                fail("benchmark", f"a range like {cell.value.strip()} needs the aim Band.")
            elif low > high:
                fail(
                    "benchmark",
                    f"put the lower limit first, like {high}-{low} (found '{cell.value.strip()}').",
                )
            return None, (low, high)
    if aim is Aim.BAND:
        fail("benchmark", f"enter the target band as low-high, like 55-60 (found {_shown(cell)}).")
        return None, None
    return _parse_number(cell, "benchmark", unit, fail), None


def _check_counts(
    period: str,
    value: Decimal | None,
    numerator: int | None,
    denominator: int | None,
    cell: dict[str, _Cell],
    fail: _Fail,
) -> None:
    num_col, den_col = f"{period}_numerator", f"{period}_denominator"
    if (numerator is None) != (denominator is None):
        blank_col = num_col if numerator is None else den_col
        if _is_blank(cell[blank_col].value):  # not already reported as a bad number
            fail(blank_col, "enter both the numerator and the denominator, or neither.")
        return
    if numerator is None or denominator is None:
        return
    if denominator == 0:
        fail(den_col, "the denominator must be more than 0.")
    elif numerator > denominator:
        fail(
            num_col,
            f"the numerator ({numerator:,}) is more than the denominator ({denominator:,}).",
        )
    if value is None and _is_blank(cell[f"{period}_value"].value):
        fail(f"{period}_value", "enter the value as well as the numerator and denominator.")


def _row_warnings(row: DashboardRow) -> list[RowError]:
    """Flag percentages that do not match their own numerator and denominator."""
    found: list[RowError] = []
    if row.unit is not Unit.PERCENT:
        return found
    for period in ("current", "previous"):
        value: Decimal | None = getattr(row, f"{period}_value")
        numerator: int | None = getattr(row, f"{period}_numerator")
        denominator: int | None = getattr(row, f"{period}_denominator")
        if value is None or numerator is None or not denominator:
            continue
        computed = Decimal(numerator) * 100 / Decimal(denominator)
        exponent = value.as_tuple().exponent
        # One unit in the last published place allows for rounding or truncation.
        allowed = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)
        if abs(computed - value) > allowed:
            found.append(
                RowError(
                    row.line,
                    f"{period}_value",
                    f"Line {row.line}, column {period}_value: {value}% does not match "
                    f"{numerator:,} out of {denominator:,} ({computed:.1f}%). Check which "
                    "figure is right.",
                )
            )
    return found


# --- cell values -----------------------------------------------------------------------------


def _parse_number(cell: _Cell, column: str, unit: Unit | None, fail: _Fail) -> Decimal | None:
    value = cell.value
    if _is_blank(value):
        return None
    example = _EXAMPLES.get(column, "87.2")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        fail(column, _date_message(cell, example))
        return None
    if isinstance(value, bool):
        fail(column, f"enter a number, like {example} (found {_shown(cell)}).")
        return None
    has_percent = cell.percent_format
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            fail(column, f"enter a number, like {example} (found {_shown(cell)}).")
            return None
        if cell.percent_format:
            number = _tidy(number * 100)
    else:
        text = _clean_number_text(str(value))
        if text.endswith("%"):
            has_percent, text = True, text[:-1].rstrip()
        if not _NUMBER.match(text):
            fail(column, f"enter a number, like {example} (found {_shown(cell)}).")
            return None
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            fail(column, f"enter a number, like {example} (found {_shown(cell)}).")
            return None
    if has_percent and unit not in (Unit.PERCENT, None):
        fail(column, f"remove the % sign: this measure's unit is {unit.value.replace('_', ' ')}.")
        return None
    return number


def _parse_whole(cell: _Cell, column: str, fail: _Fail) -> int | None:
    number = _parse_number(cell, column, None, fail)
    if number is None:
        return None
    example = _EXAMPLES.get(column, "1,198")
    if cell.percent_format or (isinstance(cell.value, str) and "%" in cell.value):
        fail(column, f"enter a count of people, like {example}, not a percentage.")
        return None
    if number != number.to_integral_value() or number < 0:
        fail(column, f"enter a whole number, like {example} (found {_shown(cell)}).")
        return None
    return int(number)


def _clean_number_text(text: str) -> str:
    # Non-breaking and thin spaces arrive from copy and paste; a Unicode minus from Word.
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("−", "-").strip()


def _tidy(number: Decimal) -> Decimal:
    """Drop trailing zeros added by scaling (87.200 -> 87.2) without exponent form (1E+2)."""
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _is_blank(value: _CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value: _CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores the period 2024 as 2024.0
    return " ".join(str(value).replace("\u00a0", " ").split())


def _shown(cell: _Cell) -> str:
    value = cell.value
    if isinstance(value, dt.datetime | dt.date):
        text = value.strftime("%d %b %Y")
    else:
        text = str(value).strip()
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}'"


def _date_message(cell: _Cell, example: str) -> str:
    return (
        f"Excel has stored this as a date or time ({_shown(cell)}); format the cell as text "
        f"and type it again, like {example}."
    )


def _header_text(value: _CellValue) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip()


def _header_key(heading: str) -> str:
    return re.sub(r"[\s\-]+", "_", heading.strip().lower())


def _column_order(column: str | None) -> int:
    return TEMPLATE_COLUMNS.index(column) if column in TEMPLATE_COLUMNS else -1


# --- ASCOF codes -----------------------------------------------------------------------------


def _code_key(code: str) -> str:
    key = " ".join(code.split()).casefold()
    # "ascof 2a(2)" and "2a(2)" mean "ascof 2a pt 2".
    key = re.sub(r"\b(\d[a-z])\s*\((\d[a-z]?)\)", r"\1 pt \2", key)
    return key if key.startswith("ascof ") else f"ascof {key}"


@cache
def _ascof_codes() -> dict[str, tuple[str, str, str]]:
    text = resources.files("tracker").joinpath("data/ascof_codes.csv").read_text("utf-8")
    return {
        _code_key(row["old_code"]): (row["new_code"], row["basis"], row["old_code"])
        for row in csv.DictReader(io.StringIO(text))
    }


# --- uploads kept between preview and import -------------------------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{64}$")


def stash_upload(folder: Path, data: bytes, filename: str) -> str:
    """Keep an uploaded file under ``folder`` by its SHA-256 and return that as a token.

    The import step reads the file back by token, so the confirming request never re-sends
    (and cannot alter) what was previewed.
    """
    import hashlib

    token = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / token
    if not path.exists():
        partial = folder / f"{token}.part"
        partial.write_bytes(data)
        partial.replace(path)
    (folder / f"{token}.name").write_text(os.path.basename(filename)[:200], "utf-8")
    return token


def read_stash(folder: Path, token: str) -> tuple[bytes, str] | None:
    """The bytes and file name kept under ``token``, or None if unknown or malformed."""
    if not _TOKEN.match(token or ""):
        return None
    path = folder / token
    try:
        data = path.read_bytes()
    except OSError:
        return None
    name_file = folder / f"{token}.name"
    name = name_file.read_text("utf-8") if name_file.exists() else "dashboard"
    return data, name


def dashboard_xlsx(summaries: Iterable[Any]) -> bytes:
    """The committee dashboard as an XLSX workbook: one row per measure with both judgements.

    ``summaries`` are ``services.measures.MeasureSummary`` objects, in dashboard order.
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Dashboard"
    header = [
        "Layer",
        "Plan outcome",
        "Code",
        "Measure",
        "Aim",
        "Period",
        "Value",
        "Numerator",
        "Denominator",
        "Benchmark",
        "Benchmark label",
        "Rating",
        "Rating explanation",
        "Previous period",
        "Previous value",
        "Progress",
        "Progress explanation",
        "Note",
        "Quality statements",
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for s in summaries:
        m, latest, previous = s.measure, s.latest, s.previous
        band = latest.band if latest is not None else None
        benchmark: Any = latest.benchmark if latest is not None else None
        if band is not None:
            benchmark = f"{band[0]:g}-{band[1]:g}"
        sheet.append(
            [
                m.layer.label,
                m.plan_outcome,
                m.code,
                m.title,
                m.aim.value,
                latest.period if latest else "",
                latest.value if latest else None,
                latest.numerator if latest else None,
                latest.denominator if latest else None,
                benchmark,
                latest.benchmark_label if latest else "",
                s.rating.label,
                s.rating.explanation,
                previous.period if previous else "",
                previous.value if previous else None,
                s.progress.label,
                s.progress.explanation,
                s.note,
                ", ".join(s.statement_codes),
            ]
        )
    widths = {"B": 40, "D": 50, "M": 60, "Q": 60, "R": 40}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
