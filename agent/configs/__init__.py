"""Configuration backup: fetch running configs over SSH, normalise and redact them, and keep
them in a git repository with their history (``netwarden config ...`` and the agent).

See ``docs/config-backup.md``.
"""
