#!/usr/bin/env bash
# The province demo: set up, bring the simulated province up in network namespaces (real snmpd
# and sshd on every device), watch it with the collector, an enrolled agent per site (the NAT'd
# agency pushing its metrics), Debian's Prometheus and Alertmanager with netwarden's rules and
# generated configuration; cut a dedicated-data-network line and show the whole response path:
# one page, the alerts it hid, the incident, the link-down playbook's evidence from the core,
# the Mẫu 03 draft, the repair, the playbook's queued agency-side step, the resolution and the
# day's availability. Every step is timed and checks its own outcome (lab/demo/).
#
#   bash scripts/demo.sh           # cleans up at the end
#   bash scripts/demo.sh --keep    # leaves everything running and prints where to look
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s.%N)
bash scripts/setup.sh
setup=$(python3 -c "import time; print(round(time.time() - $started, 1))")
exec .venv/bin/python -m netwarden.lab.demo --setup-seconds "$setup" "$@"
