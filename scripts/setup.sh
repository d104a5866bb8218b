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
# The virtualenv and netwarden in it. The install is editable: code changes need no reinstall,
# only a changed pyproject.toml (a new dependency) does. The stamp keeps a second run from
# spending half a minute in pip.
install_python() {
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating the virtualenv .venv"
    /usr/bin/python3 -m venv .venv
  fi
  local stamp=.venv/.netwarden-installed wanted
  wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && .venv/bin/python -c 'import netwarden' 2>/dev/null; then
    echo "setup: netwarden already installed in .venv (pyproject.toml unchanged)"
  else
    echo "setup: installing netwarden and its tools into .venv"
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
    echo "$wanted" >"$stamp"
  fi
}

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# pip needs only python3-venv of these: when it is there, the virtualenv is installed while
# apt works (a fresh machine's two downloads side by side), and its output shown after apt's.
python_log=$(mktemp)
trap 'rm -f "$python_log"' EXIT
python_job=""
if [[ " ${missing[*]} " != *" python3-venv "* ]]; then
  install_python >"$python_log" 2>&1 &
  python_job=$!
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi
if [ -n "$python_job" ]; then
  python_rc=0
  wait "$python_job" || python_rc=$?
  cat "$python_log"
  if [ "$python_rc" -ne 0 ]; then
    echo "setup: installing the virtualenv failed (exit $python_rc)" >&2
    exit "$python_rc"
  fi
else
  install_python
fi

echo "setup: done ($(.venv/bin/netwarden --version))"
