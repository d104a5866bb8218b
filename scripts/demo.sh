#!/usr/bin/env bash
# The demo: set up, bring the simulated province up in network namespaces (real snmpd and sshd
# on every device), validate its inventory, discover an agency LAN, then monitor the province
# end to end: a collector in the data centre (TLS, embedded SQLite), one enrolled agent per
# site in its own namespace (the NAT'd agency's included), Prometheus finding the agents through
# the collector's service discovery, a link cut, certificates, SSH collection, config backup.
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

echo "demo: discovering agency so-khcn's LAN (ICMP sweep, SNMP, TCP ports) against the inventory"
$nw inventory discover --site so-khcn --cidr 198.18.1.0/24 -i "$inventory"

# Everything the demo starts below lives in $demo and ends with it (by PID).
demo=/tmp/netwarden-demo
rm -rf "$demo" && mkdir -p "$demo"
pids=()
stop_all() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
wait_http() {  # what, url, [namespace], [curl options...]
  local what=$1 url=$2 ns=${3:-}; shift 3 || shift $#
  for _ in $(seq 1 120); do
    local get=(curl -sf -o /dev/null "$@" "$url")
    if [ -n "$ns" ]; then get=(ip netns exec "$ns" "${get[@]}"); fi
    "${get[@]}" && return 0
    sleep 0.5
  done
  echo "demo: $what did not answer at $url" >&2
  return 1
}
scrape() {  # HOST:PORT, [namespace]
  local get=(curl -sf "http://$1/metrics")
  if [ -n "${2:-}" ]; then get=(ip netns exec "$2" "${get[@]}"); fi
  "${get[@]}"
}

dc_host=198.18.10.6 # the data centre host that runs the collector and Prometheus
collector="https://$dc_host:9440"
echo "demo: starting the collector in the data centre ($collector, TLS with its own CA, SQLite)"
ip netns exec nwl-dc-db $nw collector serve -i "$inventory" --data-dir "$demo/collector" \
  --listen "$dc_host:9440" --stale-after 10s 2>>"$demo/collector.log" &
pids+=("$!")
wait_http collector "$collector/-/ready" "" -k   # readiness only; agents pin the CA below
ca="$demo/collector/tls/ca.pem"
token() { $nw collector token create --data-dir "$demo/collector" "$@"; }
admin=$(token --user demo-admin --role admin 2>/dev/null)
viewer=$(token --user prometheus --role viewer 2>/dev/null)

echo "demo: enrolling one agent per site, each in its own namespace, reaching the DC over the WAN"
# agent id, namespace, the address its /metrics listens on (and advertises, unless behind NAT)
agents=(
  "agent-core nwl-core 198.18.100.1:9430 advertise"
  "agent-dc nwl-dc 198.18.10.1:9430 advertise"
  "agent-so-khcn nwl-a1 198.18.1.2:9430 advertise"
  "agent-so-tc nwl-a2 198.18.2.2:9430 advertise"
  "agent-p-phan-dinh-phung nwl-a3 198.18.1.2:9430 nat"
)
for entry in "${agents[@]}"; do
  read -r id ns listen mode <<<"$entry"
  join=$(token --agent "$id" -i "$inventory")
  ip netns exec "$ns" $nw agent enroll --collector "$collector" --token "$join" \
    --state-dir "$demo/agents/$id"
  run=($nw agent run --state-dir "$demo/agents/$id" --listen "$listen" --heartbeat-interval 2
       --config-store "$demo/configs")
  if [ "$mode" = advertise ]; then run+=(--advertise "$listen"); fi
  ip netns exec "$ns" "${run[@]}" 2>>"$demo/$id.log" &
  pids+=("$!")
done
for entry in "${agents[@]}"; do
  read -r id ns listen mode <<<"$entry"
  wait_http "$id" "http://$listen/-/ready" "$ns"
done

echo "demo: Prometheus in the data centre finds the agents through the collector's HTTP SD"
mkdir -p "$demo/prometheus"
printf '%s' "$viewer" >"$demo/prometheus/token"
cat >"$demo/prometheus/prometheus.yml" <<EOF
global: {scrape_interval: 2s, scrape_timeout: 2s}
scrape_configs:
  - job_name: netwarden-agents
    honor_labels: true
    http_sd_configs:
      - url: $collector/api/v1/sd
        refresh_interval: 2s
        authorization: {type: Bearer, credentials_file: $demo/prometheus/token}
        tls_config: {ca_file: $ca}
EOF
ip netns exec nwl-dc-db prometheus --config.file="$demo/prometheus/prometheus.yml" \
  --storage.tsdb.path="$demo/prometheus/data" --web.listen-address="$dc_host:19090" \
  2>>"$demo/prometheus.log" &
pids+=("$!")
wait_http prometheus "http://$dc_host:19090/-/ready"
query() { curl -sf "http://$dc_host:19090/api/v1/query" --data-urlencode "query=$1"; }
for _ in $(seq 1 60); do
  [ "$(query 'count(up{job="netwarden-agents"} == 1)' | python3 -c \
    'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')" = 4 ] && break
  sleep 1
done
query 'up{job="netwarden-agents"}' | python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m, v = r["metric"], r["value"][1]
    print("  scraped %-24s site %-18s up=%s" % (m["agent"], m["site"], v))'
echo "demo: the fleet as the response team sees it (the NAT'd agency is not scraped: it connects out only)"
NETWARDEN_TOKEN=$admin $nw fleet status --collector "$collector" --ca-file "$ca"

echo "demo: devices up, as Prometheus scrapes them"
query 'netwarden_device_up' | python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m, v = r["metric"], r["value"][1]
    print("  %-28s %-5s agent %-24s up=%s" % (m["device"], m["method"], m["agent"], v))'
echo "demo: the dedicated-data-network links on the core router"
scrape 198.18.100.1:9430 | grep -E '^ifOperStatus\{.*ifName="wan[0-9]+"'
echo "demo: cutting link tsl-so-tc; the core router's wan2 goes down within a poll"
$nw lab fault tsl-so-tc down
for _ in $(seq 1 40); do
  scrape 198.18.100.1:9430 | grep -q 'ifOperStatus{.*ifName="wan2".*} 2' && break
  sleep 0.5
done
scrape 198.18.100.1:9430 | grep -E '^ifOperStatus\{.*ifName="wan2"'
$nw lab fault tsl-so-tc up
echo "demo: the portal's certificates as the data centre's agent probes them (days left)"
for _ in $(seq 1 40); do
  [ "$(scrape 198.18.10.1:9430 | grep -c '^netwarden_probe_tls_days_left')" -ge 3 ] && break
  sleep 0.5
done
scrape 198.18.10.1:9430 | grep '^netwarden_probe_tls_days_left'
echo "demo: the NAT'd agency's camera is pinged and its RTSP port checked (from inside its LAN)"
scrape 198.18.1.2:9430 nwl-a3 | grep -E '^netwarden_probe_success\{probe="(icmp|tcp)".*cam-' || true
echo "demo: DC hosts read over SSH (filesystems, load, memory) and the core router's CLI"
for _ in $(seq 1 40); do
  scrape 198.18.10.1:9430 | grep -q '^netwarden_host_filesystem_used_bytes' && break
  sleep 0.5
done
scrape 198.18.10.1:9430 | grep -E '^netwarden_host_(filesystem_used_bytes\{.*mountpoint="/mnt"|load1|memory_available_bytes)'
scrape 198.18.100.1:9430 | grep -E '^netwarden_ssh_(up|interface_up)\{' | head -6

echo "demo: config backup of sw-so-tc-core, an unplanned change on it, and the diff"
$nw config backup sw-so-tc-core -i "$inventory" --store "$demo/configs"
.venv/bin/python - "$(cat /run/netwarden-lab/secrets/ssh-password)" \
  "$(cat /run/netwarden-lab/secrets/enable-secret)" <<'EOF'
import sys
from netmiko import ConnectHandler
with ConnectHandler(device_type="cisco_ios", host="198.18.2.2", port=2222, username="labops",
                    password=sys.argv[1], secret=sys.argv[2]) as cli:
    cli.enable()
    cli.send_config_set(["interface lan0", "shutdown"])
EOF
$nw config backup sw-so-tc-core -i "$inventory" --store "$demo/configs"
$nw config diff sw-so-tc-core --store "$demo/configs"
.venv/bin/python - "$(cat /run/netwarden-lab/secrets/ssh-password)" \
  "$(cat /run/netwarden-lab/secrets/enable-secret)" <<'EOF'
import sys
from netmiko import ConnectHandler
with ConnectHandler(device_type="cisco_ios", host="198.18.2.2", port=2222, username="labops",
                    password=sys.argv[1], secret=sys.argv[2]) as cli:
    cli.enable()
    cli.send_config_set(["interface lan0", "no shutdown"])
EOF

echo "demo: done. The lab keeps running for you to explore; remove it with: $nw lab down"
echo "demo: the collector, agents and Prometheus stop now; their logs are in $demo"
