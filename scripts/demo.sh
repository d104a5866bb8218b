#!/usr/bin/env bash
# The demo: set up, bring the simulated province up in network namespaces (real snmpd and sshd
# on every device), then validate and show the inventory it wrote, and the example province.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
nw=.venv/bin/netwarden

echo "demo: bringing the province lab up"
inventory=$($nw lab up)
$nw lab status
echo "demo: validating the lab's inventory ($inventory)"
$nw inventory check "$inventory"
$nw inventory show "$inventory"
echo "demo: validating the example province (examples/province)"
$nw inventory check examples/province
echo "demo: the lab keeps running for you to explore; remove it with: $nw lab down"
