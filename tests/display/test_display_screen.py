"""The screens: PNG frames written only when the picture changes, and the pygame window (on SDL's
dummy video driver here; KMSDRM or a desktop on a real Pi)."""

from __future__ import annotations

import pygame
import pytest

from drivers.screen import PngScreen, ScreenError, WindowScreen


def frame(color: tuple[int, int, int], size: tuple[int, int] = (320, 180)) -> pygame.Surface:
    surface = pygame.Surface(size)
    surface.fill(color)
    return surface


def test_png_screen_writes_only_changed_frames(tmp_path):
    screen = PngScreen(tmp_path / "frames", (320, 180))
    screen.show(frame((10, 20, 30)))
    screen.show(frame((10, 20, 30)))
    screen.show(frame((200, 20, 30)))
    screen.show(frame((200, 20, 30)))
    assert screen.frames_written == 2
    assert sorted(p.name for p in (tmp_path / "frames").glob("frame-*.png")) == ["frame-000001.png", "frame-000002.png"]
    latest = pygame.image.load(str(screen.latest))
    assert latest.get_at((5, 5))[:3] == (200, 20, 30)
    assert not list((tmp_path / "frames").glob(".*")), "no temporary files left"


def test_png_screen_keeps_only_the_newest_frames(tmp_path):
    screen = PngScreen(tmp_path, (320, 180), keep=2)
    for shade in range(5):
        screen.show(frame((shade * 40, 0, 0)))
    assert sorted(p.name for p in tmp_path.glob("frame-*.png")) == ["frame-000004.png", "frame-000005.png"]
    again = PngScreen(tmp_path, (320, 180), keep=2)  # a restart continues the numbering
    again.show(frame((1, 2, 3)))
    assert (tmp_path / "frame-000006.png").exists()


def test_a_frame_of_the_wrong_size_is_refused(tmp_path):
    screen = PngScreen(tmp_path, (320, 180))
    with pytest.raises(ScreenError, match="320x180 screen"):
        screen.show(frame((0, 0, 0), (640, 360)))
    assert screen.frames_written == 0
    assert not list(tmp_path.glob("*.png"))


def test_window_screen_shows_the_frame_and_hears_quit():
    with WindowScreen((320, 180), fullscreen=False) as screen:
        assert screen.size == (320, 180)
        assert screen.driver == "dummy"
        screen.show(frame((0, 128, 255)))
        assert pygame.display.get_surface().get_at((10, 10))[:3] == (0, 128, 255)
        assert not screen.quit_requested()
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE))
        assert screen.quit_requested()
        with pytest.raises(ScreenError, match="320x180 screen"):
            screen.show(frame((0, 0, 0), (640, 360)))
    assert not pygame.display.get_init()


def test_a_window_needs_a_size():
    with pytest.raises(ScreenError, match="needs a size"):
        WindowScreen(None, fullscreen=False)
