"""Playbook actions the agent runs as jobs: one module per action, the catalogue of them all.

``catalogue`` is pure (pydantic and the standard library): the playbook checker on the
collector imports it to validate steps' ``args`` without loading the agent's protocol stacks.
The handler modules import their libraries lazily, when a step runs.
"""
