"""Remote-write push: the agent's samples sent to a receiver through a durable spool.

``samples`` turns what /metrics shows into timestamped blocks, ``encode`` writes them as
Prometheus remote-write 1.0 protobuf, ``spool`` keeps them on disk until a receiver
acknowledged them, ``sender`` posts them and applies the retry and split policy, and
``service`` ties these to the agent runtime (docs/push.md).
"""
