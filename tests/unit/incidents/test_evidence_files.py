"""Evidence files: content-addressed, written whole or not at all, re-checked when read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from netwarden.collector.incidents.errors import EvidenceCorruptError
from netwarden.collector.incidents.evidence import EvidenceFiles, EvidenceTooLarge


def test_files_live_under_their_sha256_and_the_same_content_is_stored_once(tmp_path: Path) -> None:
    files = EvidenceFiles(tmp_path / "evidence")
    data = b"show interfaces\nGi0/1 down\n" * 1000
    sha, size = files.save_bytes(data)
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    path = files.path(sha)
    assert path == tmp_path / "evidence" / "sha256" / sha[:2] / sha
    assert path.read_bytes() == data
    assert files.save_bytes(data) == (sha, size)
    assert [p.name for p in (tmp_path / "evidence" / "sha256").rglob("*") if p.is_file()] == [sha]
    assert not any((tmp_path / "evidence" / "tmp").iterdir())  # nothing left behind
    assert files.verified(sha, size) == path


def test_a_changed_or_missing_file_is_refused(tmp_path: Path) -> None:
    files = EvidenceFiles(tmp_path)
    sha, size = files.save_bytes(b"running-config")
    files.path(sha).write_bytes(b"running-config tampered")
    with pytest.raises(EvidenceCorruptError, match="no longer matches its SHA-256") as info:
        files.verified(sha, size)
    assert info.value.status == 500
    files.path(sha).unlink()
    with pytest.raises(EvidenceCorruptError, match="is missing"):
        files.verified(sha, size)


def test_chunks_over_the_limit_leave_no_partial_file(tmp_path: Path) -> None:
    files = EvidenceFiles(tmp_path, limit=10)
    writer = files.writer()
    writer.write(b"12345")
    with pytest.raises(EvidenceTooLarge, match="larger than"):
        writer.write(b"678901")
    assert not any((tmp_path / "tmp").iterdir())
    assert not (tmp_path / "sha256").exists()


def test_remove_deletes_the_file_and_its_empty_folder(tmp_path: Path) -> None:
    files = EvidenceFiles(tmp_path)
    sha, _ = files.save_bytes(b"x")
    assert files.remove(sha)
    assert not files.path(sha).parent.exists()
    assert not files.remove(sha)
