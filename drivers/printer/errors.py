"""Why a ticket could not be printed, as exception types the kiosk can act on.

The kiosk says different things for each: paper out and cover open are for the hall staff to
fix (and are reported as the kiosk's state), offline means the printer does not answer at all.
A bad connector string is the technician's mistake in the config, not the printer's, so it is
a different tree (a ValueError) raised when the kiosk starts; so is a machine that lacks the
library a link needs (DriverMissing).
"""

from __future__ import annotations


class PrinterError(Exception):
    """The printer cannot print this ticket now."""


class PrinterOffline(PrinterError):
    """The printer cannot be reached, does not answer, or says it is offline."""


class PaperOut(PrinterError):
    """The printer says its paper roll is empty."""


class CoverOpen(PrinterError):
    """The printer says its cover is open."""


class DriverMissing(Exception):
    """This machine lacks a system library a printer link needs (libusb for usb:…); the message
    is one sentence saying what is missing and how to install it. Raised when the printer is set
    up, so the kiosk stops at start instead of at the first citizen's ticket."""


class BadConnector(ValueError):
    """A printer connector string (usb:…, serial:…, tcp:…, file:…, sim) that does not parse."""
