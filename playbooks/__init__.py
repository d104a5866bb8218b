"""Incident-response playbooks (YAML) and the engine that runs them."""
