"""Trend charts: the SVG and the PNG show the same periods, values and benchmark."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from PIL import Image
from sqlmodel import Session

from tests.measures_factories import NEW, OLD, import_file
from tracker import charts
from tracker.services import measures

SVG = "{http://www.w3.org/2000/svg}"


def _summary(session: Session, code: str) -> measures.MeasureSummary:
    return next(s for s in measures.measure_summaries(session) if s.measure.code == code)


def test_svg_is_accessible_and_labels_every_period(session: Session) -> None:
    import_file(session, OLD, old_codes=True)
    import_file(session, NEW)
    svg = str(charts.trend_svg(_summary(session, "ASCOF 2A"), "c1"))
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert "2021/22: 90%" in desc.text and "Apr-Nov 2024: 88.8%" in desc.text
    assert "Benchmark: Apr-Nov 2022 77.6%; Apr-Nov 2024 79.4%" in desc.text
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"2021/22", "Apr-Nov 2022", "2023/24", "Apr-Nov 2024", "88.8%"} <= texts
    dashed = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke-dasharray")]
    assert len(dashed) == 1  # the benchmark line joins its two points


def test_missing_value_is_written_not_plotted(session: Session) -> None:
    import_file(session, NEW)
    root = ET.fromstring(str(charts.trend_svg(_summary(session, "ASCOF 3C2"), "c2")))
    assert "No data" in {t.text for t in root.iter(f"{SVG}text")}
    assert len(list(root.iter(f"{SVG}circle"))) == 2  # one for 2023/24, one in the legend


def test_band_is_shaded_and_named(session: Session) -> None:
    import_file(session, OLD)
    summary = next(
        s for s in measures.measure_summaries(session) if "'Meet need'" in s.measure.title
    )
    data = charts.chart_data(summary)
    assert data.band == (7.0, 12.0)
    svg = str(charts.svg_for(data, "c3"))
    assert "Target band (shaded): 7–12%" in svg


def test_png_is_a_real_image_of_the_requested_size(session: Session) -> None:
    import_file(session, NEW)
    png = charts.trend_png(_summary(session, "ASCOF 3D"), width=900, height=400)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (900, 400)
    # The value line's blue is drawn somewhere on the white canvas.
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=100_000) or []}
    assert (0x1D, 0x70, 0xB8) in colours
