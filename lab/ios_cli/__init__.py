"""A Cisco-IOS-like CLI for the lab's simulated devices, run by sshd as a ``ForceCommand``.

netmiko's ``cisco_ios`` driver drives it and ntc-templates parse its output. What it shows is
the device namespace's real interfaces and kernel counters (the numbers SNMP serves too);
``shutdown``/``no shutdown`` change the real link through the device control socket.
"""
