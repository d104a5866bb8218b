#!/usr/bin/env bash
# Every check, the same locally and in CI: lint, format, types, then the unit and lab tiers.
# Needs root: the lab tier builds network namespaces with real snmpd and sshd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: ruff check"
.venv/bin/ruff check .
echo "test: ruff format --check"
.venv/bin/ruff format --check .
echo "test: mypy --strict"
.venv/bin/mypy
echo "test: pytest (unit and lab tiers)"
.venv/bin/pytest tests
