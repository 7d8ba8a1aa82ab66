"""The live link from a hall to its district: a Mosquitto bridge, and the district broker's side.

A hall's own broker carries a bridge to the district broker (one Mosquitto per district). The
bridge sends up, under the hall's own `hall/{hall}/…`, exactly what the district web shows:

    hall/{hall}/board               the retained board (waiting, estimated waits, recent calls)
    hall/{hall}/controller/state    the controller's retained presence
    hall/{hall}/dev/+/state         every device's retained presence, paper and faults
    hall/{hall}/alerts              alerts as they happen
    hall/{hall}/bridge/state        the bridge's own presence: "1" while linked, "0" (its last
                                    will on the district broker) when the link drops

Nothing comes down: there is no `in` topic, so the district cannot reach a device or the
controller through the bridge. A hall keeps working alone: the bridge is the broker's business,
never on the path of a ticket, a call or a rating.

Catching up after a long cut: the bridge reconnects by itself (`restart_timeout`, backoff up to
a minute), and on every connect Mosquitto sends the current retained messages of the `out`
topics again, so the district gets today's board and device states however long the link was
down. `cleansession false` with a fixed client id keeps the bridge's session on both brokers;
QoS 1 alerts published while the link was down wait in the hall broker's queue
(`max_queued_messages`, oldest dropped beyond it: an alert hours old is history, which the
district reads from the shipped journal in PostgreSQL).

The district side: `district_files` writes the district broker's password file and ACL, with one
user per hall (`hall-{hall}`) that may publish only under its own `hall/{hall}/…`, and one user
for the district web that reads every hall. `hall provision --district-broker` is its command.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from hall.mqtt import BrokerUrl, BrokerUrlError, parse_broker_url

WEB_USER = "district-web"
PASSWORD_ENV = "HALL_DISTRICT_PASSWORD"
OUT_TOPICS = ("board", "controller/state", "dev/+/state", "alerts")
QUEUED_MESSAGES = 10_000
HALL_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class BridgeError(ValueError):
    """The district link cannot be set up as asked; the message is one sentence."""


def hall_user(hall: str) -> str:
    """The district broker's user name for a hall's bridge."""
    return f"hall-{hall}"


def bridge_state_topic(hall: str) -> str:
    return f"hall/{hall}/bridge/state"


@dataclass(frozen=True)
class District:
    """Where the district broker is and how this hall's bridge logs in to it."""

    url: BrokerUrl  # with the hall's user name and password

    @property
    def address(self) -> str:
        host = f"[{self.url.host}]" if ":" in self.url.host else self.url.host
        return f"{host}:{self.url.port}"


def read_district(arg: str, environ: dict[str, str] | None = None) -> District:
    """`--district`: the path of the `.url` file `hall provision --district-broker` wrote for this
    hall (it holds the password), or the district broker's URL with the user name only and the
    password in HALL_DISTRICT_PASSWORD. A password on the command line is refused: others on the
    machine can read command lines."""
    environ = os.environ if environ is None else environ
    path = Path(arg)
    if "://" not in arg:
        try:
            text = path.read_text().strip()
        except OSError as e:
            raise BridgeError(
                f"--district {arg!r}: cannot read the district credentials file ({e.strerror or e})"
            ) from None
        source = f"the file {arg}"
    else:
        text, source = arg, "--district"
    try:
        url = parse_broker_url(text)
    except BrokerUrlError as e:
        raise BridgeError(f"{source}: {e}") from None
    if source == "--district" and url.password is not None:
        raise BridgeError(
            "--district has a password in it, which others on this machine could read: "
            f"pass the credentials file instead, or the URL without the password and the password in {PASSWORD_ENV}"
        )
    if url.username is None:
        raise BridgeError(
            f"{source} names no user: the district gives each hall a user hall-<id> (hall provision --district-broker)"
        )
    if url.password is None:
        password = environ.get(PASSWORD_ENV, "")
        if not password:
            raise BridgeError(f"no password for the district broker: set {PASSWORD_ENV} or pass the credentials file")
        url = url.with_credentials(url.username, password)
    return District(url)


RESTART_S = (5, 60)  # first retry after about 5 s, backing off (with jitter) to one a minute


def bridge_conf(hall: str, district: District, restart_s: tuple[int, int] = RESTART_S) -> str:
    """The bridge section for the hall broker's config (it holds the password: keep it 0600).
    The retry backoff has jitter, so 3,000 halls do not all knock at the same second after the
    district broker restarts."""
    _line_safe(district.url.password or "", "the district password")
    url = district.url
    lines = [
        "",
        "# --- The live link to the district (hall_controller/bridge.py, docs/district.md). ---",
        "# Only these topics go up, only under this hall; nothing comes down (no `in` topic).",
        f"max_queued_messages {QUEUED_MESSAGES}",
        "connection district",
        f"address {district.address}",
        "bridge_protocol_version mqttv311",
        "try_private true",
        "cleansession false",
        f"remote_clientid {hall_user(hall)}",
        f"local_clientid {hall_user(hall)}-bridge",
        f"remote_username {url.username}",
        f"remote_password {url.password}",
        "start_type automatic",
        f"restart_timeout {restart_s[0]} {restart_s[1]}",
        "keepalive_interval 30",
        "notifications true",
        "notifications_local_only false",
        f"notification_topic {bridge_state_topic(hall)}",
    ]
    lines += [f"topic {topic} out 1 hall/{hall}/ hall/{hall}/" for topic in OUT_TOPICS]
    if url.tls:
        if url.ca:
            lines.append(f"bridge_cafile {Path(url.ca).resolve()}")
        else:
            lines.append("bridge_capath /etc/ssl/certs")
        if url.cert:
            lines.append(f"bridge_certfile {Path(url.cert).resolve()}")
            lines.append(f"bridge_keyfile {Path(url.key).resolve()}")
        lines.append("bridge_tls_version tlsv1.2")
        lines.append(f"bridge_insecure {'true' if url.insecure else 'false'}")
    else:
        lines += [
            "# Plain MQTT: only on a private network. Across a WAN give an mqtts:// district URL;",
            "# the bridge then verifies the district's certificate (bridge_cafile) and speaks TLS 1.2+.",
        ]
    return "\n".join(lines) + "\n"


# --- the district broker ------------------------------------------------------------------------


def district_acl(halls: list[str]) -> str:
    lines = [
        "# Generated by `hall provision --district-broker`. Each hall publishes only under its own",
        "# hall/<id>/…, and only what its bridge sends up; the district web reads everything.",
        f"user {WEB_USER}",
        "topic read hall/#",
        "",
    ]
    for hall in halls:
        base = f"hall/{hall}"
        lines += [
            f"user {hall_user(hall)}",
            *(f"topic write {base}/{t}" for t in OUT_TOPICS),
            f"topic readwrite {base}/bridge/state",
            "",
        ]
    return "\n".join(lines)


def district_conf(folder: Path, port: int) -> str:
    return "\n".join(
        [
            "# Generated by `hall provision --district-broker`. Run with mosquitto -c, or include it.",
            "per_listener_settings false",
            f"listener {port}",
            "allow_anonymous false",
            f"password_file {folder / 'passwd'}",
            f"acl_file {folder / 'acl'}",
            "set_tcp_nodelay true",
            "max_packet_size 65536",
            "# Between halls and the district across a WAN, use TLS (docs/district.md):",
            "# listener 8883",
            "# cafile /etc/hall/tls/ca.crt",
            "# certfile /etc/hall/tls/district.crt",
            "# keyfile /etc/hall/tls/district.key",
            "# tls_version tlsv1.2",
            "",
        ]
    )


def parse_halls(text: str) -> list[str]:
    halls = [h.strip() for h in text.split(",") if h.strip()]
    if not halls:
        raise BridgeError("--halls names no hall; give them like --halls xinhua,dongcheng")
    for hall in halls:
        if not HALL_ID.match(hall):
            raise BridgeError(
                f"hall id {hall!r} is not one: lower-case letters, digits, - or _, a letter or digit first"
            )
    if len(set(halls)) != len(halls):
        raise BridgeError("--halls names a hall twice")
    return halls


def district_files(halls: list[str], out: Path, broker: str, rotate: bool = False) -> dict[str, str]:
    """Write the district broker's files and one credentials file per hall and for the web:

        mosquitto/passwd, mosquitto/acl, mosquitto/district.conf
        credentials/hall-<id>.url     give to that hall: `hall provision --district FILE`
        credentials/district-web.url  for `hall district --broker FILE`

    Returns {user: password}. Re-running keeps the passwords of halls that stay."""
    from hall_controller.provision import _existing, _hand_to_broker, _write_secret, password_hash

    try:
        url = parse_broker_url(broker)
    except BrokerUrlError as e:
        raise BridgeError(f"--broker: {e}") from None
    if url.username is not None:
        raise BridgeError("--broker is the address halls use to reach the district broker; give it without a user")
    users = [WEB_USER, *(hall_user(h) for h in halls)]
    creds = out / "credentials"
    old = {} if rotate else _existing(creds, users)
    passwords = {u: old.get(u) or secrets.token_urlsafe(18) for u in users}
    mosq = out / "mosquitto"
    mosq.mkdir(parents=True, exist_ok=True)
    creds.mkdir(parents=True, exist_ok=True)
    _write_secret(mosq / "passwd", "".join(f"{u}:{password_hash(p)}\n" for u, p in passwords.items()))
    (mosq / "acl").write_text(district_acl(halls))
    _hand_to_broker(mosq / "passwd", mosq / "acl")
    (mosq / "district.conf").write_text(district_conf(mosq.resolve(), url.port))
    for stale in creds.glob("*.url"):
        if stale.stem not in passwords:
            stale.unlink()
    for user, password in passwords.items():
        _write_secret(creds / f"{user}.url", url.with_credentials(user, password).geturl() + "\n")
    return passwords


def _line_safe(value: str, what: str) -> None:
    if any(c in value for c in "\r\n") or value != value.strip():
        raise BridgeError(f"{what} cannot go into a mosquitto config (a line break or leading or trailing space)")


__all__ = [
    "BridgeError",
    "District",
    "OUT_TOPICS",
    "PASSWORD_ENV",
    "WEB_USER",
    "bridge_conf",
    "bridge_state_topic",
    "district_acl",
    "district_conf",
    "district_files",
    "hall_user",
    "parse_halls",
    "read_district",
]
