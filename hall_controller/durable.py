"""The engine made durable: commands applied in batches, their events journalled, one commit.

Everything that answers anyone (the MQTT gateway, the test worker) goes this way:

    results = durable.apply([(command, now), ...])  # applied to the engine, events buffered
    durable.remember_reply(sender, message_id, reply_text)   # for each, optional
    durable.commit()                                # one transaction, one fsync
    ...                                             # only now may anyone be told

A reply or a call therefore never announces something a crash could take back. Commands in a
batch are applied in order, each seeing the effects of the previous ones; a refused command
changes nothing and its refusal is part of its result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hall.config import Hall
from hall_controller.engine import Engine, EngineBug, Refused
from hall_controller.journal import Journal

SNAPSHOT_EVERY = 50_000    # events between snapshots: bounds the replay at restart (about 0.4 s)
log = logging.getLogger("hall.controller")


@dataclass
class Result:
    """What one command did: its events (time-driven ones first), or the refusal."""
    events: list = field(default_factory=list)
    refused: Refused | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


class DurableEngine:
    def __init__(self, hall: Hall, journal_path: str | Path, sync: str = "full"):
        self.hall = hall
        self.journal = Journal(journal_path, hall, sync)
        self.engine = Engine(hall, self.journal.load_state(hall))
        self._since_snapshot = 0

    def apply(self, commands: list[tuple[object, float]]) -> list[Result]:
        """Apply each (command, now) in order and buffer their events; `commit()` makes them durable."""
        results = []
        engine, journal = self.engine, self.journal
        for command, now in commands:
            result = Result(engine.tick(now))
            try:
                result.events += engine.handle(command, now)
            except Refused as refusal:
                result.refused = refusal
            except EngineBug as bug:
                log.exception("engine error on %r", command)
                result.events += bug.events
                result.refused = Refused("internal_error", "the controller hit an internal error; "
                                         "the request was not carried out")
            journal.append(result.events)
            results.append(result)
        return results

    def tick(self, now: float) -> list:
        """Let time pass with no command (the controller does this every second); `commit()` after."""
        events = self.engine.tick(now)
        self.journal.append(events)
        return events

    def remember_reply(self, sender: str, message_id: str, reply: str) -> None:
        """Journal the reply to a message in the same transaction as its events (see Journal)."""
        self.journal.remember_reply(sender, message_id, reply)

    def commit(self) -> None:
        self._since_snapshot += self.journal.commit()
        if self._since_snapshot >= SNAPSHOT_EVERY:
            self.snapshot()

    def snapshot(self) -> None:
        self.journal.save_snapshot(self.engine.state)
        self._since_snapshot = 0

    def close(self) -> None:
        self.journal.commit()
        self.snapshot()
        self.journal.close()
