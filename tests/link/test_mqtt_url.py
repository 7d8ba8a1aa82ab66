"""Broker URLs: what they mean, one clear sentence when wrong, and TLS that really connects."""

import gc
import shutil
import ssl
import subprocess

import pytest

from devices.link import DeviceLink
from hall.mqtt import BrokerUrl, BrokerUrlError, broker_url_from_env, close_client, make_client, parse_broker_url
from hall_controller.broker import ListenerTls, MosquittoBroker

from .conftest import HALL


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mqtt://127.0.0.1", BrokerUrl("mqtt", "127.0.0.1", 1883)),
        ("mqtt://hall.local:1884", BrokerUrl("mqtt", "hall.local", 1884)),
        ("MQTT://Hall.Local:1884/", BrokerUrl("mqtt", "hall.local", 1884)),
        ("mqtt://[::1]:1885", BrokerUrl("mqtt", "::1", 1885)),
        ("mqtt://kiosk1:s3cret@10.0.0.2", BrokerUrl("mqtt", "10.0.0.2", 1883, "kiosk1", "s3cret")),
        ("mqtt://kiosk%201:p%40ss%3Aw%2Fd@h", BrokerUrl("mqtt", "h", 1883, "kiosk 1", "p@ss:w/d")),
        ("mqtt://controller@h", BrokerUrl("mqtt", "h", 1883, "controller", None)),
        ("mqtts://h", BrokerUrl("mqtts", "h", 8883)),
        (
            "mqtts://u:p@h:8884?ca=/etc/hall/ca.pem&cert=/etc/hall/k1.pem&key=/etc/hall/k1.key",
            BrokerUrl("mqtts", "h", 8884, "u", "p", "/etc/hall/ca.pem", "/etc/hall/k1.pem", "/etc/hall/k1.key"),
        ),
        ("mqtts://h?cert=both.pem", BrokerUrl("mqtts", "h", 8883, cert="both.pem")),
        ("mqtts://h?ca=my%20ca.pem&insecure=true", BrokerUrl("mqtts", "h", 8883, ca="my ca.pem", insecure=True)),
        ("mqtts://h?insecure=0", BrokerUrl("mqtts", "h", 8883)),
        ("  mqtt://h  ", BrokerUrl("mqtt", "h", 1883)),
    ],
)
def test_good_urls(text, expected):
    url = parse_broker_url(text)
    assert url == expected
    assert url.password == expected.password  # not compared by == on repr-less fields otherwise
    assert parse_broker_url(url.geturl()) == url
    assert url.tls == (expected.scheme == "mqtts")


def test_password_is_hidden_when_shown():
    url = parse_broker_url("mqtt://kiosk1:s3cret@h")
    assert str(url) == "mqtt://kiosk1:***@h:1883"
    assert "s3cret" not in repr(url)
    assert url.geturl() == "mqtt://kiosk1:s3cret@h:1883"


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "is empty"),
        ("127.0.0.1:1883", "must start with mqtt:// or mqtts://"),
        ("http://h", "must start with mqtt:// or mqtts://"),
        ("tcp://h:1883", "must start with mqtt://"),
        ("mqtt://", "names no host"),
        ("mqtt://:1883", "names no host"),
        ("mqtt://h:port", "port that is not a number"),
        ("mqtt://h:70000", "port that is not a number from 1 to 65535"),
        ("mqtt://h:0", "port 0"),
        ("mqtt://h/hall", "has a path"),
        ("mqtt://h#x", "'#' part"),
        ("mqtt://:pw@h", "password but no user name"),
        ("mqtt://h?ca=ca.pem", "TLS options (ca) but is not mqtts://"),
        ("mqtts://h?cafile=ca.pem", "unknown option 'cafile'"),
        ("mqtts://h?key=k.pem", "key= without cert="),
        ("mqtts://h?insecure=perhaps", "use insecure=true or insecure=false"),
        ("mqtts://h?ca=a&ca=b", "gives ca= twice"),
        ("mqtts://h?ca=", "empty ca="),
        ("mqtts://h?ca", "not name=value pairs"),
    ],
)
def test_bad_urls_get_one_clear_sentence(text, words):
    with pytest.raises(BrokerUrlError) as caught:
        parse_broker_url(text)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and message.count(". ") == 0


def test_bad_url_never_shows_the_password():
    with pytest.raises(BrokerUrlError) as caught:
        parse_broker_url("mqtt://kiosk1:s3cr@t@h:99999")
    assert "s3cr" not in str(caught.value) and "kiosk1:***@" in str(caught.value)


def test_url_from_environment():
    assert broker_url_from_env({}) is None
    assert broker_url_from_env({"HALL_MQTT_URL": " "}) is None
    assert broker_url_from_env({"HALL_MQTT_URL": "mqtt://h:2000"}) == BrokerUrl("mqtt", "h", 2000)
    with pytest.raises(BrokerUrlError, match="^HALL_MQTT_URL: broker URL 'h:2000' must start with"):
        broker_url_from_env({"HALL_MQTT_URL": "h:2000"})


def test_client_refuses_unreadable_tls_files(tmp_path):
    with pytest.raises(BrokerUrlError, match="cannot use the CA file .*missing.pem"):
        make_client(f"mqtts://h?ca={tmp_path}/missing.pem", "k1")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(BrokerUrlError, match="cannot use the client certificate .*garbage.pem"):
        make_client(f"mqtts://h?cert={garbage}", "k1")


def test_client_speaks_mqtt_311_with_credentials():
    client = make_client("mqtt://kiosk1:pw@h", "k1")
    assert client.protocol == 4  # MQTT 3.1.1
    assert client.username == "kiosk1" and client.password == "pw"


# -- TLS against a real mosquitto with certificates made by openssl -------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA, a broker certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
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
        "/CN=hall test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ):
        (d / f"{name}.ext").write_text("basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\n" + ext)
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=hall-{name}", cwd=d)
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "2",
            "-extfile",
            f"{name}.ext",
            cwd=d,
        )
    return d


@pytest.fixture
def tls_broker(pki):
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed")
    tls = ListenerTls(pki / "server.crt", pki / "server.key", pki / "ca.crt", require_client_cert=True)
    with MosquittoBroker(tls=tls) as broker:
        yield broker


def test_link_talks_over_tls_with_a_client_certificate(pki, tls_broker, make_responder):
    url = f"mqtts://127.0.0.1:{tls_broker.port}?ca={pki}/ca.crt&cert={pki}/client.crt&key={pki}/client.key"
    assert tls_broker.url.startswith("mqtts://127.0.0.1:")
    responder = make_responder(url)
    with DeviceLink(url, HALL, "K1") as link:
        assert link.wait_connected(10)
        assert link.nodelay is True  # set on the TLS socket too
        assert link.request("ticket.request", {"service": "social"}).body == {"echo": {"service": "social"}}
    assert len(responder.first) == 1


def _handshake(url, port):
    client = make_client(url, "probe")
    try:
        client.connect("127.0.0.1", port)
        # With TLS 1.3 a missing client certificate is only noticed after the handshake.
        for _ in range(50):
            if client.loop(0.1) != 0:
                return "refused"
            if client.is_connected():
                return "connected"
        return "no answer"
    finally:
        close_client(client)


# paho 2.2 does not close the socket when a TLS handshake fails; the garbage collector does.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_tls_checks_the_broker_and_the_host_name(pki, tls_broker):
    port = tls_broker.port
    client_files = f"cert={pki}/client.crt&key={pki}/client.key"
    with pytest.raises(ssl.SSLCertVerificationError):  # the broker's CA is not in the system store
        _handshake(f"mqtts://127.0.0.1:{port}?{client_files}", port)
    with pytest.raises(ssl.SSLCertVerificationError, match="(?i)hostname|IP address mismatch|match"):
        make_client(f"mqtts://localhost:{port}?ca={pki}/ca.crt&{client_files}", "probe").connect("localhost", port)
    assert _handshake(f"mqtts://127.0.0.1:{port}?insecure=true&{client_files}", port) == "connected"
    assert _handshake(f"mqtts://127.0.0.1:{port}?ca={pki}/ca.crt", port) == "refused"  # no client certificate
    gc.collect()  # let the leaked sockets' warnings fire inside this test, where they are expected
