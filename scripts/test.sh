#!/usr/bin/env bash
# Every check, the same locally and in CI: lint and format, then types beside the unit and lab tiers.
# Needs root: the lab tier builds network namespaces with real snmpd and sshd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: ruff check"
.venv/bin/ruff check .
echo "test: ruff format --check"
.venv/bin/ruff format --check .

# The tiers run side by side: the unit tier in the background in three workers, the lab tier
# in the foreground in three, each lab worker in a world of its own (tests/lab/world.sh: its
# own network, mount and PID namespaces, so each builds its own lab). Together they keep both
# cores busy; the lab tier ends first, and the unit tier's third worker uses what it leaves.
# The arrangement and its measurements are in docs/testing.md; NW_LAB_WORKERS and
# NW_UNIT_WORKERS change the counts (NW_LAB_WORKERS=1: one world, serial).
lab_workers=${NW_LAB_WORKERS:-3}
unit_workers=${NW_UNIT_WORKERS:-3}
unit_log=$(mktemp)
mypy_log=$(mktemp)
unit=""
mypy=""
cleanup() {
  if [ -n "$unit" ]; then kill "$unit" 2>/dev/null || true; fi
  if [ -n "$mypy" ]; then kill "$mypy" 2>/dev/null || true; fi
  rm -f "$unit_log" "$mypy_log"
}
trap cleanup EXIT
# mypy is single-threaded and the tiers leave some CPU idle while their tests wait on daemons:
# run beside them, it costs the run no wall time of its own (it was ~15 s in front of them).
echo "test: mypy --strict, in the background (its report follows the tiers')"
.venv/bin/mypy >"$mypy_log" 2>&1 &
mypy=$!
echo "test: pytest, the unit tier (everything but tests/lab) in $unit_workers workers in the background (its report follows the lab tier's)"
.venv/bin/pytest tests --ignore=tests/lab -n "$unit_workers" --durations=15 >"$unit_log" 2>&1 &
unit=$!
echo "test: pytest, the lab tier in $lab_workers workers, each in its own namespaces"
lab_rc=0
.venv/bin/pytest tests/lab -n "$lab_workers" --durations=15 || lab_rc=$?
unit_rc=0
wait "$unit" || unit_rc=$?
unit=""
mypy_rc=0
wait "$mypy" || mypy_rc=$?
mypy=""
echo "test: mypy --strict's report"
cat "$mypy_log"
echo "test: pytest, the unit tier's report"
cat "$unit_log"
if [ "$lab_rc" -ne 0 ] || [ "$unit_rc" -ne 0 ] || [ "$mypy_rc" -ne 0 ]; then
  echo "test: FAILED (lab tier exit $lab_rc, unit tier exit $unit_rc, mypy exit $mypy_rc)" >&2
  exit 1
fi
echo "test: all passed"
