"""The province inventory: sites, devices, links, services, credentials, agents."""
