"""The calling screen: the calls and the board in, a picture and a voice out.

- `machine`: the rule book (calls in order, gaps refilled, incidents, acknowledgements), pure.
- `board`: what a screen shows, as frozen data; `render`: how it is drawn.
- `announcer`: the voice queue, every call spoken once, in order, on a thread of its own.
- `program`: the device program joining them to one DeviceLink; `main`: `hall display` and
  `assemble()`. The screen and the voice themselves are drivers (`drivers.screen`, `drivers.voice`).
"""
