"""The voices: espeak-ng for real (skipped only where it is not installed), recorded clips joined
into one WAV, the chime-only fallback, the sound card through pygame's dummy audio driver, and the
recording twin used by the announcer's tests."""

from __future__ import annotations

import array
import io
import logging
import math
import shutil
import threading
import wave
from pathlib import Path

import pytest

from drivers.sounds import BEEP, CHIME
from drivers.voice import (
    BadWav,
    ChimeOnlySpeaker,
    ClipMissing,
    ClipSpeaker,
    EspeakSpeaker,
    MixerPlayer,
    PacedPlayer,
    PlaybackError,
    RecordingPlayer,
    RecordingSpeaker,
    VoiceNotInstalled,
    build_announcement,
    choose_speaker,
    pcm,
    required_clips,
)
from drivers.voice.clips import COMMA_S
from drivers.voice.sentence import Chime, Pause

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def _wav_frames(data: bytes) -> tuple[int, int, int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()


# --- espeak-ng --------------------------------------------------------------------------------


@needs_espeak
def test_espeak_makes_a_wav_for_each_language_and_caches_it(tmp_path):
    speaker = EspeakSpeaker(tmp_path / "cache", RecordingPlayer())
    zh, en = build_announcement("A023", 5).phrases[:2]
    zh_path, en_path = speaker.wav_path(zh), speaker.wav_path(en)
    assert speaker.synthesised == 2 and speaker.cache_hits == 0
    for path in (zh_path, en_path):
        channels, width, rate, frames = _wav_frames(path.read_bytes())
        assert (channels, width, rate) == (1, 2, pcm.RATE)
        assert frames / rate > 1.5, "a whole sentence, not a blip"
        assert max(abs(s) for s in pcm.read(path).samples) > 1000, "sound, not silence"
    before = zh_path.read_bytes()
    assert speaker.wav_path(zh) == zh_path
    assert speaker.synthesised == 2 and speaker.cache_hits == 1
    assert zh_path.read_bytes() == before
    again = EspeakSpeaker(tmp_path / "cache", RecordingPlayer())  # a restart finds the cache on disk
    again.wav_path(en)
    assert again.synthesised == 0 and again.cache_hits == 1


@needs_espeak
def test_espeak_spells_the_ticket_number_in_both_languages(tmp_path):
    """Checked on espeak-ng's phonemes (-x): "A023" is A-zero-two-three, never twenty-three, and
    the Mandarin is read by the pinyin voice (the plain `cmn` voice of Debian's 1.51 switches to
    English for every Hanzi, shown in the phonemes as "(en)")."""
    speaker = EspeakSpeaker(tmp_path, RecordingPlayer())
    zh, en = build_announcement("A023", 5).phrases[:2]
    zh_ph, en_ph = speaker.phonemes(zh), speaker.phonemes(en)
    assert "(en)" not in zh_ph
    assert "l,i35N" in zh_ph or "l'i35N" in zh_ph  # 零
    assert "@r51" in zh_ph and "s'a55n" in zh_ph  # 二 三
    assert "s.i.35" not in zh_ph  # not 二十三
    assert "w'u21" in zh_ph  # counter 五
    assert "z,i@roU" in en_ph or "z'i@roU" in en_ph  # zero
    assert "tw'Enti" not in en_ph  # not twenty-three
    assert "Tr'i:" in en_ph and "f'aIv" in en_ph  # three ... five


@needs_espeak
def test_espeak_says_a_whole_announcement_as_one_wav(tmp_path):
    player = RecordingPlayer()
    speaker = EspeakSpeaker(tmp_path, player)
    announcement = build_announcement("B100", 12, repeats=2)
    speaker.say(announcement)
    assert len(player.played) == 1
    phrases = sum(pcm.trim(pcm.read(speaker.wav_path(p))).seconds for p in announcement.phrases)
    pauses = sum(p.seconds for p in announcement.parts if isinstance(p, Pause))
    chime = pcm.read(CHIME).seconds
    assert player.played[0].seconds == pytest.approx(phrases + pauses + chime, abs=0.01)


@needs_espeak
def test_the_espeak_cache_stays_under_its_limit(tmp_path):
    speaker = EspeakSpeaker(tmp_path, RecordingPlayer(), max_cache_bytes=400_000)
    for counter in range(1, 7):
        speaker.wav_path(build_announcement("A1", counter).phrases[0])
    files = list(tmp_path.glob("espeak-*.wav"))
    assert sum(f.stat().st_size for f in files) <= 400_000
    assert 0 < len(files) < 6
    assert not list(tmp_path.glob(".synth-*")), "no half-written files left behind"


def test_a_missing_espeak_is_reported_as_not_installed(tmp_path):
    with pytest.raises(VoiceNotInstalled, match="not installed"):
        EspeakSpeaker(tmp_path, RecordingPlayer(), program="espeak-ng-is-not-here")


@needs_espeak
def test_bad_speeds_are_refused(tmp_path):
    with pytest.raises(ValueError, match="speed"):
        EspeakSpeaker(tmp_path, RecordingPlayer(), speeds={"zh": 1000})


# --- recorded clips ---------------------------------------------------------------------------


def _tone(
    path: Path, seconds: float, *, rate: int = pcm.RATE, channels: int = 1, width: int = 2, freq: float = 440.0
) -> None:
    n = round(seconds * rate)
    if width == 2:
        samples = array.array(
            "h", (round(8000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(n) for _ in range(channels))
        )
        data = samples.tobytes()
    else:
        data = bytes(128 for _ in range(n * channels))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)


@pytest.fixture
def clip_dir(tmp_path) -> Path:
    """Clips for prefixes A and B: each a tone of its own length; the digits recorded at 44.1 kHz
    stereo, as a recording program might have written them."""
    folder = tmp_path / "clips"
    folder.mkdir()
    for i, name in enumerate(sorted(required_clips("AB"))):
        if name[3:].isdigit() and len(name) == 4:
            _tone(folder / f"{name}.wav", 0.2, rate=44100, channels=2)
        else:
            _tone(folder / f"{name}.wav", 0.1 + i * 0.005)
    return folder


def test_clips_are_joined_into_one_wav_of_the_right_length(clip_dir):
    player = RecordingPlayer()
    speaker = ClipSpeaker(clip_dir, player, letters="AB")
    announcement = build_announcement("AB007", 15, repeats=2)
    speaker.say(announcement)
    channels, width, rate, frames = _wav_frames(player.played[0].wav)
    assert (channels, width, rate) == (1, 2, pcm.RATE)
    gap = round(0.03 * pcm.RATE)
    expected = 0
    for part in announcement.parts:
        if isinstance(part, Chime):
            expected += len(pcm.read(CHIME).samples)
        elif isinstance(part, Pause):
            expected += round(part.seconds * pcm.RATE)
        else:
            clips = part.clips
            for c in clips:  # each clip's length at the common rate
                _, _, rate_c, frames_c = _wav_frames((clip_dir / f"{c}.wav").read_bytes())
                expected += round(frames_c * pcm.RATE / rate_c)
            expected += gap * (len(clips) - 1)
            punctuation = sum(1 for w in part.words if not w.clips)  # a breath each, no gap
            expected += punctuation * round(COMMA_S * pcm.RATE)
    assert abs(frames - expected) <= 4


def test_a_recorded_chime_replaces_the_shipped_one(clip_dir):
    _tone(clip_dir / "chime.wav", 0.5, freq=880)
    player = RecordingPlayer()
    ClipSpeaker(clip_dir, player, letters="AB").say(build_announcement("A1", 1, repeats=1))
    with_own = player.played[0].seconds
    player2 = RecordingPlayer()
    (clip_dir / "chime.wav").unlink()
    ClipSpeaker(clip_dir, player2, letters="AB").say(build_announcement("A1", 1, repeats=1))
    assert with_own == pytest.approx(player2.played[0].seconds - pcm.read(CHIME).seconds + 0.5, abs=0.01)


def test_missing_clips_are_named_when_the_speaker_is_made(clip_dir):
    (clip_dir / "zh-qing.wav").unlink()
    (clip_dir / "en-7.wav").unlink()
    with pytest.raises(ClipMissing, match=r"lacks 2 clips: en-7.wav \(seven\), zh-qing.wav \(请\)"):
        ClipSpeaker(clip_dir, RecordingPlayer(), letters="AB")


def test_a_letter_the_hall_did_not_record_is_an_error_at_the_call(clip_dir):
    speaker = ClipSpeaker(clip_dir, RecordingPlayer(), letters="AB")
    with pytest.raises(ClipMissing, match="zh-C"):
        speaker.say(build_announcement("C001", 3))


def test_an_unusable_clip_is_refused_with_its_name(clip_dir):
    _tone(clip_dir / "zh-dao.wav", 0.2, width=1)
    with pytest.raises(BadWav, match="zh-dao.wav: 8-bit"):
        ClipSpeaker(clip_dir, RecordingPlayer(), letters="AB")
    (clip_dir / "zh-dao.wav").write_bytes(b"not a wav at all")
    with pytest.raises(BadWav, match="zh-dao.wav: not a PCM WAV"):
        ClipSpeaker(clip_dir, RecordingPlayer(), letters="AB")


def test_choose_speaker_prefers_clips_and_refuses_a_missing_folder(clip_dir, tmp_path):
    assert isinstance(
        choose_speaker(RecordingPlayer(), cache_dir=tmp_path / "c", clip_dir=clip_dir, letters="AB"), ClipSpeaker
    )
    with pytest.raises(VoiceNotInstalled, match="does not exist"):
        choose_speaker(RecordingPlayer(), cache_dir=tmp_path / "c", clip_dir=tmp_path / "nowhere")


# --- the fallback, the sound card, the twin ---------------------------------------------------


def test_chime_only_fallback_warns_once_and_rings_every_call(caplog):
    player = RecordingPlayer()
    with caplog.at_level(logging.WARNING, logger="drivers.voice.fallback"):
        speaker = ChimeOnlySpeaker(player, "espeak-ng is not installed")
        for label in ("A001", "A002", "A003"):
            speaker.say(build_announcement(label, 1))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "espeak-ng is not installed" in warnings[0].getMessage()
    assert [p.wav for p in player.played] == [CHIME.read_bytes()] * 3


def test_the_mixer_plays_a_sound_to_its_end():
    player = MixerPlayer()
    try:
        player.play(BEEP.read_bytes())
        with pytest.raises(PlaybackError, match="refused"):
            player.play(b"RIFF....garbage")
    finally:
        player.close()
    with pytest.raises(PlaybackError, match="closed"):
        player.play(BEEP.read_bytes())


def test_the_paced_player_holds_each_sound_for_its_length_on_the_hall_clock(tmp_path):
    """A screen without a sound card (the demo's) still takes each call's time, on the hall's
    clock: the player asks how long the sound's own length lasts in real time, and waits that."""
    asked: list[float] = []

    def real_seconds(hall_seconds: float) -> float:
        asked.append(hall_seconds)
        return 0.0

    speaker = EspeakSpeaker(tmp_path, PacedPlayer(real_seconds))
    speaker.say(build_announcement("A001", 3, repeats=1))
    (held,) = asked
    whole = pcm.read(speaker.render(build_announcement("A001", 3, repeats=1)), "announcement").seconds
    assert held == pytest.approx(whole) and held > 3
    with pytest.raises(BadWav):
        PacedPlayer(real_seconds).play(b"RIFF....garbage")


def test_a_closed_paced_player_stops_at_once():
    player = PacedPlayer(lambda seconds: 3600.0)  # an hour of real time per sound
    stopper = threading.Thread(target=player.close)
    stopper.start()
    with pytest.raises(PlaybackError, match="closed"):
        player.play(BEEP.read_bytes())
    stopper.join()


def test_the_shipped_sounds_are_what_the_voices_expect():
    for path, least, most in ((CHIME, 1.0, 2.5), (BEEP, 0.05, 0.5)):
        channels, width, rate, frames = _wav_frames(path.read_bytes())
        assert (channels, width, rate) == (1, 2, pcm.RATE)
        assert least <= frames / rate <= most
        samples = pcm.read(path).samples
        assert 4000 < max(abs(s) for s in samples) < 32000, "audible, never clipped"
        assert abs(samples[-1]) < 200, "ends on silence, not a click"


def test_the_recording_speaker_notices_overlapping_announcements(clock):
    both_in = threading.Barrier(2, timeout=10)
    speaker = RecordingSpeaker(clock, while_speaking=lambda a: both_in.wait())
    threads = [threading.Thread(target=speaker.say, args=(build_announcement(f"A00{i}", 1),)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert speaker.overlaps == 1
    assert sorted(speaker.labels) == ["A001", "A002"]


def test_pcm_conversion_keeps_length_and_refuses_junk(tmp_path):
    _tone(tmp_path / "stereo.wav", 1.0, rate=44100, channels=2)
    converted = pcm.read(tmp_path / "stereo.wav")
    assert converted.seconds == pytest.approx(1.0, abs=0.001)
    with pytest.raises(BadWav, match="no such file"):
        pcm.read(tmp_path / "missing.wav")
    _tone(tmp_path / "empty.wav", 0.0)
    with pytest.raises(BadWav, match="holds no sound"):
        pcm.read(tmp_path / "empty.wav")
    quiet = pcm.join([pcm.silence(0.5), converted, pcm.silence(0.5)])
    assert pcm.trim(quiet).seconds == pytest.approx(1.0 + 2 * 0.05, abs=0.01)
