"""The Raspberry Pi programs: kiosk, evaluator, counter caller, calling display.

Each has the same shape: `machine` (pure rules, time passed in, effects returned as a list),
`program` (a `stepping.StepLoop` over its drivers and its `link.DeviceLink`) and `main` (its
command line and `assemble()`, which the simulators and the tests use too).
"""
