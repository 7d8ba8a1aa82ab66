"""Where the broker is and how to reach it: broker URLs, and the one way to make a paho client.

A broker is named by one URL, given with `--broker` or the environment variable HALL_MQTT_URL:

    mqtt://[user:password@]host[:port]                 plain TCP, port 1883 by default
    mqtts://[user:password@]host[:port][?options]      TLS, port 8883 by default

TLS options in the query: `ca=PATH` (the CA that signed the broker's certificate; default: the
system's CAs), `cert=PATH` and `key=PATH` (this client's certificate and key, when the broker asks
for one), `insecure=true` (no certificate or host-name check at all: only for a test bench with a
self-signed broker). User and password are percent-encoded like any URL (`p%40ss` for `p@ss`).

`make_client` is the only place a paho client is made, so every program gets the same choices:
the version 2 callback API, MQTT 3.1.1 (the embedded broker speaks nothing newer), credentials and
TLS from the URL, and TCP_NODELAY on its socket. paho leaves Nagle's algorithm on, which on
loopback turns a 0.2 ms round trip into 40 ms whenever two small packets meet a delayed ACK.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import paho.mqtt.client as paho

log = logging.getLogger("hall.mqtt")
ENV_VAR = "HALL_MQTT_URL"
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
_TLS_OPTIONS = ("ca", "cert", "key", "insecure")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class BrokerUrlError(ValueError):
    """A broker URL (or the TLS files it names) is unusable; the message is one sentence."""


@dataclass(frozen=True)
class BrokerUrl:
    """A parsed broker URL. `str()` hides the password; `geturl()` gives the whole URL back."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure: bool = False

    @property
    def tls(self) -> bool:
        return self.scheme == "mqtts"

    def geturl(self) -> str:
        return self._build(None if self.password is None else quote(self.password, safe=""))

    def __str__(self) -> str:
        return self._build(None if self.password is None else "***")

    def with_credentials(self, username: str, password: str) -> BrokerUrl:
        return replace(self, username=username, password=password)

    def _build(self, password: str | None) -> str:  # password as it appears in the URL
        auth = ""
        if self.username is not None:
            auth = quote(self.username, safe="")
            if password is not None:
                auth += ":" + password
            auth += "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = []
        for name in ("ca", "cert", "key"):
            value = getattr(self, name)
            if value is not None:
                query.append(f"{name}={quote(value, safe='/')}")
        if self.insecure:
            query.append("insecure=true")
        return f"{self.scheme}://{auth}{host}:{self.port}" + ("?" + "&".join(query) if query else "")


def parse_broker_url(text: str) -> BrokerUrl:
    """Read a broker URL; raises BrokerUrlError with one sentence saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise BrokerUrlError("the broker URL is empty; give one like mqtt://127.0.0.1:1883")
    text = text.strip()
    shown = _redact(text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BrokerUrlError(f"broker URL {shown!r} must start with mqtt:// or mqtts://")
    if not parts.netloc or not parts.hostname:
        raise BrokerUrlError(f"broker URL {shown!r} names no host; write it like {scheme}://host:port")
    try:
        port = parts.port
    except ValueError:
        raise BrokerUrlError(f"broker URL {shown!r} has a port that is not a number from 1 to 65535") from None
    if port == 0:
        raise BrokerUrlError(f"broker URL {shown!r} has port 0; give a port from 1 to 65535")
    if parts.path not in ("", "/"):
        raise BrokerUrlError(f"broker URL {shown!r} has a path ({parts.path!r}); a broker URL ends after the port")
    if parts.fragment:
        raise BrokerUrlError(f"broker URL {shown!r} has a '#' part, which means nothing to a broker")
    if parts.password is not None and parts.username in (None, ""):
        raise BrokerUrlError(f"broker URL {shown!r} has a password but no user name")

    options = _query(parts.query, shown)
    if options and scheme != "mqtts":
        raise BrokerUrlError(f"broker URL {shown!r} has TLS options ({', '.join(options)}) but is not mqtts://")
    if "key" in options and "cert" not in options:
        raise BrokerUrlError(f"broker URL {shown!r} has key= without cert=; a client key needs its certificate")
    insecure = False
    if "insecure" in options:
        flag = options["insecure"].lower()
        if flag not in _TRUE | _FALSE:
            raise BrokerUrlError(
                f"broker URL {shown!r} has insecure={options['insecure']!r}; use insecure=true or insecure=false"
            )
        insecure = flag in _TRUE
    for name in ("ca", "cert", "key"):
        if name in options and not options[name]:
            raise BrokerUrlError(f"broker URL {shown!r} has an empty {name}=; give the path of the file")

    return BrokerUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        ca=options.get("ca"),
        cert=options.get("cert"),
        key=options.get("key"),
        insecure=insecure,
    )


def broker_url_from_env(environ: Mapping[str, str] | None = None) -> BrokerUrl | None:
    """The broker named by HALL_MQTT_URL, or None if it is unset or empty."""
    text = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not text:
        return None
    try:
        return parse_broker_url(text)
    except BrokerUrlError as e:
        raise BrokerUrlError(f"{ENV_VAR}: {e}") from None


def device_broker_url(
    arg: str | None, environ: Mapping[str, str] | None = None, *, credentials: str | os.PathLike | None = None
) -> str:
    """The broker a device program uses: `--broker`, else HALL_MQTT_URL, with the user and
    password of `--credentials FILE` if given (see `read_credentials`). A device never starts a
    broker of its own, so none of them given is an error (BrokerUrlError, one sentence)."""
    if credentials is not None:
        return with_credentials_file(
            arg or (os.environ if environ is None else environ).get(ENV_VAR), credentials
        ).geturl()
    if arg:
        url = parse_broker_url(arg)
        warn_password_on_command_line(url)
        return url.geturl()
    url = broker_url_from_env(environ)
    if url is None:
        raise BrokerUrlError(f"no broker given: say which broker to use: --broker mqtt://host:port or {ENV_VAR}")
    return url.geturl()


def read_credentials(path: str | os.PathLike) -> BrokerUrl:
    """The broker URL with a user and password in a credentials file (what `hall provision` writes
    to credentials/<id>.url, or systemd hands over with LoadCredential=). The file must be private
    to its owner (mode 0600 or 0400): a password that other users can read is refused. The
    password then never appears on a command line or in the process list."""
    try:
        mode = os.stat(path).st_mode
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
    except OSError as e:
        raise BrokerUrlError(f"cannot read the credentials file {os.fspath(path)}: {_reason(e)}") from None
    except UnicodeDecodeError:
        raise BrokerUrlError(f"the credentials file {os.fspath(path)} is not text") from None
    if mode & 0o077:
        raise BrokerUrlError(
            f"the credentials file {os.fspath(path)} can be read by other users; "
            f"make it private with chmod 600 {os.fspath(path)}"
        )
    try:
        url = parse_broker_url(text)
    except BrokerUrlError as e:
        raise BrokerUrlError(f"the credentials file {os.fspath(path)}: {e}") from None
    if url.username is None or url.password is None:
        raise BrokerUrlError(
            f"the credentials file {os.fspath(path)} holds no user and password "
            f"(expected a URL like mqtt://K1:PASSWORD@hall-server:1883)"
        )
    return url


def with_credentials_file(broker: str | None, path: str | os.PathLike) -> BrokerUrl:
    """The broker `broker` (or, if None, the one the file names) with the file's user and password."""
    own = read_credentials(path)
    if not broker:
        return own
    return parse_broker_url(broker).with_credentials(own.username or "", own.password or "")


def add_credentials_argument(parser: Any) -> None:
    """`--credentials FILE` on a program's command line (every device program and the controller)."""
    parser.add_argument(
        "--credentials",
        metavar="FILE",
        help="a file (mode 0600) holding this program's broker URL with its user and password, "
        "from `hall provision` (credentials/<id>.url) or systemd's LoadCredential=; "
        "--broker, if given too, says where the broker is",
    )


def warn_password_on_command_line(url: BrokerUrl) -> None:
    """A password given with --broker is readable by every user of the machine (`ps`): say so."""
    if url.password is not None:
        log.warning(
            "the broker password was given on the command line (%s), where every user of this machine "
            "can read it; give it with --credentials FILE instead",
            url,
        )


def redact(text: str) -> str:
    """`text` (a broker URL) with any password replaced by ***: for everything printed or logged."""
    return _redact(text)


def make_client(
    url: BrokerUrl | str, client_id: str, *, clean_session: bool = True, userdata: Any = None
) -> paho.Client:
    """A paho 2.x client for `url`: VERSION2 callbacks, MQTT 3.1.1, credentials, TLS, TCP_NODELAY.

    The client is not connected; call `connect_async` + `loop_start` (or `connect`). TCP_NODELAY
    is set by the `on_socket_open` callback, which runs for every new socket before CONNECT is
    sent; replace that callback only through `keep_nodelay(your_callback)`.
    Raises BrokerUrlError if a TLS file cannot be read.
    """
    if isinstance(url, str):
        url = parse_broker_url(url)
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        userdata=userdata,
        protocol=paho.MQTTv311,
    )
    if url.username is not None:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set_context(tls_context(url))
        if url.insecure:
            client.tls_insecure_set(True)
    client.on_socket_open = keep_nodelay()
    return client


def close_client(client: paho.Client) -> None:
    """Disconnect, stop the network thread, and close every socket the client holds.

    paho 2.2 keeps the socket pair that `loop_start` makes (to wake its thread) open until the
    client is garbage-collected; closing it here keeps long-running programs and tests from
    leaking two sockets per client.
    """
    client.disconnect()
    client.loop_stop()
    reset = getattr(client, "_reset_sockets", None)  # paho's own cleanup, also run by its __del__
    if reset is not None:
        reset()


def tls_context(url: BrokerUrl) -> ssl.SSLContext:
    """The TLS context a client uses for `url` (TLS 1.2 or newer, verifying unless insecure)."""
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=url.ca)
    except (OSError, ssl.SSLError) as e:
        raise BrokerUrlError(f"cannot use the CA file {url.ca!r} from the broker URL: {_reason(e)}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if url.cert is not None:
        try:
            context.load_cert_chain(url.cert, url.key)
        except (OSError, ssl.SSLError) as e:
            files = url.cert if url.key is None else f"{url.cert} and {url.key}"
            raise BrokerUrlError(
                f"cannot use the client certificate {files} from the broker URL: {_reason(e)}"
            ) from None
    if url.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def set_nodelay(sock: Any) -> None:
    """Turn off Nagle's algorithm on a TCP socket (plain or TLS); other sockets are left alone."""
    if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def keep_nodelay(then: Any = None) -> Any:
    """An `on_socket_open` callback that sets TCP_NODELAY, then calls `then(client, userdata, sock)`."""

    def on_socket_open(client: paho.Client, userdata: Any, sock: Any) -> None:
        set_nodelay(sock)
        if then is not None:
            then(client, userdata, sock)

    return on_socket_open


def _query(query: str, shown: str) -> dict[str, str]:
    if not query:
        return {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise BrokerUrlError(f"broker URL {shown!r} has a query that is not name=value pairs joined by '&'") from None
    options: dict[str, str] = {}
    for name, value in pairs:
        if name not in _TLS_OPTIONS:
            raise BrokerUrlError(
                f"broker URL {shown!r} has an unknown option {name!r}; the options are ca, cert, key and insecure"
            )
        if name in options:
            raise BrokerUrlError(f"broker URL {shown!r} gives {name}= twice")
        options[name] = value
    return options


def _redact(text: str) -> str:
    """The URL with any password replaced by ***, for error messages."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    userinfo, at, hostport = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = userinfo.split(":", 1)[0] + ":***@" + hostport
    return f"{scheme}://{authority}{tail}"


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return str(getattr(e, "reason", None) or e).lower()
