"""The clerk's counter keypad (the "caller"): sign in, call, recall, serve, finish, pause, close.

- `keys`: the keypad layout, its keyboard letters, and key names for scripts.
- `machine`: what each key does, as a pure state machine over the counter's view.
- `words`: the controller's refusals in short Chinese and English.
- `screen`: the clerk's screen as text lines (a pure function), and a small-screen painter.
- `terminal`: the clerk PC's keyboard as a keypad, and the screen drawn in the terminal.
- `program`: the device program joining them to one DeviceLink; `main`: `hall caller` and `assemble()`.
"""
