"""Every request a device sends, through devices wired in memory to a real session and journal
(tests/controller/pair.py; the broker's part is in test_crash and test_broker_restart), in the
order a morning at the hall brings them; each reply is read, and so is everything else the
controller says: calls with their sequence numbers, rating prompts and cancels, counter views,
the board, alerts."""

from __future__ import annotations

from hall_controller.engine import TicketState
from protocol import topics
from protocol.envelope import decode, format_epoch, parse_ts
from protocol.messages import CATALOGUE
from protocol.topics import Kind

from .conftest import HALL, no_wait_hall

DEVICE_REQUESTS = {name for name, t in CATALOGUE.items() if t.topic == "up"}


def view(counter, state="open", clerk=None, reason=None, ticket=None, held=(), waiting=0):
    return {
        "counter": counter,
        "state": state,
        "clerk": clerk,
        "reason": reason,
        "ticket": ticket,
        "held": list(held),
        "waiting": waiting,
    }


def serving(ticket_id, label, state, service="social", recalls=0, announced=None):
    return {
        "id": ticket_id,
        "label": label,
        "state": state,
        "service": service,
        "recalls": recalls,
        "announced": announced,
    }


def service_row(board, service):
    return next(s for s in board.body["services"] if s["id"] == service)


def counter_row(board, number):
    """A counter's row on the board; a counter the board does not list is closed."""
    return next((c for c in board.body["counters"] if c["number"] == number), {"number": number, "state": "closed"})


def hear(ctl, screen, seq: int) -> None:
    """The hall display `screen` reports call `seq` spoken just now (the clocks of that call then
    run from now)."""
    now = format_epoch(ctl.now())
    screen.send("calls.ack", {"seq": seq, "calls": [{"seq": seq, "outcome": "spoken", "started": now, "ended": now}]})
    ticket = ctl.engine.state.open_calls[seq][0]
    assert ctl.engine.state.tickets[ticket].heard_at is not None, f"the controller hears call {seq}"


def test_a_morning_at_the_hall(paired_hall):
    ctl = paired_hall(no_wait_hall())
    web = Alerts(ctl)
    screen = ctl.device("D1", listen=("board", "calls"))
    k1 = ctl.device("K1", state={"paper": "ok"})
    k2 = ctl.device("K2", state={"paper": "ok"})
    c1, e1 = ctl.device("C1"), ctl.device("E1")
    c7, e7 = ctl.device("C7"), ctl.device("E7")
    assert all(d in ctl.engine.state.devices for d in ("D1", "K1", "K2", "C1", "E1", "C7", "E7"))
    tickets = ctl.engine.state.tickets
    sent = set()

    def ask(link, type, body=None):
        sent.add(type)
        reply = link.request(type, body)
        assert reply.ok and reply.type == type
        return reply.body

    # The clerk at counter 1 signs in: nobody waits yet.
    assert ask(c1, "counter.open", {"clerk": "S001"}) == {"view": view(1, clerk="S001")}

    # A citizen takes a social-insurance ticket at kiosk 1: reserved, then printed.
    ticket = ask(k1, "ticket.request", {"service": "social"})["ticket"]
    a001 = ticket["id"]
    assert a001.endswith("-A001")
    assert {k: ticket[k] for k in ("label", "service", "class", "number", "ahead")} == {
        "label": "A001",
        "service": "social",
        "class": "normal",
        "number": 1,
        "ahead": 0,
    }
    assert ticket["estimated_wait_s"] == 0  # counter 1 serves social and is open and idle
    assert ticket["status_url"].startswith("http://hall.local:8080/t/") and len(ticket["status_url"]) > 30
    assert abs(parse_ts(ticket["issued_at"]).timestamp() - ctl.now()) < 60
    assert tickets[a001].state is TicketState.RESERVED
    assert ask(k1, "ticket.printed", {"ticket": a001}) == {}
    assert tickets[a001].state is TicketState.WAITING
    c1.seen.expect("counter.view", kind=Kind.DOWN, where=lambda m: m.body == {"view": view(1, clerk="S001", waiting=1)})
    screen.seen.expect("board.snapshot", where=lambda b: service_row(b, "social")["waiting"] == 1)

    # Counter 1 calls it, recalls it; the citizen comes; the clerk holds the ticket and takes it back.
    assert ask(c1, "counter.call_next") == {"view": view(1, clerk="S001", ticket=serving(a001, "A001", "called"))}
    call = screen.seen.expect("call.made", kind=Kind.CALLS)
    assert call.body == {
        "seq": 1,
        "ticket": a001,
        "label": "A001",
        "service": "social",
        "counter": 1,
        "recall": False,
        "at": call.body["at"],
    }
    board = screen.seen.expect("board.snapshot", where=lambda b: b.body["call_seq"] == 1)
    assert board.body["calls"][0] | {"at": None} == {
        "seq": 1,
        "label": "A001",
        "counter": 1,
        "recall": False,
        "at": None,
    }
    assert counter_row(board, 1) == {"number": 1, "state": "open", "ticket": "A001", "serving": False, "clerk": "S001"}
    assert service_row(board, "social")["waiting"] == 0
    hear(ctl, screen, 1)
    assert ask(c1, "counter.recall")["view"]["ticket"] == serving(a001, "A001", "called", recalls=1)
    recall = screen.seen.expect("call.made", kind=Kind.CALLS)
    assert (recall.body["seq"], recall.body["label"], recall.body["recall"]) == (2, "A001", True)
    assert ask(c1, "counter.start")["view"]["ticket"] == serving(a001, "A001", "serving", recalls=1)
    screen.seen.expect("board.snapshot", where=lambda b: counter_row(b, 1).get("serving") is True)
    assert ask(c1, "counter.hold") == {"view": view(1, clerk="S001", held=["A001"])}
    assert ask(c1, "counter.resume_held", {"ticket": "A001"}) == {
        "view": view(1, clerk="S001", ticket=serving(a001, "A001", "serving", recalls=1))
    }

    # The citizen also needs the tax office: transferred, keeping the place; counter 7 serves and finishes.
    assert ask(c1, "counter.transfer", {"service": "tax"}) == {"view": view(1, clerk="S001")}
    assert (tickets[a001].service, tickets[a001].state) == ("tax", TicketState.WAITING)
    assert ask(c7, "counter.open", {"clerk": "S007"}) == {"view": view(7, clerk="S007", waiting=1)}
    called = ask(c7, "counter.call_next")["view"]["ticket"]
    assert called | {"recalls": None} == serving(a001, "A001", "called", service="tax") | {"recalls": None}
    call = screen.seen.expect("call.made", kind=Kind.CALLS)
    assert (call.body["seq"], call.body["label"], call.body["counter"], call.body["service"]) == (3, "A001", 7, "tax")
    ask(c7, "counter.start")
    assert ask(c7, "counter.finish", {"outcome": "completed"}) == {"view": view(7, clerk="S007")}
    assert tickets[a001].state is TicketState.DONE

    # Counter 7's evaluator asks for a rating; the citizen presses 不满意: a negative-rating alert.
    prompt = e7.seen.expect("rating.prompt", kind=Kind.DOWN)
    assert prompt.body | {"deadline": None} == {"prompt": a001, "ticket": "A001", "counter": 7, "deadline": None}
    assert parse_ts(prompt.body["deadline"]) > parse_ts(prompt.ts)
    sent.add("rating.submit")
    rating = e7.send_durable("rating.submit", {"prompt": a001, "level": 1, "pressed_at": format_epoch(ctl.now())})
    reply = e7.seen.reply_to(rating)
    assert reply.ok and reply.body == {}
    assert ctl.engine.state.prompts[a001].level == 1
    alert = _alert(web, "alert.raised", kind="negative_rating", subject=a001)
    assert "A001" in alert["message"] and "不满意" in alert["message"]
    assert e7.unanswered == 0, "the rating leaves the evaluator's outbox"

    # The next citizen does not come: no-show, reinstated at the desk, called again and served.
    a002 = ask(k1, "ticket.request", {"service": "social"})["ticket"]["id"]
    ask(k1, "ticket.printed", {"ticket": a002})
    assert ask(c1, "counter.call_next")["view"]["ticket"]["label"] == "A002"
    hear(ctl, screen, screen.seen.expect("call.made", where=lambda m: m.body["label"] == "A002").body["seq"])
    assert ask(c1, "counter.no_show") == {"view": view(1, clerk="S001")}
    assert tickets[a002].state is TicketState.NO_SHOW
    assert ask(c1, "ticket.reinstate", {"ticket": "A002"}) == {"view": view(1, clerk="S001", waiting=1)}
    assert tickets[a002].state is TicketState.WAITING
    assert ask(c1, "counter.call_next")["view"]["ticket"] == serving(a002, "A002", "called")
    ask(c1, "counter.start")
    ask(c1, "counter.finish", {"outcome": "referred"})
    assert e1.seen.expect("rating.prompt", kind=Kind.DOWN).body["prompt"] == a002

    # Nobody rates; the clerk calls the next citizen, which ends the prompt at counter 1 only.
    a003 = ask(k2, "ticket.request", {"service": "social"})["ticket"]["id"]
    assert a003.endswith("-A003")
    ask(k2, "ticket.printed", {"ticket": a003})
    ask(c1, "counter.call_next")
    assert e1.seen.expect("rating.cancel", kind=Kind.DOWN).body == {"prompt": a002, "reason": "next_call"}
    ask(c1, "counter.start")
    ask(c1, "counter.finish")
    assert e1.seen.expect("rating.prompt", kind=Kind.DOWN).body["prompt"] == a003

    # Kiosk 2's printer jams: the reserved number is voided and never joins the queue.
    c001 = ask(k2, "ticket.request", {"service": "fund"})["ticket"]["id"]
    assert ask(k2, "ticket.print_failed", {"ticket": c001, "reason": "paper jam"}) == {}
    assert tickets[c001].state is TicketState.VOIDED
    assert ctl.engine.state.waiting.count["fund"] == 0

    # Kiosk 1 borrows a block of numbers, loses the controller, and backfills what it issued alone.
    block = ask(k1, "offline.lease", {"service": "social"})["block"]
    assert block == {"service": "social", "day": a001.split("-")[0], "first": 950, "last": 999}
    sent.add("offline.backfill")
    backfill = k1.send_durable(
        "offline.backfill",
        {"tickets": [{"service": "social", "number": 950, "class": "normal", "issued_at": format_epoch(ctl.now())}]},
    )
    reply = k1.seen.reply_to(backfill)
    a950 = f"{block['day']}-A950"
    assert reply.ok and reply.body == {"results": [{"ok": True, "service": "social", "number": 950, "ticket": a950}]}
    assert tickets[a950].offline and tickets[a950].state is TicketState.WAITING
    screen.seen.expect("board.snapshot", where=lambda b: service_row(b, "social")["waiting"] == 1)

    # Counter 1 pauses for lunch, comes back, and closes.
    assert ask(c1, "counter.pause", {"reason": "meal"}) == {
        "view": view(1, state="paused", clerk="S001", reason="meal", waiting=1)
    }
    board = screen.seen.expect("board.snapshot", where=lambda b: counter_row(b, 1)["state"] == "paused")
    assert counter_row(board, 1) == {"number": 1, "state": "paused", "reason": "meal", "clerk": "S001"}
    assert ask(c1, "counter.resume") == {"view": view(1, clerk="S001", waiting=1)}
    assert ask(c1, "counter.close")["view"]["state"] == "closed"
    screen.seen.expect("board.snapshot", where=lambda b: counter_row(b, 1)["state"] == "closed")

    # Counter 7's keypad restarts and asks where it stands.
    assert ask(c7, "counter.status") == {"view": view(7, clerk="S007")}

    # The screen confirms it has announced every call; there is no reply to that.
    calls = [m.body["seq"] for m in screen.seen.all("call.made", Kind.CALLS)]
    assert calls == list(range(1, ctl.engine.state.call_seq + 1)) == [1, 2, 3, 4, 5, 6]
    sent.add("calls.ack")
    screen.send("calls.ack", {"seq": calls[-1]})
    assert ctl.session.display_acks.get("D1") == calls[-1], "the controller notes the screen's ack"

    # Kiosk 1 runs out of paper and is refilled: an alert raised, then cleared.
    k1.update_state(paper="out")
    alert_no = _alert(web, "alert.raised", kind="printer_paper", subject="K1")["alert"]
    assert ctl.engine.state.devices["K1"].paper == "out"
    k1.update_state(paper="ok")
    _alert(web, "alert.cleared", alert=alert_no)

    # An evaluator is switched off (it says so on its way out): device offline; back on: cleared.
    e10 = ctl.device("E10")
    assert "E10" in ctl.engine.state.devices, "the controller sees E10"
    e10.close()
    alert_no = _alert(web, "alert.raised", kind="device_offline", subject="E10")["alert"]
    ctl.device("E10")
    _alert(web, "alert.cleared", alert=alert_no)

    # A screen switched on now gets the board at once: it is retained.
    board = decode(ctl.retained[topics.board(HALL)])
    latest = board.body["calls"][0]
    assert (board.body["call_seq"], latest["seq"], latest["label"], latest["counter"]) == (6, 6, "A003", 1)
    assert service_row(board, "social")["waiting"] == 1 and counter_row(board, 7)["state"] == "open"

    # A citizen asks for priority at the touch kiosk, where staff confirm it; counter 7's clerk does.
    asked = ask(k2, "ticket.request", {"service": "tax", "class": "priority"})["ticket"]
    assert (asked["class"], asked["priority"]) == ("normal", "asked")
    ask(k2, "ticket.printed", {"ticket": asked["id"]})
    assert ask(c7, "ticket.priority", {"ticket": asked["label"], "confirm": True})["view"]["counter"] == 7
    assert (tickets[asked["id"]].klass, tickets[asked["id"]].priority_check) == ("priority", "confirmed")

    # Nothing went to anyone it was not meant for.
    assert [m.body["prompt"] for m in e1.seen.all("rating.prompt")] == [a002, a003]
    assert [m.body["prompt"] for m in e7.seen.all("rating.prompt")] == [a001]
    assert e7.seen.all("rating.cancel") == []
    assert [i for i in screen.seen.items if i.kind is Kind.DOWN] == []  # calls.ack has no reply
    assert sent == DEVICE_REQUESTS, "every request type a device sends was exercised"


class Alerts:
    """What the management web hears on the alerts topic; `_alert` takes them in order."""

    def __init__(self, hall) -> None:
        self.hall, self.taken = hall, 0

    def next(self, matches) -> dict:
        alerts = self.hall.on(topics.alerts(HALL))
        for i in range(self.taken, len(alerts)):
            if matches(alerts[i]):
                self.taken = i + 1
                return dict(alerts[i].body)
        raise AssertionError(f"no such alert; published: {[(a.type, a.body) for a in alerts[self.taken :]]}")


def _alert(web: Alerts, type: str, **fields) -> dict:
    """The next alert of `type` with these fields on the alerts topic (others are passed over)."""
    return web.next(lambda m: m.type == type and all(m.body.get(k) == v for k, v in fields.items()))


def test_a_transferred_ticket_is_called_afresh_at_its_new_counter(paired_hall):
    ctl = paired_hall()
    kiosk, c1, c7, screen = (ctl.device(d) for d in ("K1", "C1", "C7", "D1"))
    ticket = kiosk.request("ticket.request", {"service": "social"}).body["ticket"]["id"]
    kiosk.request("ticket.printed", {"ticket": ticket})
    c1.request("counter.open", {"clerk": "S001"})
    c7.request("counter.open", {"clerk": "S007"})
    c1.request("counter.call_next")
    hear(ctl, screen, 1)
    for step in ("counter.recall", "counter.start"):
        c1.request(step)
    c1.request("counter.transfer", {"counter": 7})
    assert c7.request("counter.call_next").body["view"]["ticket"]["recalls"] == 0


def test_the_board_always_fits_in_one_message_even_for_a_huge_hall():
    from hall_controller import views
    from protocol import envelope

    board = {
        "call_seq": 0,
        "calls": [],
        "services": [],
        "notice": {"zh": "", "en": ""},
        "incident": None,
        "counters": [
            {"number": n, "state": "open", "clerk": f"S{n:05d}", **({"ticket": f"A{n:03d}"} if n % 2 else {})}
            for n in range(1, 900)
        ],
    }
    fitted = views.fit_board(board, envelope.MAX_BYTES - 512)
    encoded = envelope.encode(envelope.make_message("board.snapshot", fitted))
    assert len(encoded) <= envelope.MAX_BYTES
    assert all("ticket" in c for c in fitted["counters"]) or fitted["counters"] == []
    small = {**board, "counters": board["counters"][:10]}
    assert views.fit_board(small, envelope.MAX_BYTES - 512) == small, "a normal hall's board is untouched"
