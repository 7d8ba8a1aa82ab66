"""`hall controller --web` as a real process: the web comes up with the controller, answers, and
stops cleanly with it; bad --web values are one clear error."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import time

from .conftest import EXAMPLE_HALL, PASSWORD, WAIT_S, Client


def start_controller(tmp_path, broker_url: str, *extra: str) -> subprocess.Popen:
    journal = tmp_path / f"journal-{len(list(tmp_path.glob('journal-*.db')))}.db"  # a fresh one each time
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hall.cli",
            "controller",
            "--config",
            str(EXAMPLE_HALL),
            "--broker",
            broker_url,
            "--db",
            str(journal),
            "--users",
            str(tmp_path / "users.db"),
            "--log-level",
            "WARNING",
            *extra,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line_starting(process: subprocess.Popen, prefix: str) -> str:
    deadline = time.monotonic() + WAIT_S * 2
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line.strip()[len(prefix) :]
    process.kill()
    raise AssertionError(f"the controller never printed {prefix}; stderr: {process.communicate()[1][-2000:]}")


def test_the_controller_serves_the_web_and_stops_cleanly(tmp_path, mosquitto_broker):
    from hall_controller.web.users import UsersStore

    UsersStore(tmp_path / "users.db").add("wang", "admin", PASSWORD, by="test")
    process = start_controller(tmp_path, mosquitto_broker.url, "--web", "127.0.0.1:0")
    try:
        url = read_line_starting(process, "HALL_WEB_URL=")
        client = Client(url)
        assert client.login("wang")[0] == 303
        status, _, body = client.get("/")
        assert status == 200 and "新华区政务服务中心" in body
        stream = http.client.HTTPConnection(client.host, client.port, timeout=WAIT_S * 2)
        stream.request("GET", "/events", headers={"Cookie": f"hall_session={client.cookies['hall_session']}"})
        response = stream.getresponse()
        assert response.status == 200 and response.getheader("content-type").startswith("text/event-stream")
        first = b""
        while b"event: hall" not in first:  # the live hall's first event
            line = response.readline()
            assert line, "the stream ended before its first event"
            first += line
        process.send_signal(signal.SIGTERM)  # with the live stream still open
        assert process.wait(WAIT_S * 2) == 0
        response.read()  # ended by the server (a hang would time out)
        stream.close()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_web_off_and_bad_web_values(tmp_path, mosquitto_broker):
    process = start_controller(tmp_path, mosquitto_broker.url, "--web", "off")
    try:
        assert read_line_starting(process, "HALL_MQTT_URL=") == mosquitto_broker.url
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=WAIT_S * 2)
        assert process.returncode == 0 and "HALL_WEB_URL" not in out
    finally:
        if process.poll() is None:
            process.kill()
    bad = start_controller(tmp_path, mosquitto_broker.url, "--web", "8080")
    _, err = bad.communicate(timeout=WAIT_S * 2)
    assert bad.returncode == 2 and "--web is HOST:PORT" in err
    with socket.socket() as holder:  # a port already in use: one sentence, exit 2
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = start_controller(tmp_path, mosquitto_broker.url, "--web", f"127.0.0.1:{holder.getsockname()[1]}")
        _, err = busy.communicate(timeout=WAIT_S * 2)
    assert busy.returncode == 2 and "cannot listen" in err, err
