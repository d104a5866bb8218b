"""YAML as people read it: multi-line strings (PromQL) as literal blocks, keys in the order
given, Vietnamese written as it is."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as ``|`` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """``data`` as block-style YAML, deterministic for equal input; long strings stay on one
    line (folding would split templates like ``{{ $labels.x }}`` across lines)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)
