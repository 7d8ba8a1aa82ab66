"""What is said for a call, as data: chime, "请 A023 号到 5 号窗口办理", "Ticket A023, please go to counter 5".

Built once here and spoken by any speaker: espeak-ng reads each phrase's text (ticket numbers
wrapped in SSML `say-as characters`, so "A023" is "A 零 二 三" / "A zero two three", never
"twenty-three"); the clip speaker plays each word's recorded clips. Because the sentence is plain
data, tests check it for every prefix length, number and counter without any audio.

Clip names are ASCII (`zh-qing`, `en-A`, `zh-7`…) so a technician can copy them on any USB stick;
`CLIP_TEXT` lists every clip and what the voice in it says (docs/display.md prints the table).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Literal, Union
from xml.sax.saxutils import escape

LABEL = re.compile(r"[A-Z]{1,3}[0-9]{1,6}")
ZH_DIGITS = "零一二三四五六七八九"
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen")
EN_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy",
           80: "eighty", 90: "ninety"}
MAX_COUNTER = 999


class SentenceError(ValueError):
    """A call that cannot be spoken: the ticket label or counter number is not one we can say."""


@dataclass(frozen=True)
class Word:
    """One unit of speech: `text` is what a synthesiser reads, `clips` what the clip speaker plays.

    `spelled` words are read character by character (ticket numbers). A word with no clips is
    punctuation: a breath for the synthesiser, a short silence for clips.
    """
    text: str
    clips: tuple[str, ...]
    spelled: bool = False


@dataclass(frozen=True)
class Phrase:
    language: Literal["zh", "en"]
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        """The phrase as a person would write it: "请 A023 号到 5 号窗口办理"."""
        out, spelled = "", False
        for w in self.words:
            if self.language == "zh":
                if out and (w.spelled != spelled or (not w.spelled and w.text.isdigit())):
                    out += " "
                out += w.text
            else:
                glue = "" if (not out or w.text in ",." or (w.spelled and spelled)) else " "
                out += glue + w.text
            spelled = w.spelled or w.text.isdigit()
        return out

    def ssml(self) -> str:
        """The phrase for espeak-ng `-m`: spelled runs inside `<say-as interpret-as="characters">`."""
        parts: list[str] = []
        run = ""
        for w in self.words:
            if w.spelled:
                run += w.text
                continue
            if run:
                parts.append(f'<say-as interpret-as="characters">{escape(run)}</say-as>')
                run = ""
            parts.append(escape(w.text))
        if run:
            parts.append(f'<say-as interpret-as="characters">{escape(run)}</say-as>')
        sep = "" if self.language == "zh" else " "
        body = sep.join(parts).replace(" ,", ",").replace(" .", ".")
        return f"<speak>{body}</speak>"

    @property
    def clips(self) -> tuple[str, ...]:
        return tuple(c for w in self.words for c in w.clips)


@dataclass(frozen=True)
class Chime:
    """The ding-dong that makes the hall look up."""


@dataclass(frozen=True)
class Pause:
    seconds: float


Part = Union[Chime, Pause, Phrase]


@dataclass(frozen=True)
class Announcement:
    """Everything said for one call, in order. `label` and `counter` are kept for logs and tests."""
    label: str
    counter: int
    parts: tuple[Part, ...]

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        return tuple(p for p in self.parts if isinstance(p, Phrase))


def build_announcement(label: str, counter: int, *, repeats: int = 2, gap_s: float = 0.6,
                       repeat_pause_s: float = 1.2) -> Announcement:
    """Chime, then the Chinese and the English sentence, `repeats` times, with pauses between.

    Raises SentenceError for a label that is not a ticket number (one to three capital letters and
    digits: never a name) or a counter outside 1-999.
    """
    if not isinstance(label, str) or not LABEL.fullmatch(label):
        raise SentenceError(f"{label!r} is not a ticket number like A023 (1-3 capital letters, then digits)")
    if isinstance(counter, bool) or not isinstance(counter, int) or not 1 <= counter <= MAX_COUNTER:
        raise SentenceError(f"counter {counter!r} is not a counter number from 1 to {MAX_COUNTER}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= 5:
        raise SentenceError(f"repeats {repeats!r} must be a whole number from 1 to 5")
    zh, en = chinese(label, counter), english(label, counter)
    parts: list[Part] = [Chime(), Pause(0.3)]
    for i in range(repeats):
        if i:
            parts.append(Pause(repeat_pause_s))
        parts += [zh, Pause(gap_s), en]
    return Announcement(label, counter, tuple(parts))


def chinese(label: str, counter: int) -> Phrase:
    """请 A023 号到 5 号窗口办理"""
    return Phrase("zh", (
        Word("请", ("zh-qing",)),
        *spell(label, "zh"),
        Word("号", ("zh-hao",)),
        Word("到", ("zh-dao",)),
        Word(str(counter), zh_number_clips(counter)),
        Word("号窗口办理", ("zh-hao-chuangkou-banli",)),
    ))


def english(label: str, counter: int) -> Phrase:
    """Ticket A023, please go to counter 5."""
    return Phrase("en", (
        Word("Ticket", ("en-ticket",)),
        *spell(label, "en"),
        Word(",", ()),
        Word("please go to counter", ("en-please-go-to-counter",)),
        Word(str(counter), en_number_clips(counter)),
        Word(".", ()),
    ))


def spell(label: str, language: str) -> tuple[Word, ...]:
    """A ticket number character by character: A, 0, 2, 3 (never "twenty-three")."""
    return tuple(Word(ch, (f"{language}-{ch}",), spelled=True) for ch in label)


def zh_number_clips(n: int) -> tuple[str, ...]:
    """A counter number read as a Chinese cardinal: 5 五, 12 十二, 20 二十, 105 一百零五."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out: list[str] = []
    if hundreds:
        out += [f"zh-{hundreds}", "zh-bai"]
        if rest and tens == 0:
            out.append("zh-0")
    if tens:
        if tens > 1 or hundreds:
            out.append(f"zh-{tens}")
        out.append("zh-shi")
    if ones or n == 0:
        out.append(f"zh-{ones}")
    return tuple(out)


def en_number_clips(n: int) -> tuple[str, ...]:
    """A counter number read as an English cardinal: 5 five, 15 fifteen, 42 forty-two, 305 three hundred five."""
    hundreds, rest = divmod(n, 100)
    out: list[str] = []
    if hundreds:
        out += [f"en-{hundreds}", "en-hundred"]
    if 10 <= rest < 20:
        out.append(f"en-{rest}")
    else:
        tens, ones = divmod(rest, 10)
        if tens:
            out.append(f"en-{tens * 10}")
        if ones or n == 0:
            out.append(f"en-{ones}")
    return tuple(out)


def _clip_text() -> dict[str, str]:
    text = {"chime": "(the chime; optional, the shipped ding-dong is used without it)",
            "zh-qing": "请", "zh-hao": "号", "zh-dao": "到", "zh-hao-chuangkou-banli": "号窗口办理",
            "zh-shi": "十", "zh-bai": "百",
            "en-ticket": "Ticket", "en-please-go-to-counter": "please go to counter", "en-hundred": "hundred"}
    for d in range(10):
        text[f"zh-{d}"] = ZH_DIGITS[d]
        text[f"en-{d}"] = EN_DIGITS[d]
    for i, word in enumerate(EN_TEENS):
        text[f"en-{10 + i}"] = word
    for n, word in EN_TENS.items():
        text[f"en-{n}"] = word
    for ch in string.ascii_uppercase:
        text[f"zh-{ch}"] = f"{ch} (the letter, as read in Mandarin)"
        text[f"en-{ch}"] = f"{ch} (the letter, as read in English)"
    return text


CLIP_TEXT: dict[str, str] = _clip_text()
