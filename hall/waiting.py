"""How long a citizen still waits, in words: one wording for every place a citizen reads it.

The printed ticket, the kiosk's "please take your ticket" screen, the calling screen's waiting
column and the ticket's live page on the phone all say it with `wait_words`, from the same two
numbers the controller gives them (people ahead, estimated wait in seconds). Worded in each place
apart, a ticket once printed "You are next" while its own page said "about 2 min": being next is
not being called, when every counter is busy.

    wait_words(12, 1500)  ahead   前面还有 12 人 / 12 ahead
                          wait    约 25 分钟 / about 25 min            (a column under "Waiting")
                          line    前面还有 12 人 · 预计等候约 25 分钟 / 12 ahead · about 25 min
    wait_words(0, 120)    line    您是下一位 · 预计等候约 2 分钟 / You are next · about 2 min
    wait_words(0, 0)      line    您是下一位 · 无需等候 / You are next · no wait
    wait_words(3, None, no_counter_open=True)
                          line    前面还有 3 人 · 暂无窗口办理此业务 / 3 ahead · no counter open now
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hall.config import Names


@dataclass(frozen=True)
class WaitWords:
    ahead: Names  # 前面还有 12 人 / 12 ahead, or 您是下一位 / You are next
    wait: Names  # 约 25 分钟 / about 25 min: short, for a column headed "waiting"
    line: Names  # the whole sentence, as the ticket prints it

    @property
    def wait_sentence(self) -> Names:
        """The wait alone as a sentence: 预计等候约 25 分钟 / about 25 min."""
        return Names(self.line.zh.split(" · ", 1)[1], self.line.en.split(" · ", 1)[1])


def wait_minutes(wait_s: float) -> int:
    """The one rounding of an estimated wait to whole minutes: the nearest, halves up (not
    Python's round, which makes 90.5 minutes 90 and 91.5 minutes 92)."""
    return math.floor(wait_s / 60 + 0.5)


def wait_words(ahead: int, wait_s: float | None, *, no_counter_open: bool = False) -> WaitWords:
    """The words for a ticket with `ahead` people before it and an estimated wait of `wait_s`
    seconds (None: not known yet, e.g. a ticket issued offline; or, with `no_counter_open`, no
    counter that serves it is open now: said so honestly rather than guessed). ValueError for
    impossible numbers."""
    if isinstance(ahead, bool) or not isinstance(ahead, int) or ahead < 0:
        raise ValueError(f"people ahead must be a count 0 or more, not {ahead!r}")
    if wait_s is not None and (
        isinstance(wait_s, bool) or not isinstance(wait_s, (int, float)) or not math.isfinite(wait_s) or wait_s < 0
    ):
        raise ValueError(f"an estimated wait must be seconds 0 or more, or None, not {wait_s!r}")
    before = Names("您是下一位", "You are next") if ahead == 0 else Names(f"前面还有 {ahead} 人", f"{ahead} ahead")
    if wait_s is None and no_counter_open:
        wait, said = Names("暂无窗口", "no counter open"), Names("暂无窗口办理此业务", "no counter open now")
    elif wait_s is None:
        wait, said = Names("暂无法估计", "not known yet"), Names("预计等候时间暂无法估计", "wait not known yet")
    elif wait_s < 1:
        wait = said = Names("无需等候", "no wait")
    else:
        minutes = wait_minutes(wait_s)
        if minutes < 1:
            wait = Names("不到 1 分钟", "under 1 min")
        elif minutes < 60:
            wait = Names(f"约 {minutes} 分钟", f"about {minutes} min")
        else:
            h, m = divmod(minutes, 60)
            wait = Names(f"约 {h} 小时" + (f" {m} 分钟" if m else ""), f"about {h} h" + (f" {m} min" if m else ""))
        said = Names("预计等候" + wait.zh, wait.en)
    return WaitWords(before, wait, Names(f"{before.zh} · {said.zh}", f"{before.en} · {said.en}"))
