"""The ticket kiosk: a citizen presses a service, the kiosk prints a numbered ticket.

- `machine`: what the kiosk does, as a pure state machine (presses, printer states, online/offline).
- `program`: the device program joining it to the printer, the screen, the offline numbers and one
  DeviceLink; `main`: `hall kiosk` and `assemble()`.
- `ticket`: the printed ticket (TicketFace, image and text mode); `faces`: reservation -> face.
- `menu`: the screen (pure render and hit-testing); `words`: its texts in Chinese and English.
- `buttons`: the GPIO service and priority buttons; `offline`: leased offline numbers on disk.
"""
