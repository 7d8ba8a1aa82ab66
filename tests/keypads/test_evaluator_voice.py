"""The evaluator's sounds: the spoken request (espeak-ng, else the chime), the beep, and their order."""

from __future__ import annotations

import shutil
import threading

import pytest

from devices.evaluator.voice import REQUEST_EN, REQUEST_ZH, EvaluatorVoice, request_announcement, request_sound
from drivers.sounds import BEEP, CHIME
from drivers.voice import Phrase, Player, RecordingPlayer, pcm

from .conftest import WAIT_S


def test_the_request_is_chinese_then_english():
    phrases = request_announcement(3).phrases
    assert [(p.language, p.text) for p in phrases] == [("zh", REQUEST_ZH), ("en", REQUEST_EN)]
    assert all(isinstance(p, Phrase) for p in phrases)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_the_request_is_spoken_by_espeak_when_it_is_installed(tmp_path):
    wav = request_sound(3, tmp_path, RecordingPlayer())
    assert 4.0 < pcm.read(wav).seconds < 10.0  # two short sentences
    assert list(tmp_path.glob("espeak-*.wav"))  # synthesised once, cached
    assert request_sound(3, tmp_path, RecordingPlayer()) == wav


def test_without_espeak_the_request_is_the_chime(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert request_sound(3, tmp_path, RecordingPlayer()) == CHIME.read_bytes()
    assert "plays the chime instead" in caplog.text


class GatedPlayer(Player):
    """Plays each sound only when the test opens the gate, so the order of events is the test's."""

    def __init__(self) -> None:
        self.played: list[bytes] = []
        self.started = threading.Event()
        self.gate = threading.Event()

    def play(self, wav: bytes) -> None:
        self.started.set()
        assert self.gate.wait(WAIT_S)
        self.played.append(wav)


def test_a_press_drops_a_request_not_yet_started_and_sounds_never_overlap():
    player = GatedPlayer()
    voice = EvaluatorVoice(player, b"request", b"beep")
    try:
        voice.ask()  # starts playing (held at the gate)
        assert player.started.wait(WAIT_S)
        voice.ask()  # a second prompt's request, queued
        voice.thank()  # the citizen pressed: the queued request is not needed
        player.gate.set()
        assert voice.wait_idle(WAIT_S)
        assert player.played == [b"request", b"beep"]
    finally:
        voice.close()


def test_the_shipped_beep_is_the_default():
    player = RecordingPlayer()
    voice = EvaluatorVoice(player, CHIME.read_bytes())
    try:
        voice.thank()
        assert voice.wait_idle(WAIT_S)
        assert [p.wav for p in player.played] == [BEEP.read_bytes()]
    finally:
        voice.close()
