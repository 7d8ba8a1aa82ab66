"""`hall sim display`: a calling screen on the bench, fed by a stand-in controller if asked.

    hall sim display --config hall.toml [--id D1] [--png-dir DIR | --window | --fullscreen]
                     [--voice espeak|clips:DIR|chime|none] [--every 8] [--calls N]
                     [--outage-after N [--outage-for 15]] [--broker URL [--feed]]

Without `--broker` it starts a private broker on this machine and a `SampleController` that
publishes as the hall controller would: its retained online state, the retained board (waiting
per service, the notice) and a call every `--every` seconds, now and then a recall. So a
technician can check a screen and its speaker alone, with no hall around it: the numbers, the
blink, the voice, and with `--outage-after N` the incident notice (the stand-in goes "down" after
N calls for `--outage-for` seconds, as its last will would say, then comes back). With `--calls N` the screen
stops once N calls have been shown and announced.

With `--broker` the screen joins a real hall instead and shows what its controller sends; the
stand-in runs there only with `--feed` (for a bench broker: it publishes as the controller).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import sys
import threading
from pathlib import Path

from hall import clock as hall_clock
from hall import config
from hall.mqtt import BrokerUrlError, close_client, make_client, parse_broker_url
from protocol import envelope, topics

log = logging.getLogger("hall.sim.display")

BOARD_CALLS = 8


class SampleController:
    """Publishes sample calls, the board and the controller's state, as the controller would.

    `publish_call` and `publish_board` can be driven directly (the display benchmark does), or
    `start()` runs a schedule on a thread: a call every `every` seconds (every fifth one a recall
    of the call before), at most `calls` of them (0: no limit), and an outage after `outage_after`
    calls if asked.
    """

    def __init__(
        self,
        hall: config.Hall,
        broker_url: str,
        *,
        every: float = 8.0,
        calls: int = 0,
        outage_after: int | None = None,
        outage_s: float = 15.0,
        seed: int = 7,
        clock=hall_clock.now,
        client_id: str | None = None,
    ):
        self.hall = hall
        self.every, self.calls_wanted = every, calls
        self.outage_after, self.outage_s = outage_after, outage_s
        self.clock = clock
        self.random = random.Random(seed)
        self.seq = 0
        self.calls: list[dict] = []  # newest last
        self.numbers = {s.id: 0 for s in hall.services.values()}
        self.waiting = {s.id: self.random.randint(0, 15) for s in hall.services.values()}
        self.tickets: dict[int, str | None] = {n: None for n in hall.counters}
        self.notice = hall.notice
        self.online = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.client = make_client(broker_url, client_id or f"hall-sim-controller-{hall.id}-{os.getpid()}")
        self.client.will_set(topics.controller_state(hall.id), self._state(False), qos=1, retain=True)
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        broker = parse_broker_url(broker_url)
        self.client.connect_async(broker.host, broker.port, keepalive=15)
        self.client.loop_start()
        if not connected.wait(10):
            close_client(self.client)
            raise ConnectionError(f"the sample controller could not reach the broker at {broker}")
        self.set_online(True)
        self.publish_board()

    # --- publishing ------------------------------------------------------------------------------

    def _state(self, online: bool) -> bytes:
        return envelope.encode(
            envelope.make_message("controller.state", {"online": online, "since": envelope.format_epoch(self.clock())})
        )

    def set_online(self, online: bool) -> None:
        """The controller's retained state; `False` is what its last will says after a crash."""
        self.online = online
        self.client.publish(
            topics.controller_state(self.hall.id), self._state(online), qos=1, retain=True
        ).wait_for_publish(10)

    def publish_call(
        self, label: str, counter: int, recall: bool = False, service: str = "", lost: bool = False
    ) -> int:
        """One `call.made` with the next sequence number (not waiting for the broker); returns it.
        `lost=True`: the call is made (the next board lists it) but its `call.made` never leaves,
        as if the screen had missed it, to see the screen refill the gap from the board."""
        with self._lock:
            self.seq += 1
            call = {
                "seq": self.seq,
                "label": label,
                "counter": counter,
                "recall": recall,
                "at": envelope.format_epoch(self.clock()),
            }
            self.calls.append(call)
            del self.calls[:-BOARD_CALLS]
            self.tickets[counter] = label
            body = {**call, "ticket": f"sim-{label}", "service": service or next(iter(self.hall.services))}
            if not lost:
                self.client.publish(
                    topics.calls(self.hall.id), envelope.encode(envelope.make_message("call.made", body)), qos=1
                )
            return self.seq

    def board(self) -> dict:
        services = [
            {
                "id": s.id,
                "prefix": s.prefix,
                "name": {"zh": s.names.zh, "en": s.names.en},
                "waiting": self.waiting[s.id],
                "estimated_wait_s": round(self.waiting[s.id] * s.mean_service_s / 2),
            }
            for s in self.hall.services.values()
        ]
        counters = [
            {"number": n, "state": "open", "reason": None, "ticket": self.tickets[n]} for n in self.hall.counters
        ]
        return {
            "call_seq": self.seq,
            "calls": list(reversed(self.calls)),
            "services": services,
            "counters": counters,
            "notice": {"zh": self.notice.zh, "en": self.notice.en},
            "incident": None,
        }

    def publish_board(self, wait: bool = False) -> None:
        with self._lock:
            payload = envelope.encode(envelope.make_message("board.snapshot", self.board()))
        info = self.client.publish(topics.board(self.hall.id), payload, qos=1, retain=True)
        if wait:
            info.wait_for_publish(10)

    def sample_call(self) -> int:
        """A plausible next call: a service with people waiting, a counter that serves it; now and
        then the previous call recalled."""
        if self.calls and self.seq % 5 == 4:
            last = self.calls[-1]
            seq = self.publish_call(last["label"], last["counter"], recall=True)
        else:
            service = self.random.choice(list(self.hall.services.values()))
            counters = [c.number for c in self.hall.counters.values() if service.id in c.primary] or list(
                self.hall.counters
            )
            self.numbers[service.id] += 1
            self.waiting[service.id] = max(0, self.waiting[service.id] - 1) + self.random.randint(0, 1)
            seq = self.publish_call(
                service.display_number(self.numbers[service.id]), self.random.choice(counters), service=service.id
            )
        self.publish_board()
        return seq

    # --- the schedule -----------------------------------------------------------------------------

    def start(self) -> SampleController:
        self._thread = threading.Thread(target=self._run, name="sample-controller", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        made = 0
        while not self._stop.wait(self.every):
            if self.calls_wanted and made >= self.calls_wanted:
                return
            self.sample_call()
            made += 1
            if self.outage_after is not None and made == self.outage_after:
                log.info("the sample controller goes down for %.0f s", self.outage_s)
                self.set_online(False)
                if self._stop.wait(self.outage_s):
                    return
                self.set_online(True)
                log.info("the sample controller is back")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self.online:
            self.set_online(False)
        close_client(self.client)

    def __enter__(self) -> SampleController:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parser() -> argparse.ArgumentParser:
    from devices.display.main import VOICES

    p = argparse.ArgumentParser(prog="hall sim display", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--id", help="which display of the hall file (default: its first hall screen)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--png-dir", type=Path, help="write frames as PNG files here (no screen needed)")
    where.add_argument("--window", action="store_true", help="a window of the display's size (the default)")
    where.add_argument("--fullscreen", action="store_true", help="fullscreen at the monitor's resolution")
    p.add_argument("--voice", help=f"{VOICES} (default as for hall display)")
    p.add_argument("--every", type=float, default=8.0, help="seconds between sample calls (default 8)")
    p.add_argument("--calls", type=int, default=0, help="stop after this many calls (default: never)")
    p.add_argument("--outage-after", type=int, metavar="N", help="the stand-in controller goes down after N calls")
    p.add_argument(
        "--outage-for", type=float, default=15.0, metavar="S", help="how long the stand-in stays down (default 15 s)"
    )
    p.add_argument(
        "--linger",
        type=float,
        default=6.5,
        help="with --calls: seconds to keep showing after the last call (default 6.5, the blink)",
    )
    p.add_argument("--broker", help="join this broker instead of starting one (no sample calls without --feed)")
    p.add_argument("--feed", action="store_true", help="run the stand-in controller on --broker too")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    if (
        args.every <= 0
        or args.calls < 0
        or args.outage_for <= 0
        or args.linger < 0
        or (args.outage_after is not None and args.outage_after < 1)
    ):
        print(
            "hall sim display: --every and --outage-for must be above 0, --calls and --linger 0 or more, "
            "--outage-after 1 or more",
            file=sys.stderr,
        )
        return 2
    try:
        hall = config.load(args.config)
        display_id = args.id or next((d.id for d in hall.displays.values() if d.mode == "hall"), None)
        display = hall.displays.get(display_id or "")
        if display is None:
            raise config.ConfigError(f"there is no display {args.id or '(hall mode)'} in {args.config}")
        if args.broker:
            parse_broker_url(args.broker)
    except (config.ConfigError, BrokerUrlError) as e:
        print(f"hall sim display: {e}", file=sys.stderr)
        return 2
    from devices.display.main import VoiceChoiceError, assemble, make_screen, make_speaker
    from drivers.screen import ScreenError
    from drivers.voice import VoiceError
    from hall_controller.broker import BrokerError, running_broker

    if not (args.png_dir or args.fullscreen):
        args.window = True
    try:
        speaker = make_speaker(args.voice, hall, display, None)
    except (VoiceChoiceError, VoiceError) as e:
        print(f"hall sim display: {e}", file=sys.stderr)
        return 2
    feed = args.broker is None or args.feed
    try:
        with make_screen(args, display) as screen, running_broker(args.broker, environ={}) as url:
            sample = (
                SampleController(
                    hall,
                    url,
                    every=args.every,
                    calls=args.calls,
                    outage_after=args.outage_after,
                    outage_s=args.outage_for,
                )
                if feed
                else None
            )
            try:
                with assemble(hall, display, url, screen, speaker) as device:
                    for sig in (signal.SIGINT, signal.SIGTERM):
                        signal.signal(sig, lambda *_: device.stop())
                    print(
                        f"display {display.id} ({display.mode} mode) on {parse_broker_url(url)}"
                        + (f"; sample calls every {args.every:g} s" if sample else ""),
                        flush=True,
                    )
                    if sample is not None:
                        sample.start()
                    if sample is not None and args.calls:
                        device.wait_for(lambda: device.machine.acked >= args.calls, float("inf"))
                        device.wait_for(lambda: False, args.linger)
                    else:
                        device.run()
                    print(f"{device.frames} frames shown, calls acknowledged up to {device.machine.acked}", flush=True)
            finally:
                if sample is not None:
                    sample.close()
    except (BrokerError, ConnectionError, ScreenError) as e:
        print(f"hall sim display: {e}", file=sys.stderr)
        return 2
    finally:
        player = getattr(speaker, "player", None)
        if player is not None:
            player.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
