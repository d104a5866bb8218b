"""What an inventory id looks like. Its own module, without pydantic, so that code which only
checks an id (a command line, the config store, the collector's routes) loads no model."""

from __future__ import annotations

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9._-]{0,62}$"
ID_RULE = "must be an id: a letter, then letters, digits, '.', '_' or '-' (at most 63)"
