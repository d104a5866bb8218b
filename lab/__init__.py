"""The province lab: network namespaces running real snmpd and sshd, for tests, demo and bench."""
