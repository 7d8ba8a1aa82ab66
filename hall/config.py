"""The hall description (`hall.toml`): services, counters, devices, dispatch rules.

Every program reads the same file. It is checked completely on load, so a typo stops the
program at once with one sentence naming the field, instead of a kiosk that prints the wrong
service at nine in the morning. The dataclasses here are plain data: the engine takes them
without knowing where they came from.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar, overload

TICKET_CLASSES = ("normal", "priority", "appointment")  # every hall's; [classes] may add priority classes
MAX_PRIORITY_CLASSES = 8  # further priority classes a hall file may name (elderly, disabled, pregnant, ...)
# How a kiosk offers priority (elderly, disabled, pregnant): "staff" (the default): the citizen asks,
# the ticket waits as normal until a clerk or a supervisor confirms it; "self": asking is enough;
# "off": no priority choice at this kiosk.
PRIORITY_MODES = ("staff", "self", "off")
DISPLAY_MODES = ("hall", "counter")
PAUSE_REASONS = ("break", "meal", "meeting", "consultation", "training", "system", "other")
OUTCOMES = ("completed", "materials_incomplete", "referred", "refused", "collect_later")


class ConfigError(ValueError):
    """The hall file is wrong; the message names the field and the problem in one sentence."""


@dataclass(frozen=True)
class Names:
    zh: str
    en: str


@dataclass(frozen=True)
class Service:
    id: str
    prefix: str
    names: Names
    first_number: int
    last_number: int
    reset_time: dt.time | None  # None: numbers never reset (a 24-hour service)
    target_wait_s: float
    mean_service_s: float
    materials: tuple[str, ...] = ()

    @property
    def number_width(self) -> int:
        return max(3, len(str(self.last_number)))

    def display_number(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.number_width}d}"


@dataclass(frozen=True)
class Counter:
    number: int
    names: Names
    primary: tuple[str, ...]
    backup: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # empty: every class
    class_mode: str = "only"  # "only": serve just `classes`; "first": prefer them, then anyone
    #: (normal, priority): when both wait, call this many normal tickets, then this many of the
    #: priority classes, in turn ("2:1"), instead of the head start alone; None: the head start
    interleave: tuple[int, int] | None = None

    def level(self, service: str) -> int | None:
        if service in self.primary:
            return 1
        if service in self.backup:
            return 2
        return None


@dataclass(frozen=True)
class Dispatch:
    head_start_s: dict[str, float]  # ticket class -> head start (seconds); every class of the hall
    recall_limit: int = 2
    reinstate_window_s: float = 30 * 60
    reservation_timeout_s: float = 120
    rating_timeout_s: float = 30
    long_queue: int = 15
    long_service_factor: float = 3.0
    offline_block_size: int = 50
    appointment_early_s: float = 30 * 60
    appointment_late_s: float = 15 * 60
    #: the classes staff or a kiosk may give a ticket for a head start: "priority" and those the
    #: hall file adds under [classes] (elderly, disabled, pregnant), which reports tell apart
    priority_classes: tuple[str, ...] = ("priority",)
    no_show_wait_s: float = 30  # after a call was heard, this long before a clerk may mark a no-show
    # no display announced a call this long after it was made: alert. A screen reports a call spoken
    # when it has finished saying it, so this must be longer than one whole announcement (with its
    # repeat and English, about 30 s in the example hall)
    announce_within_s: float = 60
    display_behind_s: float = 60  # a display starting a call this late is falling behind: alert


@dataclass(frozen=True)
class Kiosk:
    id: str
    services: tuple[str, ...]
    button_pins: dict[str, int] = field(default_factory=dict)
    priority_pin: int | None = None
    printer: str = "sim"
    paper_mm: int = 80
    text_mode: bool = False
    large_print: bool = False
    touch: bool = False
    priority: str = "staff"  # one of PRIORITY_MODES


@dataclass(frozen=True)
class Evaluator:
    id: str
    counter: int
    button_pins: tuple[int, ...] = ()  # levels 4, 3, 2, 1 (非常满意 … 不满意)
    led_pins: tuple[int, ...] = ()
    buzzer_pin: int | None = None


@dataclass(frozen=True)
class Caller:
    id: str
    counter: int


@dataclass(frozen=True)
class Display:
    id: str
    mode: str = "hall"
    counter: int | None = None
    size: tuple[int, int] = (1920, 1080)
    voice: str | None = None  # espeak | chime | none | clips:FOLDER; None: espeak else chime (hall), none (counter)
    repeats: int = 2  # how many times each call is said


@dataclass(frozen=True)
class Hall:
    id: str
    names: Names
    timezone: str
    ticket_url: str
    footer: Names
    notice: Names
    services: dict[str, Service]
    counters: dict[int, Counter]
    dispatch: Dispatch
    kiosks: dict[str, Kiosk]
    evaluators: dict[str, Evaluator]
    callers: dict[str, Caller]
    displays: dict[str, Display]
    broker_listen: str = ""  # "ADDRESS:PORT" the hall's own Mosquitto listens on ("" : not named)
    #: who hears of alerts, and how (hall/alerting.py); left out of repr, so changing it does not
    #: make the journal's snapshots look like another hall's
    alerts: Any = field(default=None, repr=False, compare=False)

    @property
    def ticket_classes(self) -> tuple[str, ...]:
        """normal, priority, appointment, then the hall's own priority classes, in file order."""
        return tuple(self.dispatch.head_start_s)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def device_role(self, device_id: str) -> str | None:
        for role, table in (
            ("kiosk", self.kiosks),
            ("evaluator", self.evaluators),
            ("caller", self.callers),
            ("display", self.displays),
        ):
            if device_id in table:
                return role
        return None


# --- loading -------------------------------------------------------------------------------


def load(path: str | Path) -> Hall:
    """Read and check a hall file; raise ConfigError with one sentence on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"hall file {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    return parse(raw)


def parse(raw: dict[str, Any]) -> Hall:
    """Check a hall description already read from TOML (or built in code, e.g. by `hall simulate`)."""
    from hall import alerting  # it builds on this module's reader

    r = _Reader(raw, "")
    hall_t = r.table("hall")
    alerts = alerting.parse(r.table("alerts", required=False))
    dispatch_t = r.table("dispatch", required=False)
    classes_t = r.table("classes", required=False)
    services = _unique([_service(t) for t in r.tables("services")], "services", "id")
    if not services:
        raise ConfigError("services: a hall needs at least one service")
    prefixes = [s.prefix for s in services.values()]
    for p in prefixes:
        if any(q != p and q.startswith(p) for q in prefixes):
            raise ConfigError(f"services: prefix {p!r} is the start of another prefix, so tickets could be misread")
    if len(set(prefixes)) != len(prefixes):
        raise ConfigError("services: two services share a ticket prefix")
    dispatch = _dispatch(dispatch_t, classes_t)
    counters = _unique([_counter(t, services, dispatch) for t in r.tables("counters")], "counters", "number")
    if not counters:
        raise ConfigError("counters: a hall needs at least one counter")
    for sid in services:
        if not any(c.level(sid) == 1 for c in counters.values()):
            raise ConfigError(
                f"services.{sid}: no counter has it as a primary skill, so its tickets would never be called"
            )
    hall = Hall(
        id=hall_t.string("id", pattern=r"[a-z0-9][a-z0-9_-]{0,39}", what="lower-case letters, digits, - or _"),
        names=hall_t.names("name"),
        timezone=hall_t.timezone("timezone", default="Asia/Shanghai"),
        ticket_url=hall_t.string("ticket_url", default="http://hall.local:8080/t/"),
        footer=hall_t.names("footer", default=Names("", "")),
        notice=hall_t.names("notice", default=Names("", "")),
        services=services,
        counters=counters,
        dispatch=dispatch,
        kiosks=_unique([_kiosk(t, services) for t in r.tables("kiosks")], "kiosks", "id"),
        evaluators=_unique([_evaluator(t, counters) for t in r.tables("evaluators")], "evaluators", "id"),
        callers=_unique([_caller(t, counters) for t in r.tables("callers")], "callers", "id"),
        displays=_unique([_display(t, counters) for t in r.tables("displays")], "displays", "id"),
        broker_listen=hall_t.string(
            "broker_listen", default="", pattern=BROKER_LISTEN, what='an address and port like "192.168.10.2:1883"'
        ),
        alerts=alerts,
    )
    for t in (hall_t, dispatch_t, classes_t, r):
        t.done()
    seen: dict[str, str] = {}
    for role, table in (
        ("kiosks", hall.kiosks),
        ("evaluators", hall.evaluators),
        ("callers", hall.callers),
        ("displays", hall.displays),
    ):
        for device_id in table:
            if device_id in seen:
                raise ConfigError(f"{role}: device id {device_id!r} is also used in {seen[device_id]}")
            seen[device_id] = role
    return hall


#: `broker_listen`: an IPv4 address or a [bracketed] IPv6 address, a colon, a port (or empty)
BROKER_LISTEN = r"|(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}"

MAX_NUMBER = 999_999  # six digits: what a screen, a ticket and the voice can all carry


def _service(t: _Reader) -> Service:
    first, last = t.int_pair("numbers", default=(1, 999), minimum=0)
    if last > MAX_NUMBER:
        raise ConfigError(f"{t.path('numbers')}: ticket numbers go up to {MAX_NUMBER:,} (six digits), not {last:,}")
    reset = t.string("reset", default="00:00")
    s = Service(
        id=t.string("id", pattern=r"[a-z][a-z0-9_]{0,31}", what="lower-case letters, digits or _"),
        prefix=t.string("prefix", pattern=r"[A-Z]{1,3}", what="one to three capital letters"),
        names=t.names("name"),
        first_number=first,
        last_number=last,
        reset_time=None if reset == "never" else _clock_time(reset, t.path("reset")),
        target_wait_s=t.number("target_wait_min", default=20, minimum=1) * 60,
        mean_service_s=t.number("mean_service_min", default=6, minimum=0.1) * 60,
        materials=tuple(t.strings("materials", default=())),
    )
    t.done()
    return s


def _counter(t: _Reader, services: dict[str, Service], dispatch: Dispatch) -> Counter:
    number = t.int("number", minimum=1, maximum=999)
    primary = t.strings("primary", choices=services)
    backup = t.strings("backup", default=(), choices=services)
    if not primary:
        raise ConfigError(f"{t.path('primary')}: a counter needs at least one primary service")
    both = set(primary) & set(backup)
    if both:
        raise ConfigError(f"{t.path('backup')}: {sorted(both)[0]!r} is already a primary skill of counter {number}")
    c = Counter(
        number=number,
        names=t.names("name", default=Names(f"{number}号窗口", f"Counter {number}")),
        primary=tuple(primary),
        backup=tuple(backup),
        classes=_counter_classes(t.strings("classes", default=(), choices=dispatch.head_start_s), dispatch),
        class_mode=t.string("class_mode", default="only", choices=("only", "first")),
        interleave=_interleave(t),
    )
    if c.interleave is not None and c.classes:
        raise ConfigError(
            f"{t.path('interleave')}: a counter restricted to classes serves them by its class_mode; "
            "interleave is for counters that serve every class"
        )
    t.done()
    return c


def _interleave(t: _Reader) -> tuple[int, int] | None:
    text = t.string("interleave", default="off")
    if text == "off":
        return None
    m = re.fullmatch(r"([1-9][0-9]?):([1-9][0-9]?)", text)
    if m is None:
        raise ConfigError(f'{t.path("interleave")}: {text!r} is not NORMAL:PRIORITY such as "2:1", or "off"')
    return int(m.group(1)), int(m.group(2))


def _counter_classes(listed: list[str], dispatch: Dispatch) -> tuple[str, ...]:
    """A counter for "priority" tickets serves every priority class of the hall."""
    if "priority" in listed:
        listed += [k for k in dispatch.priority_classes if k not in listed]
    return tuple(listed)


def _dispatch(t: _Reader, classes: _Reader) -> Dispatch:
    head = {"normal": 0.0}
    for klass in TICKET_CLASSES[1:]:
        head[klass] = (
            classes.number(klass, default={"priority": 10, "appointment": 15}[klass], minimum=0, maximum=240) * 60
        )
    # any other name is a priority class of this hall, with its own head start
    extra = list(classes.raw)
    if len(extra) > MAX_PRIORITY_CLASSES:
        raise ConfigError(
            f"classes: at most {MAX_PRIORITY_CLASSES} priority classes besides priority and "
            f"appointment, not {len(extra)}"
        )
    for klass in extra:
        if klass == "normal":
            raise ConfigError("classes.normal: normal tickets have no head start; name the priority classes")
        _check_string(klass, classes.path(klass), r"[a-z][a-z0-9_]{0,31}", "lower-case letters, digits or _", None)
        head[klass] = classes.number(klass, minimum=0, maximum=240) * 60
    return Dispatch(
        head_start_s=head,
        priority_classes=("priority", *extra),
        recall_limit=t.int("recall_limit", default=2, minimum=0, maximum=10),
        reinstate_window_s=t.number("reinstate_min", default=30, minimum=0) * 60,
        reservation_timeout_s=t.number("reservation_s", default=120, minimum=5),
        rating_timeout_s=t.number("rating_timeout_s", default=30, minimum=3),
        long_queue=t.int("long_queue", default=15, minimum=1),
        long_service_factor=t.number("long_service_factor", default=3.0, minimum=1.1),
        offline_block_size=t.int("offline_block", default=50, minimum=1, maximum=1000),
        appointment_early_s=t.number("appointment_early_min", default=30, minimum=0) * 60,
        appointment_late_s=t.number("appointment_late_min", default=15, minimum=0) * 60,
        no_show_wait_s=t.number("no_show_wait_s", default=30, minimum=0, maximum=600),
        announce_within_s=t.number("announce_within_s", default=60, minimum=5, maximum=600),
        display_behind_s=t.number("display_behind_s", default=60, minimum=5, maximum=3600),
    )


def _kiosk(t: _Reader, services: dict[str, Service]) -> Kiosk:
    kiosk_services = t.strings("services", choices=services)
    if not kiosk_services:
        raise ConfigError(f"{t.path('services')}: a kiosk needs at least one service")
    pins = t.pin_map("buttons", keys=kiosk_services)
    k = Kiosk(
        id=_device_id(t),
        services=tuple(kiosk_services),
        button_pins=pins,
        priority_pin=t.pin("priority_button", default=None),
        printer=t.string("printer", default="sim"),
        paper_mm=t.int("paper_mm", default=80, choices=(58, 80)),
        text_mode=t.bool("text_mode", default=False),
        large_print=t.bool("large_print", default=False),
        touch=t.bool("touch", default=False),
        priority=t.string("priority", default="staff", choices=PRIORITY_MODES),
    )
    if k.priority == "off" and k.priority_pin is not None:
        raise ConfigError(
            f'{t.path("priority_button")}: this kiosk offers no priority (priority = "off"); '
            'remove the button or choose "staff" or "self"'
        )
    _distinct_pins(t, list(pins.values()) + ([k.priority_pin] if k.priority_pin is not None else []))
    t.done()
    return k


def _evaluator(t: _Reader, counters: dict[int, Counter]) -> Evaluator:
    e = Evaluator(
        id=_device_id(t),
        counter=t.int("counter", choices=counters),
        button_pins=tuple(t.pins("buttons", count=4, default=())),
        led_pins=tuple(t.pins("leds", count=4, default=())),
        buzzer_pin=t.pin("buzzer", default=None),
    )
    _distinct_pins(t, [*e.button_pins, *e.led_pins, *([e.buzzer_pin] if e.buzzer_pin is not None else [])])
    t.done()
    return e


def _caller(t: _Reader, counters: dict[int, Counter]) -> Caller:
    c = Caller(id=_device_id(t), counter=t.int("counter", choices=counters))
    t.done()
    return c


def _display(t: _Reader, counters: dict[int, Counter]) -> Display:
    mode = t.string("mode", default="hall", choices=DISPLAY_MODES)
    counter = t.int("counter", default=None, choices=counters)
    if mode == "counter" and counter is None:
        raise ConfigError(f"{t.path('counter')}: a display in counter mode needs the counter it stands above")
    w, h = t.int_pair("size", default=(1920, 1080), minimum=320, ordered=False)
    voice = t.string("voice", default="auto")
    if voice not in ("auto", "espeak", "chime", "none") and not (voice.startswith("clips:") and len(voice) > 6):
        raise ConfigError(f"{t.path('voice')}: {voice!r} is not espeak, chime, none or clips:FOLDER")
    d = Display(
        id=_device_id(t),
        mode=mode,
        counter=counter,
        size=(w, h),
        voice=None if voice == "auto" else voice,
        repeats=t.int("repeats", default=2, minimum=1, maximum=5),
    )
    t.done()
    return d


def _device_id(t: _Reader) -> str:
    return t.string("id", pattern=r"[A-Za-z][A-Za-z0-9_-]{0,31}", what="a letter then letters, digits, - or _")


def _distinct_pins(t: _Reader, pins: list[int]) -> None:
    dupes = {p for p in pins if pins.count(p) > 1}
    if dupes:
        raise ConfigError(f"{t.prefix}: GPIO pin {min(dupes)} is used twice")


def _clock_time(text: str, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f'{where}: {text!r} is not a time of day like "00:00" (or "never")') from None


_Item = TypeVar("_Item")


def _unique(items: Iterable[_Item], where: str, key: str) -> dict[Any, _Item]:
    out: dict[Any, _Item] = {}
    for item in items:
        k = getattr(item, key)
        if k in out:
            raise ConfigError(f"{where}: {key} {k!r} appears twice")
        out[k] = item
    return out


class TableReader:
    """Takes values out of one TOML table, checking each; `done()` rejects leftover keys (typos).

    The base of the hall file's reader and of the scenario file's: each says which error it raises
    (`error`) and adds the typed getters its file needs. Every message starts with the field's path.
    """

    error: type[Exception] = ConfigError
    REQUIRED = object()

    def __init__(self, raw: Any, prefix: str):
        if not isinstance(raw, dict):
            raise self.error(f"{prefix or 'the file'}: expected a table")
        self.raw = dict(raw)
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def _take(self, key: str, default: Any) -> Any:
        if key in self.raw:
            return self.raw.pop(key)
        if default is self.REQUIRED:
            raise self.error(f"{self.path(key)}: missing")
        return default

    def done(self) -> None:
        if self.raw:
            raise self.error(f"{self.path(sorted(self.raw)[0])}: unknown field")

    def table(self, key: str, required: bool = True) -> Self:
        return type(self)(self._take(key, self.REQUIRED if required else {}), self.path(key))

    def tables(self, key: str) -> list[Self]:
        items = self._take(key, [])
        if not isinstance(items, list):
            raise self.error(f"{self.path(key)}: expected a list of tables ([[{key}]])")
        return [type(self)(item, f"{self.path(key)}[{i}]") for i, item in enumerate(items)]


class _Reader(TableReader):
    """The hall file's getters."""

    def string(
        self,
        key: str,
        default: str | None = None,
        *,
        pattern: str | None = None,
        what: str = "",
        choices: Iterable[str] | None = None,
    ) -> str:
        value = self._take(key, self.REQUIRED if default is None else default)
        return _check_string(value, self.path(key), pattern, what, choices)

    def strings(self, key: str, default: Any = None, *, choices: Iterable[str] | None = None) -> list[str]:
        value = self._take(key, self.REQUIRED if default is None else default)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{self.path(key)}: expected a list of strings")
        out = [_check_string(v, f"{self.path(key)}[{i}]", None, "", choices) for i, v in enumerate(value)]
        if len(set(out)) != len(out):
            raise ConfigError(f"{self.path(key)}: lists the same entry twice")
        return out

    def names(self, key: str, default: Names | None = None) -> Names:
        value = self._take(key, self.REQUIRED if default is None else default)
        if isinstance(value, Names):
            return value
        t = _Reader(value, self.path(key))
        n = Names(zh=t.string("zh"), en=t.string("en"))
        t.done()
        return n

    def number(
        self, key: str, default: float | None = None, *, minimum: float | None = None, maximum: float | None = None
    ) -> float:
        value = self._take(key, self.REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{self.path(key)}: expected a number, got {value!r}")
        _check_range(value, self.path(key), minimum, maximum)
        return float(value)

    # `builtins.int` from here on: below this getter, `int` in an annotation would name it, not the type
    @overload
    def int(
        self,
        key: str,
        default: builtins.int = ...,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
        choices: Iterable[builtins.int] | None = None,
    ) -> builtins.int: ...
    @overload
    def int(
        self,
        key: str,
        default: None,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
        choices: Iterable[builtins.int] | None = None,
    ) -> builtins.int | None: ...

    def int(
        self,
        key: str,
        default: Any = ...,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Iterable[int] | None = None,
    ) -> int | None:
        value = self._take(key, self.REQUIRED if default is ... else default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.path(key)}: expected a whole number, got {value!r}")
        _check_range(value, self.path(key), minimum, maximum)
        if choices is not None and value not in choices:
            raise ConfigError(f"{self.path(key)}: {value} is not one of {sorted(choices)}")
        return value

    def int_pair(
        self, key: str, default: tuple[builtins.int, builtins.int], minimum: builtins.int, ordered: bool = True
    ) -> tuple[builtins.int, builtins.int]:
        value = self._take(key, default)
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise ConfigError(f"{self.path(key)}: expected two whole numbers like [{default[0]}, {default[1]}]")
        a, b = value
        _check_range(min(a, b), self.path(key), minimum, None)
        if ordered and b < a:
            raise ConfigError(f"{self.path(key)}: the second number must not be smaller than the first")
        return a, b

    def bool(self, key: str, default: bool) -> bool:
        value = self._take(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.path(key)}: expected true or false, got {value!r}")
        return value

    def timezone(self, key: str, default: str) -> str:
        value = self.string(key, default=default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f'{self.path(key)}: {value!r} is not a known time zone (like "Asia/Shanghai")') from None
        return value

    def pin(self, key: str, default: builtins.int | None) -> builtins.int | None:
        return self.int(key, default=default, minimum=0, maximum=27)

    def pins(self, key: str, count: builtins.int, default: Any) -> list[builtins.int]:
        value = self._take(key, default)
        if value == default:
            return list(value)
        if not isinstance(value, list) or len(value) != count:
            raise ConfigError(f"{self.path(key)}: expected a list of {count} GPIO pin numbers")
        return [self._pin_value(v, f"{self.path(key)}[{i}]") for i, v in enumerate(value)]

    def pin_map(self, key: str, keys: list[str]) -> dict[str, builtins.int]:
        value = self._take(key, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path(key)}: expected a table of service = GPIO pin")
        for k in value:
            if k not in keys:
                raise ConfigError(f"{self.path(key)}.{k}: not one of this kiosk's services")
        return {k: self._pin_value(v, f"{self.path(key)}.{k}") for k, v in value.items()}

    @staticmethod
    def _pin_value(v: Any, where: str) -> builtins.int:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 27:
            raise ConfigError(f"{where}: {v!r} is not a GPIO pin number (0-27)")
        return v


def _check_string(value: Any, where: str, pattern: str | None, what: str, choices: Iterable[str] | None) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected text, got {value!r}")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ConfigError(f"{where}: {value!r} must be {what}")
    if choices is not None and value not in choices:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(sorted(choices))}")
    return value


def _check_range(value: float, where: str, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}: {value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}: {value} is above the maximum {maximum}")
