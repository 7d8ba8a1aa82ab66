"""`hall display`: a calling screen (hall or counter mode, from the hall file) with its voice.

    hall display --id D1 --config hall.toml [--broker URL] [--png-dir DIR | --window | --fullscreen]
                 [--voice espeak|clips:DIR|chime|none] [--repeats N] [--sound card|silent]

Fullscreen at the monitor's own resolution is the default (KMSDRM on a Pi without a desktop; see
docs/display.md); `--window` opens a window of the size the hall file gives the display;
`--png-dir` writes each changed frame as a PNG instead (no screen needed). The voice is, unless
chosen: espeak-ng, else the chime alone, for a hall screen; none for a counter screen (the hall
screen speaks for every counter). `--sound silent` is for a machine without a sound card where
calls should still take their time (the demo's screens): each is held for its length on the hall's
clock and nothing is played. `assemble` wires the same parts for the simulator and the tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import string
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hall import clock as hall_clock
from hall import config
from hall.mqtt import ENV_VAR, BrokerUrlError, add_credentials_argument, device_broker_url, parse_broker_url

if TYPE_CHECKING:  # pygame is imported only once the arguments are read
    from devices.display.program import DisplayProgram
    from drivers.screen import Screen
    from drivers.voice import Speaker

log = logging.getLogger("hall.display")

VOICES = "espeak, clips:DIR, chime or none"


class VoiceChoiceError(ValueError):
    """--voice names no voice this program knows."""


def assemble(
    hall: config.Hall,
    display: config.Display,
    broker: str,
    screen: Screen,
    speaker: Speaker | None,
    *,
    repeats: int = 2,
    **options: Any,
) -> DisplayProgram:
    """The display program with its screen and voice (None: silent), not yet started: use it as a
    `with` block, which starts its link and announcer and closes them after. `options`:
    DisplayProgram's clock, observer, scroll_step_s, pump_s, max_age_s, behind_s."""
    from devices.display.program import DisplayProgram

    return DisplayProgram(hall, display, broker, screen, speaker, repeats=repeats, **options)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hall display", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="the display's id in the hall file (e.g. D1)")
    p.add_argument("--config", required=True, type=Path, help="the hall file")
    p.add_argument("--broker", help=f"mqtt://… or mqtts://… (default: the {ENV_VAR} environment variable)")
    add_credentials_argument(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--png-dir", type=Path, help="write frames as PNG files here instead of showing them")
    where.add_argument("--window", action="store_true", help="a window of the display's size from the hall file")
    where.add_argument("--fullscreen", action="store_true", help="fullscreen at the monitor's resolution (default)")
    p.add_argument(
        "--voice",
        help=f"{VOICES} (default: the display's `voice` in the hall file, else espeak, "
        "else the chime, for a hall screen; none for a counter screen)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        choices=range(1, 6),
        metavar="N",
        help="how many times each call is said (1-5; default: the display's `repeats` in the hall file)",
    )
    p.add_argument(
        "--sound",
        choices=("card", "silent"),
        default="card",
        help="card: speak through the sound card (default); silent: no sound card, each call held for "
        "its length on the hall's clock (so the hall hears it), nothing played",
    )
    p.add_argument(
        "--voice-cache", type=Path, help="where synthesised sentences are kept (default: ~/.cache/hall/voice)"
    )
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    hall_clock.add_argument(p)
    return p


def make_speaker(
    choice: str | None, hall: config.Hall, display: config.Display, cache_dir: Path | None, *, sound: str = "card"
):
    """The speaker `--voice` asks for (None: a silent screen), through the sound card or, with
    `sound="silent"`, through a player that only takes each sound's time on the hall's clock.
    Raises VoiceChoiceError, VoiceError."""
    from drivers.voice import (
        ChimeOnlySpeaker,
        ClipSpeaker,
        EspeakSpeaker,
        MixerPlayer,
        PacedPlayer,
        VoiceNotInstalled,
        choose_speaker,
    )

    choice = choice or ("none" if display.mode == "counter" else "auto")
    if choice == "none":
        return None
    if choice not in ("auto", "espeak", "chime") and not choice.startswith("clips:"):
        raise VoiceChoiceError(f"--voice {choice!r} is not one of {VOICES}")
    cache_dir = cache_dir or Path.home() / ".cache" / "hall" / "voice"
    letters = "".join(sorted({ch for s in hall.services.values() for ch in s.prefix})) or string.ascii_uppercase
    try:
        player = PacedPlayer(hall_clock.current().real_seconds) if sound == "silent" else MixerPlayer()
    except VoiceNotInstalled as e:
        if choice != "auto":
            raise
        log.warning("%s: calls are shown but not spoken", e)
        return None
    max_counter = max(hall.counters, default=1)
    try:
        if choice == "auto":
            return choose_speaker(player, cache_dir=cache_dir, letters=letters, max_counter=max_counter)
        if choice == "espeak":
            return EspeakSpeaker(cache_dir, player)
        if choice == "chime":
            return ChimeOnlySpeaker(player, "--voice chime was chosen")
        return ClipSpeaker(Path(choice[len("clips:") :]), player, letters=letters, max_counter=max_counter)
    except BaseException:
        player.close()
        raise


def make_screen(args: argparse.Namespace, display: config.Display):
    from drivers.screen import PngScreen, WindowScreen

    if args.png_dir is not None:
        return PngScreen(args.png_dir, display.size)
    if args.window:
        return WindowScreen(display.size, fullscreen=False, title=f"Hall calling screen {display.id}")
    return WindowScreen(None, fullscreen=True)


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    hall_clock.apply_argument(args.clock)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        hall = config.load(args.config)
        display = hall.displays.get(args.id)
        if display is None:
            raise config.ConfigError(
                f"there is no display {args.id!r} in {args.config} (displays: {', '.join(hall.displays) or 'none'})"
            )
        url = device_broker_url(args.broker, credentials=args.credentials)
    except (config.ConfigError, BrokerUrlError) as e:
        print(f"hall display: {e}", file=sys.stderr)
        return 2
    from drivers.screen import ScreenError
    from drivers.voice import VoiceError

    try:
        speaker = make_speaker(args.voice or display.voice, hall, display, args.voice_cache, sound=args.sound)
    except (VoiceChoiceError, VoiceError) as e:
        print(f"hall display: {e}", file=sys.stderr)
        return 2
    try:
        screen = make_screen(args, display)
        with (
            screen,
            assemble(hall, display, url, screen, speaker, repeats=args.repeats or display.repeats) as device,
        ):
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: device.stop())
            log.info(
                "display %s (%s mode, %dx%d, %s) on %s",
                display.id,
                display.mode,
                *screen.size,
                type(speaker).__name__ if speaker else "no voice",
                parse_broker_url(url),
            )
            device.run()
    except ScreenError as e:
        print(f"hall display: {e}", file=sys.stderr)
        return 2
    finally:
        player = getattr(speaker, "player", None)
        if player is not None:
            player.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
