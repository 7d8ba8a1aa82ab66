"""Everything the district web's pages share, in one object the app carries
(`request.app.state.site`), as the hall web's Site: each part injected, so tests move the clock.

`users` and `sessions` carry those names because the hall web's guard (login, roles, CSRF)
reads them; the district's users are `DistrictUser`s, which add a scope (`sees(hall)`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2

from district.web import data
from district.web.accounts import Accounts
from district.web.follow import LiveFeed
from hall import clock as hall_clock
from hall_controller.web.access import LoginThrottle, Sessions
from hall_controller.web.render import Pages

REGISTRY_TTL_S = 30.0


class DistrictPages(Pages):
    """The hall web's filters and labels, over the district's templates (then the hall web's)."""

    def __init__(self, timezone: str, brand: tuple[str, str]):
        super().__init__(timezone, brand)
        self.env.globals["layout"] = "district_base.html"  # the pages the two webs share (users.html)
        self.env.loader = jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("district.web", "templates"),
                jinja2.PackageLoader("hall_controller.web", "templates"),
            ]
        )


@dataclass
class Site:
    dsn: str
    users: Accounts
    feed: LiveFeed
    name: tuple[str, str] = ("区域政务服务", "District service halls")
    timezone: str = "Asia/Shanghai"
    clock: Callable[[], float] = hall_clock.now
    sessions: Sessions | None = None
    throttle: LoginThrottle | None = None
    stream_check_s: float = 20.0
    stream_min_interval_s: float = 1.0  # a live page gets at most one update this often
    pages: DistrictPages = field(init=False)
    _registry: dict[str, data.HallInfo] = field(init=False, default_factory=dict)
    _registry_at: float = field(init=False, default=float("-inf"))
    _satisfaction: dict = field(init=False, default_factory=dict)
    _satisfaction_at: float = field(init=False, default=float("-inf"))
    fragments: dict = field(init=False, default_factory=dict)
    login_template: str = field(init=False, default="district_login.html")

    def __post_init__(self) -> None:
        self.sessions = self.sessions or Sessions(clock=self.clock)
        self.throttle = self.throttle or LoginThrottle(clock=self.clock)
        self.pages = DistrictPages(self.timezone, self.name)

    def registry(self) -> dict[str, data.HallInfo]:
        """The district's halls (from PostgreSQL, re-read at most every REGISTRY_TTL_S)."""
        now = time.monotonic()
        if now - self._registry_at > REGISTRY_TTL_S:
            self._registry = data.registry(self.dsn)
            self._registry_at = now
        return self._registry

    def hall_ids(self) -> list[str]:
        """Every hall the district knows: registered, or seen live on the broker."""
        return sorted(set(self.registry()) | set(self.feed.live.halls))

    def satisfaction_current(self) -> dict[str, dict]:
        """Each hall's satisfaction on its current day, from the shipped rollups (as far behind the
        hall as its shipping; re-read at most every REGISTRY_TTL_S)."""
        now = time.monotonic()
        if now - self._satisfaction_at > REGISTRY_TTL_S:
            self._satisfaction = data.satisfaction_current(self.dsn)
            self._satisfaction_at = now
        return self._satisfaction
