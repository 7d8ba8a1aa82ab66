"""The management web in a real headless Chromium, against a real controller, real devices and a
real mosquitto: what a supervisor, a viewer and a citizen see and do.

The browser has no Chinese font of its own (see conftest.py): the Chinese on every page comes
from the font the controller serves. Screenshots land in tmp_path (and $HALL_SCREENSHOTS).
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from testkit import hall_now

from hall import clock as hall_clock
from hall_controller import reports
from protocol.envelope import format_epoch
from protocol.topics import Kind

from .conftest import WAIT_S, Client, issue_ticket, journal_events, wait_until

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=WAIT_S * 1000)


def next_down(link, type_: str, timeout: float = WAIT_S):
    """The next message of `type_` on the device's own topic."""
    deadline = time.monotonic() + timeout
    while True:
        item = link.incoming.get(timeout=max(0.01, deadline - time.monotonic()))
        if item.kind is Kind.DOWN and item.message.type == type_:
            return item.message


def serve_and_rate(caller, evaluator, level: int) -> None:
    """The clerk calls the next ticket, serves it and finishes; the citizen presses `level`."""
    caller.request("counter.call_next")
    caller.request("counter.start")
    caller.request("counter.finish", {"outcome": "completed"})
    prompt = next_down(evaluator, "rating.prompt")
    evaluator.request(
        "rating.submit", {"prompt": prompt.body["prompt"], "level": level, "pressed_at": format_epoch(hall_clock.now())}
    )


def test_a_supervisor_watches_the_hall_live_and_acknowledges_an_alert(hall_web, device, page_for, shot):
    web = hall_web()
    web.add_user("wang", "supervisor")
    page = page_for(web, "wang")
    page.evaluate("window.__same_page = 'yes'")  # gone if the page reloads
    live = page.locator("#live")
    expect(live.locator('[data-counter="1"]')).to_contain_text("关闭")

    caller, evaluator = device(web, "C1"), device(web, "E1")
    kiosk = device(web, "K1", state={"paper": "ok"})
    caller.request("counter.open", {"clerk": "S007"})
    issue_ticket(kiosk)
    issue_ticket(kiosk)
    expect(live.locator('[data-counter="1"]')).to_contain_text("S007")
    expect(live.locator('[data-service="social"] [data-waiting]')).to_have_text("2")
    expect(live.locator('[data-device="K1"]')).to_contain_text("在线")

    caller.request("counter.call_next")  # the call, live: no reload
    expect(live.locator('[data-counter="1"] [data-ticket]')).to_have_text("A001")
    expect(live.locator("[data-call]").first).to_contain_text("A001")
    expect(live.locator('[data-service="social"] [data-waiting]')).to_have_text("1")
    caller.request("counter.start")
    caller.request("counter.finish", {"outcome": "completed"})
    prompt = next_down(evaluator, "rating.prompt")
    evaluator.request(
        "rating.submit", {"prompt": prompt.body["prompt"], "level": 1, "pressed_at": format_epoch(hall_clock.now())}
    )
    alert = live.locator("li.alert.active").filter(has_text="不满意")
    expect(alert).to_have_count(1)
    expect(page.locator("#active-alerts")).not_to_have_text("0")
    caller.request("counter.call_next")
    expect(live.locator('[data-counter="1"] [data-ticket]')).to_have_text("A002")
    assert page.evaluate("window.__same_page") == "yes"
    assert int(live.get_attribute("data-updates") or 0) >= 3
    shot(page, "live-hall-call")

    alert.locator("button[data-ack]").click()
    page.wait_for_url(web.url + "/")
    expect(page.locator(".flash-ok")).to_contain_text("acknowledged")
    expect(page.locator("li.alert.acked").filter(has_text="不满意")).to_contain_text("wang")
    acked = journal_events(web, "AlertAcknowledged")
    assert len(acked) == 1 and acked[0].by == "wang"
    expect(page.locator("button[data-ack]")).to_have_count(0)


def test_the_live_hall_shows_pauses_holds_paper_and_offline_devices(hall_web, device, page_for, shot):
    web = hall_web()
    web.add_user("wang", "supervisor")
    kiosk = device(web, "K1", state={"paper": "low"})
    device(web, "K2", state={"paper": "ok"})
    device(web, "D1")
    callers = {n: device(web, f"C{n}") for n in (1, 2, 4, 7)}
    for n in (1, 2, 4, 7, 10):
        device(web, f"E{n}")
    gone = device(web, "E3")
    for n, caller in callers.items():
        caller.request("counter.open", {"clerk": f"S10{n}"})
    for service, count in (("social", 6), ("property", 3), ("tax", 2), ("fund", 1)):
        for _ in range(count):
            issue_ticket(kiosk, service)
    c1 = callers[1]
    c1.request("counter.call_next")  # A001: served, then held while the citizen fetches a paper
    c1.request("counter.start")
    c1.request("counter.hold")
    c1.request("counter.call_next")  # A002
    c1.request("counter.start")
    callers[4].request("counter.call_next")  # B001: called, walking to the counter
    callers[7].request("counter.call_next")  # D001
    callers[7].request("counter.start")
    callers[2].request("counter.pause", {"reason": "meal"})
    gone.close()  # an evaluator's cable is pulled
    page = page_for(web, "wang")
    live = page.locator("#live")
    expect(live.locator('[data-counter="2"]')).to_contain_text("用餐")
    expect(live.locator('[data-counter="1"]')).to_contain_text("A001")  # held
    expect(live.locator('[data-counter="1"] [data-ticket]')).to_have_text("A002")
    expect(live.locator('[data-counter="4"]')).to_contain_text("已叫号")
    expect(live.locator('[data-device="K1"]')).to_have_class(re.compile(r"paper-low"))
    expect(live.locator('[data-device="K1"]')).to_contain_text("纸将尽")
    expect(live.locator('[data-device="E3"]')).to_have_class(re.compile(r"\boffline\b"))
    expect(live.locator("li.alert.active").filter(has_text="设备离线")).to_contain_text("E3")
    expect(live.locator("li.alert.active").filter(has_text="打印纸")).to_contain_text("K1")
    expect(live.locator('[data-service="social"] [data-waiting]')).to_have_text("4")
    shot(page, "live-hall")


def test_a_supervisor_notes_and_closes_a_follow_up(hall_web, device, page_for, shot):
    web = hall_web(history=True)  # yesterday left ratings of 一般 and 不满意 to follow up
    web.add_user("wang", "supervisor")
    caller, evaluator, kiosk = device(web, "C3"), device(web, "E3"), device(web, "K1", state={"paper": "ok"})
    caller.request("counter.open", {"clerk": "S103"})
    ticket = issue_ticket(kiosk)["id"]
    serve_and_rate(caller, evaluator, 2)
    wait_until(
        lambda: web.gateway.query(lambda e: ticket in e.state.followups).result(WAIT_S),
        "the rating of 一般 opens a follow-up",
    )
    page = page_for(web, "wang")
    page.goto(web.url + "/followups")
    item = page.locator(f'[data-followup="{ticket}"]')
    expect(item).to_contain_text("一般")
    expect(item).to_contain_text("S103")
    expect(item).to_contain_text("3 号窗口")
    assert page.locator("article.followup").count() > 5

    item.locator("summary").click()
    item.locator("textarea[name=note]").fill("已电话回访，市民对等候时间不满，已解释。Called back; explained the wait.")
    item.get_by_role("button", name="添加记录").click()
    expect(page.locator(".flash-ok")).to_contain_text("Note added")
    item = page.locator(f'[data-followup="{ticket}"]')
    expect(item.locator("ol.notes")).to_contain_text("已电话回访")
    expect(item.locator("ol.notes")).to_contain_text("wang")
    item.locator("summary").click()
    item.locator("textarea[name=note]").fill("窗口已整改。Counter reminded of the service norms.")
    item.evaluate("article => article.scrollIntoView({block: 'end'})")  # the newest (ours) is last
    shot(page, "follow-up", full_page=False)
    item.get_by_role("button", name="记录并关闭").click()
    expect(page.locator(".flash-ok")).to_contain_text("closed")
    expect(page.locator(f'[data-followup="{ticket}"]')).to_have_count(0)  # no longer open
    page.goto(web.url + "/followups?show=closed")
    expect(page.locator(f'[data-followup="{ticket}"]')).to_contain_text("wang")
    closed = web.gateway.query(
        lambda e: (e.state.followups[ticket].closed_by, [n for _, _, n in e.state.followups[ticket].notes])
    ).result(WAIT_S)
    assert closed[0] == "wang" and len(closed[1]) == 2

    item_empty = page.goto(web.url + "/followups")  # an empty note is refused by the engine, and says so
    first = page.locator("article.followup").first
    if not first.locator("textarea[name=note]").is_visible():
        first.locator("summary").click()
    first.locator("textarea[name=note]").evaluate("t => t.removeAttribute('required')")
    first.locator("textarea[name=note]").fill("   ")
    first.get_by_role("button", name="添加记录").click()
    expect(page.locator(".flash-error")).to_contain_text("note")
    assert item_empty is not None


def test_a_supervisor_edits_the_notice_and_switches_incident_mode(hall_web, device, page_for, shot):
    web = hall_web()
    web.add_user("wang", "supervisor")
    screen = device(web, "D1", listen=("board",))

    def board_where(check):
        deadline = time.monotonic() + WAIT_S
        while True:
            item = screen.incoming.get(timeout=max(0.01, deadline - time.monotonic()))
            if item.kind is Kind.BOARD and check(item.message.body):
                return item.message.body

    page = page_for(web, "wang")
    page.goto(web.url + "/notices")
    form = page.locator("#notice-form")
    form.locator("textarea[name=zh]").fill("本周六上午正常办公，不动产登记请携带原件。")
    form.locator("textarea[name=en]").fill("Open on Saturday morning. Bring originals for property registration.")
    form.get_by_role("button").click()
    expect(page.locator("#current-notice")).to_contain_text("本周六上午正常办公")
    board = board_where(lambda b: b["notice"]["zh"].startswith("本周六"))
    assert board["notice"]["en"].startswith("Open on Saturday")

    on = page.locator("#incident-on-form")
    back = (hall_now(web.hall) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")  # hall time
    on.locator("input[name=expected_back]").fill(back)
    on.get_by_role("button").click()
    expect(page.locator(".flash-ok")).to_contain_text("Incident notice is on")
    expect(page.locator("#incident-state")).to_contain_text("已开启")
    board = board_where(lambda b: b["incident"] is not None)
    assert "系统故障" in board["incident"]["message"]["zh"] and "expected_back" in board["incident"]
    shot(page, "notices")
    page.goto(web.url + "/")
    expect(page.locator(".incident-banner")).to_contain_text("wang")

    page.goto(web.url + "/notices")
    page.locator("#incident-off-form").get_by_role("button").click()
    expect(page.locator("#incident-state")).to_contain_text("已关闭")
    board_where(lambda b: b["incident"] is None)
    switched = journal_events(web, "IncidentSet")
    assert [(s.on, s.by) for s in switched] == [(True, "wang"), (False, "wang")]
    assert journal_events(web, "NoticeSet")[-1].by == "wang"


def test_reports_show_a_period_as_tables_and_charts_and_export_csv(hall_web, page_for, shot):
    web = hall_web(history=True)
    web.add_user("zhou", "viewer")
    today = hall_now(web.hall).date()
    yesterday = today - dt.timedelta(days=1)
    page = page_for(web, "zhou")
    page.goto(f"{web.url}/reports?start={yesterday}&end={today}")
    expected = reports.report_from_journal(
        web.journal_path,
        web.hall,
        dt.datetime.combine(yesterday, dt.time(), tzinfo=web.hall.tz).timestamp(),
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=web.hall.tz).timestamp(),
    )
    assert expected.overall.served > 300
    expect(page.locator('[data-kpi="served"]')).to_have_text(str(expected.overall.served))
    expect(page.locator('[data-kpi="satisfaction"]')).to_have_text(f"{expected.overall.satisfaction_rate * 100:.1f} %")
    assert page.locator("svg.chart").count() >= 5
    assert page.locator('table[data-rank="clerk"] tbody tr').count() == len(reports.ranking(expected, "clerk"))
    shot(page, "reports", full_page=False)
    page.locator("#by-hour").evaluate("section => section.scrollIntoView()")
    shot(page, "reports-hours", full_page=False)
    p = expected.priority
    expect(page.locator("#priority-counts")).to_contain_text(
        f"Priority: {p['self']} self-declared at the kiosk; {p['asked']} asked for staff to confirm"
    )
    page.locator("#priority-counts").evaluate("p => p.scrollIntoView()")
    shot(page, "reports-classes", full_page=False)

    with page.expect_download() as download:
        page.locator('[data-csv="clerk"]').click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert text == reports.to_csv(expected, "clerk")
    assert download.value.suggested_filename == f"hall-xinhua-{yesterday}--{today}-clerk.csv"

    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#period-form")).to_be_hidden()
    expect(page.locator("p.print-only")).to_contain_text("新华区政务服务中心")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "reports-print", full_page=False)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 3
    page.emulate_media(media="screen")

    page.goto(f"{web.url}/reports?start={today}&end={yesterday}")  # bad periods: one sentence
    expect(page.locator(".flash-error")).to_contain_text("ends before it starts")
    page.goto(f"{web.url}/reports?start=yesterday")
    expect(page.locator(".flash-error")).to_contain_text("YYYY-MM-DD")

    # by the hour: waits, share within target and satisfaction of each hour with calls
    page.goto(f"{web.url}/reports?start={yesterday}&end={today}")
    assert page.locator("#hour-figures tbody tr").count() == len(expected.by_hour) > 5
    nine = expected.by_hour[9]
    expect(page.locator('#hour-figures tr[data-hour="9"] td').nth(1)).to_have_text(str(nine.called))
    # from any time to any time: 09:00 to 11:30 of yesterday, the form's time fields
    page.locator('input[name="start"]').fill(yesterday.isoformat())
    page.locator('input[name="end"]').fill(yesterday.isoformat())
    page.locator('input[name="start_time"]').fill("09:00")
    page.locator('input[name="end_time"]').fill("11:30")
    page.locator("#period-form").get_by_role("button", name="查看").click()
    morning = reports.report_from_journal(
        web.journal_path,
        web.hall,
        dt.datetime.combine(yesterday, dt.time(9), tzinfo=web.hall.tz).timestamp(),
        dt.datetime.combine(yesterday, dt.time(11, 30), tzinfo=web.hall.tz).timestamp(),
    )
    expect(page.locator("h1 small")).to_have_text(f"{yesterday} 09:00 — {yesterday} 11:30")
    expect(page.locator('[data-kpi="issued"]')).to_have_text(str(morning.overall.issued))
    assert 0 < morning.overall.issued < expected.overall.issued
    shot(page, "reports-morning", full_page=False)
    page.goto(f"{web.url}/reports?start={today}&end={today}&start_time=9h")
    expect(page.locator(".flash-error")).to_contain_text("HH:MM")


def test_the_staffing_plan_from_the_journal_on_the_reports_page(hall_web, page_for, shot):
    """`hall plan`'s answer for a weekday, from the journal (yesterday's simulated day), with its chart."""
    web = hall_web(history=True)
    web.add_user("zhou", "viewer")
    yesterday = hall_now(web.hall).date() - dt.timedelta(days=1)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[yesterday.weekday()]
    page = page_for(web, "zhou")
    page.goto(f"{web.url}/reports")
    page.locator("#plan-link").click()
    page.locator('select[name="weekday"]').select_option(weekday)
    page.locator('input[name="weeks"]').fill("1")
    page.locator("#plan-form").evaluate("form => form.submit()")  # the plan takes seconds: no click wait
    expect(page.locator("#plan-hours tbody tr")).to_have_count(10, timeout=240_000)
    expect(page.locator('#plan-hours tr[data-hour="9"]')).to_contain_text("09:00")
    page.wait_for_function(
        "() => { const i = document.querySelector('#plan-chart'); return i.complete; }", timeout=60_000
    )
    assert page.locator("#plan-chart").evaluate("img => img.naturalWidth") == 1200  # the PNG came, and is whole
    expect(page.locator("#plan-summary")).to_contain_text("within target")
    shot(page, "plan", full_page=True)
    page.goto(f"{web.url}/reports/plan?weekday=someday")
    expect(page.locator(".flash-error")).to_contain_text("mon, tue")


def test_the_citizens_ticket_page_follows_the_ticket_on_a_phone(hall_web, device, page_for, shot):
    web = hall_web()
    caller, kiosk = device(web, "C5"), device(web, "K2", state={"paper": "ok"})
    caller.request("counter.open", {"clerk": "S055"})
    first = issue_ticket(kiosk, "property")
    mine = issue_ticket(kiosk, "property")
    assert mine["status_url"].startswith(web.hall.ticket_url)
    phone = page_for(web, phone=True)
    phone.goto(web.ticket_url(mine["id"]))
    ticket = phone.locator("#ticket")
    expect(ticket.locator("[data-label]")).to_have_text("B002")
    expect(ticket.locator("[data-ahead]")).to_have_attribute("data-ahead", "1")
    expect(ticket.locator("[data-ahead]")).to_have_text("前面还有 1 人")
    expect(ticket).to_contain_text("不动产登记")
    assert "S055" not in phone.content()  # nothing about the staff, nothing personal
    shot(phone, "ticket-waiting")

    caller.request("counter.call_next")  # B001: one ahead fewer
    expect(ticket.locator("[data-ahead]")).to_have_text("您是下一位")
    shot(phone, "ticket-next")
    caller.request("counter.start")
    caller.request("counter.finish", {"outcome": "completed"})
    caller.request("counter.call_next")  # B002: mine
    expect(ticket.locator("[data-counter]")).to_have_text("5")
    expect(ticket).to_contain_text("请到 5 号窗口办理")
    shot(phone, "ticket-called")
    caller.request("counter.start")
    caller.request("counter.finish", {"outcome": "completed"})
    expect(ticket).to_contain_text("已办结")
    assert first["id"] != mine["id"]

    phone.goto(web.url + web.site.ticket_prefix + "abcdefghijklmnop")
    expect(phone.locator("#ticket")).to_contain_text("未找到此号票")


def test_a_viewer_sees_no_buttons_and_a_forged_post_is_refused(hall_web, device, page_for):
    web = hall_web(history=True)  # open follow-ups and negative-rating alerts to act on
    web.add_user("zhou", "viewer")
    page = page_for(web, "zhou")
    expect(page.locator("li.alert.active").first).to_be_visible()
    expect(page.locator("button[data-ack]")).to_have_count(0)
    page.goto(web.url + "/followups")
    assert page.locator("article.followup").count() > 0
    expect(page.locator("form.note-form")).to_have_count(0)
    page.goto(web.url + "/notices")
    expect(page.locator("#notice-form")).to_have_count(0)
    expect(page.locator("#incident-on-form")).to_have_count(0)
    expect(page.locator("a[href='/users']")).to_have_count(0)
    assert page.goto(web.url + "/users").status == 403

    forger = Client(web.url)  # the viewer's own session and its valid token
    assert forger.login("zhou")[0] == 303
    token = forger.csrf("/")
    alert = web.gateway.query(lambda e: next(iter(e.state.active_alerts.values()))).result(WAIT_S)
    ticket = web.gateway.query(
        lambda e: next(f.ticket for f in e.state.followups.values() if f.closed_at is None)
    ).result(WAIT_S)
    before = len(journal_events(web))
    for path, form in [
        (f"/alerts/{alert}/ack", {}),
        (f"/followups/{ticket}/close", {"note": "x"}),
        ("/notices/notice", {"zh": "伪造", "en": "forged"}),
        ("/notices/incident", {"on": "1", "zh": "a", "en": "b"}),
        ("/users/add", {"name": "mallory", "role": "admin", "password": "x" * 12, "password2": "x" * 12}),
    ]:
        status, _, body = forger.post(path, {"csrf": token, **form})
        assert status == 403, (path, status)
        assert "viewer" in body
    assert journal_events(web, "AlertAcknowledged", "FollowUpClosed", "NoticeSet", "IncidentSet", after=before) == []
    assert web.users.get("mallory") is None


def test_chinese_comes_from_the_font_the_controller_serves(hall_web, page_for):
    web = hall_web()
    web.add_user("wang", "admin")
    page = page_for(web, "wang")
    loaded = page.evaluate("""async () => {
        await document.fonts.ready;
        return [...document.fonts].filter(f => f.family.includes('HallSans') && f.status === 'loaded').length;
    }""")
    assert loaded >= 1, "the pages' Chinese is not drawn with the shipped font"
    client = Client(web.url)
    status, headers, _ = client.get("/fonts/NotoSansSC-Regular.otf")
    assert status == 200 and headers["content-type"] == "font/otf" and "max-age" in headers["cache-control"]
    assert client.request("GET", "/fonts/NotoSansSC-Regular.otf", headers={"If-None-Match": headers["etag"]})[0] == 304
    assert client.get("/fonts/../../hall.toml")[0] == 404


def test_an_open_live_page_goes_to_the_login_when_its_session_ends(hall_web, page_for):
    web = hall_web(stream_check_s=0.3)
    web.add_user("wang", "viewer")
    page = page_for(web, "wang")
    expect(page.locator('#live [data-counter="1"]')).to_be_visible()
    web.clock.advance(31 * 60)  # nobody touched the web for 31 minutes
    page.wait_for_url(f"{web.url}/login?next=%2F", timeout=WAIT_S * 1000)
    expect(page.locator("form")).to_contain_text("登录")
    page.fill("input[name=name]", "wang")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".flash-error")).to_contain_text("Wrong name or password")
