"""The main journey in a real browser: evidence in, entry written, approved by a director."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests import factories
from tests.e2e.conftest import LiveApp, sign_in, sign_out
from tracker.models import Role


def test_upload_write_cite_and_approve(page: Page, live_app: LiveApp, tmp_path: Path) -> None:
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
