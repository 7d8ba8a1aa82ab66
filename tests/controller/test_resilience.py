"""An error of our own in one round of the controller's loop is logged, and the hall goes on."""

from hall_controller import views

from .conftest import wait_until


def test_an_internal_error_is_logged_and_the_next_request_is_answered(
    broker_url, controller, hall_device, monkeypatch, caplog
):
    ctl = controller(broker_url)
    kiosk = hall_device(broker_url, "K1")
    real_board = views.board
    failures = []

    def broken_once(engine):
        if not failures:
            failures.append("board")
            raise RuntimeError("a bug in the board")
        return real_board(engine)

    monkeypatch.setattr(views, "board", broken_once)
    first = kiosk.request("ticket.request", {"service": "social"}, timeout=10)
    wait_until(lambda: failures, "the broken board was tried")
    second = kiosk.request("ticket.request", {"service": "social"}, timeout=10)
    assert first.ok and second.ok
    assert [first.body["ticket"]["label"], second.body["ticket"]["label"]] == ["A001", "A002"]
    assert any("internal error" in r.getMessage() for r in caplog.records)
    assert ctl.gateway.connected.is_set()
