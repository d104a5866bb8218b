"""The agent: runs on each agency LAN, polls its devices (SNMP, SSH, probes), serves metrics."""
