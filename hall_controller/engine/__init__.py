"""The dispatch engine, free of I/O: `Engine.tick(now)` and `Engine.handle(command, now)`."""

from hall_controller.engine.commands import *  # noqa: F401,F403  (the command vocabulary)
from hall_controller.engine.engine import Engine, EngineBug, EngineNotStarted, Refused
from hall_controller.engine.model import CounterState, IllegalTransition, Ticket, TicketState
from hall_controller.engine.state import HallState

__all__ = [
    "Engine",
    "EngineBug",
    "EngineNotStarted",
    "Refused",
    "HallState",
    "Ticket",
    "TicketState",
    "CounterState",
    "IllegalTransition",
]
