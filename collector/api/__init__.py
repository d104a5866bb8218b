"""The collector's HTTP API (docs/collector-api.md): a Starlette app over the store."""

from netwarden.collector.api.app import create_app

__all__ = ["create_app"]
