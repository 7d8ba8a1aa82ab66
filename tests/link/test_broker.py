"""Starting brokers: the generated mosquitto config, restarts on the same port, the fallback, `hall broker`."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from hall.mqtt import BrokerUrlError, close_client, make_client, parse_broker_url
from hall_controller import broker as broker_module
from hall_controller.broker import (
    BrokerError,
    EmbeddedBroker,
    MosquittoBroker,
    accepts_connections,
    mosquitto_config,
    running_broker,
)

needs_mosquitto = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto is not installed")


def test_generated_config_for_a_demo_broker():
    conf = mosquitto_config(41234).splitlines()
    assert "listener 41234 127.0.0.1" in conf
    assert "allow_anonymous true" in conf
    assert "set_tcp_nodelay true" in conf
    assert "persistence false" in conf
    assert not any(line.startswith(("password_file", "acl_file", "user ")) for line in conf)


def test_generated_config_with_provisioned_files_and_data(tmp_path):
    conf = mosquitto_config(
        1883,
        host="0.0.0.0",
        data_dir=tmp_path / "data",
        password_file=tmp_path / "passwd",
        acl_file=tmp_path / "acl",
        run_as_root=True,
    ).splitlines()
    assert "listener 1883 0.0.0.0" in conf
    assert "allow_anonymous false" in conf
    assert f"password_file {tmp_path / 'passwd'}" in conf and f"acl_file {tmp_path / 'acl'}" in conf
    assert "persistence true" in conf and f"persistence_location {tmp_path / 'data'}/" in conf
    assert "user root" in conf


def test_config_refuses_a_path_that_would_inject_lines(tmp_path):
    with pytest.raises(BrokerError, match="line break"):
        mosquitto_config(1883, password_file=tmp_path / "x\nallow_anonymous true")


@needs_mosquitto
def test_mosquitto_restarts_on_the_same_port_after_a_kill(mosquitto_broker, mqtt_peer):
    port = mosquitto_broker.port
    mosquitto_broker.kill()
    assert not mosquitto_broker.running and not accepts_connections("127.0.0.1", port)
    mosquitto_broker.start()
    assert mosquitto_broker.port == port and mosquitto_broker.url == f"mqtt://127.0.0.1:{port}"
    peer = mqtt_peer(mosquitto_broker.url)
    peer.subscribe("t/#")
    peer.publish("t/1", b"hello")
    assert peer.expect(topic="t/1").payload == b"hello"


@needs_mosquitto
def test_mosquitto_on_a_taken_port_says_so(mosquitto_broker):
    with pytest.raises(BrokerError, match=f"port {mosquitto_broker.port} on 127.0.0.1 is already in use"):
        with MosquittoBroker(mosquitto_broker.port):
            pass


def test_embedded_on_a_taken_port_says_so(amqtt_broker):
    with pytest.raises(BrokerError, match=f"port {amqtt_broker.port} on 127.0.0.1 is already in use"):
        EmbeddedBroker(amqtt_broker.port).start()


@needs_mosquitto
def test_mosquitto_uses_the_password_file(tmp_path, mqtt_peer):
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "kiosk1", "pa ss"], check=True, capture_output=True)
    with MosquittoBroker(password_file=passwd) as broker:
        peer = mqtt_peer(f"mqtt://kiosk1:pa%20ss@127.0.0.1:{broker.port}")
        assert peer.wait_connected()
        anonymous = make_client(broker.url, "anonymous")
        anonymous.connect("127.0.0.1", broker.port)
        refused = []
        anonymous.on_connect = lambda c, u, f, rc, p: refused.append(rc.is_failure)
        for _ in range(50):
            if refused:
                break
            anonymous.loop(0.1)
        close_client(anonymous)
        assert refused == [True]


@needs_mosquitto
def test_mosquitto_refuses_missing_provisioned_files(tmp_path):
    with pytest.raises(BrokerError, match="the password file .* does not exist"):
        MosquittoBroker(password_file=tmp_path / "nope")


def test_running_broker_prefers_the_given_url_then_the_environment():
    with running_broker("mqtt://hall.local:1884", environ={}) as url:
        assert url == "mqtt://hall.local:1884"
    with running_broker(environ={"HALL_MQTT_URL": "mqtt://u:p@10.1.1.1"}) as url:
        assert url == "mqtt://u:p@10.1.1.1:1883"
    with pytest.raises(BrokerUrlError, match="must start with mqtt://"):
        with running_broker("10.1.1.1:1883", environ={}):
            pytest.fail("a bad URL must not get this far")


@needs_mosquitto
def test_running_broker_spawns_mosquitto_and_stops_it(mqtt_peer):
    with running_broker(environ={}) as url:
        port = parse_broker_url(url).port
        assert url == f"mqtt://127.0.0.1:{port}"
        peer = mqtt_peer(url)
        peer.subscribe("t")
        peer.publish("t", b"x")
        assert peer.expect(topic="t").payload == b"x"
        spawned = _my_mosquittos()
        assert len(spawned) == 1
        peer.close()
    assert not accepts_connections("127.0.0.1", port)
    assert not any(pid in _my_mosquittos() for pid in spawned)


def test_running_broker_falls_back_to_amqtt(monkeypatch, mqtt_peer):
    monkeypatch.setattr(broker_module.shutil, "which", lambda name: None)  # as on a machine without mosquitto
    with running_broker(environ={}) as url:
        peer = mqtt_peer(url)
        peer.subscribe("t")
        peer.publish("t", b"y")
        assert peer.expect(topic="t").payload == b"y"
        peer.close()
    assert not accepts_connections("127.0.0.1", parse_broker_url(url).port)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--port", "70000"], "--port 70000 is not a port number"),
        (["--bind", "hall.local"], "--bind 'hall.local' is not an IP address"),
        (["--bind", "0.0.0.0"], "--bind 0.0.0.0 needs --password-file"),
        (["--embedded", "--password-file", "p"], "the embedded broker cannot use --password-file"),
        (["--acl-file", "acl"], "--acl-file needs --password-file"),
        (["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
    ],
)
def test_hall_broker_refuses_bad_options_in_one_sentence(argv, words, capsys):
    assert broker_module.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and err.startswith("hall broker: ") and "\n" not in err


def test_hall_broker_help(capsys):
    assert broker_module.main(["--help"]) == 0
    assert "--password-file" in capsys.readouterr().out


@pytest.mark.parametrize("embedded", [False, True], ids=["mosquitto", "amqtt"])
def test_hall_broker_runs_until_ctrl_c(embedded, mqtt_peer):
    if not embedded and shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed")
    argv = ["--port", "0"] + (["--embedded"] if embedded else [])
    program = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from hall_controller.broker import main; sys.exit(main(sys.argv[1:]))",
            *argv,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = program.stdout.readline().strip()
        assert first.startswith("HALL_MQTT_URL=mqtt://127.0.0.1:"), program.stderr.read()
        url = first.split("=", 1)[1]
        peer = mqtt_peer(url)
        peer.subscribe("t")
        peer.publish("t", b"z")
        assert peer.expect(topic="t").payload == b"z"
        peer.close()
        program.send_signal(signal.SIGINT)
        assert program.wait(10) == 0
        assert ("amqtt" if embedded else "mosquitto 2") in program.stderr.read()
        assert not accepts_connections("127.0.0.1", parse_broker_url(url).port)
    finally:
        if program.poll() is None:
            program.kill()
            program.wait()
        program.stdout.close()
        program.stderr.close()


def _my_mosquittos():
    """Mosquitto processes started by this test process (other people's tests run on this machine too)."""
    mine = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and "mosquitto" in _read(f"/proc/{entry}/cmdline"):
            stat = _read(f"/proc/{entry}/stat")
            if stat and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                mine.append(int(entry))
    return mine


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
