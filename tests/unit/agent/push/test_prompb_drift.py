"""The committed prompb modules are exactly what protoc generates from the committed .proto
files (regenerated here into a temporary tree laid out like the repository)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROMPB = Path(__file__).resolve().parents[4] / "agent" / "push" / "prompb"
GENERATED = ("types_pb2.py", "types_pb2.pyi", "remote_pb2.py", "remote_pb2.pyi")


def test_generated_modules_match_the_proto_files(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools", reason="protoc comes from grpcio-tools (dev dependency)")
    package = tmp_path / "netwarden" / "agent" / "push" / "prompb"
    package.mkdir(parents=True)
    for name in ("types.proto", "remote.proto"):
        shutil.copy(PROMPB / name, package / name)
    protos = [f"netwarden/agent/push/prompb/{n}" for n in ("types.proto", "remote.proto")]
    done = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I.", "--python_out=.", "--pyi_out=.",
         *protos],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in GENERATED:
        fresh = (package / name).read_text()
        assert (PROMPB / name).read_text() == fresh, (
            f"agent/push/prompb/{name} is not what protoc generates: regenerate it "
            "(agent/push/prompb/README.md)"
        )


def test_the_proto_files_are_2_42s_without_gogoproto() -> None:
    for name in ("types.proto", "remote.proto"):
        text = (PROMPB / name).read_text()
        assert "Licensed under the Apache License, Version 2.0" in text
        assert "225c61122d88b01d1f0eaaee0e05b6f3e0567ac0" in text
        assert "gogoproto." not in text and "gogo.proto" not in text
    remote = (PROMPB / "remote.proto").read_text()
    assert "reserved  2;" in remote  # Cortex's field, kept reserved as upstream does
