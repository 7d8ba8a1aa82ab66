"""What is said for a call, checked as data: no audio needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.voice import CLIP_TEXT, Chime, Pause, Phrase, SentenceError, build_announcement
from drivers.voice.sentence import EN_DIGITS, EN_TEENS, EN_TENS, ZH_DIGITS, english

ZH_CLIP_CHAR = {**{f"zh-{d}": ZH_DIGITS[d] for d in range(10)}, "zh-shi": "十", "zh-bai": "百"}


def _zh_value(clips: tuple[str, ...]) -> int:
    """Read a Chinese cardinal back from its clips (an independent parser: 二十五 -> 25)."""
    text = "".join(ZH_CLIP_CHAR[c] for c in clips)
    total, digit = 0, None
    for ch in text:
        if ch == "百":
            total += (digit or 1) * 100
            digit = None
        elif ch == "十":
            total += (digit or 1) * 10
            digit = None
        else:
            digit = ZH_DIGITS.index(ch)
    return total + (digit or 0)


def _en_value(clips: tuple[str, ...]) -> int:
    words = {
        **{w: i for i, w in enumerate(EN_DIGITS)},
        **{w: 10 + i for i, w in enumerate(EN_TEENS)},
        **{w: n for n, w in EN_TENS.items()},
    }
    total, part = 0, 0
    for clip in clips:
        word = CLIP_TEXT[clip]
        if word == "hundred":
            total += part * 100
            part = 0
        else:
            part += words[word]
    return total + part


@pytest.mark.parametrize(
    "label,counter,zh,en",
    [
        ("A023", 5, "请 A023 号到 5 号窗口办理", "Ticket A023, please go to counter 5."),
        ("A001", 1, "请 A001 号到 1 号窗口办理", "Ticket A001, please go to counter 1."),
        ("B100", 12, "请 B100 号到 12 号窗口办理", "Ticket B100, please go to counter 12."),
        ("AB007", 20, "请 AB007 号到 20 号窗口办理", "Ticket AB007, please go to counter 20."),
        ("XYZ100", 99, "请 XYZ100 号到 99 号窗口办理", "Ticket XYZ100, please go to counter 99."),
    ],
)
def test_the_sentence_reads_as_written(label, counter, zh, en):
    zh_phrase, en_phrase = build_announcement(label, counter).phrases[:2]
    assert (zh_phrase.language, zh_phrase.text) == ("zh", zh)
    assert (en_phrase.language, en_phrase.text) == ("en", en)


@pytest.mark.parametrize("label", ["A001", "B100", "AB007", "XYZ100", "C0", "D9"])
def test_ticket_numbers_are_spelled_character_by_character(label):
    zh, en = build_announcement(label, 5).phrases[:2]
    assert [c for c in zh.clips if c not in ("zh-qing", "zh-hao", "zh-dao", "zh-5", "zh-hao-chuangkou-banli")] == [
        f"zh-{ch}" for ch in label
    ]
    assert [c for c in en.clips if c not in ("en-ticket", "en-please-go-to-counter", "en-5")] == [
        f"en-{ch}" for ch in label
    ]
    spelled = f'<say-as interpret-as="characters">{label}</say-as>'
    assert spelled in zh.ssml() and spelled in en.ssml()


def test_the_ssml_is_what_espeak_expects():
    zh, en = build_announcement("AB007", 15).phrases[:2]
    assert zh.ssml() == '<speak>请<say-as interpret-as="characters">AB007</say-as>号到15号窗口办理</speak>'
    assert en.ssml() == (
        '<speak>Ticket <say-as interpret-as="characters">AB007</say-as>, please go to counter 15.</speak>'
    )


@pytest.mark.parametrize("counter", range(1, 100))
def test_counters_1_to_99_are_read_as_numbers(counter):
    zh, en = build_announcement("A023", counter).phrases[:2]
    zh_counter = zh.words[-2].clips
    en_counter = en.words[-2].clips
    assert _zh_value(zh_counter) == counter
    assert _en_value(en_counter) == counter
    assert zh_counter[0] != "zh-1" or counter < 10, "Chinese says 十二, not 一十二"
    assert all(c in CLIP_TEXT for c in zh.clips + en.clips)


@pytest.mark.parametrize(
    "counter,chinese,english_words",
    [
        (10, "十", "ten"),
        (11, "十一", "eleven"),
        (20, "二十", "twenty"),
        (21, "二十一", "twenty one"),
        (100, "一百", "one hundred"),
        (105, "一百零五", "one hundred five"),
        (110, "一百一十", "one hundred ten"),
        (999, "九百九十九", "nine hundred ninety nine"),
    ],
)
def test_larger_counter_numbers(counter, chinese, english_words):
    zh, en = build_announcement("A1", counter).phrases[:2]
    assert "".join(ZH_CLIP_CHAR[c] for c in zh.words[-2].clips) == chinese
    assert " ".join(CLIP_TEXT[c] for c in en.words[-2].clips) == english_words


def test_chime_then_both_languages_repeated_with_pauses():
    parts = build_announcement("A023", 5, repeats=2).parts
    assert isinstance(parts[0], Chime)
    assert sum(isinstance(p, Chime) for p in parts) == 1
    phrases = [p for p in parts if isinstance(p, Phrase)]
    assert [p.language for p in phrases] == ["zh", "en", "zh", "en"]
    for before, after in zip(parts, parts[1:]):  # never two phrases back to back
        assert not (isinstance(before, Phrase) and isinstance(after, Phrase))
    assert all(p.seconds > 0 for p in parts if isinstance(p, Pause))
    assert [p.language for p in build_announcement("A023", 5, repeats=1).phrases] == ["zh", "en"]
    assert len(build_announcement("A023", 5, repeats=3).phrases) == 6


@pytest.mark.parametrize(
    "label,counter,repeats,message",
    [
        ("张三", 5, 2, "not a ticket number"),
        ("a023", 5, 2, "not a ticket number"),
        ("ABCD1", 5, 2, "not a ticket number"),
        ("A", 5, 2, "not a ticket number"),
        ("A023", 0, 2, "counter"),
        ("A023", 1000, 2, "counter"),
        ("A023", True, 2, "counter"),
        ("A023", 5, 0, "repeats"),
    ],
)
def test_calls_that_cannot_be_spoken_are_refused(label, counter, repeats, message):
    with pytest.raises(SentenceError, match=message):
        build_announcement(label, counter, repeats=repeats)


def test_the_english_phrase_needs_no_clip_for_punctuation():
    words = english("A1", 2).words
    assert [w.text for w in words if not w.clips] == [",", "."]


def test_the_technicians_guide_lists_every_clip():
    """docs/display.md tells a hall which files to record; it must not drift from the code."""
    guide = (Path(__file__).parents[2] / "docs" / "display.md").read_text(encoding="utf-8")
    ranges = {
        "zh-": ("`zh-0.wav` … `zh-9.wav`", "`zh-A.wav` … `zh-Z.wav`"),
        "en-": (
            "`en-0.wav` … `en-9.wav`",
            "`en-10.wav` … `en-19.wav`",
            "`en-20.wav`, `en-30.wav` … `en-90.wav`",
            "`en-A.wav` … `en-Z.wav`",
        ),
    }
    for spans in ranges.values():
        for span in spans:
            assert span in guide
    for name, words in CLIP_TEXT.items():
        tail = name.partition("-")[2]
        if tail.isdigit() or (len(tail) == 1 and tail.isupper()):
            continue  # covered by the ranges above
        assert f"`{name}.wav`" in guide, f"{name}.wav ({words}) is missing from docs/display.md"
        if name != "chime":
            assert f"| {words}" in guide, f"{name}.wav should say {words!r} in docs/display.md"
