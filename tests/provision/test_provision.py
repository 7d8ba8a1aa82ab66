"""`hall provision` against a real Mosquitto: each device can speak only as itself."""

import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from hall import config
from hall_controller import provision

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"
pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


@pytest.fixture
def deploy_dir():
    """A folder the broker's own user can reach, as /etc/hall is (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="hall-provision-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def secured_broker(deploy_dir):
    tmp_path = deploy_dir
    port = free_port()
    passwords = provision.provision(
        config.load(EXAMPLE), tmp_path, f"mqtt://127.0.0.1:{port}", broker_data=tmp_path / "data"
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(tmp_path / "mosquitto" / "hall.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, proc)
        yield port, passwords, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stderr.close()


def connect(port: int, user: str | None, password: str | None) -> tuple[mqtt.Client, mqtt.ReasonCode]:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{user}-{time.monotonic_ns()}", protocol=mqtt.MQTTv311
    )
    if user:
        client.username_pw_set(user, password)
    connected = threading.Event()
    result = {}

    def on_connect(c, userdata, flags, reason_code, properties):
        result["rc"] = reason_code
        connected.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert connected.wait(5)
    return client, result["rc"]


def test_a_device_can_publish_only_as_itself(secured_broker):
    port, passwords, _ = secured_broker
    controller, rc = connect(port, "controller", passwords["controller"])
    assert not rc.is_failure
    received = []
    controller.on_message = lambda c, u, m: received.append((m.topic, m.payload))
    subscribed = threading.Event()
    controller.on_subscribe = lambda *a: subscribed.set()
    controller.subscribe("hall/xinhua/dev/+/up", qos=1)
    assert subscribed.wait(5)

    kiosk, rc = connect(port, "K1", passwords["K1"])
    assert not rc.is_failure
    kiosk.publish("hall/xinhua/dev/K1/up", b"own", qos=1).wait_for_publish(5)
    kiosk.publish("hall/xinhua/dev/K2/up", b"spoofed", qos=1).wait_for_publish(5)
    kiosk.publish("hall/xinhua/dev/K1/up", b"marker", qos=1).wait_for_publish(5)
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert received == [("hall/xinhua/dev/K1/up", b"own"), ("hall/xinhua/dev/K1/up", b"marker")]
    for client in (kiosk, controller):
        client.loop_stop()
        client.disconnect()


@pytest.mark.parametrize("user, password", [("K1", "wrong-password"), (None, None), ("intruder", "x")])
def test_wrong_password_anonymous_and_unknown_users_are_refused(secured_broker, user, password):
    port, _, _ = secured_broker
    client, rc = connect(port, user, password)
    client.loop_stop()
    assert rc.is_failure and "authori" in str(rc).lower()


def test_credentials_are_private_and_reprovisioning_keeps_passwords(secured_broker):
    port, passwords, out = secured_broker
    for path in [*(out / "credentials").glob("*.url"), out / "mosquitto" / "passwd"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    url = (out / "credentials" / "E3.url").read_text().strip()
    assert urllib.parse.unquote(urllib.parse.urlsplit(url).password) == passwords["E3"]
    again = provision.provision(config.load(EXAMPLE), out, f"mqtt://127.0.0.1:{port}")
    assert again == passwords
    rotated = provision.provision(config.load(EXAMPLE), out, f"mqtt://127.0.0.1:{port}", rotate=True)
    assert all(rotated[u] != passwords[u] for u in passwords)
    assert len(set(rotated.values())) == len(rotated), "no two devices share a password"


def test_a_bad_broker_url_is_one_sentence(tmp_path):
    with pytest.raises(config.ConfigError, match="is not a URL like mqtt://"):
        provision.provision(config.load(EXAMPLE), tmp_path, "hall-server:1883")
    assert not (tmp_path / "mosquitto").exists(), "nothing written on bad input"
