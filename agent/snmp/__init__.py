"""SNMP for the agent: a fast asyncio v2c/v3 client with its own BER codec (the hot path)."""
