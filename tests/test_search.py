"""The search index: extraction wiring, relevance, facets, suggestions and consistency."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.conftest import make_settings
from tests.search_factories import office_files
from tracker import create_app, db, ingest, samplefiles
from tracker.models import Role, TextStatus
from tracker.search import SearchIndex, SearchRequest, index_for, snippets
from tracker.services import documents


@pytest.fixture
def author(session: Session):
    made = factories.user(session, Role.ASSURANCE, "author@example.gov.uk")
    session.commit()
    return made


def _upload(session, store, actor, path: Path, items=()):
    outcome = documents.upload_documents(
        session,
        store,
        [(path.name, io.BytesIO(path.read_bytes()))],
        [i.id for i in items],
        actor,
        ingest.Limits(),
    )[0]
    session.commit()
    assert outcome.document is not None, outcome.message
    return outcome.document


def _find(app: Flask, text: str, **kwargs) -> list[str]:
    return [h.key for h in index_for(app).search(SearchRequest(text, **kwargs)).hits]


def test_every_format_is_extracted_at_upload_and_searchable(app, session, store, author, tmp_path):
    files = office_files(tmp_path / "files")
    item = factories.item(session, 5)
    session.commit()
    ids = {}
    for kind, path in files.items():
        doc = _upload(session, store, author, path, [item])
        index_for(app).sync(session, documents=[doc.id])
        ids[kind] = f"document-{doc.id}"
        stored = doc.current.stored_file
        assert stored.text_status == TextStatus.EXTRACTED, (kind, stored.text_reason)
        assert stored.extracted_at is not None
    assert _find(app, "triage") == [ids["pdf"]]
    assert _find(app, "ocelot") == [ids["docx"]]  # a word only in a table cell
    assert _find(app, "pangolin") == [ids["xlsx"]]  # a word only on the second sheet
    assert _find(app, "narwhal") == [ids["pptx"]]  # a word only in the speaker notes


def test_encrypted_and_corrupt_files_are_kept_with_the_reason(
    app, session, store, author, tmp_path
):
    locked = samplefiles.write_pdf(
        tmp_path / "locked.pdf", "Secret plan", ["Hidden words"], encrypt_password="pw"
    )
    good = samplefiles.write_pdf(tmp_path / "broken.pdf", "Broken", ["x" * 2000])
    broken = tmp_path / "cut.pdf"
    broken.write_bytes(good.read_bytes()[:700])
    scan = samplefiles.write_image_only_pdf(tmp_path / "scan.pdf")
    reasons = {}
    for path in (locked, broken, scan):
        doc = _upload(session, store, author, path)
        stored = doc.current.stored_file
        assert stored.text_status == TextStatus.MISSING
        assert store.exists(stored.sha256)
        reasons[path.name] = stored.text_reason
    assert reasons["locked.pdf"].startswith("encrypted PDF")
    assert "damaged" in reasons["cut.pdf"]
    assert reasons["scan.pdf"].startswith("no text layer")
    index_for(app).sync(session, documents=[1, 2, 3])
    # Still found by title, and the result says why its text is missing.
    hits = index_for(app).search(SearchRequest("locked")).hits
    assert [h.note for h in hits] == [reasons["locked.pdf"]]


def _corpus(app, session, store, author, tmp_path):
    items = {
        5: factories.item(session, 5, "Waiting lists", statements=("1A",)),
        28: factories.item(session, 28, "Safeguarding processes", statements=("3B",)),
    }
    session.commit()
    texts = {
        "safeguarding.pdf": ("Safeguarding adults procedure", [28]),
        "waiting.pdf": ("People waiting for assessment of care needs fell this year", [5]),
        "both.pdf": ("Safeguarding referrals while waiting for assessment", [5, 28]),
    }
    docs = {}
    for name, (text, numbers) in texts.items():
        path = samplefiles.write_pdf(tmp_path / name, text, [text])
        doc = _upload(session, store, author, path, [items[n] for n in numbers])
        docs[name] = f"document-{doc.id}"
    entry = factories.entry(
        session, "1A", "Waiting well", what_we_know="We phone everyone on the waiting list."
    )
    session.commit()
    index_for(app).sync(
        session,
        documents=[int(k.split("-")[1]) for k in docs.values()],
        entries=[entry.id],
        items=[i.id for i in items.values()],
    )
    return docs, f"entry-{entry.id}"


def test_relevance_phrase_stem_facets_and_suggestion(app, session, store, author, tmp_path):
    docs, entry_key = _corpus(app, session, store, author, tmp_path)
    # A phrase matches only the words in order.
    assert _find(app, '"waiting for assessment"') == [docs["both.pdf"]] or set(
        _find(app, '"waiting for assessment"')
    ) == {docs["waiting.pdf"], docs["both.pdf"]}
    assert _find(app, '"assessment for waiting"') == []
    # A stem: "referral" finds "referrals"; "phoning" finds the entry's "phone".
    assert _find(app, "referral") == [docs["both.pdf"]]
    assert _find(app, "phoning") == [entry_key]
    # Boolean operators and a field query.
    assert set(_find(app, "safeguarding NOT waiting")) >= {docs["safeguarding.pdf"]}
    assert docs["both.pdf"] not in _find(app, "safeguarding NOT waiting")
    assert set(_find(app, "ir:5 safeguarding")) == {docs["both.pdf"]}
    # A facet filter narrows, and facet counts describe the matches.
    results = index_for(app).search(SearchRequest("safeguarding", filters={"qs": "1a"}))
    assert [h.key for h in results.hits] == [docs["both.pdf"]]
    counts = {v.value: v.count for v in results.facets["ir"]}
    assert counts == {"5": 1, "28": 1}
    # A typo gets a suggestion that finds results.
    typo = index_for(app).search(SearchRequest("safegaurding"))
    assert typo.total == 0
    assert typo.suggestion == "safeguarding"
    assert _find(app, typo.suggestion)


def test_title_outranks_body(app, session, store, author, tmp_path):
    body = samplefiles.write_pdf(tmp_path / "a.pdf", "Annual report", ["Mentions hoarding once."])
    titled = samplefiles.write_pdf(tmp_path / "b.pdf", "Hoarding", ["Practice guide."])
    first = _upload(session, store, author, body)
    second = _upload(session, store, author, titled)
    documents.update_document(
        session, second, documents.DocumentInput(title="Hoarding guidance"), [], author
    )
    session.commit()
    index_for(app).sync(session, documents=[first.id, second.id])
    assert _find(app, "hoarding")[0] == f"document-{second.id}"


def test_snippets_mark_stems_and_escape_html():
    marked = snippets("Our <b>policies</b> on safeguarding & more", frozenset({"polici"}))
    assert (
        str(marked[0]) == "Our &lt;b&gt;<mark>policies</mark>&lt;/b&gt; on safeguarding &amp; more"
    )


def test_index_follows_edit_relink_new_version_and_delete(app, session, store, author, tmp_path):
    item5 = factories.item(session, 5, statements=("1A",))
    item9 = factories.item(session, 9, statements=("4B",))
    session.commit()
    path = samplefiles.write_pdf(tmp_path / "v1.pdf", "Falls audit", ["Falls prevention audit."])
    doc = _upload(session, store, author, path, [item5])
    search = index_for(app)
    search.sync(session, documents=[doc.id])
    key = f"document-{doc.id}"
    assert search.check(session).missing == ["item-1", "item-2"]
    search.sync(session, items=[item5.id, item9.id])
    assert search.check(session).clean

    documents.update_document(
        session, doc, documents.DocumentInput(title="Falls review 2025"), [item9.id], author
    )
    session.commit()
    assert search.check(session).stale == [key]
    search.sync(session, documents=[doc.id])
    assert _find(app, "review") == [key]
    assert _find(app, "falls", filters={"ir": "9"}) == [key]
    assert _find(app, "falls", filters={"ir": "5"}) == []
    assert _find(app, "falls", filters={"qs": "4b"}) == [key]

    new = samplefiles.write_pdf(tmp_path / "v2.pdf", "Falls audit", ["Now about gerbils."])
    documents.add_version(
        session, store, doc, new.name, io.BytesIO(new.read_bytes()), "", author, ingest.Limits()
    )
    session.commit()
    search.sync(session, documents=[doc.id])
    assert _find(app, "gerbils") == [key]
    assert _find(app, "prevention") == []

    orphaned = documents.delete_document(session, doc, author)
    session.commit()
    documents.remove_files(session, store, orphaned)
    search.sync(session, documents=[doc.id])
    assert _find(app, "gerbils") == []
    assert search.check(session).clean


def test_missing_or_unreadable_index_is_rebuilt_at_start(app, session, store, author, tmp_path):
    path = samplefiles.write_pdf(tmp_path / "x.pdf", "Direct payments", ["Direct payments."])
    doc = _upload(session, store, author, path)
    settings = app.config["SETTINGS"]
    # Damage every file of the index, as a crash or a bad copy might.
    for file in settings.index_dir.iterdir():
        file.write_bytes(b"junk")
    again = create_app(settings)
    assert [h.key for h in index_for(again).search(SearchRequest("payments")).hits] == [
        f"document-{doc.id}"
    ]
    db.engine_for(again).dispose()


def test_empty_database_builds_an_empty_index_quickly(tmp_path):
    made = create_app(make_settings(tmp_path))
    assert index_for(made).doc_count() == 0
    db.engine_for(made).dispose()


def test_reindex_and_check_index_commands(app, session, store, author, tmp_path):
    path = samplefiles.write_pdf(tmp_path / "x.pdf", "Carers strategy", ["Carers."])
    _upload(session, store, author, path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 1
    assert "missing from the index: document-1" in result.output
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 record(s)" in result.output
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 0, result.output
    assert "agree" in result.output


def test_a_write_waits_for_another_writer(app, tmp_path):
    """A second writer waits for the lock instead of failing at once (timeout, not 0)."""
    import threading
    import time

    search = SearchIndex(tmp_path / "own-index")
    holder = search.ix.writer()
    done = []

    def write() -> None:
        done.append(search.write(delete=["document-99"]))

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert not done
    holder.commit()
    thread.join(timeout=10)
    assert done == [True]
