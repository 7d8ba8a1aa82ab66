"""Draw the ticket life cycle from the transition table, for docs/ticket-states.md.

    python -m hall_controller.engine.diagram > docs/ticket-states.md

A test compares the file with this output, so the documentation cannot drift from the code.
"""

from hall_controller.engine.model import TRANSITIONS, TicketState

#: What causes each action, in words for the reader.
CAUSES = {
    "print": "the kiosk confirms the printout (`ticket.printed`)",
    "print_failed": "the kiosk reports a failed print (`ticket.print_failed`)",
    "reservation_timeout": "no confirmation within `reservation_s`",
    "call": "a counter calls it (`counter.call_next`)",
    "recall": "the clerk recalls it (`counter.recall`) once the hall has heard the call; past `recall_limit` "
    "it becomes a no-show instead",
    "start": "the citizen arrives at the counter (`counter.start`)",
    "no_show": "the clerk marks it (`counter.no_show`) or the recall limit is reached, never before "
    "`no_show_wait_s` after a display announced the call (or, if none did within "
    "`announce_within_s`, after a screen showed it)",
    "finish": "the clerk finishes with an outcome (`counter.finish`); a rating prompt follows",
    "hold": "the clerk parks it at the counter (`counter.hold`)",
    "resume": "the clerk takes it back (`counter.resume_held`)",
    "requeue": "its counter closes while holding it: back to the queue at its old place",
    "transfer": "the clerk sends it to another service or counter; it keeps its arrival time",
    "reinstate": "staff put it back in the queue within `reinstate_min` (`ticket.reinstate`)",
    "day_closed": "its service's numbering resets for a new day",
}


def markdown() -> str:
    lines = [
        "# Ticket life cycle",
        "",
        "Generated from `hall_controller/engine/model.py` (`TRANSITIONS`) by",
        "`python -m hall_controller.engine.diagram`; do not edit by hand.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        "    [*] --> reserved: the kiosk asks for a number",
        "    [*] --> waiting: a ticket issued offline is backfilled",
    ]
    for state, moves in TRANSITIONS.items():
        for action, target in moves.items():
            lines.append(f"    {state.value} --> {target.value}: {action}")
        if not moves:
            lines.append(f"    {state.value} --> [*]")
    lines += ["```", "", "| state | action | next state | caused by |", "|---|---|---|---|"]
    for state, moves in TRANSITIONS.items():
        for action, target in moves.items():
            lines.append(f"| {state.value} | {action} | {target.value} | {CAUSES[action]} |")
    lines += [
        "",
        "Final states: " + ", ".join(s.value for s, m in TRANSITIONS.items() if not m) + ".",
        "Any action not in the table is refused with a reason and changes nothing.",
        "",
    ]
    assert set(CAUSES) == {a for m in TRANSITIONS.values() for a in m}, "every action needs its cause"
    assert set(TRANSITIONS) == set(TicketState)
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
