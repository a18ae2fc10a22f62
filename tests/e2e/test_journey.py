"""The main journey in a real browser: evidence in, found by search, cited, approved, exported."""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document as WordDocument
from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import LiveApp, sign_in, sign_out
from tracker.models import Role


def find_by_header_search(page: Page, url: str, words: str, title: str) -> None:
    """Search from the header box until the record is listed (the index is updated just after
    the upload's response, so the first search may come before it)."""
    page.goto(f"{url}/")
    for _ in range(20):
        page.get_by_label("Search IR documents and the self-assessment").fill(words)
        page.get_by_role("button", name="Search", exact=True).click()
        if page.get_by_role("link", name=title, exact=True).count():
            break
        page.wait_for_timeout(250)
        page.goto(f"{url}/")
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()


def test_upload_find_cite_approve_and_export(page: Page, live_app: LiveApp, tmp_path: Path) -> None:
    url = live_app.url
    sign_in(page, live_app, Role.ASSURANCE)

    # An IR item to file evidence under.
    page.goto(f"{url}/evidence/new")
    page.get_by_label("Number").fill("12")
    page.get_by_label("Title").fill("Safeguarding procedures")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Safeguarding procedures")

    # Upload a real PDF under it.
    pdf = tmp_path / "procedure.pdf"
    pdf.write_bytes(factories.pdf_bytes(tmp_path, "Safeguarding adults procedure", "p.pdf"))
    page.goto(f"{url}/documents/upload")
    page.get_by_label("Files").set_input_files(str(pdf))
    page.get_by_label(re.compile(r"IR 12")).check()
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("main")).to_contain_text("procedure.pdf uploaded")

    # Anyone can find it from the search box in the header, by words inside the file.
    find_by_header_search(page, url, "safeguarding adults", "Procedure")
    expect(page.locator("main")).to_contain_text("IR 12")
    assert "q=safeguarding+adults" in page.url

    # Write an entry that cites the item, and send it for review.
    page.goto(f"{url}/assessment/1A/new")
    page.get_by_label("Topic").fill("Safeguarding is person-led")
    page.get_by_label("What do we know?").fill(
        "People say they feel safer [IR 12].\n\n- Enquiries closed in time\n- Risks reduced"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Entry saved")
    link = page.get_by_role("link", name=re.compile(r"IR 12"))
    expect(link.first).to_be_visible()
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator("main")).to_contain_text("In review")
    entry_url = page.url
    sign_out(page)

    # A director approves it.
    sign_in(page, live_app, Role.DIRECTOR)
    page.goto(entry_url)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("main")).to_contain_text("Approved")
    expect(page.locator("main")).to_contain_text("Test Director")

    # The director makes the Word document and downloads it.
    page.goto(f"{url}/exports/new")
    page.get_by_role("button", name="Make the document").click()
    expect(page.locator("main")).to_contain_text("is ready to download")
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("^Download")).click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = "\n".join(p.text for p in WordDocument(str(saved)).paragraphs)
    cells = "\n".join(
        c.text for t in WordDocument(str(saved)).tables for r in t.rows for c in r.cells
    )
    assert "Safeguarding is person-led" in text + cells
    assert "People say they feel safer [IR 12]." in cells
