"""The journal: events round-trip, snapshots, and refusing a journal that is not ours."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from hall import config
from hall_controller.durable import DurableEngine
from hall_controller.engine import commands as c
from hall_controller.engine import events as ev
from hall_controller.journal import Journal, JournalError

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"


@pytest.fixture
def hall():
    return config.load(EXAMPLE)


def morning(hall) -> float:
    return dt.datetime(2026, 11, 23, 9, 0, tzinfo=hall.tz).timestamp()


def busy_morning(durable: DurableEngine, t: float) -> float:
    """Open counters, issue, call, serve, rate: a bit of everything, journalled."""
    durable.apply([(c.OpenCounter(n, f"S{n:03d}"), t) for n in (1, 2, 4)])
    for i in range(30):
        t += 20
        (r,) = durable.apply(
            [(c.RequestTicket(("social", "property")[i % 2], "priority" if i % 7 == 0 else "normal", "K1"), t)]
        )
        durable.apply([(c.ConfirmPrinted(r.events[-1].ticket), t + 1)])
        if i % 3 == 0:
            for n in (1, 2, 4):
                durable.apply([(c.CallNext(n), t + 2), (c.StartService(n), t + 30), (c.Finish(n), t + 200)])
        durable.commit()
    return t


def test_every_event_type_round_trips_through_its_json_row():
    for cls in ev.EVENT_TYPES.values():
        values = {f.name: _sample(f.type) for f in dataclasses.fields(cls)}
        event = cls(**values)
        assert ev.decode(cls.__name__, ev.encode(event)) == event


def _sample(annotation: str):
    if "float" in annotation:
        return 1795395600.25
    if "int" in annotation:
        return 7
    if "bool" in annotation:
        return True
    return "二十三 A023"


def test_restart_rebuilds_the_same_state(tmp_path, hall):
    durable = DurableEngine(hall, tmp_path / "j.db")
    t = morning(hall)
    durable.tick(t)
    busy_morning(durable, t)
    live = durable.engine.state.snapshot()
    durable.journal.close()
    again = DurableEngine(hall, tmp_path / "j.db")
    assert again.engine.state.snapshot() == live


def test_snapshot_plus_tail_equals_full_replay(tmp_path, hall):
    durable = DurableEngine(hall, tmp_path / "j.db")
    t = morning(hall)
    durable.tick(t)
    t = busy_morning(durable, t)
    durable.snapshot()
    busy_morning(durable, t + 600)
    live = durable.engine.state.snapshot()
    durable.journal.close()

    from_snapshot = DurableEngine(hall, tmp_path / "j.db").engine.state.snapshot()
    journal = Journal(tmp_path / "j.db", hall)
    journal.db.execute("DELETE FROM snapshots")
    full = journal.load_state(hall).snapshot()
    assert from_snapshot == live == full


def test_a_changed_config_ignores_old_snapshots(tmp_path, hall):
    durable = DurableEngine(hall, tmp_path / "j.db")
    durable.tick(morning(hall))
    busy_morning(durable, morning(hall))
    durable.close()
    changed = dataclasses.replace(hall, notice=config.Names("新通知", "New notice"))
    journal = Journal(tmp_path / "j.db", changed)
    state = journal.load_state(changed)
    assert state.hall is changed
    assert len(state.tickets) == 30


def test_a_journal_of_another_hall_is_refused(tmp_path, hall):
    Journal(tmp_path / "j.db", hall).close()
    other = dataclasses.replace(hall, id="another")
    with pytest.raises(JournalError, match="journal of hall 'xinhua'"):
        Journal(tmp_path / "j.db", other)


def test_a_damaged_file_is_refused_with_one_sentence(tmp_path, hall):
    path = tmp_path / "j.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="is damaged .*restore the hall.s journal"):
        Journal(path, hall)


def test_a_refused_command_journals_nothing(tmp_path, hall):
    durable = DurableEngine(hall, tmp_path / "j.db")
    durable.tick(morning(hall))
    durable.commit()
    before = durable.journal.last_seq
    (result,) = durable.apply([(c.CallNext(3), morning(hall) + 5)])
    durable.commit()
    assert result.refused.code == "counter_closed"
    assert durable.journal.last_seq == before


def test_replies_are_remembered_with_their_events(tmp_path, hall):
    durable = DurableEngine(hall, tmp_path / "j.db")
    durable.tick(morning(hall))
    durable.apply([(c.RequestTicket("social", kiosk="K1"), morning(hall) + 1)])
    durable.remember_reply("K1", "m-1", '{"ok":true}')
    durable.commit()
    durable.journal.close()
    assert Journal(tmp_path / "j.db", hall).reply_for("K1", "m-1") == '{"ok":true}'
