"""The whole live chain: a real controller on its hall's Mosquitto, the bridge `hall provision
--district` writes, the district Mosquitto with the per-hall ACL, the district web, Chromium.
A ticket and a call made by the hall's devices appear on the district's pages by themselves."""

from __future__ import annotations

import pytest

from devices.link import DeviceLink
from hall_controller import bridge
from hall_controller.broker import MosquittoBroker, free_port

WAIT_S = 20.0


@pytest.fixture
def linked_hall(tmp_path, mosquitto_broker):
    port = free_port()
    folder = tmp_path / "district"
    bridge.district_files(["xinhua", "beihai"], folder, f"mqtt://127.0.0.1:{port}")
    creds = folder / "credentials"
    district = MosquittoBroker(
        port, password_file=folder / "mosquitto" / "passwd", acl_file=folder / "mosquitto" / "acl"
    )
    conf = bridge.bridge_conf("xinhua", bridge.read_district(str(creds / "hall-xinhua.url")), restart_s=(1, 2))
    hall = MosquittoBroker(extra_config=conf)
    with district, hall:
        yield hall.url, (creds / "district-web.url").read_text().strip()


def test_a_call_in_a_hall_appears_live_on_the_district_page(
    linked_hall, controller, district_web, district_page, tmp_path
):
    expect = pytest.importorskip("playwright.sync_api").expect
    hall_url, web_url = linked_hall
    controller(hall_url)
    web = district_web(web_url)
    page = district_page(web, "sup_x")
    row = page.locator("tr[data-hall=xinhua]")
    expect(row.locator("[data-waiting]")).to_have_text("0", timeout=WAIT_S * 1000)
    expect(row).to_contain_text("linked")

    kiosk = DeviceLink(hall_url, "xinhua", "K1", outbox=tmp_path / "k1.db")
    caller = DeviceLink(hall_url, "xinhua", "C1", outbox=tmp_path / "c1.db")
    for link in (kiosk, caller):
        link.start()
        assert link.wait_connected(WAIT_S)
    try:
        ticket = kiosk.request("ticket.request", {"service": "social"}).body["ticket"]
        kiosk.request("ticket.printed", {"ticket": ticket["id"]})
        expect(row.locator("[data-waiting]")).to_have_text("1", timeout=WAIT_S * 1000)

        page.click("tr[data-hall=xinhua] a")
        caller.request("counter.open", {"clerk": "S001"})
        caller.request("counter.call_next")
        expect(page.locator("p.calls")).to_contain_text(f"{ticket['label']} → 1", timeout=WAIT_S * 1000)
        expect(page.locator("#hall-waiting")).to_have_text("0")
        expect(page.locator("tr[data-device='xinhua/K1']")).to_contain_text("online")
    finally:
        kiosk.close()
        caller.close()
