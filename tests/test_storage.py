import hashlib
import io

import pytest

from tracker.storage import EvidenceStore, TooLarge


def test_stage_keep_is_content_addressed(tmp_path):
    store = EvidenceStore(tmp_path / "ev")
    staged = store.stage(io.BytesIO(b"hello"), 100)
    assert staged.sha256 == hashlib.sha256(b"hello").hexdigest() and staged.size == 5
    path = store.keep(staged)
    assert path == store.root / staged.sha256[:2] / staged.sha256[2:4] / staged.sha256
    assert path.read_bytes() == b"hello"
    again = store.stage(io.BytesIO(b"hello"), 100)
    assert store.keep(again) == path
    assert not again.path.exists()
    assert store.stored_checksums() == {staged.sha256}


def test_too_large_leaves_nothing_behind(tmp_path):
    store = EvidenceStore(tmp_path / "ev")
    with pytest.raises(TooLarge):
        store.stage(io.BytesIO(b"x" * 101), 100)
    assert list(store.tmp.iterdir()) == []


def test_paths_only_for_checksums(tmp_path):
    store = EvidenceStore(tmp_path / "ev")
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")
