"""The engine made durable: commands applied in batches, their events journalled, one commit.

Everything that answers anyone (the MQTT gateway, the test worker) goes this way:

    results = durable.apply([(command, now), ...])  # applied to the engine, events buffered
    durable.remember_reply(sender, message_id, reply_text)   # for each, optional
    durable.commit()                                # one transaction, one fsync
    ...                                             # only now may anyone be told

A reply or a call therefore never announces something a crash could take back.

The journal is guarded at start (history.py): a damaged, missing, emptied or swapped journal is
refused with one sentence instead of becoming a fresh day; the hall's history marker beside it is
rewritten once the journal has its first events, then at most once a minute, at every snapshot
and at close.

When a commit fails (the disk is full, an I/O error), nothing of the batch happened: the engine
is rebuilt from the journal as it was before the batch (the commands' effects were only in
memory) and `commit` raises StorageUnavailable, so the caller answers `unavailable` and tells
no one anything that is not journalled. The next commit simply tries again: the controller
recovers by itself when space returns. Commands in a
batch are applied in order, each seeing the effects of the previous ones; a refused command
changes nothing and its refusal is part of its result.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from hall import clock as hall_clock
from hall.config import Hall
from hall_controller import history
from hall_controller.engine import Engine, EngineBug, Refused
from hall_controller.journal import Journal, JournalError
from protocol.envelope import format_epoch

SNAPSHOT_EVERY = 50_000  # events between snapshots: bounds the replay at restart (about 0.4 s)
MARK_EVERY_S = 60.0  # the history marker's days and numbers are at most this old
log = logging.getLogger("hall.controller")


class StorageUnavailable(RuntimeError):
    """The journal could not be written (disk full, I/O error); the batch was undone. One sentence."""


@dataclass
class Result:
    """What one command did: its events (time-driven ones first), or the refusal."""

    events: list = field(default_factory=list)
    refused: Refused | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


class DurableEngine:
    def __init__(
        self,
        hall: Hall,
        journal_path: str | Path,
        sync: str = "full",
        *,
        marker: str | Path | None = None,
        new_journal: bool = False,
        clock=hall_clock.now,
    ):
        """`marker`: the hall's history marker (default: beside the journal, history.marker_path).
        `new_journal`: start a genuinely new hall where a marker exists (the journal must be
        missing or empty). Raises JournalError with one sentence when the journal is refused."""
        self.hall = hall
        journal_path = Path(journal_path)
        self.marker_path = Path(marker) if marker is not None else history.marker_path(journal_path)
        self._clock = clock
        try:
            mark = history.read(self.marker_path)
            refuse = (
                None if mark is None or new_journal else history.refusal_for_fresh(journal_path, self.marker_path, mark)
            )
            self.journal = Journal(journal_path, hall, sync, refuse_fresh=refuse)
            if new_journal and self.journal.last_seq > 0:
                self.journal.close()
                raise JournalError(
                    f"--new-journal starts a new hall only where the journal is missing or empty, "
                    f"and {journal_path} holds {self.journal.last_seq} events: move it away first"
                )
            if not new_journal:
                history.check(journal_path, self.marker_path, mark, self.journal.journal_id, self.journal.last_seq)
        except history.HistoryError as e:
            if hasattr(self, "journal"):
                self.journal.close()
            raise JournalError(str(e)) from None
        try:
            self.engine = Engine(hall, self.journal.load_state(hall))
        except JournalError:
            self.journal.close()
            raise
        self._since_snapshot = 0
        self._marked_at = float("-inf")
        if self.journal.last_seq > 0 or new_journal:
            self.mark()

    def mark(self) -> None:
        """Write the hall's history marker: this journal, its last event, days and numbers. On a
        full disk it is tried again a minute later (the old marker, if any, stays whole)."""
        state = self.engine.state
        self._marked_at = time.monotonic()  # tried: again in a minute at the latest, whatever happens
        try:
            history.write(
                self.marker_path,
                history.Marker(
                    self.journal.journal_id,
                    self.hall.id,
                    self.journal.last_seq,
                    dict(state.days),
                    dict(state.next_number),
                ),
                format_epoch(self._clock()),
            )
        except OSError as e:
            log.warning("the history marker %s cannot be written just now: %s", self.marker_path, e.strerror or e)

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
                result.refused = Refused(
                    "internal_error", "the controller hit an internal error; the request was not carried out"
                )
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
        """Make everything applied since the last commit durable, in one transaction; or, if the
        journal cannot be written, undo it all and raise StorageUnavailable."""
        try:
            self._since_snapshot += self.journal.commit()
        except (sqlite3.Error, OSError) as e:
            self._undo()
            raise StorageUnavailable(f"the journal {self.journal.path} cannot be written ({e})") from None
        if self.journal.last_seq > 0 and time.monotonic() - self._marked_at >= MARK_EVERY_S:
            self.mark()  # the hall has a history from its first event on
        if self._since_snapshot >= SNAPSHOT_EVERY:
            self.snapshot()

    def _undo(self) -> None:
        """Back to the last committed state: rebuilt from the journal, in the same Engine object
        (the gateway and the web hold it), so nothing un-journalled is ever acted on."""
        self.engine.__init__(self.hall, self.journal.load_state(self.hall))

    def snapshot(self) -> None:
        """Store the state (a snapshot is an optimisation: on a full disk it waits for later)."""
        try:
            self.journal.save_snapshot(self.engine.state)
        except sqlite3.Error as e:
            log.warning("no snapshot of the journal just now (%s); the next one is tried later", e)
            return
        self._since_snapshot = 0
        self.mark()

    def close(self) -> None:
        """Commit what is applied (if the disk allows), snapshot, close: what was committed stays."""
        try:
            self.commit()
        except StorageUnavailable as e:
            log.warning("%s; closing with what was committed before", e)
        self.snapshot()
        self.journal.close()
