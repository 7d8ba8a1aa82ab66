"""The Raspberry Pi programs: kiosk, evaluator, counter caller, calling display."""
