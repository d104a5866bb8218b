"""A backup's files may only land inside the data dir, on every Python 3.11 (Debian 12 has
3.11.2, without tarfile's extraction filters)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from netwarden.collector.backup import BackupError
from netwarden.collector.restore import _check_member


def _member(name: str, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info


@pytest.mark.parametrize(
    "member",
    [_member("tls/../../etc/cron.d/x"), _member("/etc/passwd"),
     _member("tls/ca.pem", tarfile.SYMTYPE), _member("evidence/dev", tarfile.CHRTYPE)],
)  # fmt: skip
def test_anything_that_could_leave_the_data_dir_is_refused(member: tarfile.TarInfo) -> None:
    with pytest.raises(BackupError, match="not a plain file under the data dir"):
        _check_member(member, Path("b.tar"))


def test_plain_files_and_folders_pass() -> None:
    _check_member(_member("tls/ca.pem"), Path("b.tar"))
    _check_member(_member("evidence", tarfile.DIRTYPE), Path("b.tar"))
