#!/usr/bin/env bash
# Install what netwarden needs on Debian 12, as root: Debian packages (the real daemons the lab
# runs), a virtualenv in .venv, and netwarden itself with its development tools. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  python3 python3-venv            # the runtime
  snmpd snmp                      # net-snmp: lab devices' agents and the reference client
  snmptrapd                       # net-snmp: the anchor the events benchmark compares against
  openssh-server openssh-client   # sshd for lab devices (Linux shell and IOS-like CLI)
  iproute2 nftables ethtool       # namespaces, NAT, offload switches for the WAN bridge
  iputils-ping curl openssl procps util-linux passwd
  git                             # the config backup store is a git repository
  prometheus                      # promtool checks the agent's exposition and the rules
  prometheus-alertmanager         # amtool checks the generated configuration; the alerting lab test
  victoria-metrics                # the second remote-write receiver of the push lab tests
  prometheus-snmp-exporter        # the reference the SNMP benchmark compares against
  fping                           # the reference the ICMP benchmark compares against
  postgresql                      # the collector's store tests start their own server
  stress-ng                       # loads the cores to prove the lab tier does not flake
  prometheus-alertmanager         # incident tests deliver alerts through a real Alertmanager
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   # WeasyPrint lays out the PDF drafts
  fonts-dejavu-core fonts-liberation2   # every Vietnamese glyph; Times New Roman metrics
  poppler-utils                   # pdftotext/pdftoppm: tests read and look at the PDF drafts
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the virtualenv .venv"
  /usr/bin/python3 -m venv .venv
fi
# The install is editable: code changes need no reinstall, only a changed pyproject.toml (a new
# dependency) does. The stamp keeps a second run from spending half a minute in pip.
stamp=.venv/.netwarden-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && .venv/bin/python -c 'import netwarden' 2>/dev/null; then
  echo "setup: netwarden already installed in .venv (pyproject.toml unchanged)"
else
  echo "setup: installing netwarden and its tools into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
  echo "$wanted" >"$stamp"
fi
echo "setup: done ($(.venv/bin/netwarden --version))"
