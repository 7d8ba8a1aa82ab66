"""The controller's messages as a screen receives them, built for tests (the same catalogue types
the controller sends: call.made, board.snapshot, controller.state)."""

from __future__ import annotations

from protocol.envelope import Message, format_epoch, make_message

T0 = 1_795_000_000.0  # a moment in 2026 (epoch seconds), on the minute plus 40 s


def call(seq: int, label: str | None = None, counter: int = 5, at: float = T0, recall: bool = False) -> Message:
    return make_message(
        "call.made",
        {
            "seq": seq,
            "ticket": f"20261121-{label or f'A{seq:03d}'}",
            "label": label or f"A{seq:03d}",
            "service": "social",
            "counter": counter,
            "recall": recall,
            "at": format_epoch(at),
        },
    )


def board_call(seq: int, label: str | None = None, counter: int = 5, at: float = T0, recall: bool = False) -> dict:
    return {"seq": seq, "label": label or f"A{seq:03d}", "counter": counter, "recall": recall, "at": format_epoch(at)}


def board(
    call_seq: int,
    calls: list[dict] | None = None,
    *,
    counters: list[dict] | None = None,
    notice: tuple[str, str] = ("", ""),
    incident: dict | None = None,
    services: list[dict] | None = None,
    sent: float = T0,
) -> Message:
    if calls is None:  # the newest eight, newest first, as the controller lists them
        calls = [board_call(s) for s in range(call_seq, max(0, call_seq - 8), -1)]
    if services is None:
        services = [
            {
                "id": "social",
                "prefix": "A",
                "name": {"zh": "社保医保", "en": "Social & Medical Insurance"},
                "waiting": 12,
                "estimated_wait_s": 1500,
            },
            {
                "id": "property",
                "prefix": "B",
                "name": {"zh": "不动产登记", "en": "Property Registration"},
                "waiting": 0,
                "estimated_wait_s": 0,
            },
        ]
    return make_message(
        "board.snapshot",
        {
            "call_seq": call_seq,
            "calls": calls,
            "services": services,
            "counters": counters
            if counters is not None
            else [{"number": 5, "state": "open", "reason": None, "ticket": None}],
            "notice": {"zh": notice[0], "en": notice[1]},
            "incident": incident,
        },
        ts=format_epoch(sent),
    )


def controller_state(online: bool, since: float = T0) -> Message:
    return make_message("controller.state", {"online": online, "since": format_epoch(since)})
