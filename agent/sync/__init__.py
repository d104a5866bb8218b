"""The agent's side of the collector: enrolment, the state dir, heartbeats, the assignment,
jobs and the disk queue that carries results through WAN outages.

The wire contract is ``docs/collector-api.md``; ``docs/deploy.md`` tells how a province rolls
agents out. Every call to the collector goes through ``client.CollectorClient``, which maps
transport and HTTP failures to a small :class:`~netwarden.agent.sync.client.Reply`: the loops
never see an exception from the network.
"""
