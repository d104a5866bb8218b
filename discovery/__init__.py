"""``netwarden inventory discover``: find what answers on a LAN and propose inventory entries.

One job per module: ``sweep`` (ICMP), ``arp`` (scapy, the only module that imports it),
``snmp_facts`` (system group and LLDP tables over SNMP), ``ports`` (a few TCP ports),
``lldp`` and ``roles`` (pure interpretation), ``fragment`` (proposed devices and links, YAML),
``diff`` (against the current inventory), ``validate`` (merge and check), ``run``
(orchestration), ``discover_command`` (the command's options) and ``discover_cli`` (its work,
imported only when it runs). See docs/discovery.md.

An area of its own beside the agent: it uses the agent's SNMP client and probers and reads the
inventory, and neither of those imports it.
"""

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.discovery":
    raise ImportError(
        f"import netwarden.discovery, not {__name__}: discovery/ is part of the netwarden package"
    )
