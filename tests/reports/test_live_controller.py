"""`hall report` on the journal of a real controller while it runs: devices talk to it through a
real broker, and the report (a subprocess, read-only) sees what they did, without stopping it."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from devices.link import DeviceLink
from hall import clock as hall_clock
from protocol.envelope import format_epoch

from .conftest import HALL_TOML, REPO

WAIT_S = 20.0  # generous: the machine may be busy; nothing here is a timing assertion


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {WAIT_S:g} s"
        time.sleep(0.01)


def test_a_report_of_the_running_controllers_journal(broker_url, controller, tmp_path):
    ctl = controller(broker_url)
    links = {
        d: DeviceLink(broker_url, "xinhua", d, outbox=tmp_path / f"{d}.db", listen=()).start()
        for d in ("K1", "C3", "E3")
    }
    try:
        for link in links.values():
            assert link.wait_connected(WAIT_S)
        kiosk, caller, evaluator = links["K1"], links["C3"], links["E3"]
        assert caller.request("counter.open", {"clerk": "S103"}, timeout=WAIT_S).ok
        tickets = []
        for _ in range(2):
            ticket = kiosk.request("ticket.request", {"service": "social"}, timeout=WAIT_S).body["ticket"]["id"]
            kiosk.request("ticket.printed", {"ticket": ticket}, timeout=WAIT_S)
            tickets.append(ticket)
        for ticket, level in zip(tickets, (4, 1)):
            for step in ("counter.call_next", "counter.start", "counter.finish"):
                body = {"outcome": "completed"} if step == "counter.finish" else None
                assert caller.request(step, body, timeout=WAIT_S).ok
            evaluator.send_durable(
                "rating.submit", {"prompt": ticket, "level": level, "pressed_at": format_epoch(hall_clock.now())}
            )
            wait_until(lambda: ctl.engine.state.prompts[ticket].level == level, f"the rating of {ticket}")
        wait_until(lambda: evaluator.unanswered == 0, "the evaluator's ratings are acknowledged")

        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "hall_controller.report_cli",
                "--config",
                str(HALL_TOML),
                "--db",
                str(ctl.db),
                "--json",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert p.returncode == 0, p.stderr
        r = json.loads(p.stdout)
        o = r["overall"]
        assert (o["issued"], o["served"], o["rated"], o["level_4"], o["level_1"]) == (2, 2, 2, 1, 1)
        assert o["satisfaction_rate"] == 0.5 and o["mean_score_5"] == 3.0
        assert r["by_clerk"]["S103"]["served"] == 2 and r["by_counter"]["3"]["rated"] == 2
        assert [(f["label"], f["counter"], f["clerk"], f["level"]) for f in r["follow_ups"]] == [
            (tickets[1].rsplit("-", 1)[-1], 3, "S103", 1)
        ]
        # the controller kept going: it still answers
        assert caller.request("counter.pause", {"reason": "break"}, timeout=WAIT_S).ok
    finally:
        for link in links.values():
            link.close()
