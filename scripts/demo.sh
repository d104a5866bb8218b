#!/usr/bin/env bash
# The demo: set up, bring the simulated province up in network namespaces (real snmpd and sshd
# on every device), validate its inventory, then watch it with netwarden agents: one poll of
# the core router, and agents serving Prometheus metrics (the NAT'd agency's from inside it).
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

echo "demo: what the agent sees on the core router (SNMPv3 authPriv, one poll)"
$nw poll core-rtr -i "$inventory"

pids=()
stop_agents() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_agents EXIT
start_agent() {  # agent id, port, [namespace]
  local cmd=("$nw" agent run -i "$inventory" --agent "$1" --listen "127.0.0.1:$2")
  if [ -n "${3:-}" ]; then cmd=(ip netns exec "$3" "${cmd[@]}"); fi
  "${cmd[@]}" 2>>"/tmp/netwarden-demo-$1.log" &
  pids+=("$!")
}
scrape() {  # port, [namespace]
  local get=(curl -sf "http://127.0.0.1:$1/metrics")
  if [ -n "${2:-}" ]; then get=(ip netns exec "$2" "${get[@]}"); fi
  "${get[@]}"
}
wait_ready() {  # port, [namespace]
  for _ in $(seq 1 60); do
    local get=(curl -sf -o /dev/null "http://127.0.0.1:$1/-/ready")
    if [ -n "${2:-}" ]; then get=(ip netns exec "$2" "${get[@]}"); fi
    "${get[@]}" && return 0
    sleep 0.5
  done
  echo "demo: agent on port $1 did not become ready" >&2
  return 1
}

echo "demo: starting agents for the core, the data centre and the NAT'd agency"
start_agent agent-core 9430
start_agent agent-dc 9431
start_agent agent-p-phan-dinh-phung 9432 nwl-a3   # behind NAT: it runs inside its LAN
wait_ready 9430 && wait_ready 9431 && wait_ready 9432 nwl-a3
echo "demo: devices up, as Prometheus would scrape them"
{ scrape 9430; scrape 9431; scrape 9432 nwl-a3; } | grep '^netwarden_device_up'
echo "demo: the dedicated-data-network links on the core router"
scrape 9430 | grep -E '^ifOperStatus\{.*ifName="wan[0-9]+"'
echo "demo: cutting link tsl-so-tc; the core router's wan2 goes down within a poll"
$nw lab fault tsl-so-tc down
for _ in $(seq 1 40); do
  scrape 9430 | grep -q 'ifOperStatus{.*ifName="wan2".*} 2' && break
  sleep 0.5
done
scrape 9430 | grep -E '^ifOperStatus\{.*ifName="wan2"'
$nw lab fault tsl-so-tc up
echo "demo: the portal's certificates as the data centre's agent probes them (days left)"
for _ in $(seq 1 40); do
  [ "$(scrape 9431 | grep -c '^netwarden_probe_tls_days_left')" -ge 3 ] && break
  sleep 0.5
done
scrape 9431 | grep '^netwarden_probe_tls_days_left'
echo "demo: the agency's camera is pinged and its RTSP port checked"
scrape 9432 nwl-a3 | grep -E '^netwarden_probe_success\{probe="(icmp|tcp)".*cam-' || true
echo "demo: the lab keeps running for you to explore; remove it with: $nw lab down"
echo "demo: run an agent yourself with: $nw agent run -i $inventory --agent agent-core"
