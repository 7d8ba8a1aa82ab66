"""Board states for the golden images: a busy morning in the example hall, and its incidents."""

from __future__ import annotations

import datetime as dt

from devices.display.board import BoardState, CounterView, CurrentCall, Incident, RecentCall, ServiceWaiting
from hall.config import Names

NOW = dt.datetime(2026, 11, 21, 9, 41, 30)
HALL = Names("新华区政务服务中心", "Xinhua District Government Service Centre")
NOTICE = Names(
    "办理不动产登记请携带原件;中午不休息,周六上午正常办理。",
    "Bring originals for property registration. Open at lunch time and on Saturday mornings.",
)
WAITING = (
    ServiceWaiting(Names("社保医保", "Social & Medical Insurance"), "A", 12, 15 * 60),
    ServiceWaiting(Names("不动产登记", "Property Registration"), "B", 7, 32 * 60),
    ServiceWaiting(Names("住房公积金", "Housing Provident Fund"), "C", 3, 6 * 60),
    ServiceWaiting(Names("税务综合", "Tax Services"), "D", 0, 0),
    ServiceWaiting(Names("市场主体登记", "Business Registration"), "E", 4, None),
)
RECENT = (
    RecentCall("B017", 4),
    RecentCall("A022", 2),
    RecentCall("C008", 6),
    RecentCall("A021", 1),
    RecentCall("D011", 7),
    RecentCall("E005", 9),
    RecentCall("A020", 3),
    RecentCall("B016", 10),
)


def hall(**changes) -> BoardState:
    base = dict(
        hall_name=HALL,
        now=NOW,
        mode="hall",
        current=CurrentCall("A023", 5, Names("5号窗口", "Counter 5"), NOW - dt.timedelta(seconds=20)),
        recent=RECENT,
        waiting=WAITING,
        notice=NOTICE,
        notice_offset=0,
    )
    base.update(changes)
    return BoardState(**base)


def counter(**changes) -> BoardState:
    view = dict(
        number=10,
        name=Names("10号 老年人优先窗口", "Counter 10 (Elderly priority)"),
        state="open",
        ticket="A023",
        clerk="1023",
    )
    view.update(changes.pop("view", {}))
    base = dict(hall_name=HALL, now=NOW, mode="counter", counter=CounterView(**view))
    base.update(changes)
    return BoardState(**base)


def incident(**changes) -> BoardState:
    return hall(
        incident=Incident(since=dt.datetime(2026, 11, 21, 9, 12), expected_back=dt.datetime(2026, 11, 21, 9, 40)),
        **changes,
    )


# name -> (state, size): the golden images in tests/display/golden/<name>.png
GOLDEN = {
    "hall-1920x1080": (hall(), (1920, 1080)),
    "hall-1280x720": (
        hall(
            current=CurrentCall(
                "AB007", 10, Names("10号 老年人优先窗口", "Counter 10 (Elderly priority)"), NOW, recall=True
            ),
            notice_offset=700,
        ),
        (1280, 720),
    ),
    "hall-1080x1920": (hall(), (1080, 1920)),
    "hall-blink-1920x1080": (hall(blink_on=True), (1920, 1080)),
    "hall-idle-1920x1080": (hall(current=None, recent=(), waiting=WAITING[:2], notice=Names("", "")), (1920, 1080)),
    "counter-1280x720": (counter(), (1280, 720)),
    "counter-serving-1280x720": (counter(view={"serving": True}), (1280, 720)),
    "counter-paused-1280x720": (counter(view={"state": "paused", "ticket": None, "pause_reason": "meal"}), (1280, 720)),
    "counter-closed-1280x720": (counter(view={"state": "closed", "ticket": None, "clerk": None}), (1280, 720)),
    "incident-1920x1080": (incident(), (1920, 1080)),
    "incident-1080x1920": (incident(), (1080, 1920)),
    "incident-counter-1280x720": (counter(incident=Incident(since=dt.datetime(2026, 11, 21, 9, 12))), (1280, 720)),
}
