"""Probes: ICMP (many packets, smokeping-style statistics), TCP connect, HTTP(S).

One module per kind, one call shape (``common.Prober``), a table from kind to prober
(``registry``), and the plan of which probes an agent runs (``plan``).
"""
