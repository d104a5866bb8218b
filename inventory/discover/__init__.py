"""``netwarden inventory discover``: find what answers on a LAN and propose inventory entries.

One job per module: ``sweep`` (ICMP), ``arp`` (scapy, the only module that imports it),
``snmp_facts`` (system group and LLDP tables over SNMP), ``ports`` (a few TCP ports),
``lldp`` and ``roles`` (pure interpretation), ``fragment`` (proposed devices and links, YAML),
``diff`` (against the current inventory), ``validate`` (merge and check), ``run``
(orchestration) and ``cli`` (the command). See docs/discovery.md.
"""
