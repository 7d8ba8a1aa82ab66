"""Stand-ins for hardware and people: printers, keypads, screens, the crowd, the simulated day."""
