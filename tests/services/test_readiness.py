from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import select

from tests import factories
from tests.readiness_factories import approved_entry
from tracker.models import (
    ActionStatus,
    AuditEvent,
    EntryStatus,
    Role,
    TextStatus,
)
from tracker.models.readiness import EvidenceCategory, SelfScore, TimelineKey
from tracker.services import Invalid, documents, framework, readiness
from tracker.services.readiness import KeyDateInput, overall, rating_band

TODAY = date(2025, 6, 30)


# --- Scoring arithmetic ------------------------------------------------------------------


def _nine(total: int) -> list[int]:
    """Nine scores (1-4) adding up to total."""
    scores = [1] * 9
    i = 0
    while sum(scores) < total:
        if scores[i] < 4:
            scores[i] += 1
        else:
            i += 1
    return scores


@pytest.mark.parametrize(
    ("total", "rating", "between"),
    [
        (9, "Inadequate", None),
        (13, "Inadequate", None),
        (14, "Inadequate", "Requires improvement"),
        (15, "Requires improvement", None),
        (22, "Requires improvement", None),
        (23, "Good", None),
        (25, "Good", None),
        (31, "Good", None),
        (32, "Outstanding", None),
        (36, "Outstanding", None),
    ],
)
def test_band_edges_for_nine_statements(total, rating, between):
    result = overall(_nine(total))
    assert (result.total, result.maximum) == (total, 36)
    assert result.band is not None and result.band.rating == rating
    assert (result.between.rating if result.between else None) == between


def test_published_example_is_good_at_69_point_4():
    result = overall([3, 2, 3, 3, 3, 3, 3, 2, 3])
    assert result.percent_text == "69.4%"
    assert result.band.rating == "Good"
    assert result.complete


def test_fourteen_of_thirty_six_takes_the_lower_band_and_is_flagged():
    result = overall(_nine(14))
    assert result.percentage == Fraction(350, 9)  # 38.88...%
    assert result.percent_text == "38.9%"
    assert result.band.rating == "Inadequate"
    assert result.between.rating == "Requires improvement"


def test_exact_percentages_at_published_edges():
    assert rating_band(Fraction(38))[0].rating == "Inadequate"
    assert rating_band(Fraction(39)) == (rating_band(Fraction(39))[0], None)
    assert rating_band(Fraction(39))[0].rating == "Requires improvement"
    assert rating_band(Fraction(62))[0].rating == "Requires improvement"
    assert rating_band(Fraction(125, 2))[1].rating == "Good"  # 62.5% sits between bands
    assert rating_band(Fraction(63))[0].rating == "Good"
    assert rating_band(Fraction(87))[0].rating == "Good"
    assert rating_band(Fraction(175, 2))[0].rating == "Good"  # 87.5%
    assert rating_band(Fraction(175, 2))[1].rating == "Outstanding"
    assert rating_band(Fraction(88))[0].rating == "Outstanding"
    assert rating_band(Fraction(100))[1] is None


def test_partial_scoring_divides_by_statements_scored():
    result = overall([3, 3], statements=9)
    assert (result.total, result.maximum, result.scored) == (6, 8, 2)
    assert result.percent_text == "75.0%"
    assert not result.complete


def test_nothing_scored_has_no_band():
    result = overall([])
    assert result.band is None
    assert result.percent_text == "Not scored"


def test_scores_out_of_range_are_refused():
    with pytest.raises(Invalid):
        overall([0, 3])
    with pytest.raises(Invalid):
        overall([5])


# --- Self-scores ----------------------------------------------------------------------------


def test_scores_keep_history_and_audit(session):
    team = factories.user(session, Role.ASSURANCE)
    qs = framework.get_statement(session, "1A")
    readiness.record_score(session, qs, 2, "Waiting lists too long", team)
    readiness.record_score(session, qs, 3, "Waiting lists now on target", team)
    session.commit()
    assert [s.score for s in readiness.score_history(session, qs)] == [3, 2]
    assert readiness.current_scores(session)[qs.id].rationale == "Waiting lists now on target"
    events = session.exec(select(AuditEvent).where(AuditEvent.record_type == "SelfScore")).all()
    assert [e.changes["score"] for e in events] == [[None, 2], [2, 3]]


def test_score_needs_a_valid_score_and_a_rationale(session):
    qs = framework.get_statement(session, "1A")
    with pytest.raises(Invalid) as bad:
        readiness.record_score(session, qs, 5, "Too high", None)
    assert bad.value.field == "score"
    with pytest.raises(Invalid) as empty:
        readiness.record_score(session, qs, 3, "   ", None)
    assert empty.value.field == "rationale"
    assert session.exec(select(SelfScore)).all() == []


def test_scoring_warns_when_a_score_has_no_approved_entry(session):
    qs1a = framework.get_statement(session, "1A")
    qs1b = framework.get_statement(session, "1B")
    approved_entry(session, "1A")
    readiness.record_score(session, qs1a, 3, "Good evidence", None)
    readiness.record_score(session, qs1b, 3, "We think so", None)
    result = readiness.scoring(session, TODAY)
    by_code = {row.statement.code: row for row in result.rows}
    assert by_code["1A"].warnings == []
    assert by_code["1B"].warnings == ["Scored 3, but no entry for this statement is approved"]
    assert by_code["2A"].warnings == []  # not scored: nothing to back
    assert result.warnings == 1
    assert (result.overall.total, result.overall.maximum) == (6, 8)


def test_exceptional_score_on_one_entry_is_warned(session):
    qs = framework.get_statement(session, "1A")
    approved_entry(session, "1A")
    readiness.record_score(session, qs, 4, "Outstanding", None)
    row = readiness.scoring(session, TODAY).rows[0]
    assert row.warnings == ["Scored 4 (exceptional) on a single approved entry"]


# --- Timeline -------------------------------------------------------------------------------


def test_ir_due_is_three_weeks_after_notification_unless_set(session):
    readiness.set_timeline(
        session, {TimelineKey.NOTIFICATION: KeyDateInput(date(2025, 6, 2))}, None
    )
    dates = {d.key: d for d in readiness.timeline(session)}
    assert dates[TimelineKey.IR_DUE].on == date(2025, 6, 23)
    assert dates[TimelineKey.IR_DUE].derived
    readiness.set_timeline(session, {TimelineKey.IR_DUE: KeyDateInput(date(2025, 6, 25))}, None)
    dates = {d.key: d for d in readiness.timeline(session)}
    assert dates[TimelineKey.IR_DUE].on == date(2025, 6, 25)
    assert not dates[TimelineKey.IR_DUE].derived


def test_countdowns_and_overdue_flags(session):
    readiness.set_timeline(
        session,
        {
            TimelineKey.NOTIFICATION: KeyDateInput(TODAY - timedelta(days=30)),
            TimelineKey.CASE_TRACKING: KeyDateInput(TODAY - timedelta(days=2)),
            TimelineKey.SITE_VISIT: KeyDateInput(TODAY + timedelta(days=20)),
            TimelineKey.FACTUAL_ACCURACY: KeyDateInput(TODAY - timedelta(days=1), done=True),
        },
        None,
    )
    dates = {d.key: d for d in readiness.timeline(session)}
    assert dates[TimelineKey.NOTIFICATION].countdown(TODAY) == ("30 days ago", "grey")
    assert not dates[TimelineKey.NOTIFICATION].is_overdue(TODAY)
    assert dates[TimelineKey.IR_DUE].countdown(TODAY) == ("Overdue by 9 days", "red")
    assert dates[TimelineKey.IR_DUE].is_overdue(TODAY)
    assert dates[TimelineKey.CASE_TRACKING].countdown(TODAY) == ("Overdue by 2 days", "red")
    assert dates[TimelineKey.SITE_VISIT].countdown(TODAY) == ("In 20 days", "blue")
    assert dates[TimelineKey.FACTUAL_ACCURACY].countdown(TODAY) == ("Done", "green")
    assert dates[TimelineKey.INITIAL_FEEDBACK].countdown(TODAY) == ("Not set", "grey")
    assert dates[TimelineKey.SITE_VISIT].countdown(TODAY + timedelta(days=20)) == (
        "Today",
        "orange",
    )


def test_dates_before_notification_are_refused_and_changes_audited(session):
    readiness.set_timeline(session, {TimelineKey.NOTIFICATION: KeyDateInput(TODAY)}, None)
    with pytest.raises(Invalid) as error:
        readiness.set_timeline(
            session, {TimelineKey.SITE_VISIT: KeyDateInput(TODAY - timedelta(days=1))}, None
        )
    assert error.value.field == "site_visit"
    events = readiness.timeline_history(session)
    assert [e.record_label for e in events] == ["Notification from CQC"]
    assert events[0].changes["date"] == [None, TODAY.isoformat()]


# --- Evidence categories --------------------------------------------------------------------


def test_entry_and_document_categories_are_replaced_and_audited(session, store, tmp_path):
    team = factories.user(session, Role.ASSURANCE)
    entry = factories.entry(session)
    readiness.set_entry_categories(
        session, entry, {EvidenceCategory.PEOPLE, EvidenceCategory.PROCESSES}, team
    )
    readiness.set_entry_categories(session, entry, {EvidenceCategory.PEOPLE}, team)
    assert readiness.entry_categories(session, entry) == {EvidenceCategory.PEOPLE}
    doc = factories.document(session, store, team, tmp_path)
    readiness.set_document_categories(session, doc, {EvidenceCategory.PARTNERS}, team)
    assert readiness.document_categories(session, doc) == {EvidenceCategory.PARTNERS}
    changes = [
        e.changes["evidence_categories"]
        for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
        if "evidence_categories" in e.changes
    ]
    assert changes == [
        [[], ["People's experience", "Processes"]],
        [["People's experience", "Processes"], ["People's experience"]],
        [[], ["Feedback from partners"]],
    ]


# --- Gaps -------------------------------------------------------------------------------------


def test_each_gap_rule(session, store, tmp_path: Path):
    team = factories.user(session, Role.ASSURANCE)
    filed = factories.item(session, 5, statements=("1A",))
    empty = factories.item(session, 6, statements=("1B",))
    approved_entry(session, "1A")
    bad = factories.entry(session, "1B", "Cites a missing item", how_we_know="See [IR 99].")
    doc = factories.document(session, store, team, tmp_path, items=[filed])
    stale = factories.document(
        session, store, team, tmp_path, "Old strategy", [filed], filename="old.pdf"
    )
    stale.review_by = TODAY - timedelta(days=1)
    doc.review_by = TODAY  # due today is not yet past
    doc.current.stored_file.text_status = TextStatus.MISSING
    doc.current.stored_file.text_reason = "The PDF has no text layer (a scan?)"
    late = factories.action(session, "2A", "Late", due=TODAY - timedelta(days=3))
    factories.action(session, "2A", "Not late", due=TODAY)
    done = factories.action(session, "2B", "Done", due=TODAY - timedelta(days=3))
    done.status = ActionStatus.COMPLETE
    session.flush()

    found = readiness.gaps(session, TODAY)
    codes = [qs.code for qs in found.statements_without_approved]
    assert "1A" not in codes and "1B" in codes and len(codes) == 8
    assert [i.number for i in found.items_without_documents] == [empty.number]
    assert [d.title for d in found.documents_past_review] == [stale.title]
    assert [e.id for e in found.entries_with_citation_problems] == [bad.id]
    assert [a.id for a in found.overdue_actions] == [late.id]
    assert [(d.id, s.text_reason) for d, s in found.documents_without_text] == [
        (doc.id, "The PDF has no text layer (a scan?)")
    ]
    assert found.counts["overdue_actions"] == 1
    assert found.total == 8 + 1 + 1 + 1 + len(found.measures_without_value) + 1 + 1
    # The home page counts the same gaps in the database without loading them.
    assert readiness.gap_total(session, TODAY) == found.total


def test_text_gap_looks_only_at_the_current_version(session, store, tmp_path: Path):
    team = factories.user(session, Role.ASSURANCE)
    doc = factories.document(session, store, team, tmp_path, "First text")
    doc.current.stored_file.text_status = TextStatus.MISSING
    session.flush()
    assert readiness.gaps(session, TODAY).documents_without_text
    data = factories.pdf_bytes(tmp_path, "Second text", "second.pdf")
    import io

    from tracker import ingest

    documents.add_version(
        session, store, doc, "second.pdf", io.BytesIO(data), "", team, ingest.Limits()
    )
    session.flush()
    session.expire_all()
    assert readiness.gaps(session, TODAY).documents_without_text == []


# --- Home page data and demo -----------------------------------------------------------------


def test_readiness_joins_coverage_scores_and_timeline(session):
    approved_entry(session, "1A")
    readiness.record_score(session, framework.get_statement(session, "1A"), 3, "Fine", None)
    data = readiness.readiness(session, TODAY)
    first = data.statements[0]
    assert first.coverage.statement.code == "1A"
    assert first.coverage.entries == {EntryStatus.APPROVED: 1}
    assert first.score.score.score == 3
    assert len(data.timeline) == len(TimelineKey)
    assert data.scoring.overall.total == 3
    assert data.gap_total == readiness.gaps(session, TODAY).total


def test_seed_demo_readiness_scores_all_nine_once(session):
    readiness.seed_demo_readiness(session, None, TODAY)
    readiness.seed_demo_readiness(session, None, TODAY)
    scores = readiness.current_scores(session)
    assert len(scores) == 9
    assert len(session.exec(select(SelfScore)).all()) == 9
    assert all(s.rationale for s in scores.values())
    dates = {d.key: d for d in readiness.timeline(session)}
    assert dates[TimelineKey.NOTIFICATION].on == TODAY - timedelta(days=10)
    assert dates[TimelineKey.IR_DUE].on == TODAY + timedelta(days=11)
    assert readiness.scoring(session, TODAY).overall.band.rating == "Good"


# --- Measures ---------------------------------------------------------------------------------


def test_measures_by_judgement_and_without_value(session):
    from tests import measures_factories
    from tracker.services import measures

    better = measures_factories.measure(session, "ASCOF 2A", "Reablement", statements=("1B",))
    measures.record_value(
        session, better, measures.ValueInput("2024/25", value=90.0, benchmark=80.0), None
    )
    empty = measures_factories.measure(session, "L1", "Library visits", statements=("1B",))
    session.flush()
    found = readiness.gaps(session, TODAY)
    assert [m.measure.id for m in found.measures_without_value] == [empty.id]
    qs = framework.get_statement(session, "1B")
    judgements = readiness.measure_judgements(session)[qs.id]
    assert sum(judgements.values()) == 2
    assert any("Better" in label for label in judgements)
    home = readiness.readiness(session, TODAY)
    assert home.statements[1].measures == judgements
