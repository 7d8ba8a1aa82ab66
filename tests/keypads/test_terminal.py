"""The clerk's PC as keypad and screen: keys read from a real pseudo-terminal, the screen drawn on one."""

from __future__ import annotations

import os
import pty
import queue

from testkit import ManualClock

from devices.caller.screen import Line
from devices.caller.terminal import KeyboardKeys, Quit, TerminalScreen
from drivers.gpio import Press

from .conftest import WAIT_S


def test_keys_typed_on_a_terminal_become_presses_and_q_quits():
    master, slave = pty.openpty()
    inbox: queue.Queue = queue.Queue()
    with os.fdopen(slave, "r") as stream:
        keys = KeyboardKeys(inbox, stream=stream, clock=ManualClock(7.0)).start()
        try:
            os.write(master, b"n5S\x1b[A\nzq")  # call, 5, S, an arrow key (swallowed), Enter, z (no key), quit
            got = [inbox.get(timeout=WAIT_S) for _ in range(5)]
        finally:
            keys.close()
    os.close(master)
    assert got == [Press("call", 7.0), Press("5", 7.0), Press("S", 7.0), Press("enter", 7.0), Quit()]


def test_scripted_keys_come_line_by_line_and_unknown_words_are_skipped(tmp_path, capsys):
    script = tmp_path / "keys.txt"
    script.write_text("open S 0 0 5 enter\nfrobnicate call\n")
    inbox: queue.Queue = queue.Queue()
    pressed: list[str] = []
    with script.open() as stream:
        KeyboardKeys(inbox, stream=stream, paced=pressed.append).start()._thread.join(WAIT_S)
    assert pressed == ["open", "S", "0", "0", "5", "enter", "call"]
    assert inbox.get_nowait() == Quit()
    assert "there is no key 'frobnicate'" in capsys.readouterr().err


def test_the_screen_is_redrawn_in_place_on_a_terminal_only_when_it_changes():
    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as out:
        screen = TerminalScreen(out)
        assert screen.interactive
        screen.show([Line("A023 · 已呼叫 called", "ticket")])
        screen.show([Line("A023 · 已呼叫 called", "ticket")])
    drawn = os.read(master, 4096).decode()
    os.close(master)
    assert drawn.count("\x1b[H\x1b[J") == 1 and "\x1b[1;33mA023 · 已呼叫 called\x1b[0m" in drawn


def test_a_caller_window_takes_keys_and_closes(monkeypatch):
    import pygame

    from devices.caller.main import screen_for

    output = screen_for("window", "C3 test")
    try:
        output.show([Line("A023 · 已呼叫 called", "ticket")])
        pressed: list[str] = []
        for key, char in ((pygame.K_n, "n"), (pygame.K_RETURN, "\r"), (pygame.K_5, "5"), (pygame.K_z, "z")):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=0, scancode=0))
        assert output.poll(pressed.append) is False
        assert pressed == ["call", "enter", "5"]
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        assert output.poll(pressed.append) is True
    finally:
        output.close()


def test_a_caller_screen_as_png_files(tmp_path):
    from devices.caller.main import screen_for

    output = screen_for(f"png:{tmp_path}", "C3 test")
    try:
        output.show([Line("A023 · 已呼叫 called", "ticket")])
        assert (tmp_path / "latest.png").stat().st_size > 1000
    finally:
        output.close()
