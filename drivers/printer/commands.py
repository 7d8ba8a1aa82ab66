"""The bytes of one ticket, made by python-escpos before any printer is touched.

Rendering is separate from sending: python-escpos' command methods write into a `Dummy` with
the roll's profile, and the link then sends the whole ticket in one write. So a ticket that
cannot be made (an image of the wrong width) fails before the printer has printed half of it,
and the kiosk's button-to-bytes time can be measured without a printer.
"""

from __future__ import annotations

from PIL import Image

from ._escpos import Dummy, constants
from .roll import Roll

IMAGE_IMPLS = ("bitImageRaster", "graphics", "bitImageColumn")  # GS v 0, GS ( L, ESC *


def ticket_bytes(ticket: Image.Image | bytes, roll: Roll, *, impl: str = "bitImageRaster") -> bytes:
    """ESC @, then the ticket (a full-width image, or text-mode bytes as they are), feed and cut.

    Cheap 58 mm printers have no cutter, and their profile emits no cut command; the cut
    (GS V 0) is sent anyway: printers without a cutter ignore it, and it marks where one
    ticket ends for the simulator and for a printer fitted with a cutter.
    """
    if impl not in IMAGE_IMPLS:
        raise ValueError(f"image command {impl!r} is not one of {', '.join(IMAGE_IMPLS)}")
    out = Dummy(profile=roll.profile)
    if isinstance(ticket, Image.Image):
        if ticket.width != roll.dots:
            raise ValueError(
                f"the ticket image is {ticket.width} dots wide; the {roll.mm} mm roll takes exactly {roll.dots}"
            )
        out.hw("INIT")
        out.image(ticket, impl=impl, fragment_height=_fragment_height(ticket.width, impl))
    elif isinstance(ticket, (bytes, bytearray)):
        if not ticket:
            raise ValueError("the text-mode ticket is empty")
        out._raw(bytes(ticket))
    else:
        raise TypeError(f"a ticket is a PIL image or text-mode bytes, not {type(ticket).__name__}")
    out.cut()
    if not (out.profile.supports("paperFullCut") or out.profile.supports("paperPartCut")):
        out._raw(constants.PAPER_FULL_CUT)
    return out.output


def _fragment_height(width: int, impl: str) -> int:
    """Rows per image command. python-escpos sends 960 rows at a time, but GS ( L counts its
    length in two bytes: 960 rows of 576 dots (69,130 bytes) overflow it, and python-escpos 3.1
    sends the length modulo 65,536 without a word (its range check is off by a shift)."""
    if impl != "graphics":
        return 960
    return min(960, (0xFFFF - 12) // ((width + 7) // 8))
