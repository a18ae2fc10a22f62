from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from tracker.settings import Settings
from tracker.staleness import Freshness, reviewed_on, staleness

TODAY = date(2025, 6, 30)
SETTINGS = Settings(review_amber_days=180, review_red_days=365)


def test_levels_turn_at_the_settings_edges():
    def level(days: int) -> Freshness:
        return staleness(TODAY - timedelta(days=days), TODAY, SETTINGS).level

    assert level(0) == Freshness.FRESH
    assert level(179) == Freshness.FRESH
    assert level(180) == Freshness.AMBER
    assert level(364) == Freshness.AMBER
    assert level(365) == Freshness.RED


def test_settings_decide_the_edges():
    strict = Settings(review_amber_days=30, review_red_days=60)
    assert staleness(TODAY - timedelta(days=45), TODAY, strict).level == Freshness.AMBER
    assert staleness(TODAY - timedelta(days=45), TODAY, SETTINGS).level == Freshness.FRESH


def test_never_reviewed_is_red_with_words():
    result = staleness(None, TODAY, SETTINGS)
    assert result.level == Freshness.RED
    assert result.days is None
    assert result.label == "Never reviewed"


def test_label_carries_days_and_level():
    result = staleness(datetime(2024, 12, 1, 9, tzinfo=UTC), TODAY, SETTINGS)
    assert result.days == 211
    assert result.label == "Review due: last reviewed 211 days ago"
    assert staleness(TODAY - timedelta(days=1), TODAY, SETTINGS).age == "1 day ago"


def test_reviewed_on_for_entries_and_documents():
    entry = SimpleNamespace(last_reviewed=date(2025, 1, 2))
    assert reviewed_on(entry) == date(2025, 1, 2)
    version = SimpleNamespace(uploaded_at=datetime(2025, 3, 4, tzinfo=UTC))
    document = SimpleNamespace(document_date=date(2024, 5, 6), current=version)
    assert reviewed_on(document) == date(2025, 3, 4)
    newer_date = SimpleNamespace(document_date=date(2025, 5, 6), current=version)
    assert reviewed_on(newer_date) == date(2025, 5, 6)
    assert reviewed_on(SimpleNamespace(document_date=None, current=None)) is None
