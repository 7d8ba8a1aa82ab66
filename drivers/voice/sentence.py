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
from typing import Literal
from xml.sax.saxutils import escape

LABEL = re.compile(r"[A-Z]{1,3}[0-9]{1,6}")
ZH_DIGITS = "零一二三四五六七八九"
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
EN_TEENS = (
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
EN_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}
MAX_COUNTER = 999

#: How each letter is said in Mandarin (and recorded for the clip speaker): none may sound like a
#: digit (一 yī, 二 èr, 三 sān, 四 sì, 五 wǔ, 六 liù, 七 qī, 八 bā, 九 jiǔ, 零 líng) or like another
#: letter. The usual readings of E (伊 yī) and R (阿尔 ā'ěr) do, so they are read as in the pinyin
#: alphabet every Chinese school teaches: E 鹅 é, R 日 rì. tests/display check every letter through
#: espeak-ng's own phonemes.
ZH_LETTERS = {
    "A": "诶 ēi",
    "B": "必 bì",
    "C": "西 xī",
    "D": "迪 dì",
    "E": "鹅 é (not 伊 yī, which is 一)",
    "F": "艾弗 ài-f",
    "G": "吉 jí",
    "H": "艾尺 ài-chǐ",
    "I": "艾 ài",
    "J": "杰 jié",
    "K": "开 kāi",
    "L": "艾勒 ài-l",
    "M": "艾姆 ài-m",
    "N": "恩 ēn",
    "O": "欧 ōu",
    "P": "批 pī",
    "Q": "丘 qiū",
    "R": "日 rì (not 阿尔 ā'ěr, which ends in 二)",
    "S": "艾丝 ài-s (a short s, not 四 sì)",
    "T": "替 tì",
    "U": "优 yōu",
    "V": "维 wēi",
    "W": "达布溜 dá-bu-liu (one word)",
    "X": "艾克丝 ài-k-s",
    "Y": "歪 wāi",
    "Z": "贼 zéi",
}
#: what espeak-ng's Mandarin (pinyin) voice reads instead of its own spelling of these letters
ZH_SAY = {"E": "e2", "R": "ri4"}


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
    say: str | None = None  # what the synthesiser reads instead of `text` (pinyin for a letter)


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
            if w.spelled and w.say is None:
                run += w.text
                continue
            if run:
                parts.append(f'<say-as interpret-as="characters">{escape(run)}</say-as>')
                run = ""
            parts.append(f" {escape(w.say)} " if w.say is not None else escape(w.text))
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


Part = Chime | Pause | Phrase


@dataclass(frozen=True)
class Announcement:
    """Everything said for one call, in order. `label` and `counter` are kept for logs and tests."""

    label: str
    counter: int
    parts: tuple[Part, ...]

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        return tuple(p for p in self.parts if isinstance(p, Phrase))


def build_announcement(
    label: str,
    counter: int,
    *,
    repeats: int = 2,
    gap_s: float = 0.6,
    repeat_pause_s: float = 1.2,
    with_english: bool = True,
    with_chime: bool = True,
) -> Announcement:
    """Chime, then the Chinese and the English sentence, `repeats` times, with pauses between.
    A shortened announcement (a backlog of calls) may leave out the English sentence or the chime.

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
    parts: list[Part] = [Chime(), Pause(0.3)] if with_chime else []
    for i in range(repeats):
        if i:
            parts.append(Pause(repeat_pause_s))
        parts += [zh, Pause(gap_s), en] if with_english else [zh]
    return Announcement(label, counter, tuple(parts))


def chinese(label: str, counter: int) -> Phrase:
    """请 A023 号到 5 号窗口办理"""
    return Phrase(
        "zh",
        (
            Word("请", ("zh-qing",)),
            *spell(label, "zh"),
            Word("号", ("zh-hao",)),
            Word("到", ("zh-dao",)),
            Word(str(counter), zh_number_clips(counter)),
            Word("号窗口办理", ("zh-hao-chuangkou-banli",)),
        ),
    )


def english(label: str, counter: int) -> Phrase:
    """Ticket A023, please go to counter 5."""
    return Phrase(
        "en",
        (
            Word("Ticket", ("en-ticket",)),
            *spell(label, "en"),
            Word(",", ()),
            Word("please go to counter", ("en-please-go-to-counter",)),
            Word(str(counter), en_number_clips(counter)),
            Word(".", ()),
        ),
    )


def spell(label: str, language: str) -> tuple[Word, ...]:
    """A ticket number character by character: A, 0, 2, 3 (never "twenty-three"). In Mandarin
    the letters whose usual reading is a digit's (E 伊 yī is 一 yī, R 阿尔 ěr is 二 èr) are
    said as Chinese schoolchildren learn them in pinyin (E 鹅 é, R 日 rì): see ZH_LETTERS."""
    if language == "zh":
        return tuple(Word(ch, (f"zh-{ch}",), spelled=True, say=ZH_SAY.get(ch)) for ch in label)
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
    text = {
        "chime": "(the chime; optional, the shipped ding-dong is used without it)",
        "zh-qing": "请",
        "zh-hao": "号",
        "zh-dao": "到",
        "zh-hao-chuangkou-banli": "号窗口办理",
        "zh-shi": "十",
        "zh-bai": "百",
        "en-ticket": "Ticket",
        "en-please-go-to-counter": "please go to counter",
        "en-hundred": "hundred",
    }
    for d in range(10):
        text[f"zh-{d}"] = ZH_DIGITS[d]
        text[f"en-{d}"] = EN_DIGITS[d]
    for i, word in enumerate(EN_TEENS):
        text[f"en-{10 + i}"] = word
    for n, word in EN_TENS.items():
        text[f"en-{n}"] = word
    for ch in string.ascii_uppercase:
        text[f"zh-{ch}"] = f"{ch} read as {ZH_LETTERS[ch]}"
        text[f"en-{ch}"] = f"{ch} (the letter, as read in English)"
    return text


CLIP_TEXT: dict[str, str] = _clip_text()
