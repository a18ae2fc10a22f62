"""Reading dashboard CSV and XLSX files: the real published files, bad files and the template."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from tracker.dashboard_file import (
    MAX_ROWS,
    TEMPLATE_COLUMNS,
    ParsedDashboard,
    ascof_mappings,
    map_old_code,
    parse_aim,
    parse_dashboard,
    parse_unit,
    template_csv_bytes,
    template_rows,
    write_template_csv,
)
from tracker.judgements import Aim, Progress, Rating, Unit

FIXTURES = Path(__file__).parent / "fixtures"
REAL_FILES = ["dashboard-2024-11.csv", "dashboard-2022-11.csv"]
HEADER = ",".join(TEMPLATE_COLUMNS)


def real_records(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def csv_file(*data_lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *data_lines]) + "\n").encode("utf-8")


def good_line(**changes: str) -> str:
    """One valid data line (ASCOF 2E from the 2024 dashboard), with some cells changed."""
    values = {
        "layer": "Reduce",
        "plan_outcome": "Improved Opportunities",
        "measure_code": "ASCOF 2E",
        "description": "% of adults with a learning disability living at home or with family",
        "aim": "High",
        "unit": "percent",
        "benchmark": "81.6",
        "benchmark_label": "23/24 national average",
        "current_period": "Apr-Nov 2024",
        "current_value": "87.0",
        "current_numerator": "1221",
        "current_denominator": "1403",
        "current_note": "",
        "previous_period": "2023/24",
        "previous_value": "85.3",
        "previous_numerator": "1206",
        "previous_denominator": "1414",
        "previous_note": "",
    }
    values.update(changes)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([values[c] for c in TEMPLATE_COLUMNS])
    return buffer.getvalue()


def messages(parsed: ParsedDashboard) -> list[str]:
    return [e.message for e in parsed.errors]


def only_error(parsed: ParsedDashboard) -> str:
    assert len(parsed.errors) == 1, messages(parsed)
    assert parsed.rows == [] or not parsed.ok
    return parsed.errors[0].message


def xlsx_bytes(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_typed(text: str) -> object:
    """What Excel would store after someone typed this: numbers become numbers."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text or None


# --- the real published dashboards -----------------------------------------------------------


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_dashboards_parse_clean(name: str) -> None:
    parsed = parse_dashboard(FIXTURES / name)
    assert parsed.errors == []
    assert parsed.ok and parsed.format == "csv" and parsed.filename == name
    assert len(parsed.rows) == len(real_records(name))


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_dashboard_values_match_the_file_cell_by_cell(name: str) -> None:
    parsed = parse_dashboard((FIXTURES / name).read_bytes(), name)
    for row, record in zip(parsed.rows, real_records(name), strict=True):
        assert row.description == record["description"]
        for column in ("current_value", "previous_value"):
            expected = Decimal(record[column]) if record[column] else None
            assert getattr(row, column) == expected
        for column in ("current_numerator", "current_denominator", "previous_denominator"):
            expected_int = int(record[column]) if record[column] else None
            assert getattr(row, column) == expected_int
        assert row.current_note == record["current_note"]
        if row.aim is Aim.BAND:
            low, high = record["benchmark"].split("-")
            assert row.band == (Decimal(low), Decimal(high)) and row.benchmark is None
        else:
            assert row.band is None
            assert row.benchmark == (Decimal(record["benchmark"]) if record["benchmark"] else None)


def test_real_dashboard_line_numbers_point_at_the_file_lines() -> None:
    lines = (FIXTURES / "dashboard-2024-11.csv").read_text(encoding="utf-8").splitlines()
    for row in parse_dashboard(FIXTURES / "dashboard-2024-11.csv").rows:
        assert row.description in lines[row.line - 1]


def test_real_spellings_map_to_the_enums() -> None:
    rows = parse_dashboard(FIXTURES / "dashboard-2022-11.csv").rows
    assert {r.aim for r in rows} == {Aim.HIGHER, Aim.LOWER, Aim.BAND, Aim.INFORMATION}
    assert {r.unit for r in rows} == {Unit.PERCENT, Unit.THOUSANDS, Unit.RATE_PER_100K}
    sequels = [r for r in rows if r.aim is Aim.BAND]
    assert [r.band for r in sequels] == [
        (Decimal(55), Decimal(60)),
        (Decimal(18), Decimal(23)),
        (Decimal(10), Decimal(15)),
        (Decimal(7), Decimal(12)),
    ]
    waiting = parse_dashboard(FIXTURES / "dashboard-2024-11.csv").rows
    assert Unit.COUNT in {r.unit for r in waiting}


def test_real_dashboard_rows_are_judged() -> None:
    rows = parse_dashboard(FIXTURES / "dashboard-2024-11.csv").rows
    direct_payments = next(r for r in rows if r.measure_code == "ASCOF 3D")
    assert direct_payments.counts == (1723, 5081, 1795, 5043)
    assert direct_payments.rating().result is Rating.BETTER  # 33.9% against 25.5%
    judgement = direct_payments.progress()
    assert judgement.result is Progress.SIMILAR
    assert "not a significant change" in judgement.explanation
    survey = next(r for r in rows if r.measure_code == "ASCOF 3C2")
    assert survey.rating().result is Rating.NO_DATA
    assert "biennial" in survey.rating().explanation


def test_real_dashboards_warn_where_a_percentage_disagrees_with_its_counts() -> None:
    # Published figures that do not match their own numerator and denominator.
    parsed = parse_dashboard(FIXTURES / "dashboard-2024-11.csv")
    assert parsed.ok
    flagged = {(w.line, w.column) for w in parsed.warnings}
    for row in parsed.rows:
        if row.current_numerator and row.current_value is not None:
            share = Decimal(row.current_numerator) * 100 / Decimal(row.current_denominator or 1)
            off = abs(share - row.current_value) > Decimal("0.1")
            assert ((row.line, "current_value") in flagged) == off


@pytest.mark.parametrize("name", REAL_FILES)
def test_package_data_copies_are_the_same_files(name: str) -> None:
    packaged = resources.files("tracker").joinpath("data/dashboards", name).read_bytes()
    assert packaged == (FIXTURES / name).read_bytes()


# --- encodings and sources -------------------------------------------------------------------


def test_bom_cp1252_file_object_and_path_give_the_same_rows(tmp_path: Path) -> None:
    raw = (FIXTURES / "dashboard-2024-11.csv").read_bytes()
    expected = parse_dashboard(raw, "a.csv").rows
    assert parse_dashboard(b"\xef\xbb\xbf" + raw, "a.csv").rows == expected
    assert parse_dashboard(io.BytesIO(raw), "a.csv").rows == expected
    path = tmp_path / "upload.csv"
    path.write_bytes(raw)
    assert parse_dashboard(str(path)).rows == expected


def test_windows_1252_text_is_read() -> None:
    data = csv_file(good_line(description="Café visits – £ spent")).replace(b"\n", b"\r\n")
    parsed = parse_dashboard(data.decode("utf-8").encode("cp1252"), "old-excel.csv")
    assert parsed.ok, messages(parsed)
    assert parsed.rows[0].description == "Café visits – £ spent"


def test_utf8_bom_with_a_bad_byte_names_the_line() -> None:
    data = b"\xef\xbb\xbf" + csv_file(good_line(), good_line(description="bad \x96 byte"))
    data = data.replace("\x96".encode(), b"\x96")
    message = only_error(parse_dashboard(data, "x.csv"))
    assert message.startswith("Line 3:") and "UTF-8" in message


def test_bytes_that_are_neither_utf8_nor_windows_1252_name_the_line() -> None:
    data = csv_file(good_line(), good_line(description="odd \x81 byte"))
    data = data.replace("\x81".encode(), b"\x81")
    message = only_error(parse_dashboard(data, "x.csv"))
    assert message.startswith("Line 3:") and "not readable text" in message


def test_too_many_rows_is_refused() -> None:
    lines = [good_line(description=f"Measure {n}") for n in range(MAX_ROWS + 1)]
    assert "more than" in only_error(parse_dashboard(csv_file(*lines), "x.csv"))
    assert parse_dashboard(csv_file(*lines[:MAX_ROWS]), "x.csv").ok


def test_utf16_is_refused_with_advice() -> None:
    data = csv_file(good_line()).decode().encode("utf-16")
    assert "CSV UTF-8" in only_error(parse_dashboard(data, "x.csv"))


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "x.csv", "empty"),
        (b"  \n\n", "x.csv", "empty"),
        (HEADER.encode() + b"\n", "x.csv", "no measures"),
        (b"\xd0\xcf\x11\xe0rest-of-an-old-excel-file", "x.xls", ".xls"),
        (b"PK\x03\x04 not really a zip", "x.xlsx", "could not be opened as an Excel"),
        (b"layer,aim\n", "x.xlsx", "not an Excel workbook"),
        (b"%PDF-1.7", "report.pdf", "Upload a CSV file"),
    ],
)
def test_unusable_files_give_one_clear_error(data: bytes, name: str, words: str) -> None:
    parsed = parse_dashboard(data, name)
    assert words in only_error(parsed)
    assert parsed.rows == [] and not parsed.ok


def test_missing_path_is_an_error_not_an_exception(tmp_path: Path) -> None:
    assert "could not be opened" in only_error(parse_dashboard(tmp_path / "gone.csv"))


# --- the header ------------------------------------------------------------------------------


def test_misspelt_missing_and_extra_headers_are_one_error_naming_them() -> None:
    header = HEADER.replace("current_value", "curent_value").replace(",previous_note", "")
    parsed = parse_dashboard(csv_file(good_line(), header=header + ",rag"), "x.csv")
    error = parsed.errors[0]
    assert len(parsed.errors) == 1 and error.line == 1 and parsed.rows == []
    assert "Missing: current_value, previous_note." in error.message
    assert "'curent_value' (did you mean current_value?)" in error.message
    assert "'rag'" in error.message


def test_duplicate_header_is_named() -> None:
    parsed = parse_dashboard(csv_file(header=HEADER + ",aim"), "x.csv")
    assert "More than once: aim" in only_error(parsed)


def test_header_case_spacing_order_and_leading_blank_lines_are_forgiven() -> None:
    columns = list(TEMPLATE_COLUMNS)
    friendly = [c.replace("_", " ").title() for c in reversed(columns)]
    line = next(csv.reader([good_line()]))
    reordered = ",".join(reversed(line))
    data = b"\n\n" + csv_file(reordered, header=",".join(friendly) + ",,")
    parsed = parse_dashboard(data, "x.csv")
    assert parsed.ok, messages(parsed)
    assert parsed.rows[0].line == 4 and parsed.rows[0].measure_code == "ASCOF 2E"


# --- values ----------------------------------------------------------------------------------


def test_error_message_names_line_column_and_what_was_found() -> None:
    parsed = parse_dashboard(csv_file(good_line(), good_line(current_value="n/a")), "x.csv")
    assert messages(parsed) == [
        "Line 3, column current_value: enter a number, like 87.2 (found 'n/a')."
    ]
    error = parsed.errors[0]
    assert (error.line, error.column) == (3, "current_value")
    assert [r.line for r in parsed.rows] == [2]
    assert not parsed.ok


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"current_value": "87.2%"}, "current_value", Decimal("87.2")),
        ({"current_value": " 87.2 % "}, "current_value", Decimal("87.2")),
        ({"current_numerator": "1,221"}, "current_numerator", 1221),
        ({"current_denominator": "1,403.0"}, "current_denominator", 1403),
        ({"unit": "count", "aim": "Low", "benchmark": "1,613.5"}, "benchmark", Decimal("1613.5")),
        ({"unit": "count", "current_value": "−3"}, "current_value", Decimal(-3)),
        (
            {"current_value": "", "current_numerator": "", "current_denominator": ""},
            "current_value",
            None,
        ),
        ({"benchmark": ""}, "benchmark", None),
        ({"aim": "Low", "unit": "Rate per 100k"}, "unit", Unit.RATE_PER_100K),
        ({"aim": "information only"}, "aim", Aim.INFORMATION),
        ({"aim": "Band", "benchmark": "55% – 60%"}, "band", (Decimal(55), Decimal(60))),
        ({"aim": "Band", "benchmark": "55 to 60"}, "band", (Decimal(55), Decimal(60))),
    ],
)
def test_numbers_and_spellings_people_type(changes: dict[str, str], field: str, expected: object):
    parsed = parse_dashboard(csv_file(good_line(**changes)), "x.csv")
    assert parsed.ok, messages(parsed)
    assert getattr(parsed.rows[0], field) == expected


@pytest.mark.parametrize(
    ("changes", "column", "words"),
    [
        ({"current_value": "12,5"}, "current_value", "enter a number"),
        ({"current_value": "1,22,1"}, "current_value", "enter a number"),
        ({"previous_value": "85.3.1"}, "previous_value", "enter a number"),
        ({"benchmark": "about 80"}, "benchmark", "enter a number, like 84.6"),
        ({"unit": "count", "current_value": "5%"}, "current_value", "remove the % sign"),
        ({"current_numerator": "1221.5"}, "current_numerator", "whole number"),
        ({"current_numerator": "-4"}, "current_numerator", "whole number"),
        ({"current_numerator": "87%"}, "current_numerator", "not a percentage"),
        ({"current_numerator": "1500"}, "current_numerator", "more than the denominator"),
        (
            {"current_denominator": "0", "current_numerator": "0"},
            "current_denominator",
            "more than 0",
        ),
        ({"current_denominator": ""}, "current_denominator", "both the numerator"),
        ({"previous_numerator": ""}, "previous_numerator", "both the numerator"),
        ({"current_value": ""}, "current_value", "enter the value as well"),
        ({"current_period": ""}, "current_period", "enter the period"),
        ({"aim": "Hihg"}, "aim", "enter High, Low, Band or Information only (found 'Hihg')"),
        ({"aim": ""}, "aim", "enter High, Low"),
        ({"unit": "pounds"}, "unit", "(found 'pounds')"),
        ({"aim": "Band", "benchmark": "60-55"}, "benchmark", "lower limit first"),
        ({"aim": "Band", "benchmark": "55"}, "benchmark", "like 55-60"),
        ({"aim": "Band", "benchmark": ""}, "benchmark", "enter the target band"),
        ({"benchmark": "55-60"}, "benchmark", "needs the aim Band"),
        ({"description": ""}, "description", "enter a description"),
        ({"measure_code": " "}, "measure_code", "or Local"),
        ({"layer": ""}, "layer", "enter the strategy layer"),
    ],
)
def test_bad_cells_are_reported_at_their_column(
    changes: dict[str, str], column: str, words: str
) -> None:
    parsed = parse_dashboard(csv_file(good_line(), good_line(**changes)), "x.csv")
    assert [(e.line, e.column) for e in parsed.errors] == [(3, column)], messages(parsed)
    message = parsed.errors[0].message
    assert message.startswith(f"Line 3, column {column}: ")
    assert words in message
    assert len(parsed.rows) == 1


def test_a_blank_benchmark_is_no_data_rather_than_an_error() -> None:
    # A missing national average is normal ("National data to be published in February 2025").
    parsed = parse_dashboard(csv_file(good_line(benchmark="")), "x.csv")
    assert parsed.ok and parsed.rows[0].rating().result is Rating.NO_DATA


def test_several_errors_are_all_reported_in_file_order() -> None:
    data = csv_file(
        good_line(previous_value="x", current_value="y"),
        good_line(),
        good_line(aim="?"),
    )
    parsed = parse_dashboard(data, "x.csv")
    assert [(e.line, e.column) for e in parsed.errors] == [
        (2, "current_value"),
        (2, "previous_value"),
        (4, "aim"),
    ]


def test_extra_cells_beyond_the_header_are_an_error_but_empty_ones_are_not() -> None:
    parsed = parse_dashboard(csv_file(good_line() + ",,", good_line() + ",RAG: green"), "x.csv")
    assert [(e.line, e.column) for e in parsed.errors] == [(3, None)]
    assert "beyond the last column" in parsed.errors[0].message


def test_short_rows_read_missing_cells_as_blank() -> None:
    short = good_line().split(",1206,")[0] + ",1206"  # stops at previous_numerator
    parsed = parse_dashboard(csv_file(short), "x.csv")
    assert [(e.column) for e in parsed.errors] == ["previous_denominator"]


def test_blank_lines_and_multi_line_cells_keep_line_numbers_true() -> None:
    note = '"Survey is biennial\nand will next run in October 2025"'
    data = csv_file(
        good_line(),
        "",
        good_line(current_value="", current_numerator="", current_denominator="").replace(
            ",,,,2023/24", f",,,{note},2023/24"
        ),
        ",,,,,,,,,,,,,,,,,",
        good_line(current_value="bad"),
    )
    parsed = parse_dashboard(data, "x.csv")
    assert [r.line for r in parsed.rows] == [2, 4]
    assert parsed.rows[1].current_note == "Survey is biennial\nand will next run in October 2025"
    assert [e.line for e in parsed.errors] == [7]


def test_repeated_measure_is_a_warning() -> None:
    parsed = parse_dashboard(csv_file(good_line(), good_line()), "x.csv")
    assert parsed.ok
    assert [w.line for w in parsed.warnings] == [3]
    assert "line 2" in parsed.warnings[0].message


def test_unclosed_quote_is_reported() -> None:
    parsed = parse_dashboard(csv_file(good_line(), good_line(description="x") + ',"'), "x.csv")
    assert "quotation mark" in only_error(parsed)


# --- XLSX ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_FILES)
def test_xlsx_copy_of_a_real_dashboard_reads_the_same_as_the_csv(name: str) -> None:
    with (FIXTURES / name).open(newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    data = xlsx_bytes([table[0]] + [[as_typed(cell) for cell in row] for row in table[1:]])
    from_xlsx = parse_dashboard(data, name.replace(".csv", ".xlsx"))
    assert from_xlsx.errors == [] and from_xlsx.format == "xlsx"
    assert from_xlsx.rows == parse_dashboard(FIXTURES / name).rows


def test_xlsx_percent_formatted_cells_and_blank_rows() -> None:
    header = list(TEMPLATE_COLUMNS)
    row = [as_typed(v) for v in next(csv.reader([good_line()]))]
    row[header.index("current_value")] = 0.87
    data = xlsx_bytes([header, [], row], formats={"J3": "0.0%"})
    parsed = parse_dashboard(data, "upload.xlsx")
    assert parsed.ok, messages(parsed)
    assert parsed.rows[0].line == 3
    assert parsed.rows[0].current_value == Decimal("87")


def test_xlsx_dates_that_excel_invented_are_explained() -> None:
    # Typing 7-12 into Excel stores 7 December; typing Nov-24 stores a date too.
    header = list(TEMPLATE_COLUMNS)
    row = [as_typed(v) for v in next(csv.reader([good_line(aim="Band")]))]
    row[header.index("benchmark")] = dt.datetime(2024, 12, 7)
    row[header.index("previous_period")] = dt.datetime(2024, 11, 24)
    parsed = parse_dashboard(xlsx_bytes([header, row]), "upload.xlsx")
    assert [(e.line, e.column) for e in parsed.errors] == [
        (2, "benchmark"),
        (2, "previous_period"),
    ]
    assert "07 Dec 2024" in parsed.errors[0].message
    assert "stored this as a date" in parsed.errors[1].message
    assert "format the cell as text" in parsed.errors[1].message


def test_xlsx_is_detected_by_content_and_bad_header_reported() -> None:
    data = xlsx_bytes([["layer", "plan outcome", "code"]])
    parsed = parse_dashboard(data)  # no filename at all
    assert parsed.format == "xlsx"
    message = only_error(parsed)
    assert message.startswith("Line 1: the header row does not match")
    assert "'code' (did you mean" in message


# --- template and ASCOF codes ----------------------------------------------------------------


def test_template_has_the_header_and_one_example_that_parses_clean() -> None:
    rows = template_rows()
    assert rows[0] == list(TEMPLATE_COLUMNS) and len(rows) == 2
    buffer = io.StringIO(newline="")
    write_template_csv(buffer)
    parsed = parse_dashboard(buffer.getvalue().encode(), "template.csv")
    assert parsed.ok and not parsed.warnings and len(parsed.rows) == 1
    as_bytes = template_csv_bytes()
    assert as_bytes.startswith(b"\xef\xbb\xbf")
    assert parse_dashboard(as_bytes, "template.csv").rows == parsed.rows


def test_header_order_is_the_published_one() -> None:
    with (FIXTURES / "dashboard-2024-11.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip() == ",".join(TEMPLATE_COLUMNS)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ASCOF 3D pt 1", "ASCOF 3C1"),
        ("ASCOF 3D pt 2", "ASCOF 3C2"),
        ("ASCOF 1C pt 2a", "ASCOF 3D pt 2a"),
        ("ASCOF 2A pt 2", "ASCOF 2C"),
        ("ASCOF 2A(2)", "ASCOF 2C"),
        ("ascof  2a pt 2 (BCF)", "ASCOF 2C (BCF)"),
        ("Local", "Local"),
        ("ASCOF 9Z", "ASCOF 9Z"),
    ],
)
def test_map_old_code(old: str, new: str) -> None:
    assert map_old_code(old) == new


def test_old_codes_map_to_the_codes_the_2024_dashboard_uses_for_the_same_measure() -> None:
    new_by_description = {
        r["description"]: r["measure_code"] for r in real_records("dashboard-2024-11.csv")
    }
    compared = 0
    for record in real_records("dashboard-2022-11.csv"):
        new = new_by_description.get(record["description"])
        if new is None:
            continue
        compared += 1
        # The 2024 dashboard writes "ASCOF 3D" where the mapping says "ASCOF 3D pt 2a".
        assert map_old_code(record["measure_code"]).startswith(new), record["description"]
    assert compared >= 10


def test_every_mapping_has_a_basis_and_an_old_code_from_the_2022_dashboard() -> None:
    codes_2022 = {
        re.sub(r"\s+\(.*\)$", "", r["measure_code"]) for r in real_records("dashboard-2022-11.csv")
    }
    mappings = ascof_mappings()
    assert len(mappings) >= 4
    for old, new, basis in mappings:
        assert basis == "confirmed" or basis.startswith("inferred: "), basis
        assert old in codes_2022
        assert map_old_code(old) == new != old


@pytest.mark.parametrize(
    ("text", "aim"), [("High", Aim.HIGHER), ("LOW", Aim.LOWER), ("band", Aim.BAND), ("x", None)]
)
def test_parse_aim(text: str, aim: Aim | None) -> None:
    assert parse_aim(text) is aim


def test_parse_unit_accepts_the_enum_values_too() -> None:
    for unit in Unit:
        assert parse_unit(unit.value) is unit
