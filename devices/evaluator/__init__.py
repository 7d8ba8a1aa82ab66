"""The satisfaction evaluator: four buttons (非常满意, 满意, 一般, 不满意), their LEDs and a buzzer at a counter.

- `machine`: what the evaluator does, as a pure state machine (prompt, press, timeout, cancel).
- `panel`: its hardware (buttons, LEDs, buzzer) from the hall file, on a given pin factory.
- `voice`: the spoken prompt and the confirmation beep, played on a thread of their own.
- `program`: the device program joining them to one DeviceLink; `main`: `hall evaluator` and `assemble()`.
"""
