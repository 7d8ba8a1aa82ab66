"""Letters that cannot be mistaken: in Mandarin no ticket prefix letter may sound like a digit or
like another letter ("E107" said "yì yī líng qī" is heard as 11 07). Checked on what espeak-ng
itself will pronounce (`-x` phonemes), syllable by syllable with the tones taken off, since a
tone is what a busy hall mishears first."""

from __future__ import annotations

import re
import shutil
import string

import pytest

from drivers.voice import EspeakSpeaker, RecordingPlayer
from drivers.voice.clips import required_clips
from drivers.voice.sentence import CLIP_TEXT, ZH_LETTERS, Phrase, chinese, spell

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def syllables(phonemes: str) -> tuple[str, ...]:
    """espeak-ng's mnemonics as toneless syllables: "ta35pliou33" -> ("ta", "pliou"). The tone
    follows the vowel, so what comes after the last tone (san's n, a letter's final s) closes the
    last syllable: "s'a55n" -> ("san",)."""
    bare = re.sub(r"[_!|:'\s,]", "", phonemes)
    said = [re.sub(r"\d", "", s) for s in re.findall(r"[^\d]+\d+", bare)]
    coda = re.sub(r".*\d", "", bare)
    if said and coda != bare:
        said[-1] += coda
    elif coda:
        said.append(coda)
    return tuple(said)


def spoken(speaker: EspeakSpeaker, characters: str) -> tuple[str, ...]:
    return syllables(speaker.phonemes(Phrase("zh", spell(characters, "zh"))))


@pytest.fixture(scope="module")
def speaker(tmp_path_factory):
    return EspeakSpeaker(tmp_path_factory.mktemp("voice"), RecordingPlayer())


def test_syllables_drop_tones_and_marks():
    assert syllables("'ai35ks_!_|") == ("aiks",)
    assert syllables("s'a55n_!_|") == ("san",)
    assert syllables("ta35pliou33_!_|") == ("ta", "pliou")
    assert syllables("j'i51_!_|") == syllables("j'i55_!_|") == ("ji",)


@needs_espeak
def test_no_letter_sounds_like_a_digit_or_another_letter(speaker):
    digits = {d: spoken(speaker, d) for d in string.digits}
    digit_syllables = {s for said in digits.values() for s in said}
    letters = {ch: spoken(speaker, ch) for ch in string.ascii_uppercase}
    for letter, said in letters.items():
        assert said, f"{letter} is not said at all"
        clash = set(said) & digit_syllables
        assert not clash, f"{letter} is said {said}, which has the syllable of a digit: {clash}"
    assert len(set(letters.values())) == 26, "two letters sound the same"


@needs_espeak
def test_e107_is_no_longer_heard_as_eleven_o_seven(speaker):
    said = syllables(speaker.phonemes(chinese("E107", 5)))
    one = spoken(speaker, "1")[0]
    assert said[1] != one and said[2] == one  # 请 é 1 0 7 …: one "yī", the digit's own


def test_the_clip_speaker_covers_every_letter_with_a_mandarin_reading():
    need = required_clips()
    for ch in string.ascii_uppercase:
        assert f"zh-{ch}" in need and f"en-{ch}" in need
        assert CLIP_TEXT[f"zh-{ch}"].endswith(ZH_LETTERS[ch])
    assert "鹅" in CLIP_TEXT["zh-E"] and "日" in CLIP_TEXT["zh-R"]


def test_the_written_sentence_keeps_the_ticket_number_whole():
    assert chinese("E107", 5).text == "请 E107 号到 5 号窗口办理"
    assert chinese("E107", 5).clips[:5] == ("zh-qing", "zh-E", "zh-1", "zh-0", "zh-7")
