"""Every call spoken once, in call order, never two at a time; duplicates ignored, recalls spoken
again, stale calls shown but not spoken. The rule book is tested alone, then the worker thread
with the recording speaker and a fake clock."""

from __future__ import annotations

import threading

import pytest

from devices.display.announcer import Announcer, AnnouncerStopped, BadCall, CallEvent, CallQueue
from drivers.voice import Chime, RecordingSpeaker, VoiceError

WAIT_S = 10.0  # a bound for a thread to finish, never a timing assertion


def call(seq: int, label: str | None = None, counter: int = 5, at: float = 0.0, recall: bool = False) -> CallEvent:
    return CallEvent(seq, label or f"A{seq:03d}", counter, at, recall)


# --- the rule book ----------------------------------------------------------------------------


def test_queue_gives_calls_in_sequence_order_and_drops_duplicates():
    q = CallQueue(max_age_s=180)
    for seq in (3, 1, 2):
        assert q.offer(call(seq))
    assert not q.offer(call(2))
    assert len(q) == 3
    assert [q.next_call(now=10).seq for _ in range(3)] == [1, 2, 3]
    assert q.next_call(now=10) is None
    assert not q.offer(call(1)), "already spoken is still a duplicate"


def test_queue_sets_aside_calls_too_old_when_their_turn_comes():
    q = CallQueue(max_age_s=180)
    q.offer(call(1, at=0))
    q.offer(call(2, at=100))
    q.offer(call(3, at=300))
    first = q.next_call(now=320)  # call 1 is 320 s old, call 2 220 s: both too old
    assert first.seq == 3
    assert [c.seq for c in q.take_stale()] == [1, 2]
    assert q.take_stale() == []


def test_a_recall_is_a_new_call():
    q = CallQueue()
    assert q.offer(call(7, "A023"))
    assert q.offer(call(9, "A023", recall=True))
    assert [q.next_call(now=0).label for _ in range(2)] == ["A023", "A023"]


def test_queue_remembers_a_bounded_number_of_sequence_numbers():
    q = CallQueue(remember=3)
    for seq in range(1, 6):
        q.offer(call(seq))
    assert not q.offer(call(5)) and not q.offer(call(3))
    assert q.offer(call(1)), "forgotten long ago: memory stays bounded"


@pytest.mark.parametrize(
    "fields,message",
    [
        ((-1, "A001", 5, 0.0), "sequence"),
        ((1, "王芳", 5, 0.0), "not a ticket number"),
        ((1, "A001", 0, 0.0), "counter"),
        ((1, "A001", 5, "now"), "time"),
    ],
)
def test_bad_call_events_are_refused(fields, message):
    with pytest.raises(BadCall, match=message):
        CallEvent(*fields)


# --- the worker -------------------------------------------------------------------------------


def speaking_takes(clock, seconds: float):
    """What the recording speaker does while 'speaking': time passes, other threads get to run."""

    def speak(announcement):
        clock.advance(seconds)
        threading.Event().wait(0.001)

    return speak


def test_a_burst_of_50_calls_is_heard_once_each_in_order_never_overlapping(clock):
    speaker = RecordingSpeaker(clock, while_speaking=speaking_takes(clock, 2.0))
    calls = [call(seq, at=clock()) for seq in range(1, 51)]
    accepted = []

    def deliver_again():  # QoS 1 redelivery racing the first delivery
        for c in calls:
            accepted.append(announcer.offer(c))

    with Announcer(speaker, clock, max_age_s=180) as announcer:
        other = threading.Thread(target=deliver_again)
        other.start()
        for c in calls:
            accepted.append(announcer.offer(c))
        other.join(WAIT_S)
        assert announcer.wait_idle(WAIT_S)
    assert accepted.count(True) == 50 and accepted.count(False) == 50
    assert speaker.labels == [c.label for c in calls]
    assert speaker.overlaps == 0
    for before, after in zip(speaker.heard, speaker.heard[1:]):
        assert before.end <= after.start
    assert announcer.announced == 50 and announcer.skipped == 0


def test_calls_waiting_behind_are_said_once_the_last_one_twice(clock):
    speaker = RecordingSpeaker(clock)
    announcer = Announcer(speaker, clock, repeats=2, busy_repeats=1)
    for seq in (1, 2, 3):
        announcer.offer(call(seq, at=clock()))
    with announcer:
        assert announcer.wait_idle(WAIT_S)
    assert [len(h.announcement.phrases) for h in speaker.heard] == [2, 2, 4]


def test_a_recall_is_announced_again_and_a_duplicate_is_not(clock):
    speaker = RecordingSpeaker(clock)
    with Announcer(speaker, clock) as announcer:
        assert announcer.offer(call(1, "A023", at=clock()))
        assert announcer.wait_idle(WAIT_S)
        assert not announcer.offer(call(1, "A023", at=clock()))
        assert announcer.offer(call(2, "A023", at=clock(), recall=True))
        assert announcer.wait_idle(WAIT_S)
    assert speaker.labels == ["A023", "A023"]


def test_calls_from_before_a_long_outage_are_not_spoken(clock):
    speaker = RecordingSpeaker(clock)
    outage_start = clock()
    clock.advance(20 * 60)  # the controller comes back twenty minutes later and refills the screen
    with Announcer(speaker, clock, max_age_s=180) as announcer:
        announcer.offer(call(1, "A020", at=outage_start))
        announcer.offer(call(2, "A021", at=clock() - 200))
        announcer.offer(call(3, "A022", at=clock() - 10))
        assert announcer.wait_idle(WAIT_S)
    assert speaker.labels == ["A022"]
    assert announcer.skipped == 2


def test_a_failed_announcement_does_not_silence_the_rest(clock, caplog):
    def speak(announcement):
        if announcement.label == "A002":
            raise VoiceError("the sound card went away")

    speaker = RecordingSpeaker(clock, while_speaking=speak)
    with Announcer(speaker, clock) as announcer:
        for seq in (1, 2, 3):
            announcer.offer(call(seq, at=clock()))
        assert announcer.wait_idle(WAIT_S)
    assert speaker.labels == ["A001", "A003"]
    assert announcer.failed == 1
    assert "A002" in caplog.text and "the sound card went away" in caplog.text


def test_a_bug_in_the_speaker_stops_the_announcer_loudly(clock):
    def speak(announcement):
        raise ZeroDivisionError("a bug")

    announcer = Announcer(RecordingSpeaker(clock, while_speaking=speak), clock).start()
    announcer.offer(call(1, at=clock()))
    with pytest.raises(AnnouncerStopped) as stopped:
        announcer.wait_idle(WAIT_S)
    assert isinstance(stopped.value.__cause__, ZeroDivisionError)
    with pytest.raises(AnnouncerStopped):
        announcer.offer(call(2, at=clock()))
    with pytest.raises(AnnouncerStopped):
        announcer.close(WAIT_S)


def test_bad_repeat_counts_are_refused_when_the_announcer_is_made(clock):
    with pytest.raises(ValueError, match="repeats"):
        Announcer(RecordingSpeaker(clock), clock, repeats=0)


def test_close_stops_the_worker(clock):
    announcer = Announcer(RecordingSpeaker(clock), clock).start()
    announcer.close(WAIT_S)
    assert not announcer._thread.is_alive()
    with pytest.raises(AnnouncerStopped, match="closed"):
        announcer.offer(call(1, at=clock()))


# --- keeping up with a burst, and never dropping a call silently --------------------------------


def test_a_backlog_shortens_the_repeat_then_the_english_then_the_chime_never_the_order(clock):
    from devices.display.announcer import Shortening

    speaker = RecordingSpeaker(clock, while_speaking=speaking_takes(clock, 3.0))
    reports = []
    announcer = Announcer(
        speaker, clock, repeats=2, shortening=Shortening(repeat=1, english=3, chime=5), on_done=reports.append
    )
    for seq in range(1, 9):
        announcer.offer(call(seq, at=clock()))
    with announcer:
        assert announcer.wait_idle(WAIT_S)
    shapes = [
        (
            sum(isinstance(p, Chime) for p in h.announcement.parts),
            sum(p.language == "en" for p in h.announcement.phrases),
            sum(p.language == "zh" for p in h.announcement.phrases),
        )
        for h in speaker.heard
    ]
    # waiting behind each: 7 6 5 4 3 2 1 0
    assert shapes == [(1, 0, 1), (0, 0, 1), (0, 0, 1), (1, 0, 1), (1, 0, 1), (1, 1, 1), (1, 1, 1), (1, 2, 2)]
    assert speaker.labels == [f"A{n:03d}" for n in range(1, 9)]
    assert [r.outcome for r in reports] == ["spoken"] * 8
    assert "without the repeat, English, the chime" in reports[1].reason and reports[7].reason is None
    for r, h in zip(reports, speaker.heard):
        assert (r.started, r.ended) == (h.start, h.end)


def test_every_call_leaves_with_a_report_and_every_skip_with_a_warning(clock, caplog):
    def speak(announcement):
        if announcement.label == "A003":
            raise VoiceError("the sound card went away")

    reports = []
    clock.advance(600)
    with Announcer(
        RecordingSpeaker(clock, while_speaking=speak), clock, max_age_s=180, on_done=reports.append
    ) as announcer:
        announcer.offer(call(1, at=clock() - 300))  # from before an outage
        announcer.offer(call(2, at=clock()))
        announcer.offer(call(3, at=clock()))
        assert announcer.wait_idle(WAIT_S)
    assert [(r.seq, r.outcome) for r in reports] == [(1, "skipped"), (2, "spoken"), (3, "skipped")]
    assert "300 s old" in reports[0].reason and "the sound card went away" in reports[2].reason
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("A001" in w for w in warnings) and any("A003" in w for w in warnings)


def test_a_speaker_that_only_chimes_reports_calls_as_shown_not_heard(clock):
    from drivers.voice import ChimeOnlySpeaker, RecordingPlayer

    reports = []
    with Announcer(
        ChimeOnlySpeaker(RecordingPlayer(), "no voice in this test"), clock, on_done=reports.append
    ) as announcer:
        announcer.offer(call(1, at=clock()))
        assert announcer.wait_idle(WAIT_S)
    assert [(r.outcome, r.reason) for r in reports] == [("shown", "the chime only: no voice is installed")]


def test_a_screen_far_behind_says_so_in_the_log(clock, caplog):
    with Announcer(RecordingSpeaker(clock), clock, behind_s=60) as announcer:
        announcer.offer(call(1, at=clock() - 90))
        assert announcer.wait_idle(WAIT_S)
    assert any("90 s behind" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_shortening_must_drop_the_repeat_first():
    from devices.display.announcer import Shortening

    with pytest.raises(ValueError, match="repeat first"):
        Shortening(repeat=3, english=1, chime=5)


def test_a_call_that_waited_behind_a_long_backlog_is_still_spoken(clock):
    """Old because it waited in this queue is no reason to skip it; only a call that reached the
    screen already old (refilled after an outage) is shown without being spoken."""
    speaker = RecordingSpeaker(clock, while_speaking=speaking_takes(clock, 30.0))
    with Announcer(speaker, clock, max_age_s=180) as announcer:
        for seq in range(1, 11):
            announcer.offer(CallEvent(seq, f"A{seq:03d}", 5, clock(), received=clock()))
        assert announcer.wait_idle(WAIT_S)
    assert len(speaker.heard) == 10 and announcer.skipped == 0
    assert speaker.heard[-1].start - speaker.heard[0].start >= 180  # the last one started long after


def test_a_backlog_that_forms_while_a_call_is_said_cuts_what_is_left_of_it(clock):
    """The first call of a burst starts whole (nothing waited yet); the calls arriving during its
    Chinese sentence make it stop there: no English, no repeat. The ticket number was said once."""
    from drivers.voice import RecordingPlayer, WavSpeaker, pcm

    class Voice(WavSpeaker):
        def phrase(self, phrase):
            return pcm.silence(0.5 if phrase.language == "zh" else 0.25)

    class Burst(RecordingPlayer):
        def play(self, wav):
            super().play(wav)
            if len(self.played) == 1:  # while the first sentence plays, the burst arrives
                for seq in range(2, 8):
                    announcer.offer(call(seq, at=clock()))

    player = Burst()
    reports = []
    announcer = Announcer(Voice(player), clock, repeats=2, on_done=reports.append)
    announcer.offer(call(1, at=clock()))
    with announcer:
        assert announcer.wait_idle(WAIT_S)
    first = reports[0]
    assert (first.seq, first.outcome) == (1, "spoken")
    assert "without the repeat, English" in first.reason
    assert [r.seq for r in reports] == list(range(1, 8)) and all(r.outcome == "spoken" for r in reports)
    # the first call played one WAV (chime and Chinese); then, with 5 4 3 2 1 0 calls waiting behind,
    # Chinese only three times, Chinese and English twice, and the last call, alone, all four sentences
    assert round(player.played[0].seconds, 2) == round(1.7 + 0.3 + 0.5, 2)
    assert len(player.played) == 1 + 3 * 1 + 2 * 2 + 4
