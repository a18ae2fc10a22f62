import io
import zipfile

import pytest
from sqlmodel import select

from tests import factories
from tracker import ingest, samplefiles
from tracker.models import Document, StoredFile
from tracker.services import Conflict, Invalid, audit, documents

LIMITS = ingest.Limits()


def count(session, model):
    return len(session.exec(select(model)).all())


def upload(session, store, user, files, items=()):
    return documents.upload_documents(
        session,
        store,
        [(name, io.BytesIO(data)) for name, data in files],
        [i.id for i in items],
        user,
        LIMITS,
    )


def test_upload_stores_file_by_checksum_and_links_items(session, store, tmp_path):
    user = factories.user(session)
    item = factories.item(session, 5)
    data = factories.pdf_bytes(tmp_path, "Waiting list policy")
    (outcome,) = upload(session, store, user, [("waiting_list-policy.pdf", data)], [item])
    assert outcome.status == "created"
    doc = outcome.document
    assert doc.title == "Waiting list policy"
    assert [i.number for i in doc.evidence_items] == [5]
    sha = doc.current.stored_file.sha256
    assert store.path_for(sha).read_bytes() == data
    assert doc.current.stored_file.kind == "pdf"
    assert audit.history(session, "Document", doc.id)[0].verb == "create"


def test_identical_upload_is_linked_not_stored_twice(session, store, tmp_path):
    user = factories.user(session)
    ir5, ir6 = factories.item(session, 5), factories.item(session, 6)
    data = factories.pdf_bytes(tmp_path)
    (first,) = upload(session, store, user, [("a.pdf", data)], [ir5])
    (second,) = upload(session, store, user, [("copy of a.pdf", data)], [ir6])
    assert second.status == "duplicate"
    assert second.document.id == first.document.id
    assert "already uploaded" in second.message and "IR 6" in second.message
    assert sorted(i.number for i in first.document.evidence_items) == [5, 6]
    assert count(session, StoredFile) == 1
    assert len(list(store.root.glob("??/??/*"))) == 1
    assert list(store.tmp.iterdir()) == []


def test_spoofed_extension_is_refused_and_others_still_upload(session, store, tmp_path):
    user = factories.user(session)
    pdf = factories.pdf_bytes(tmp_path)
    outcomes = upload(
        session,
        store,
        user,
        [
            ("report.docx", pdf),
            ("good.pdf", pdf + b"\n"),
            ("tool.pdf", b"MZ\x90\x00" + b"\x00" * 200),
        ],
    )
    assert [o.status for o in outcomes] == ["rejected", "created", "rejected"]
    assert "report.docx" in outcomes[0].message
    assert "tool.pdf" in outcomes[2].message
    assert count(session, Document) == 1
    assert list(store.tmp.iterdir()) == []


def test_oversize_file_is_refused_with_the_limit(session, store):
    user = factories.user(session)
    small = ingest.Limits(max_bytes=1024 * 1024)
    outcomes = documents.upload_documents(
        session, store, [("big.txt", io.BytesIO(b"a" * (1024 * 1024 + 1)))], [], user, small
    )
    assert outcomes[0].status == "rejected"
    assert "larger than 1 MB" in outcomes[0].message
    assert count(session, Document) == 0
    assert list(store.tmp.iterdir()) == []


def test_zip_bomb_docx_is_refused(session, store, tmp_path):
    user = factories.user(session)
    path = samplefiles.write_docx(tmp_path / "ok.docx", "Policy", ["Text"])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/media/zeros.bin", b"\0" * (300 * 1024 * 1024))
    (outcome,) = upload(session, store, user, [("bomb.docx", path.read_bytes())])
    assert outcome.status == "rejected"
    assert count(session, Document) == 0


def test_new_version_keeps_earlier_versions(session, store, tmp_path):
    user = factories.user(session)
    doc = factories.document(session, store, user, tmp_path, text="Version one")
    v1_sha = doc.current.stored_file.sha256
    data = factories.pdf_bytes(tmp_path, "Version two", "v2.pdf")
    version = documents.add_version(
        session, store, doc, "policy v2.pdf", io.BytesIO(data), "After board", user, LIMITS
    )
    assert version.number == 2
    assert doc.current.number == 2 and doc.current.filename == "policy v2.pdf"
    assert [v.number for v in doc.versions] == [2, 1]
    assert store.exists(v1_sha)
    assert documents.get_version(session, doc, 1).stored_file.sha256 == v1_sha


def test_identical_new_version_is_refused(session, store, tmp_path):
    user = factories.user(session)
    doc = factories.document(session, store, user, tmp_path, text="Same")
    data = store.path_for(doc.current.stored_file.sha256).read_bytes()
    with pytest.raises(Conflict):
        documents.add_version(session, store, doc, "same.pdf", io.BytesIO(data), "", user, LIMITS)
    assert len(doc.versions) == 1


def test_bad_new_version_is_refused_and_nothing_changes(session, store, tmp_path):
    user = factories.user(session)
    doc = factories.document(session, store, user, tmp_path)
    with pytest.raises(Invalid):
        documents.add_version(
            session, store, doc, "v2.pdf", io.BytesIO(b"not a pdf at all"), "", user, LIMITS
        )
    assert len(doc.versions) == 1


def test_delete_keeps_files_other_documents_use(session, store, tmp_path):
    user = factories.user(session)
    a = factories.document(session, store, user, tmp_path, text="Shared")
    shared = a.current.stored_file.sha256
    b = factories.document(session, store, user, tmp_path, text="Other", filename="other.pdf")
    documents.add_version(
        session,
        store,
        b,
        "shared.pdf",
        io.BytesIO(store.path_for(shared).read_bytes()),
        "",
        user,
        LIMITS,
    )
    own = documents.get_version(session, b, 1).stored_file.sha256
    orphaned = documents.delete_document(session, b, user)
    session.commit()
    documents.remove_files(session, store, orphaned)
    assert orphaned == [own]
    assert store.exists(shared) and not store.exists(own)
    assert audit.history(session, "Document", b.id)[0].verb == "delete"


def test_update_metadata_and_links_records_changes(session, store, tmp_path):
    from datetime import date

    user = factories.user(session)
    ir5, ir6 = factories.item(session, 5), factories.item(session, 6)
    doc = factories.document(session, store, user, tmp_path, items=[ir5])
    data = documents.DocumentInput(
        title="New title", document_date=date(2025, 1, 1), review_by=date(2026, 1, 1)
    )
    documents.update_document(session, doc, data, [ir6.id], user)
    changes = audit.history(session, "Document", doc.id)[0].changes
    assert changes["title"][1] == "New title"
    assert changes["evidence_items"] == [["IR 5"], ["IR 6"]]
    assert changes["review_by"] == [None, "2026-01-01"]


def test_review_date_before_document_date_is_invalid(session, store, tmp_path):
    from datetime import date

    user = factories.user(session)
    doc = factories.document(session, store, user, tmp_path)
    data = documents.DocumentInput(
        title="T", document_date=date(2025, 1, 1), review_by=date(2024, 1, 1)
    )
    with pytest.raises(Invalid) as error:
        documents.update_document(session, doc, data, [], user)
    assert error.value.field == "review_by"


def test_display_filename_strips_folders_and_control_characters():
    assert documents.display_filename("../../etc/passwd") == "passwd"
    assert documents.display_filename("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert documents.display_filename("bad\x00name\n.pdf") == "badname.pdf"
    assert documents.display_filename("") == "file"


def test_list_filters_by_item_and_kind(session, store, tmp_path):
    user = factories.user(session)
    ir5 = factories.item(session, 5)
    factories.document(session, store, user, tmp_path, text="In five", items=[ir5])
    xlsx = samplefiles.write_xlsx(tmp_path / "data.xlsx", {"Sheet": [["a", 1]]})
    upload(session, store, user, [("data.xlsx", xlsx.read_bytes())])
    by_item = documents.list_documents(session, documents.DocumentFilters(item_number=5))
    assert [d.title for d in by_item.items] == ["Policy"]
    by_kind = documents.list_documents(session, documents.DocumentFilters(kind="xlsx"))
    assert [d.title for d in by_kind.items] == ["Data"]
