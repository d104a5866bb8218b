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

# The lab tier spends most of its time waiting on real daemons and cannot run beside itself
# (one lab per machine); the unit tier needs only loopback and its own PostgreSQL, so it runs
# beside the lab tier, in two workers (pytest-xdist). The lab tier passes with both cores
# loaded (docs/testing.md), and the whole run takes about as long as the lab tier alone.
unit_log=$(mktemp)
unit=""
cleanup() {
  if [ -n "$unit" ]; then kill "$unit" 2>/dev/null || true; fi
  rm -f "$unit_log"
}
trap cleanup EXIT
echo "test: pytest, the unit tier (everything but tests/lab) in the background (its report follows the lab tier's)"
.venv/bin/pytest tests --ignore=tests/lab -n 2 >"$unit_log" 2>&1 &
unit=$!
echo "test: pytest, the lab tier"
lab_rc=0
.venv/bin/pytest tests/lab || lab_rc=$?
unit_rc=0
wait "$unit" || unit_rc=$?
unit=""
echo "test: pytest, the unit tier's report"
cat "$unit_log"
if [ "$lab_rc" -ne 0 ] || [ "$unit_rc" -ne 0 ]; then
  echo "test: FAILED (lab tier exit $lab_rc, unit tier exit $unit_rc)" >&2
  exit 1
fi
echo "test: all passed"
