"""The incident record: alerts from Alertmanager turned into durable incidents.

Pure logic lives here (payload decoding, incident keys, what the topology says is affected,
maintenance coverage, the rules of the lifecycle); the tables and transactions are in
``collector/store/incident_*.py``, the HTTP routes in ``collector/api/`` and the commands in
``collector/incident_commands.py``. See docs/incidents.md.
"""
