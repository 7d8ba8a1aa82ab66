"""The ticket kiosk: a citizen presses a service, the kiosk prints a numbered ticket."""
