"""The pure parts of the web: what the loop thread reads from the engine, the charts, the formats."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from hall import config
from hall_controller.engine import Engine
from hall_controller.engine import commands as cmd
from hall_controller.web import charts, snapshots
from hall_controller.web.charts import Series
from hall_controller.web.render import Pages, duration, pct

from .conftest import EXAMPLE_HALL

MORNING = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def engine_with_queue() -> tuple[Engine, list[str]]:
    engine = Engine(config.load(EXAMPLE_HALL))
    engine.tick(MORNING)
    engine.handle(cmd.OpenCounter(5, "S055"), MORNING)
    ids = []
    for i in range(3):
        reserved = engine.handle(cmd.RequestTicket("property", kiosk="K1"), MORNING + i)
        ticket = next(e.ticket for e in reserved if type(e).__name__ == "TicketReserved")
        engine.handle(cmd.ConfirmPrinted(ticket, "K1"), MORNING + i)
        ids.append(ticket)
    return engine, ids


def test_a_tickets_status_says_its_place_then_its_counter_and_nothing_else():
    engine, (first, second, third) = engine_with_queue()
    status = snapshots.ticket_status(engine, third)
    assert status["label"] == "B003" and status["state"] == "waiting" and status["ahead"] == 2
    assert status["estimated_wait_s"] == round(engine.estimate_wait("property", 2)) > 0
    assert status["counter"] is None and "S055" not in repr(status)
    engine.handle(cmd.CallNext(5), MORNING + 60)
    assert snapshots.ticket_status(engine, first)["counter"]["number"] == 5
    assert snapshots.ticket_status(engine, third)["ahead"] == 1
    assert snapshots.ticket_status(engine, "20261123-B999") is None
    both = snapshots.ticket_statuses([first, "nobody"])(engine)
    assert both["nobody"] is None and both[first]["state"] == "called"


def test_the_live_view_shows_counters_queues_and_calls():
    engine, _ = engine_with_queue()
    engine.handle(cmd.CallNext(5), MORNING + 60)
    view = snapshots.live_hall(engine)
    counter = next(c for c in view["counters"] if c["number"] == 5)
    assert (
        counter["clerk"] == "S055"
        and counter["ticket"]["label"] == "B001"
        and counter["ticket"]["since"] == MORNING + 60
    )
    assert next(s for s in view["services"] if s["id"] == "property")["waiting"] == 2
    assert view["calls"][0] == {"seq": 1, "label": "B001", "counter": 5, "recall": False, "at": MORNING + 60}
    assert view["tickets_seq"] == 3 and view["incident"] is None
    assert {d["id"] for d in view["devices"]} >= {"K1", "C5", "E5", "D1"}
    assert snapshots.tickets_after(1)(engine) == [(t.id, t.seq) for t in engine.state.tickets.values() if t.seq > 1]


def test_charts_are_well_formed_svg_with_every_text_escaped():
    svg = charts.horizontal_bars(
        ["S101", "<script>"],
        [
            Series("满意率 rate", "bar-a", [0.9, None]),
            Series("均分 score", "bar-c", [0.5, 1.0], fmt=lambda v: f"{v * 5:.2f}"),
        ],
        scale_max=1.0,
        fmt=lambda v: pct(v, 0),
        title="柜员 & clerks",
    )
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>" in texts and "柜员 & clerks" in texts and "90 %" in texts and "2.50" in texts and "–" in texts
    widths = {
        r.find("{http://www.w3.org/2000/svg}title").text: float(r.get("width"))
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("{http://www.w3.org/2000/svg}title") is not None
    }
    assert widths["<script> · 均分 score: 5.00"] == 2 * widths["S101 · 均分 score: 2.50"]
    columns = charts.columns(
        [f"{h:02d}" for h in range(8, 18)],
        Series("tickets", "bar-b", [float(h) for h in range(10)]),
        line=Series("open", "line-a", [5.0] * 10),
        title="By hour",
    )
    assert ET.fromstring(columns).find("{http://www.w3.org/2000/svg}polyline") is not None
    assert charts.nice_max(73) == 100 and charts.nice_max(0.42) == 0.5 and charts.nice_duration_max(1000) == 1200


def test_times_are_the_halls_and_durations_are_minutes():
    pages = Pages("Asia/Shanghai")
    assert pages.clock(MORNING) == "09:00" and pages.when(MORNING) == "2026-11-23 09:00"
    assert [duration(s) for s in (None, 4, 59.6, 61, 3599, 3660, 7325)] == [
        "–",
        "4 s",
        "1 min",
        "1 min",
        "1 h 00 min",
        "1 h 01 min",
        "2 h 02 min",
    ]
    assert pct(None) == "–" and pct(0.9231) == "92.3 %"


def test_no_counter_open_is_said_on_the_ticket_status_and_the_live_view():
    engine, (first, _, third) = engine_with_queue()
    engine.handle(cmd.CloseCounter(5), MORNING + 10)  # property's only counters are 4, 5 (9 backs it up)
    status = snapshots.ticket_status(engine, third)
    assert status["estimated_wait_s"] is None and status["no_counter_open"] is True
    row = next(s for s in snapshots.live_hall(engine)["services"] if s["id"] == "property")
    assert row["waiting"] == 3 and row["estimated_wait_s"] is None and row["no_counter_open"] is True
    engine.handle(cmd.OpenCounter(9, "S099"), MORNING + 20)  # a backup counter serves it: a figure again
    assert snapshots.ticket_status(engine, third)["no_counter_open"] is False
