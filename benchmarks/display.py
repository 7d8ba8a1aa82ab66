"""The calling screen: frame cost, idle cost, how fast a call reaches the screen, its memory.

- Frame render time at 1920×1080 (software, `BoardPainter.paint` into the frame the screen
  shows): a morning of states as the display's machine makes them (a new call every 25 frames, its
  blink, the notice scrolling every frame), mean and p99. DESIGN.md: ≤ 8 ms. As on the screen,
  the other blink phase of a new call is drawn once right after its first frame is shown (not
  timed: it is off the frame path), and the screen's very first frame is drawn before timing.
- Idle CPU of `hall display` (a real process, SDL's dummy video driver, a window) while nothing
  changes, over 10 s, with the espeak voice ready and without a voice; and, for context, while a
  long notice scrolls (30 steps a second). DESIGN.md: < 2 %.
- Call → frame with the call: calls published on a real mosquitto as the controller publishes
  them (call.made, then the board), 200 of them at 20 a second, to a screen running in this
  process; from the publish to the moment the frame showing that call is on the screen.
  DESIGN.md: p99 ≤ 50 ms on loopback.
- Peak RSS of the `hall display` process (voice ready, after a call). DESIGN.md: ≤ 120 MB.
- A burst of 20 calls made within 2 seconds (20 clerks pressing "call next" at the opening), through
  a real `hall controller` process and mosquitto, on one hall screen with the example hall's voice
  (espeak-ng, each call said twice when nothing waits); every clerk then presses "no-show" every
  half second until the controller accepts it. Figures: how many calls were spoken exactly once
  (goal 20), how many no-shows were accepted before the end of the call's first announcement (goal
  0), and the time from the burst to the end of the last announcement over the summed length of
  the sounds played (goal ≤ 1.2; the sound can go no faster than 1.0). The sound card is stood in
  for by a player that takes exactly each sound's length (SDL's dummy audio driver runs about 8 %
  slow, which would be measured instead of the screen).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import halls
from benchmarks.figures import Figure
from benchmarks.mqtt import peak_rss_mb, percentile
from hall import config
from hall.mqtt import close_client, make_client, parse_broker_url
from hall_controller.broker import MosquittoBroker
from protocol import topics

FRAMES = 2000
CALLS = 200
CALL_RATE = 20.0
IDLE_S = 10.0
SHORT_NOTICE = {"zh": "中午不休息", "en": "Open at lunch time"}
LONG_NOTICE = {
    "zh": "办理不动产登记请携带原件;中午不休息,周六上午正常办理。",
    "en": "Bring originals for property registration. Open at lunch time and on Saturday mornings.",
}
ROOT = Path(__file__).resolve().parents[1]


def bench_hall(notice: dict) -> dict:
    raw = halls.raw()
    raw["hall"]["notice"] = notice
    raw["hall"]["timezone"] = "Asia/Shanghai"
    return raw


# --- frames -----------------------------------------------------------------------------------------


def frame_times() -> tuple[list[float], list[float]]:
    """Paint FRAMES states at 1920×1080; (every frame's seconds, the seconds of frames showing a new call)."""
    import pygame

    from devices.display.machine import DisplayMachine
    from devices.display.render import BoardPainter
    from protocol.envelope import format_epoch, make_message
    from protocol.topics import Kind

    hall = config.parse(bench_hall(LONG_NOTICE))
    painter = BoardPainter()
    size = (1920, 1080)
    frame = pygame.Surface(size)
    t0 = 1_795_395_600.0
    machine = DisplayMachine(
        hall,
        hall.displays["D1"],
        notice_scrolls=lambda n: painter.notice_scrolls(n, size),
        notice_speed=size[1] * 0.08,
        scroll_step_s=1 / 30,
        started=t0,
    )
    services = [
        {
            "id": s.id,
            "prefix": s.prefix,
            "name": {"zh": s.names.zh, "en": s.names.en},
            "waiting": 7,
            "estimated_wait_s": 900,
        }
        for s in hall.services.values()
    ]
    machine.receive(
        Kind.BOARD,
        make_message(
            "board.snapshot",
            {"call_seq": 0, "calls": [], "services": services, "counters": [], "notice": LONG_NOTICE, "incident": None},
        ),
        t0,
    )
    painter.paint(machine.state(t0), frame)  # the screen's first frame, drawn once at start
    times, new_call = [], []
    seq = 0
    for i in range(FRAMES):
        now = t0 + i / 30
        fresh = i % 25 == 0
        if fresh:
            seq += 1
            service = list(hall.services.values())[seq % len(hall.services)]
            machine.receive(
                Kind.CALLS,
                make_message(
                    "call.made",
                    {
                        "seq": seq,
                        "ticket": f"t{seq}",
                        "label": f"{service.prefix}{seq:03d}",
                        "service": service.id,
                        "counter": 1 + seq % 10,
                        "recall": False,
                        "at": format_epoch(now),
                    },
                ),
                now,
            )
            machine.voice_pending.clear()
        state = machine.state(now)
        started = time.perf_counter()
        painter.paint(state, frame)
        took = time.perf_counter() - started
        times.append(took)
        if fresh:
            new_call.append(took)
            # as the screen does after showing a new call: its other blink phase, off the frame path
            painter.paint(dataclasses.replace(state, blink_on=not state.blink_on), frame)
    return times, new_call


# --- the display as a process ------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class AckWatch:
    """Watches a display's up topic for its calls.ack."""

    def __init__(self, url: str, hall_id: str, device: str):
        self.acked = 0
        self.changed = threading.Condition()
        self.client = make_client(url, f"bench-ackwatch-{os.getpid()}-{time.monotonic_ns()}")
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *a: c.subscribe(topics.device_up(hall_id, device), qos=1)
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self._on_message
        broker = parse_broker_url(url)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("could not watch the display's acknowledgements")

    def _on_message(self, client, userdata, msg) -> None:
        body = json.loads(msg.payload)
        if body.get("type") == "calls.ack":
            with self.changed:
                self.acked = max(self.acked, body["seq"])
                self.changed.notify_all()

    def wait(self, seq: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.acked >= seq, timeout)

    def close(self) -> None:
        close_client(self.client)


def display_process(workdir: Path, url: str, hall_file: Path, voice: str) -> subprocess.Popen:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devices.display.main",
            "--id",
            "D1",
            "--config",
            str(hall_file),
            "--broker",
            url,
            "--window",
            "--voice",
            voice,
            "--repeats",
            "1",
            "--voice-cache",
            str(workdir / "voice"),
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def idle_run(workdir: Path, url: str, notice: dict, voice: str, seconds: float) -> tuple[float, float]:
    """(CPU % over `seconds` once the screen has shown a call and settled, peak RSS in MB)."""
    from simulators.display import SampleController

    raw = bench_hall(notice)
    hall_file = workdir / f"hall-{voice}-{len(notice['en'])}.toml"
    hall_file.write_text(halls.toml(raw))
    hall = config.parse(raw)
    process = display_process(workdir, url, hall_file, voice)
    watch = AckWatch(url, hall.id, "D1")
    sample = SampleController(hall, url, client_id=f"bench-sample-{time.monotonic_ns()}")
    try:
        time.sleep(1.0)  # the screen connects and takes the board as its baseline
        seq = sample.publish_call("B017", 4)
        sample.publish_board()
        if not watch.wait(seq, 60):
            raise RuntimeError("the display never acknowledged the call")
        time.sleep(7.0)  # the blink is over
        before, started = _cpu_seconds(process.pid), time.monotonic()
        time.sleep(seconds)
        cpu = (_cpu_seconds(process.pid) - before) / (time.monotonic() - started) * 100
        rss = peak_rss_mb(process.pid)
        return cpu, rss
    finally:
        sample.close()
        watch.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- call → frame -----------------------------------------------------------------------------------


def call_latencies(url: str) -> list[float]:
    """Seconds from publishing each call to the frame showing it, for a screen in this process."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from devices.display.main import assemble
    from drivers.screen import WindowScreen
    from simulators.display import SampleController

    hall = config.parse(bench_hall(SHORT_NOTICE))
    display = hall.displays["D1"]
    published: dict[str, float] = {}
    shown: dict[str, float] = {}

    def on_frame(state) -> None:
        if state.current is not None and state.current.label not in shown:
            shown[state.current.label] = time.perf_counter()

    sample = SampleController(hall, url, client_id=f"bench-sample-latency-{time.monotonic_ns()}")
    labels = [f"A{n:04d}" for n in range(1, CALLS + 1)]

    def publish() -> None:
        start = time.perf_counter()
        for i, label in enumerate(labels):
            delay = start + i / CALL_RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            published[label] = time.perf_counter()
            sample.publish_call(label, 1 + i % 10)
            sample.publish_board()

    with WindowScreen(display.size, fullscreen=False) as screen:
        with assemble(hall, display, url, screen, None, observer=on_frame) as device:
            if not device.wait_for(lambda: device.machine.board is not None, 10):
                raise RuntimeError("the screen did not get the board")
            publisher = threading.Thread(target=publish, daemon=True)
            publisher.start()
            device.wait_for(lambda: all(label in shown for label in labels), CALLS / CALL_RATE + 30)
            publisher.join(10)
    sample.close()
    return [shown[label] - published[label] for label in labels if label in shown and label in published]


# --- a burst of calls ----------------------------------------------------------------------------------

BURST = 20
NO_SHOW_EVERY_S = 0.5


class PacedPlayer:
    """The sound card's stand-in for the burst: each sound takes exactly its own length."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def play(self, wav: bytes) -> None:
        from drivers.voice import pcm

        length = pcm.read(wav, "announcement").seconds
        self.seconds.append(length)
        time.sleep(length)

    def close(self) -> None:
        pass


class HallWatch:
    """What the screen reported (its calls.ack entries) and which label each call number had."""

    def __init__(self, url: str, hall_id: str, device: str):
        self.reports: list[dict] = []
        self.labels: dict[int, str] = {}
        self.lock = threading.Lock()
        self.client = make_client(url, f"bench-hallwatch-{os.getpid()}-{time.monotonic_ns()}")
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *a: c.subscribe(
            [(topics.device_up(hall_id, device), 1), (topics.calls(hall_id), 1)]
        )
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self._on_message
        broker = parse_broker_url(url)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("could not watch the hall's calls")

    def _on_message(self, client, userdata, msg) -> None:
        body = json.loads(msg.payload)
        with self.lock:
            if body.get("type") == "calls.ack":
                self.reports += body.get("calls", [])
            elif body.get("type") == "call.made":
                self.labels[body["seq"]] = body["label"]

    def close(self) -> None:
        close_client(self.client)


def burst_hall(workdir: Path) -> Path:
    """examples/hall.toml (its services, dispatch rules and voice) with twenty more counters (11 to
    30, social insurance), so that twenty clerks can call at once."""
    text = (ROOT / "examples" / "hall.toml").read_text(encoding="utf-8")
    for n in range(11, 11 + BURST):
        text += f'\n[[counters]]\nnumber = {n}\nprimary = ["social"]\n\n[[callers]]\nid = "C{n}"\ncounter = {n}\n'
    path = workdir / "burst-hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def burst_run(workdir: Path, url: str) -> dict:
    """Run the burst; its three figures (and the speech time) as a dict."""
    from devices.display.main import assemble
    from devices.link import DeviceLink, LinkError
    from drivers.screen import PngScreen
    from drivers.voice import EspeakSpeaker

    hall_file = burst_hall(workdir)
    hall = config.load(hall_file)
    counters = list(range(11, 11 + BURST))
    controller = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hall",
            "controller",
            "--config",
            str(hall_file),
            "--broker",
            url,
            "--db",
            str(workdir / "burst-journal.db"),
            "--log-level",
            "ERROR",
            "--web",
            "off",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    links: dict[str, DeviceLink] = {}
    watch = HallWatch(url, hall.id, "D1")
    player = PacedPlayer()
    display = hall.displays["D1"]
    speaker = EspeakSpeaker(workdir / "burst-voice", player)  # type: ignore[arg-type]
    no_shows: dict[str, float] = {}
    made: list[tuple[str, float]] = []
    try:
        for device in ["K1", *(f"C{n}" for n in counters)]:
            links[device] = DeviceLink(url, hall.id, device).start()
        kiosk = links["K1"]
        deadline = time.monotonic() + 30
        while True:  # the controller is up once it answers
            try:
                links[f"C{counters[0]}"].request("counter.status", timeout=1)
                break
            except LinkError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the controller did not answer") from None
        for n in counters:
            links[f"C{n}"].request("counter.open", {"clerk": f"S{n:03d}"})
        for _ in counters:
            ticket = kiosk.request("ticket.request", {"service": "social"}).body["ticket"]["id"]
            kiosk.request("ticket.printed", {"ticket": ticket})
        screen = assemble(
            hall, display, url, PngScreen(workdir / "burst-frames", display.size), speaker, repeats=display.repeats
        )
        with screen:
            if not screen.wait_for(lambda: screen.machine.board is not None, 30):
                raise RuntimeError("the screen did not get the board")
            started = time.time()

            def clerks() -> None:
                for n in counters:  # twenty clerks press "call next" at the opening
                    view = links[f"C{n}"].request("counter.call_next").body["view"]
                    made.append((view["ticket"]["label"], time.time()))
                waiting = set(counters)
                while waiting:  # then "no-show", as early as the controller lets them
                    for n in sorted(waiting):
                        try:
                            links[f"C{n}"].request("counter.no_show")
                        except LinkError:  # refused: not heard yet, or too soon after
                            continue
                        no_shows[str(n)] = time.time()
                        waiting.discard(n)
                    time.sleep(NO_SHOW_EVERY_S)

            pressing = threading.Thread(target=clerks, daemon=True)
            pressing.start()
            screen.wait_for(lambda: not pressing.is_alive(), 600)
            screen.wait_for(lambda: screen.announcer is None or screen.announcer.wait_idle(0), 30)
    finally:
        for link in links.values():
            link.close()
        watch.close()
        controller.send_signal(signal.SIGTERM)
        try:
            controller.wait(10)
        except subprocess.TimeoutExpired:
            controller.kill()
            controller.wait()
    burst_seqs = {seq for seq, label in watch.labels.items() if label in {lab for lab, _ in made}}
    outcomes: dict[int, list[dict]] = {}
    for r in watch.reports:
        if r["seq"] in burst_seqs:
            outcomes.setdefault(r["seq"], []).append(r)
    said = {seq: [r for r in outcomes.get(seq, []) if r["outcome"] != "shown"] for seq in burst_seqs}
    once = sum(1 for seq in burst_seqs if [r["outcome"] for r in said[seq]] == ["spoken"])
    heard_end = {
        watch.labels[seq]: _epoch(rs[0]["ended"])
        for seq, rs in said.items()
        if rs and rs[0]["outcome"] == "spoken" and seq in watch.labels
    }
    by_counter = {n: label for n, (label, _) in zip(counters, made)}
    early = sum(1 for n, at in no_shows.items() if at < heard_end.get(by_counter[int(n)], float("inf")))
    last = max(heard_end.values(), default=float("nan"))
    speech = sum(player.seconds)
    return {
        "made_within_s": made[-1][1] - made[0][1] if made else float("nan"),
        "spoken_once": once,
        "early_no_shows": early,
        "ratio": (last - started) / speech if speech else float("nan"),
        "speech_s": speech,
        "no_shows": len(no_shows),
        "outcomes": {seq: [r["outcome"] for r in outcomes.get(seq, [])] for seq in sorted(burst_seqs)},
    }


def _epoch(ts: str) -> float:
    from protocol.envelope import parse_ts

    return parse_ts(ts).timestamp()


def run() -> list[Figure]:
    if shutil.which("mosquitto") is None:
        raise RuntimeError("the display benchmark needs mosquitto (apt install mosquitto)")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    times, new_call = frame_times()
    workdir = Path(tempfile.mkdtemp(prefix="hall-bench-display-"))
    try:
        with MosquittoBroker() as broker:
            latencies = call_latencies(broker.url)
            cpu_voice, rss_voice = idle_run(workdir, broker.url, SHORT_NOTICE, "espeak", IDLE_S)
            cpu_silent, rss_silent = idle_run(workdir, broker.url, SHORT_NOTICE, "none", IDLE_S)
            cpu_scroll, _ = idle_run(workdir, broker.url, LONG_NOTICE, "none", IDLE_S / 2)
            burst = burst_run(workdir, broker.url) if shutil.which("espeak-ng") else None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ms = [t * 1000 for t in times]
    mean = sum(ms) / len(ms)
    p99 = percentile(ms, 99)
    lat = [t * 1000 for t in latencies]
    p50, l99 = percentile(lat, 50), percentile(lat, 99)
    rss = max(rss_voice, rss_silent)
    return [
        Figure("display", "frame 1920×1080, mean", mean, "ms", "≤ 8 ms", mean <= 8),
        Figure("display", "frame 1920×1080, p99", p99, "ms", "≤ 8 ms", p99 <= 8),
        Figure("display", "frame with a new call, mean", sum(new_call) / len(new_call) * 1000, "ms"),
        Figure("display", "idle CPU, voice ready (espeak)", cpu_voice, "%", "< 2 %", cpu_voice < 2),
        Figure("display", "idle CPU, no voice", cpu_silent, "%", "< 2 %", cpu_silent < 2),
        Figure("display", "CPU while a long notice scrolls", cpu_scroll, "%"),
        Figure("display", f"call → frame p50 ({len(lat)} calls)", p50, "ms"),
        Figure("display", f"call → frame p99 ({len(lat)} calls)", l99, "ms", "≤ 50 ms", l99 <= 50),
        Figure("display", "call → frame max", max(lat), "ms"),
        Figure("display", "display peak RSS", rss, "MB", "≤ 120 MB", rss <= 120),
        *burst_figures(burst),
    ]


def burst_figures(burst: dict | None) -> list[Figure]:
    if burst is None:
        raise RuntimeError("the burst of calls needs espeak-ng (apt install espeak-ng)")
    return [
        Figure(
            "display",
            f"burst of {BURST} calls: spoken exactly once",
            burst["spoken_once"],
            "calls",
            f"= {BURST}",
            burst["spoken_once"] == BURST,
        ),
        Figure(
            "display",
            f"burst of {BURST} calls: no-shows before heard",
            burst["early_no_shows"],
            "",
            "= 0",
            burst["early_no_shows"] == 0 and burst["no_shows"] == BURST,
        ),
        Figure(
            "display",
            f"burst of {BURST} calls: last heard / speech time",
            burst["ratio"],
            "×",
            "≤ 1.2",
            burst["ratio"] <= 1.2,
        ),
        Figure("display", f"burst of {BURST} calls: speech time", burst["speech_s"], "s"),
        Figure(
            "display",
            f"burst of {BURST} calls: made within",
            burst["made_within_s"],
            "s",
            "≤ 2 s",
            burst["made_within_s"] <= 2,
        ),
    ]
