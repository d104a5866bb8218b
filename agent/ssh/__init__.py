"""SSH collection: netmiko sessions in a bounded thread pool, parsed with TextFSM."""
