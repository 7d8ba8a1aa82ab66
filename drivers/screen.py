"""Where a rendered frame goes: a real screen (pygame window or fullscreen), or PNG files.

`WindowScreen` opens the display through SDL, which picks the video driver for the machine:
KMSDRM on a Raspberry Pi without a desktop (pygame-ce's wheels carry it; plain pygame's do not),
Wayland or X11 on a desktop; `SDL_VIDEODRIVER` overrides the choice. `PngScreen` is its headless
twin for simulators, tests and remote checks: each changed frame becomes a numbered PNG plus
`latest.png` (SDL's `dummy` video driver keeps pygame's event queue working without a display).

Frames are drawn by `devices.display.render`; a screen only shows them. Both screens take frames
of exactly their own size, and both must be used from the main thread (SDL's rule).
"""

from __future__ import annotations

import abc
import os
import shutil
from pathlib import Path

import pygame


class ScreenError(RuntimeError):
    """The screen cannot be opened or cannot show a frame; the message says why."""


class Screen(abc.ABC):
    size: tuple[int, int]

    @abc.abstractmethod
    def show(self, frame: pygame.Surface, changed: pygame.Rect | None = None) -> None:
        """Put `frame` (exactly `size`) on the screen. `changed`: only this part of it differs
        from the frame shown before (a screen may update just that part)."""

    def quit_requested(self) -> bool:
        """True once someone closed the window or pressed Escape (Ctrl+C stops a fullscreen one).
        Pumps pygame's events; the program calls it from its main loop."""
        return False

    def close(self) -> None:  # noqa: B027 - optional: most screens hold nothing to release
        """Release the display."""

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, frame: pygame.Surface) -> None:
        if frame.get_size() != self.size:
            raise ScreenError(
                f"a {frame.get_width()}x{frame.get_height()} frame for a "
                f"{self.size[0]}x{self.size[1]} screen; render at the screen's size"
            )


class WindowScreen(Screen):
    """The real screen. `size=None` with `fullscreen=True` takes the monitor's own resolution."""

    def __init__(
        self, size: tuple[int, int] | None = None, *, fullscreen: bool = True, title: str = "Hall calling screen"
    ):
        if size is None and not fullscreen:
            raise ScreenError("a window needs a size")
        try:
            pygame.display.init()
            if size is None:
                size = pygame.display.get_desktop_sizes()[0]
            flags = pygame.FULLSCREEN if fullscreen else 0
            self._surface = pygame.display.set_mode(size, flags)
        except pygame.error as e:
            driver = os.environ.get("SDL_VIDEODRIVER", "SDL's choice")
            raise ScreenError(
                f"no display could be opened ({driver}): {e}. On a Pi without a desktop "
                "set SDL_VIDEODRIVER=kmsdrm and add the user to the video, render and input "
                "groups; see docs/display.md"
            ) from None
        pygame.display.set_caption(title)
        if fullscreen:
            pygame.mouse.set_visible(False)
        self.size = self._surface.get_size()
        self.driver = pygame.display.get_driver()
        self._quit = False

    def show(self, frame: pygame.Surface, changed: pygame.Rect | None = None) -> None:
        self._check(frame)
        if changed is None:
            self._surface.blit(frame, (0, 0))
            pygame.display.flip()
        else:  # the scrolling notice: copy and update that band only
            self._surface.blit(frame, changed, changed)
            pygame.display.update(changed)

    def quit_requested(self) -> bool:
        for event in pygame.event.get((pygame.QUIT, pygame.KEYDOWN)):
            if event.type == pygame.QUIT or event.key == pygame.K_ESCAPE:
                self._quit = True
        return self._quit

    def close(self) -> None:
        if pygame.display.get_init():
            pygame.display.quit()


class PngScreen(Screen):
    """Headless: every changed frame is written to `directory` as frame-NNNNNN.png and latest.png.

    A frame identical to the last one written is skipped. Only the newest `keep` numbered frames
    are kept, so a screen left running for a day does not fill the disk.
    """

    def __init__(self, directory: Path, size: tuple[int, int], *, keep: int = 500):
        if keep < 1:
            raise ValueError("keep must be at least 1 frame")
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ScreenError(f"cannot use {self.directory} for frames: {e}") from None
        if not pygame.display.get_init():
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
            pygame.display.init()  # for pygame's event queue; nothing is shown
        self.size = size
        self.keep = keep
        self.frames_written = 0
        self._last: bytes | None = None
        existing = sorted(self.directory.glob("frame-*.png"))
        self._next = int(existing[-1].stem.split("-")[1]) + 1 if existing else 1

    def show(self, frame: pygame.Surface, changed: pygame.Rect | None = None) -> None:
        self._check(frame)
        pixels = pygame.image.tobytes(frame, "RGB")
        if pixels == self._last:
            return
        path = self.directory / f"frame-{self._next:06d}.png"
        tmp = self.directory / f".writing-{self._next:06d}.png"  # the extension tells pygame the format
        pygame.image.save(frame, str(tmp))
        os.replace(tmp, path)
        latest_tmp = self.directory / ".latest.png"
        latest_tmp.unlink(missing_ok=True)
        try:
            os.link(path, latest_tmp)
        except OSError:  # a file system without hard links (a FAT USB stick)
            shutil.copyfile(path, latest_tmp)
        os.replace(latest_tmp, self.directory / "latest.png")
        self._last = pixels
        self._next += 1
        self.frames_written += 1
        old = self._next - 1 - self.keep
        if old >= 1:
            (self.directory / f"frame-{old:06d}.png").unlink(missing_ok=True)

    @property
    def latest(self) -> Path:
        return self.directory / "latest.png"
