"""Throughput and pair rate limits as token buckets: O(1) per send, no per-request history kept."""

import time


class TokenBuckets:
    """One bucket per key holding up to `capacity` tokens, refilled at `rate` tokens per second."""

    def __init__(self, *, capacity: float, rate: float, clock=time.monotonic):
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def take(self, key: object, *, capacity: float | None = None, rate: float | None = None) -> bool:
        """Spend one token for `key`; False when the bucket is empty (the caller answers the limit error)."""
        capacity = self.capacity if capacity is None else capacity
        rate = self.rate if rate is None else rate
        now = self._clock()
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

    def forget_full(self) -> None:
        """Drop buckets that have refilled completely; they are equal to a fresh one, and memory stays bounded."""
        if self.rate <= 0:
            return
        now = self._clock()
        full_after = self.capacity / self.rate
        stale = [key for key, (_, last) in self._buckets.items() if now - last >= full_after]
        for key in stale:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
