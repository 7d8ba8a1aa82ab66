"""Everything the web's pages share, in one object the app carries (`request.app.state.site`).

Built once by `create_app`; each part is injected, so tests give a clock they can move, small
timeouts or a tight budget, and the real controller gives its gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from hall import clock as hall_clock
from hall.config import Hall
from hall_controller.web.access import LoginThrottle, Sessions
from hall_controller.web.district_copy import DistrictCopyReader
from hall_controller.web.feed import HallPort, LiveFeed, StreamLimits, TicketIndex, TicketWatch
from hall_controller.web.ratelimit import AddressBudget
from hall_controller.web.render import Pages
from hall_controller.web.users import UsersStore


@dataclass
class Site:
    hall: Hall
    port: HallPort  # the controller's gateway
    users: UsersStore
    journal_path: Path  # read (read-only) by the reports
    clock: Callable[[], float] = hall_clock.now
    hall_file: Path | None = None  # what `hall plan` reads for the staffing plan page
    sessions: Sessions | None = None
    throttle: LoginThrottle | None = None
    ticket_budget: AddressBudget | None = None
    stream_check_s: float = 20.0  # how often a live stream checks that its session still lives
    streams: StreamLimits | None = None  # caps on open live streams, per viewer and in total
    pages: Pages = field(init=False)
    feed: LiveFeed = field(init=False)
    watch: TicketWatch = field(init=False)
    index: TicketIndex = field(init=False)
    ticket_prefix: str = field(init=False)
    report_cache: dict = field(init=False, default_factory=dict)
    district_copy: DistrictCopyReader = field(init=False)
    login_template: str = field(init=False, default="login.html")

    def __post_init__(self) -> None:
        self.sessions = self.sessions or Sessions(clock=self.clock)
        self.throttle = self.throttle or LoginThrottle(clock=self.clock)
        self.ticket_budget = self.ticket_budget or AddressBudget()
        self.streams = self.streams or StreamLimits()
        self.pages = Pages(self.hall.timezone, (self.hall.names.zh, self.hall.names.en))
        self.feed = LiveFeed(self.port)
        self.watch = TicketWatch(self.port, self.feed)
        self.index = TicketIndex(self.port)
        self.ticket_prefix = ticket_prefix(self.hall.ticket_url)
        self.district_copy = DistrictCopyReader(self.journal_path, self.hall.tz)


def ticket_prefix(ticket_url: str) -> str:
    """The path before the token in the ticket links: "/t/" for "http://hall.local:8080/t/" (the
    kiosk prints that URL plus the token). A link straight under the root works too: its route
    comes last, after every page's."""
    return urlparse(ticket_url).path or "/"
