"""A request budget per client address, for the public ticket page.

The ticket page needs no login, so anyone on the hall's Wi-Fi can ask for it. Its links are
unguessable (an HMAC of the ticket id), and this budget makes guessing them hopeless too: each
address gets a bucket of `burst` requests that refills at `per_s` a second; a request finding
the bucket empty is answered 429. A phone following its ticket needs a handful of requests
(the page, its stream, a reconnect now and then), far below the budget.

Behind a reverse proxy every request comes from the proxy's address: run uvicorn with the
proxy's address trusted for X-Forwarded-For (docs/web.md), or the whole hall shares one bucket.
"""

from __future__ import annotations

import time

BURST = 30
PER_S = 0.5
MAX_ADDRESSES = 50_000


class AddressBudget:
    def __init__(self, *, burst: float = BURST, per_s: float = PER_S, clock=time.monotonic):
        self.burst = burst
        self.per_s = per_s
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def take(self, address: str) -> bool:
        """Spend one request of `address`'s budget; False if there is none left."""
        now = self.clock()
        tokens, at = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.per_s)
        if len(self._buckets) >= MAX_ADDRESSES and address not in self._buckets:
            self._forget_full(now)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1, now)
        return True

    def retry_after_s(self, address: str) -> float:
        tokens, _ = self._buckets.get(address, (self.burst, 0.0))
        return max(0.0, (1 - tokens) / self.per_s)

    def _forget_full(self, now: float) -> None:
        """Addresses whose bucket has refilled carry no information: drop them."""
        full_after = self.burst / self.per_s
        for address in [a for a, (_, at) in self._buckets.items() if now - at >= full_after]:
            del self._buckets[address]
