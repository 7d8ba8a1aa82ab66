"""The step loop every device program runs (`devices.stepping.StepLoop`), alone: no broker, no clock."""

from __future__ import annotations

import queue
import threading

from devices.stepping import StepLoop


class Program(StepLoop):
    """A program that writes down what the loop asks of it, in order."""

    def __init__(self, *, drain: bool = False, stop_after: int | None = None) -> None:
        super().__init__(queue.Queue())
        self.drain = drain
        self.stop_after = stop_after
        self.seen: list[str] = []
        self.waits: list[float] = []

    def _wait_s(self, timeout: float) -> float:
        self.waits.append(timeout)
        return 0.0  # never sleep: the tests put everything in the inbox first

    def _woke(self) -> None:
        self.seen.append("woke")

    def _take(self, item: object) -> None:
        self.seen.append(f"take {item}")
        if item == "stop":
            self.stop()

    def _settle(self) -> None:
        self.seen.append("settle")

    def _stop_requested(self) -> bool:
        return self.stop_after is not None and self.seen.count("settle") >= self.stop_after


def test_a_step_takes_one_item_between_waking_and_settling():
    program = Program()
    program.inbox.put("a")
    program.inbox.put("b")
    assert program.step(0.3) is True
    assert program.seen == ["woke", "take a", "settle"]
    assert program.waits == [0.3]
    assert program.step() is True and program.waits[-1] == program.step_s
    assert program.step() is False, "nothing waiting: the step still settles"
    assert program.seen[-2:] == ["woke", "settle"]


def test_a_draining_step_takes_everything_waiting_then_settles_once():
    program = Program(drain=True)
    for item in "abc":
        program.inbox.put(item)
    assert program.step() is True
    assert program.seen == ["woke", "take a", "take b", "take c", "settle"]


def test_run_returns_when_stopped_from_inside_from_outside_or_when_the_program_asks():
    program = Program()
    program.inbox.put("x")
    program.inbox.put("stop")
    program.run()
    assert program.seen[-2:] == ["take stop", "settle"] and program.stopped

    asking = Program(stop_after=3)
    steps: list[int] = []
    asking.run(each_step=lambda: steps.append(1))
    assert asking.seen.count("settle") == 3 and len(steps) == 3

    outside = threading.Event()
    outside.set()
    idle = Program()
    idle.run(outside)
    assert idle.seen == [], "a stop set before it starts: not a single step"


def test_wait_for_steps_until_done_and_gives_up_on_stop():
    program = Program()
    for item in "abc":
        program.inbox.put(item)
    assert program.wait_for(lambda: "take c" in program.seen, 10)
    program.stop()
    assert program.wait_for(lambda: False, 10) is False
