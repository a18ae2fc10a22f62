"""Measures pages: dashboard, filters, two-step import, editing, export and statement pages."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from sqlmodel import Session, func, select

from tests.measures_factories import NEW, import_file
from tracker.models import Role
from tracker.models.measures import Measure, MeasureValue
from tracker.services import measures


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _upload(browser: Any, data: bytes, name: str, status: int) -> str:
    response = browser.post(
        "/measures/import",
        {"file": (io.BytesIO(data), name)},
        status=status,
        content_type="multipart/form-data",
    )
    return str(response.get_data(as_text=True))


def test_import_previews_then_imports_from_the_kept_file(
    as_role: Any, session: Session, app: Any
) -> None:
    team = as_role(Role.ASSURANCE)
    page = _upload(team, NEW.read_bytes(), "dashboard-2024-11.csv", 200)
    assert 'id="count-create">25<' in page
    assert _count(session, Measure) == 0  # the preview writes nothing
    token = page.split('name="token" type="hidden" value="')[1][:64]
    kept = app.config["SETTINGS"].instance_dir / "measure-imports" / token
    assert kept.read_bytes() == NEW.read_bytes()
    team.post("/measures/import/confirm", {"token": token, "old_codes": ""})
    session.expire_all()
    assert _count(session, Measure) == 25
    again = _upload(team, NEW.read_bytes(), "dashboard-2024-11.csv", 200)
    assert 'id="count-unchanged">25<' in again
    assert "already in the tracker" in again


def test_a_tampered_token_imports_nothing(as_role: Any, session: Session) -> None:
    team = as_role(Role.ASSURANCE)
    team.post("/measures/import/confirm", {"token": "0" * 64, "old_codes": ""})
    team.post("/measures/import/confirm", {"token": "../../etc/passwd", "old_codes": ""})
    assert _count(session, Measure) == 0


def test_a_bad_file_shows_line_numbered_errors(as_role: Any, session: Session) -> None:
    text = NEW.read_text("utf-8").replace(",88.8,2739,", ",lots,2739,")
    page = _upload(as_role(Role.ASSURANCE), text.encode(), "bad.csv", 400)
    assert "Line 19, column current_value" in page
    assert "Nothing has been imported" in page
    assert 'name="token"' not in page
    assert _count(session, Measure) == 0


def test_dashboard_groups_filters_and_shows_words_with_symbols(
    as_role: Any, session: Session
) -> None:
    import_file(session, NEW)
    session.commit()
    staff = as_role(Role.STAFF)
    page = staff.text("/measures/")
    assert page.index(">Prevent</h2>") < page.index(">Reduce</h2>") < page.index(">Meet need</h2>")
    assert "Better than benchmark" in page and "Not as good as previous period" in page
    assert 'role="img"' in page
    only_meet = staff.text("/measures/?layer=meet&rating=better")
    assert "Adults aged 18+ receiving direct payments" in only_meet
    assert "Heritage visits" not in only_meet
    staff.get("/measures/import", status=403)


def test_edit_measure_and_values(as_role: Any, session: Session) -> None:
    import_file(session, NEW)
    session.commit()
    m = measures.find_measure(session, "ASCOF 3D")
    assert m is not None
    team = as_role(Role.ASSURANCE)
    page = team.text(f"/measures/{m.id}")
    assert "1,723 out of 5,081" in page
    team.post(
        f"/measures/{m.id}/values/new",
        {"period": "End Dec 2024", "value": "34.5", "benchmark": "25.5"},
    )
    bad = team.post(
        f"/measures/{m.id}/values/new",
        {"period": "End Dec 2024", "value": "30"},
        status=400,
    )
    assert "There is already a value for End Dec 2024" in bad.get_data(as_text=True)
    team.post(
        f"/measures/{m.id}/edit",
        {
            "code": "ASCOF 3D",
            "title": m.title,
            "aim": "higher",
            "unit": "percent",
            "layer": "meet",
            "tolerance_kind": "absolute",
            "tolerance_amount": "2",
            "statements": ["1"],
        },
    )
    session.expire_all()
    summary = measures.get_summary(session, m.id or 0)
    assert summary.latest is not None and summary.latest.period == "End Dec 2024"
    assert summary.statement_codes == ["1A"]
    assert "±2.0 points" in summary.progress.explanation
    value = session.exec(select(MeasureValue).where(MeasureValue.period == "End Dec 2024")).one()
    team.post(f"/measures/{m.id}/values/{value.id}/delete")
    session.expire_all()
    assert measures.get_summary(session, m.id or 0).latest.period == "Apr-Nov 2024"  # type: ignore[union-attr]


def test_statement_page_lists_its_measures(as_role: Any, session: Session) -> None:
    import_file(session, NEW)
    m = measures.find_measure(session, "ASCOF 4B")
    assert m is not None
    measures.link_statements(session, m, ["3B"], None)
    session.commit()
    page = as_role(Role.STAFF).text("/statements/3B")
    assert "% of safeguarding enquiries where the identified risk was reduced" in page
    assert "Similar to previous period" in page
    assert "No measures are linked" in as_role(Role.STAFF).text("/statements/4A")


def test_export_xlsx_and_template(as_role: Any, session: Session) -> None:
    import_file(session, NEW)
    session.commit()
    director = as_role(Role.DIRECTOR)
    response = director.get("/measures/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "Code" and len(rows) == 26
    direct = next(r for r in rows if r[2] == "ASCOF 3D")
    assert direct[6] == 33.9 and direct[11] == "▲ Better than benchmark"
    template = director.get("/measures/template.csv").data.decode("utf-8-sig")
    assert template.startswith("layer,plan_outcome,measure_code,")
    png = director.get(
        f"/measures/{direct and measures.find_measure(session, 'ASCOF 3D').id}/download/chart.png"
    )  # type: ignore[union-attr]
    assert png.data.startswith(b"\x89PNG")
