"""Sessions, the login throttle and the ticket page's budget, with a clock the tests move."""

from __future__ import annotations

from hall_controller.web.access import LoginThrottle, Sessions
from hall_controller.web.ratelimit import AddressBudget


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_a_session_ends_after_idle_time_and_after_its_absolute_limit():
    clock = Clock()
    sessions = Sessions(clock=clock, idle_s=1800, max_s=12 * 3600)
    s = sessions.open("wang")
    assert sessions.get(s.id) is s and len(s.id) >= 40 and s.csrf != s.id
    clock.t += 1799
    assert sessions.get(s.id) is s  # a request restarts the idle time
    clock.t += 1799
    assert sessions.get(s.id, touch=False) is s  # a stream's look does not
    clock.t += 2
    assert sessions.get(s.id) is None  # 1801 s idle: gone
    s2 = sessions.open("wang")
    for _ in range(24):  # busy all day long ...
        clock.t += 1790
        assert sessions.get(s2.id) is s2
    clock.t += 1790  # ... but never beyond 12 hours
    assert sessions.get(s2.id) is None
    assert sessions.get("made-up") is None and sessions.get(None) is None


def test_closing_a_users_sessions_and_the_csrf_check():
    sessions = Sessions(clock=Clock())
    a, b, c = sessions.open("wang"), sessions.open("wang"), sessions.open("li")
    assert a.csrf_ok(a.csrf) and not a.csrf_ok(b.csrf) and not a.csrf_ok("") and not a.csrf_ok(None)
    assert not a.csrf_ok("令牌")  # not ASCII: refused, not a crash
    sessions.close_user("wang")
    assert sessions.get(a.id) is None and sessions.get(b.id) is None and sessions.get(c.id) is c


def test_failed_logins_are_throttled_per_address_and_name_never_for_everyone():
    clock = Clock()
    throttle = LoginThrottle(clock=clock, window_s=900, per_name=5, per_address=20)
    for _ in range(5):
        assert throttle.wait_s("wang", "10.0.0.5") == 0
        throttle.failed("wang", "10.0.0.5")
    assert 0 < throttle.wait_s("wang", "10.0.0.5") <= 900  # this name from this address: wait
    assert throttle.wait_s("wang", "10.0.0.9") == 0  # wang herself, at her desk: never locked out
    assert throttle.wait_s("li", "10.0.0.5") == 0  # another name from there: not yet
    clock.t += 901
    assert throttle.wait_s("wang", "10.0.0.5") == 0  # the window has passed
    for i in range(20):
        throttle.failed(f"guess{i}", "10.0.0.7")
    assert throttle.wait_s("anyone", "10.0.0.7") > 0  # one address trying many names
    for _ in range(5):
        throttle.failed("li", "10.0.0.8")
    throttle.succeeded("li", "10.0.0.8")
    assert throttle.wait_s("li", "10.0.0.8") == 0


def test_the_ticket_budget_refuses_beyond_its_burst_and_refills():
    clock = Clock()
    budget = AddressBudget(burst=5, per_s=0.5, clock=clock)
    assert all(budget.take("10.0.0.5") for _ in range(5))
    assert not budget.take("10.0.0.5")
    assert budget.take("10.0.0.6")  # another phone is not affected
    assert budget.retry_after_s("10.0.0.5") > 0
    clock.t += 2  # one request's worth at 0.5/s
    assert budget.take("10.0.0.5") and not budget.take("10.0.0.5")
