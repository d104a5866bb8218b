"""Alerting: the Prometheus alert rules (rendered from ``prometheus/thresholds.yml``) and the
Alertmanager configuration generated from the inventory and ``alerting.yaml``.

See ``docs/alerting.md``. The rules live in :mod:`netwarden.alerting.rules`, the generator in
:mod:`netwarden.alerting.generate`.
"""
