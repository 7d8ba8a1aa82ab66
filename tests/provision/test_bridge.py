"""The hall → district bridge, between two real Mosquittos configured only by `hall provision`.

The hall broker runs the provisioned hall.conf (devices' passwords and ACL, plus the bridge); the
district broker runs the provisioned district.conf (one user per hall, the web's user, the ACL).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from hall import config
from hall_controller import bridge, provision
from hall_controller.broker import accepts_connections, free_port
from hall_controller.provision import main as provision_main

EXAMPLE = Path(__file__).parents[2] / "examples" / "hall.toml"
WAIT_S = 20.0
pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary")


class ConfiguredBroker:
    """mosquitto -c <a provisioned config>, stopped and started again on its port at will."""

    def __init__(self, conf: Path, port: int, log: Path):
        self.conf, self.port, self.log = conf, port, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_S
        while not accepts_connections("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-500:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def deploy_dir():
    """A folder the broker's own user can reach, as /etc/hall is (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="hall-bridge-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def linked(deploy_dir):
    """Hall xinhua's broker bridged to a district broker that also knows hall 'beihai'."""
    hall_port, district_port = free_port(), free_port()
    district_dir, hall_dir = deploy_dir / "district", deploy_dir / "hall"
    district_pw = bridge.district_files(["xinhua", "beihai"], district_dir, f"mqtt://127.0.0.1:{district_port}")
    district = bridge.read_district(str(district_dir / "credentials" / "hall-xinhua.url"))
    hall_pw = provision.provision(
        config.load(EXAMPLE),
        hall_dir,
        f"mqtt://127.0.0.1:{hall_port}",
        broker_data=deploy_dir / "hall-data",
        district=district,
        bridge_restart_s=(1, 2),
    )
    district_broker = ConfiguredBroker(
        district_dir / "mosquitto" / "district.conf", district_port, deploy_dir / "district.log"
    )
    hall_broker = ConfiguredBroker(hall_dir / "mosquitto" / "hall.conf", hall_port, deploy_dir / "hall.log")
    district_broker.start()
    hall_broker.start()
    try:
        yield {
            "district": district_broker,
            "hall": hall_broker,
            "district_pw": district_pw,
            "hall_pw": hall_pw,
            "hall_url": f"mqtt://controller:{hall_pw['controller']}@127.0.0.1:{hall_port}",
            "web_url": (district_dir / "credentials" / "district-web.url").read_text().strip(),
            "district_dir": district_dir,
        }
    finally:
        hall_broker.stop()
        district_broker.stop()


def test_the_hall_live_state_goes_up_under_its_own_name(linked, mqtt_peer):
    controller = mqtt_peer(linked["hall_url"], "controller")
    controller.publish("hall/xinhua/board", b'{"board": 1}', retain=True)
    controller.publish("hall/xinhua/controller/state", b'{"online": true}', retain=True)
    kiosk = mqtt_peer(
        linked["hall_url"].replace(f"controller:{linked['hall_pw']['controller']}", f"K1:{linked['hall_pw']['K1']}"),
        "K1",
    )
    kiosk.publish("hall/xinhua/dev/K1/state", b'{"online": true, "paper": "low"}', retain=True)

    web = mqtt_peer(linked["web_url"], "district-web")
    web.subscribe("hall/#")
    seen = {}
    deadline = time.monotonic() + WAIT_S
    wanted = {
        "hall/xinhua/board",
        "hall/xinhua/controller/state",
        "hall/xinhua/dev/K1/state",
        "hall/xinhua/bridge/state",
    }
    while not wanted <= seen.keys() and time.monotonic() < deadline:
        message = web.expect(timeout=max(0.1, deadline - time.monotonic()))
        seen[message.topic] = message.payload
    assert seen["hall/xinhua/board"] == b'{"board": 1}'
    assert seen["hall/xinhua/dev/K1/state"] == b'{"online": true, "paper": "low"}'
    assert seen["hall/xinhua/bridge/state"] == b"1"

    controller.publish("hall/xinhua/alerts", b'{"alert": "wait_over_target"}')
    assert web.expect(topic="hall/xinhua/alerts").payload == b'{"alert": "wait_over_target"}'
    controller.publish("hall/xinhua/board", b'{"board": 2}', retain=True)
    assert web.expect(topic="hall/xinhua/board").payload == b'{"board": 2}'


def test_nothing_but_the_live_topics_goes_up_and_nothing_comes_down(linked, mqtt_peer):
    controller = mqtt_peer(linked["hall_url"], "controller")
    controller.subscribe("hall/xinhua/#")
    web = mqtt_peer(linked["web_url"], "district-web")
    web.subscribe("hall/#")
    controller.publish("hall/xinhua/dev/K1/down", b"a reply to a kiosk")  # not a live topic
    controller.publish("hall/xinhua/calls", b"a call")  # the board carries calls
    controller.publish("hall/xinhua/board", b"marker", retain=True)
    assert web.expect(where=lambda m: not m.topic.endswith("bridge/state")).payload == b"marker"

    district_hall = mqtt_peer(
        linked["district_dir"].joinpath("credentials", "hall-xinhua.url").read_text().strip(), "as-hall"
    )
    district_hall.publish("hall/xinhua/dev/K1/down", b"from the district")
    controller.publish("hall/xinhua/board", b"marker 2", retain=True)
    got = controller.expect(where=lambda m: m.payload in (b"from the district", b"marker 2"))
    assert got.payload == b"marker 2", "the district reached a device through the bridge"


def test_a_hall_cannot_publish_under_another_hall(linked, mqtt_peer):
    web = mqtt_peer(linked["web_url"], "district-web")
    web.subscribe("hall/beihai/#", "hall/xinhua/board")
    xinhua = mqtt_peer(linked["district_dir"].joinpath("credentials", "hall-xinhua.url").read_text().strip(), "xinhua")
    xinhua.publish("hall/beihai/board", b"forged", retain=True)
    xinhua.publish("hall/beihai/alerts", b"forged")
    xinhua.publish("hall/xinhua/board", b"own", retain=True)
    assert web.expect().payload == b"own", "a forged message of another hall got through"

    # and on the hall's own broker, nobody can make the bridge carry another hall's topic
    controller = mqtt_peer(linked["hall_url"], "controller")
    controller.publish("hall/beihai/board", b"forged through the bridge", retain=True)
    controller.publish("hall/xinhua/board", b"own 2", retain=True)
    assert web.expect().payload == b"own 2"


def test_a_district_broker_down_for_a_while_gets_the_current_state_when_back(linked, mqtt_peer):
    controller = mqtt_peer(linked["hall_url"], "controller")
    web = mqtt_peer(linked["web_url"], "district-web")
    web.subscribe("hall/xinhua/board")
    controller.publish("hall/xinhua/board", b"before the cut", retain=True)
    assert web.expect(topic="hall/xinhua/board").payload == b"before the cut"

    linked["district"].stop()  # no persistence: the district forgets everything
    for n in range(50):  # the hall goes on working alone
        controller.publish("hall/xinhua/board", f"during the cut {n}".encode(), retain=True)
    linked["district"].start()

    assert web.wait_connected()
    fresh = mqtt_peer(linked["web_url"], "district-web-after")
    fresh.subscribe("hall/xinhua/board")
    deadline = time.monotonic() + WAIT_S * 2
    payload = None
    while payload != b"during the cut 49" and time.monotonic() < deadline:
        payload = fresh.expect(topic="hall/xinhua/board", timeout=max(0.1, deadline - time.monotonic())).payload
    assert payload == b"during the cut 49"


def test_district_command_line_and_bad_input(deploy_dir, capsys, monkeypatch):
    out = deploy_dir / "d"
    assert (
        provision_main(
            [
                "--district-broker",
                "--halls",
                "a,b",
                "--out",
                str(out),
                "--broker",
                "mqtts://district.example:8883?ca=/etc/hall/ca.crt",
            ]
        )
        == 0
    )
    acl = (out / "mosquitto" / "acl").read_text()
    assert "user hall-a\ntopic write hall/a/board" in acl and "topic write hall/b/alerts" in acl
    url = (out / "credentials" / "hall-a.url").read_text().strip()
    assert url.startswith("mqtts://hall-a:") and url.endswith("@district.example:8883?ca=/etc/hall/ca.crt")
    capsys.readouterr()

    hall_out = deploy_dir / "h"
    assert (
        provision_main(
            [
                "--config",
                str(EXAMPLE),
                "--out",
                str(hall_out),
                "--broker-data",
                str(hall_out / "data"),
                "--district",
                str(out / "credentials" / "hall-a.url"),
            ]
        )
        == 2
    )
    assert "credentials are for 'hall-a', but this hall is 'xinhua'" in capsys.readouterr().err
    assert not hall_out.exists(), "nothing written on bad input"

    secret_url = url.replace("hall-a", "hall-xinhua")
    assert (
        provision_main(
            [
                "--config",
                str(EXAMPLE),
                "--out",
                str(hall_out),
                "--broker-data",
                str(hall_out / "data"),
                "--district",
                secret_url,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "password in it" in err and secret_url.split("@")[0].split(":")[-1] not in err
    assert provision_main(["--district-broker", "--halls", "a,A b", "--out", str(out)]) == 2
    assert "is not one" in capsys.readouterr().err

    monkeypatch.setenv(bridge.PASSWORD_ENV, "pw-from-the-environment")
    assert (
        provision_main(
            [
                "--config",
                str(EXAMPLE),
                "--out",
                str(hall_out),
                "--broker-data",
                str(hall_out / "data"),
                "--broker",
                "mqtt://192.168.10.2:1883",
                "--district",
                "mqtts://hall-xinhua@district.example:8883?ca=/etc/hall/ca.crt",
            ]
        )
        == 0
    )
    conf = hall_out / "mosquitto" / "hall.conf"
    assert oct(conf.stat().st_mode & 0o777) == "0o600"
    text = conf.read_text()
    assert "remote_password pw-from-the-environment" in text and "bridge_cafile /etc/hall/ca.crt" in text
    assert "bridge_insecure false" in text and " in " not in text.split("connection district")[1]


# --- TLS between the hall and the district --------------------------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def district_pki(deploy_dir):
    """A CA and the district broker's certificate for 127.0.0.1 (as tests/link/test_mqtt_url.py makes them)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = deploy_dir / "pki"
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=district test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )
    (d / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\n"
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=district", cwd=d)
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        cwd=d,
    )
    return d


def test_the_bridge_speaks_tls_to_the_district_and_checks_its_certificate(deploy_dir, district_pki, mqtt_peer):
    from hall_controller.broker import ListenerTls, MosquittoBroker

    port = free_port()
    folder = deploy_dir / "district"
    bridge.district_files(["xinhua"], folder, f"mqtts://127.0.0.1:{port}?ca={district_pki}/ca.crt")
    creds = folder / "credentials"
    tls = ListenerTls(district_pki / "server.crt", district_pki / "server.key", district_pki / "ca.crt")
    conf = bridge.bridge_conf("xinhua", bridge.read_district(str(creds / "hall-xinhua.url")), restart_s=(1, 2))
    assert f"bridge_cafile {district_pki}/ca.crt" in conf and "bridge_insecure false" in conf
    with (
        MosquittoBroker(
            port, password_file=folder / "mosquitto" / "passwd", acl_file=folder / "mosquitto" / "acl", tls=tls
        ),
        MosquittoBroker(extra_config=conf) as hall,
    ):
        web = mqtt_peer((creds / "district-web.url").read_text().strip(), "district-web")
        web.subscribe("hall/xinhua/board")
        mqtt_peer(hall.url, "controller").publish("hall/xinhua/board", b"over TLS", retain=True)
        assert web.expect(topic="hall/xinhua/board", timeout=WAIT_S).payload == b"over TLS"


def test_a_bridge_that_does_not_trust_the_districts_certificate_does_not_link(deploy_dir, district_pki, mqtt_peer):
    from hall_controller.broker import ListenerTls, MosquittoBroker

    stranger = deploy_dir / "stranger"
    stranger.mkdir()
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=some other CA",
        cwd=stranger,
    )
    port = free_port()
    folder = deploy_dir / "district"
    bridge.district_files(["xinhua"], folder, f"mqtts://127.0.0.1:{port}?ca={stranger}/ca.crt")
    creds = folder / "credentials"
    tls = ListenerTls(district_pki / "server.crt", district_pki / "server.key", district_pki / "ca.crt")
    conf = bridge.bridge_conf("xinhua", bridge.read_district(str(creds / "hall-xinhua.url")), restart_s=(1, 2))
    with (
        MosquittoBroker(
            port, password_file=folder / "mosquitto" / "passwd", acl_file=folder / "mosquitto" / "acl", tls=tls
        ),
        MosquittoBroker(extra_config=conf) as hall,
    ):
        deadline = time.monotonic() + WAIT_S
        while "certificate verify failed" not in hall.log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, hall.log_tail(10)
            time.sleep(0.05)
