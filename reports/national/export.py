"""The evidence bundle handed to the authority: the drafts, every evidence file, the incident
record, and ``manifest.json`` listing each file's SHA-256, size, time and source, itself hashed
in ``manifest.json.sha256`` (``sha256sum -c`` checks it inside the folder)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netwarden.collector.incidents.times import format_s

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BundleFile:
    """One file of the bundle: its bytes, or a file on disk (evidence, streamed)."""

    path: str  # inside the bundle's folder
    at: float
    source: str
    data: bytes | None = None
    disk: Path | None = None


@dataclass(frozen=True, slots=True)
class Bundle:
    manifest_sha256: str
    files: int


def _date_time(t: float) -> tuple[int, int, int, int, int, int]:
    d = datetime.fromtimestamp(max(t, 315532800.0), UTC)  # zip dates start in 1980
    return (d.year, d.month, d.day, d.hour, d.minute, d.second)


def _add(zf: zipfile.ZipFile, name: str, f: BundleFile) -> tuple[str, int]:
    info = zipfile.ZipInfo(name, _date_time(f.at))
    info.compress_type = zipfile.ZIP_DEFLATED
    digest, size = hashlib.sha256(), 0
    with zf.open(info, "w") as out:
        if f.data is not None:
            digest.update(f.data)
            size = len(f.data)
            out.write(f.data)
        elif f.disk is not None:
            with f.disk.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
    return digest.hexdigest(), size


def write_bundle(
    target: Path, folder: str, files: Sequence[BundleFile], header: Mapping[str, object], now: float
) -> Bundle:
    """Write the zip to ``target``: every file under ``folder/``, then the manifest and its
    hash. The hashes are of the bytes written, computed while writing them."""
    entries = []
    with zipfile.ZipFile(target, "w") as zf:
        for f in files:
            sha256, size = _add(zf, f"{folder}/{f.path}", f)
            entries.append(
                {
                    "path": f.path,
                    "sha256": sha256,
                    "size": size,
                    "time": format_s(f.at),
                    "source": f.source,
                }
            )
        manifest = {**header, "made_at": format_s(now), "files": entries}
        text = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        digest = hashlib.sha256(text).hexdigest()
        _add(zf, f"{folder}/manifest.json", BundleFile("manifest.json", now, "", data=text))
        line = f"{digest}  manifest.json\n".encode("ascii")
        _add(zf, f"{folder}/manifest.json.sha256", BundleFile("", now, "", data=line))
    return Bundle(digest, len(entries))
