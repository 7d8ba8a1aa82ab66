"""The notifier: reads the alerts from the journal and tells the channels, on a thread of its own.

Why it reads the journal (by a high-water mark) instead of being handed alerts by the controller's
loop: the loop stays exactly as it was (no queue, no extra write in its commit, nothing to wait
for), and everything the notifier needs is already durable there, in order: raised,
acknowledged (by whom), cleared. The notifier keeps its own outbox (outbox.py) where each
(alert, channel) is a row, so an alert read twice (the high-water mark is saved lazily) is
planned once, and a message is sent at most once per channel whatever restarts in between.

Each `step(now)`:
1. read new alert events from the journal (a read-only connection; WAL readers never block the
   controller's writer) and plan their deliveries (routing.py) into the outbox, in one transaction;
2. take the deliveries that are due, group them by channel, rule and kind (a digest rule by
   channel and rule), hold a group in quiet hours or inside its rate limit, and send each group as
   one message ("and 7 more"); a failure is kept with its reason and retried with backoff.

`run(stop)` repeats `step(clock())` every POLL_S; tests call `step` with the time they choose.
A channel that is down costs this thread its timeout (channels.py), never the controller's loop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from hall import clock as hall_clock
from hall.config import Hall
from hall_controller.alerts import links, routing, texts
from hall_controller.alerts.outbox import Delivery, Outbox
from hall_controller.engine import events as ev

log = logging.getLogger("hall.alerts")

POLL_S = 0.5
STOP_WAIT_S = 2.0  # how long a stopping controller waits for a message being sent
ERROR_EVERY_S = 60.0  # the same error of the notifier's round is logged at most this often
READ_LIMIT = 5_000  # journal rows read per step at most
RETRY_S = (30.0, 1800.0)  # backoff between attempts on a failing channel: 30 s doubling to 30 min
GIVE_UP_S = 12 * 3600  # a message not delivered within 12 hours of its time is given up
STALE_S = 12 * 3600  # alerts older than this when first read (a long outage) are not sent
SAVE_MARK_S = 30.0  # the high-water mark is saved at least this often when nothing else changes
WEB_ALERTS = 30  # the web shows the delivery states of this many newest alerts
ALERT_EVENTS = ("AlertRaised", "AlertAcknowledged", "AlertCleared")

Send = Callable[[str, str, str], "str | None"]


class Notifier:
    def __init__(
        self,
        hall: Hall,
        journal_path: str | Path,
        outbox_path: str | Path,
        urls: dict[str, str],
        *,
        send: Send | None = None,
        clock: Callable[[], float] = hall_clock.now,
        on_change: Callable[[], None] | None = None,
        link_secret: bytes | None = None,
    ):
        if send is None:
            from hall_controller.alerts import channels

            channels.load()  # now, before the controller serves (see channels.load)
            send = channels.send
        self.hall, self.alerts, self.urls = hall, hall.alerts, urls
        self.rules = {rule.name: rule for rule in self.alerts.rules}
        self.send, self.clock, self.on_change = send, clock, on_change
        self.link_secret = link_secret  # signs the messages' reply links (links.py); None: plain links
        self.journal_path = Path(journal_path)
        self.outbox = Outbox(outbox_path)
        self._journal: sqlite3.Connection | None = None
        self.seq = self.outbox.journal_seq()
        if self.seq is None:  # a new outbox: alerts from now on, not the journal's whole history
            db = self._journal_db()
            self.seq = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0] if db else 0
            self.outbox.set_journal_seq(self.seq)
        self._saved_seq, self._saved_at = self.seq, 0.0
        self.states: dict[int, list[dict]] = {}  # what the web shows; replaced whole, never changed
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        n = self.outbox.interrupted(clock())
        if n:
            log.warning(
                "%d alert message(s) were being sent when the controller stopped; "
                "they are not sent again (see their state on the web)",
                n,
            )
        self._refresh_states()

    # --- running ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="alert-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; a send still hanging after STOP_WAIT_S is left to die with the process
        (its row stays `sending`, so the next start marks it `unknown` and does not send it again)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            if self._thread.is_alive():
                log.warning(
                    "an alert message is still being sent as the controller stops; "
                    "it will be shown as unknown, and not sent again"
                )
                return
        self.close()

    def run(self, stop: threading.Event) -> None:
        last_error, said_at = "", 0.0
        while not stop.wait(POLL_S):
            try:
                self.step(self.clock())
            except Exception as e:  # our own bug or a damaged file: say so, and keep the hall's loop untouched
                now = time.monotonic()
                if repr(e) != last_error or now - said_at >= ERROR_EVERY_S:  # not twice a second
                    log.exception("the alert notifier hit an error in this round; trying again")
                    last_error, said_at = repr(e), now

    def close(self) -> None:
        if self.seq != self._saved_seq:
            self.outbox.set_journal_seq(self.seq)
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.outbox.close()

    def step(self, now: float) -> None:
        changed = self.read_journal(now)
        changed |= self.deliver(now)
        if changed:
            self._refresh_states()

    # --- 1. the journal ---------------------------------------------------------------------

    def _journal_db(self) -> sqlite3.Connection | None:
        if self._journal is None:
            if not self.journal_path.exists():
                return None
            self._journal = sqlite3.connect(
                self.journal_path.resolve().as_uri() + "?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            self._journal.execute("PRAGMA busy_timeout=5000")
        return self._journal

    def read_journal(self, now: float) -> bool:
        db = self._journal_db()
        if db is None:
            return False
        db.execute("BEGIN")  # one snapshot for the last seq and the rows
        try:
            last = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            marks = ",".join("?" * len(ALERT_EVENTS))
            rows = db.execute(
                f"SELECT seq, type, body FROM events WHERE seq > ? AND seq <= ? AND type IN ({marks}) "
                f"ORDER BY seq LIMIT ?",
                (self.seq, last, *ALERT_EVENTS, READ_LIMIT),
            ).fetchall()
        finally:
            db.execute("COMMIT")
        upto = last if len(rows) < READ_LIMIT else rows[-1][0]
        if rows:
            with self.outbox.transaction():
                for _, name, body in rows:
                    self._take(ev.decode(name, body), now)
                self.outbox.set_journal_seq(upto)
            self._saved_seq, self._saved_at = upto, now
        elif upto != self._saved_seq and now - self._saved_at >= SAVE_MARK_S:
            self.outbox.set_journal_seq(upto)
            self._saved_seq, self._saved_at = upto, now
        self.seq = upto
        return bool(rows)

    def _take(self, event, now: float) -> None:
        if isinstance(event, ev.AlertRaised):
            sev = routing.severity(event.kind, event.message)
            if not self.outbox.add_alert(event.alert, event.kind, event.subject, event.message, sev, event.at):
                return  # read again after a restart: planned the first time
            if now - event.at > STALE_S:
                return
            for p in routing.plan(self.alerts, event.kind, sev, event.at, self.hall.tz):
                self.outbox.add_delivery(event.alert, p.channel, p.rule, event.kind, p.level, p.digest, p.due, now)
        elif isinstance(event, ev.AlertAcknowledged):
            self.outbox.acknowledged(event.alert, event.by, event.at)
        elif isinstance(event, ev.AlertCleared):
            self.outbox.cleared(event.alert, event.at)

    # --- 2. the channels --------------------------------------------------------------------

    def deliver(self, now: float) -> bool:
        ready = self.outbox.ready(now)
        if not ready:
            return False
        groups: dict[tuple, list[Delivery]] = defaultdict(list)
        for d in ready:
            groups[(d.channel, d.rule, "" if d.digest else d.kind, d.digest)].append(d)
        for (channel, rule_name, kind, digest), group in groups.items():
            rule = self.rules.get(rule_name)
            if not digest:
                later = routing.hold_until(rule, now, self.outbox.last_sent(channel, rule_name, kind), self.hall.tz)
                if later is not None:
                    self.outbox.postpone(group, later, now)
                    continue
            self._send(channel, group, now, digest)
        return True

    def _send(self, channel: str, group: list[Delivery], now: float, digest: bool) -> None:
        url = self.urls.get(channel)
        if url is None:
            self.outbox.failed(group, f"channel {channel!r} has no URL in the alert secrets file", now, None)
            return
        title, body = texts.compose(
            [texts.AlertText(d.alert, d.kind, d.message, d.raised_at, d.level) for d in group],
            hall_name=f"{self.hall.names.zh} {self.hall.names.en}",
            web_url=self.alerts.web_url,
            tz=self.hall.tz,
            digest=digest,
            ack_link=None
            if digest or self.link_secret is None
            else links.ack_url(self.alerts.web_url, self.link_secret, group[0].alert, channel),
        )
        self.outbox.sending(group, now)
        try:
            why = self.send(url, title, body)
        except Exception as e:  # noqa: BLE001 - a channel library's fault is a failed delivery, not a crash
            why = f"{type(e).__name__}: {e}"[:300]
        if why is None:
            self.outbox.sent(group, now)
            log.info("alert(s) %s sent to %s", ", ".join(str(d.alert) for d in group), channel)
            return
        attempts = max(d.attempts for d in group) + 1
        retry = min(RETRY_S[0] * 2 ** (attempts - 1), RETRY_S[1])
        give_up = now + retry > min(d.due for d in group) + GIVE_UP_S
        self.outbox.failed(group, why, now, None if give_up else now + retry)
        log.warning(
            "alert message to %s failed (%s); %s",
            channel,
            why,
            "given up" if give_up else f"trying again in {retry:.0f} s",
        )

    # --- the web ----------------------------------------------------------------------------

    def _refresh_states(self) -> None:
        self.states = self.outbox.states(WEB_ALERTS)
        if self.on_change is not None:
            self.on_change()
