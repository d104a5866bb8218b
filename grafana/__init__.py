"""netwarden's Grafana dashboards, built as code with grafana-foundation-sdk.

``python -m netwarden.grafana`` writes them to ``grafana/dashboards/*.json``; ``--check``
says whether the files there are what the code builds. The SDK is an optional dependency
(the ``dashboards`` extra): nothing the agent or the collector runs imports this package.
"""
