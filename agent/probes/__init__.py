"""Probes: ICMP (many packets, smokeping-style statistics), TCP connect, HTTP(S)."""
