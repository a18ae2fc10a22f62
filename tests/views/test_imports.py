"""The bulk import page: upload a zip, the job runs in the background, the page reports."""

from __future__ import annotations

import io
import time

from tests import factories
from tests.search_factories import zip_bomb_bytes, zip_bytes
from tracker.models import Role


def _wait_until_finished(browser, job_url):
    for _ in range(200):
        status = browser.get(job_url + "/status").get_json()
        if status["finished"]:
            return status
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_zip_import_runs_in_the_background_and_reports(as_role, session, tmp_path):
    factories.item(session, 5)
    session.commit()
    team = as_role(Role.ASSURANCE)
    data = zip_bytes(
        {
            "IR 05 - Waiting lists/list.txt": b"Axolotl waiting list figures",
            "Other/notes.txt": b"no item",
        }
    )
    response = team.post(
        "/imports/",
        {"archive": (io.BytesIO(data), "drive.zip")},
        content_type="multipart/form-data",
    )
    job_url = response.headers["Location"]
    page = team.get(job_url)
    status = _wait_until_finished(team, job_url)
    assert status["created"] == 1 and status["skipped"] == 1 and status["status"] == "done"
    html = team.text(job_url)
    assert "Finished" in html
    assert "Other/notes.txt" in html and "does not name an IR item" in html
    assert "Refresh" not in team.get(job_url).headers
    assert page.status_code == 200
    assert "1 result" in team.text("/search/?q=axolotl")


def test_running_job_page_reloads_itself(as_role, app, session):
    from tracker.services import bulk_import

    actor = factories.user(session, Role.ASSURANCE, "other@example.gov.uk")
    job = bulk_import.create_job(session, "slow.zip", bulk_import.Plan(), actor)
    session.commit()
    response = as_role(Role.ASSURANCE).get(f"/imports/{job.id}")
    assert response.headers["Refresh"] == "2"
    assert "Waiting to start" in response.get_data(as_text=True)


def test_zip_bomb_upload_is_refused(as_role):
    team = as_role(Role.ASSURANCE)
    html = team.post(
        "/imports/",
        {"archive": (io.BytesIO(zip_bomb_bytes(64)), "bomb.zip")},
        status=400,
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "zip bomb" in html


def test_no_file_chosen(as_role):
    html = as_role(Role.ASSURANCE).post("/imports/", {}, status=400).get_data(as_text=True)
    assert "Select a zip file" in html


def test_staff_cannot_import(as_role):
    as_role(Role.STAFF).get("/imports/", status=403)
