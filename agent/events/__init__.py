"""Events the agent receives: SNMP traps and informs, syslog (UDP and TCP), normalised and
queued for the collector with their own bound (see docs/events.md)."""
