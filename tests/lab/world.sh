#!/bin/bash
# A world of its own for one pytest-xdist worker of the lab tier (docs/testing.md).
#
#   world.sh PYTHON ARGS...
#
# runs PYTHON ARGS in new network, mount and PID namespaces, so that the worker's lab (its
# nwl-* namespaces, 198.18.0.0/15 routes, lab dir, SSH user) is invisible to every other worker
# and to the machine's own lab, and so that everything it started dies with it. tests/lab's
# conftest hands it to xdist as the workers' interpreter (`--tx popen//python=...`); execnet
# then talks to the worker over stdin/stdout, so nothing here may write to stdout.
#
# In the world:
#   - loopback up: daemons and servers on 127.0.0.1 are private to the worker;
#   - /sys remounted: /sys/class/net must show this network namespace, not the machine's;
#   - /run/netns a private tmpfs: `ip netns add nwl-core` creates nothing the machine sees. The
#     machine's own lab namespaces, copied in with the mount table, are unmounted first: a copy
#     would keep them alive after the machine's `lab down` (and its root link with them);
#   - NETWARDEN_LAB_DIR a private directory (never a mount over /run/netwarden-lab: the
#     machine's `lab down` removes that directory, which would unmount ours);
#   - /var/lib/netwarden-lab (the SSH user's home) a private tmpfs, and /etc an overlay whose
#     changes stay in the world: each lab sets its own SSH password with chpasswd;
#   - a PID namespace: when the worker ends, however it ends, the kernel kills every daemon its
#     lab left, and the namespaces go with them;
#   - SNMP_PERSISTENT_DIR a private directory: net-snmp's tools (snmpget, snmpwalk, snmptrap,
#     snmpinform) rewrite their persistent file (/var/lib/snmp/snmpapp.conf) at every exit, and
#     one that reads it while another world's snmptrap rewrites it fails its request ("buffer
#     too small to read octet string (17 < 17)", then a timeout): 7 of 300 v3 gets beside a
#     snmptrap loop sharing the directory, none with a directory of their own.
set -euo pipefail

if [ "${1:-}" != "--inside" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "world.sh: the lab tier's worlds need root (network namespaces)" >&2
    exit 1
  fi
  mkdir -p /run/netns /var/lib/netwarden-lab
  # The world's files live in a tmpfs mounted (privately) on this empty directory; the
  # directory itself is all the machine sees of the world, and it is removed at the end.
  top=$(mktemp -d /run/netwarden-world.XXXXXX)
  # Also when the run is interrupted (a worker killed, ^C): the empty directory would stay.
  trap 'rmdir "$top" 2>/dev/null || true' EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  rc=0
  unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private \
    -- "$0" --inside "$top" "$@" || rc=$?
  exit "$rc"
fi

top=$2
shift 2
{
  ip link set lo up
  mount -t sysfs nwworld-sys /sys
  mount -t tmpfs -o mode=0755 nwworld "$top"
  mkdir -p "$top/netns" "$top/lab" "$top/home" "$top/etc/upper" "$top/etc/work" "$top/snmp"
  umount --recursive --lazy /run/netns 2>/dev/null || true
  mount --bind "$top/netns" /run/netns
  mount --bind "$top/home" /var/lib/netwarden-lab
  mount -t overlay nwworld-etc \
    -o "lowerdir=/etc,upperdir=$top/etc/upper,workdir=$top/etc/work" /etc
} >&2
export NETWARDEN_LAB_DIR="$top/lab"
export NETWARDEN_LAB_WORLD="$top"
export SNMP_PERSISTENT_DIR="$top/snmp"
# Not exec'd: this shell stays PID 1 of the world and reaps the orphans of daemons that
# forked (sshd's sessions), which the worker itself would leave as zombies.
"$@"
