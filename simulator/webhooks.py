"""Webhook delivery: status and template events, scheduled, batched, signed and retried off the send path.

Sends only push an event onto a heap (O(log n)); one pump task pops due events every
`webhook_flush_interval_s`, groups them per phone number / business account into Meta's envelope,
and POSTs them with bounded concurrency so a slow receiver never slows the Graph API answers.
"""

import asyncio
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable

import aiohttp

from .config import SimulatorConfig

logger = logging.getLogger("simulator.webhooks")


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header value Meta sends: HMAC-SHA256 of the raw body, keyed with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def envelope(waba_id: str, field: str, value: dict) -> dict:
    """Meta's envelope: one entry with one change; account-level fields (templates…) also carry `entry.time`."""
    entry: dict = {"id": waba_id, "changes": [{"field": field, "value": value}]}
    if field != "messages":
        entry = {"id": waba_id, "time": int(time.time()), "changes": entry["changes"]}
    return {"object": "whatsapp_business_account", "entry": [entry]}


ANSWER_TIMES_KEPT = 1_000_000


def percentile(values: list[float], share: float) -> float | None:
    """The value at `share` (0-1) of the sorted values (nearest rank), None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# A scheduled event is a plain tuple (due, seq, apply): tuples compare in C, which matters at 9,000 events/s.
# `apply()` returns (waba_id, field, group key, value) to deliver, or None.
EventApply = Callable[[], tuple[str, str, str, dict] | None]


class WebhookDispatcher:
    """Owns the event heap, the pump task and the HTTP session used for callbacks."""

    def __init__(self, get_config: Callable[[], SimulatorConfig]):
        self._config = get_config
        self._heap: list[tuple[float, int, EventApply]] = []
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task] = set()
        self._pump: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self.stats: Counter = Counter()
        self.deliveries: deque[dict] = deque(maxlen=1000)
        # How long each POST took to be answered (seconds), newest last: the receiver's answer time as Meta sees it.
        self.answer_seconds: deque[float] = deque(maxlen=ANSWER_TIMES_KEPT)
        self.last_delivered_at: float | None = None  # wall clock of the last answered POST

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._semaphore = asyncio.Semaphore(max(1, self._config().webhook_concurrency))
        self._pump = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._pump:
            self._pump.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*([self._pump] if self._pump else []), *self._tasks, return_exceptions=True)
        if self._session:
            await self._session.close()

    def clear(self) -> None:
        """Forget scheduled events and history (reset); POSTs already in flight finish on their own."""
        self._heap.clear()
        self.stats.clear()
        self.deliveries.clear()
        self.answer_seconds.clear()
        self.last_delivered_at = None

    @property
    def pending(self) -> int:
        return len(self._heap)

    def answer_times(self) -> dict:
        """The receiver's answer time over the POSTs since the last reset: GET /_sim/webhooks/latency."""
        values = list(self.answer_seconds)
        return {
            "posts": len(values), "in_flight_or_scheduled": self.pending + len(self._tasks),
            "p50_seconds": percentile(values, 0.5), "p90_seconds": percentile(values, 0.9),
            "p99_seconds": percentile(values, 0.99), "max_seconds": max(values, default=None),
            "last_delivered_at": self.last_delivered_at,
        }

    # ------------------------------------------------------------------ scheduling
    def schedule(self, delay_s: float, apply: EventApply) -> None:
        """Run `apply` after `delay_s`; what it returns is delivered as one change of a webhook."""
        heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._seq), apply))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._config().webhook_flush_interval_s)
            try:
                # Read the config after sleeping: it may have changed meanwhile (e.g. a new callback_url).
                self._flush_due(self._config())
            except Exception:  # keep the pump alive whatever one event does
                logger.exception("webhook pump failed on an event")

    def _flush_due(self, config: SimulatorConfig) -> None:
        now = time.monotonic()
        groups: dict[tuple[str, str, str], list[dict]] = {}
        while self._heap and self._heap[0][0] <= now:
            outcome = heapq.heappop(self._heap)[2]()
            if outcome is None:
                continue
            waba_id, field, key, item = outcome
            groups.setdefault((waba_id, field, key), []).append(item)
        if not config.callback_url:
            return
        for (waba_id, field, _key), items in groups.items():
            for start in range(0, len(items), max(1, config.webhook_batch_size)):
                batch = items[start:start + config.webhook_batch_size]
                self._spawn(self._deliver(config.callback_url, waba_id, field, batch))

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ delivery
    async def _deliver(self, url: str, waba_id: str, field: str, items: list[dict]) -> None:
        value = _merge(items)
        body = json.dumps(envelope(waba_id, field, value), separators=(",", ":")).encode()
        config = self._config()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, config.app_secret)}
        attempts, status_code, delivered, answer = 0, None, False, None
        backoff = config.webhook_retry_backoff_s
        while attempts <= config.webhook_retries:
            attempts += 1
            try:
                async with self._semaphore:
                    started = time.perf_counter()  # after the wait for a free slot: the receiver's own time
                    async with self._session.post(
                        url, data=body, headers=headers,
                        timeout=aiohttp.ClientTimeout(total=config.webhook_timeout_s),
                    ) as response:
                        status_code = response.status
                        await response.read()
                    answer = time.perf_counter() - started
                    self.answer_seconds.append(answer)
                delivered = 200 <= status_code < 300
            except (aiohttp.ClientError, TimeoutError) as exc:
                status_code = None
                logger.warning("webhook POST failed (%s), attempt %s", type(exc).__name__, attempts)
            if delivered:
                break
            self.stats["webhook_attempts_failed"] += 1
            if attempts <= config.webhook_retries:
                await asyncio.sleep(backoff)
                backoff *= 2
        self.stats["webhook_posts_delivered" if delivered else "webhook_posts_given_up"] += 1
        if delivered:
            self.stats["webhook_statuses_delivered"] += len(value.get("statuses", []))
            self.last_delivered_at = time.time()
        self.deliveries.append({
            "field": field, "status_code": status_code, "attempts": attempts, "delivered": delivered,
            "at": time.time(), "answer_ms": None if answer is None else round(answer * 1000, 2),
            "payload": json.loads(body),
        })


def _merge(items: list[dict]) -> dict:
    """Statuses of one number share metadata: their lists are concatenated into one `value`, each contact once.

    Only statuses are grouped (inbound messages have a group of their own each), so a value never holds both.
    """
    if len(items) == 1:
        return items[0]
    value = {key: val for key, val in items[0].items() if key not in ("statuses", "contacts")}
    contacts = (c for item in items for c in item.get("contacts", []))
    value["contacts"] = list({c.get("wa_id") or c.get("user_id"): c for c in contacts}.values())
    value["statuses"] = [status for item in items for status in item.get("statuses", [])]
    return value
