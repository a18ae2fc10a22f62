import io
from datetime import date, timedelta

from openpyxl import load_workbook

from tests import factories
from tracker import db
from tracker.models import ActionStatus, Role
from tracker.services import actions
from tracker.templating import today


def _plan(app) -> None:
    with db.session_scope(app) as s:
        team = factories.user(s, Role.ASSURANCE, "seed@example.gov.uk")
        late = factories.action(s, "2A", "Late review backlog", due=today() - timedelta(days=5))
        late.owner = "Priya Shah"
        risky = factories.action(s, "1A", "Cut assessment waits", due=today() + timedelta(days=40))
        risky.status = ActionStatus.OFF_TRACK
        later = factories.action(s, "1B", '=HYPERLINK("x")', due=today() + timedelta(days=9))
        later.owner = "Tom Reid"
        s.flush()
        actions.add_update(s, late, date(2025, 3, 1), "Backlog halved", None, team)
        actions.add_update(s, risky, date(2025, 4, 1), "Recruitment delayed", None, team)


def _titles(page: str) -> list[str]:
    names = ["Late review backlog", "Cut assessment waits", "=HYPERLINK(&#34;x&#34;)"]
    found = [(page.index(n), n) for n in names if n in page]
    return [n for _, n in sorted(found)]


def test_plan_sorts_and_filters(app, as_role):
    _plan(app)
    staff = as_role(Role.STAFF)
    assert _titles(staff.text("/actions/"))[0] == "Cut assessment waits"  # 1A first
    assert _titles(staff.text("/actions/?sort=due"))[0] == "Late review backlog"
    assert _titles(staff.text("/actions/?sort=status"))[0] == "Cut assessment waits"  # off track
    assert _titles(staff.text("/actions/?overdue=yes")) == ["Late review backlog"]
    assert _titles(staff.text("/actions/?owner=Tom+Reid")) == ["=HYPERLINK(&#34;x&#34;)"]
    assert _titles(staff.text("/actions/?statement=1A&sort=nonsense")) == ["Cut assessment waits"]
    assert "Download these actions" not in staff.text("/actions/")


def test_update_log_newest_first_and_filtered(app, as_role):
    _plan(app)
    page = as_role(Role.STAFF).text("/actions/updates")
    assert page.index("Recruitment delayed") < page.index("Backlog halved")
    assert "Test Assurance team" in page
    only = as_role(Role.STAFF).text("/actions/updates?statement=2A")
    assert "Backlog halved" in only and "Recruitment delayed" not in only


def test_xlsx_download_has_the_filtered_plan_and_log(app, as_role):
    _plan(app)
    team = as_role(Role.ASSURANCE)
    assert "/actions/improvement-plan.xlsx?overdue=yes" in team.text("/actions/?overdue=yes")
    response = team.get("/actions/improvement-plan.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    plan = list(book["Improvement plan"].values)
    assert plan[0][:2] == ("Quality statement", "Action")
    assert [row[1] for row in plan[1:]] == [
        "Cut assessment waits",
        '=HYPERLINK("x")',
        "Late review backlog",
    ]
    late = plan[3]
    assert late[3] == "Priya Shah" and late[6] == "Yes" and late[7] == "Backlog halved"
    formula_cell = book["Improvement plan"]["B3"]
    assert formula_cell.data_type == "s"  # text, never run as a formula
    log = list(book["Update log"].values)
    assert {row[3] for row in log[1:]} == {"Backlog halved", "Recruitment delayed"}
    overdue = load_workbook(io.BytesIO(team.get("/actions/improvement-plan.xlsx?overdue=yes").data))
    assert [r[1] for r in list(overdue["Improvement plan"].values)[1:]] == ["Late review backlog"]


def test_staff_cannot_download(as_role):
    as_role(Role.STAFF).get("/actions/improvement-plan.xlsx", status=403)
