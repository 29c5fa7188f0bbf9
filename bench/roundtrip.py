"""The round trip (bench/run.py, scenario 7 and the default of `make bench`): scenario 3 with Meta's status
webhooks flowing back and a callback endpoint registered.

The simulator sends sent, delivered and read for every accepted message (at `--status-delays`) to the
gateway's webhook URL; the gateway applies them and posts `broadcast.*` events to the harness's own receiver
(bench/receiver.py). Measured: outbound msg/s (as scenario 3), the webhook answer time as the simulator's
sender saw it, how long after the last send every status was applied and every callback delivered, and the
backlog over time (sampled every `SAMPLE_SECONDS` from PostgreSQL, the simulator and the receiver).
"""

import threading
import time

from bench.common import cpu_delta, recipients
from bench.receiver import CallbackCounter

SAMPLE_SECONDS = 0.25
DRAIN_TIMEOUT_SECONDS = 180.0
SENT_LIKE = ("SENT", "DELIVERED", "READ")


def parse_delays(text: str) -> dict[str, float]:
    """"sent=0.5,delivered=1.5,read=3" -> {"sent": 0.5, ...}."""
    delays = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in ("sent", "delivered", "read"):
            raise ValueError(f"--status-delays: {name!r} is not sent, delivered or read")
        delays[name] = float(value)
    return delays


class BacklogSampler:
    """A thread sampling what is still to do while a session runs and drains; `samples` are dicts."""

    def __init__(self, bench, session_id: str, callback_id: int, receiver: CallbackCounter) -> None:
        self.bench, self.session_id, self.callback_id, self.receiver = bench, session_id, callback_id, receiver
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="backlog")

    def start(self) -> "BacklogSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.is_set():
                self.samples.append(self.sample())
                self._stop.wait(SAMPLE_SECONDS)
        finally:
            connection.close()

    def sample(self) -> dict:
        from django.db.models import Count

        from broadcasts.callbacks.models import CallbackDelivery
        from broadcasts.models import Broadcast, WebhookEvent

        at = time.time()
        by_status = dict(Broadcast.objects.filter(session_id=self.session_id).values_list("status")
                         .annotate(n=Count("id")).values_list("status", "n"))
        sim = self.bench.sim("get", "/_sim/stats")["webhooks"]
        return {
            "at": at,
            "sent": sum(by_status.get(s, 0) for s in SENT_LIKE),
            "read": by_status.get("READ", 0),
            "webhook_events_pending": WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING).count(),
            "callbacks_pending": CallbackDelivery.objects.filter(
                callback_id=self.callback_id, state=CallbackDelivery.State.PENDING).count(),
            "callbacks_received": self.receiver.count(),
            "callbacks_read_received": self.receiver.count("broadcast.read"),
            "simulator_statuses_scheduled": sim.get("pending_events", 0),
            "simulator_statuses_delivered": sim.get("webhook_statuses_delivered", 0),
        }


def statuses_applied(sample: dict, messages: int) -> bool:
    """Every message read (the last status) and no webhook event left to process."""
    return sample["read"] >= messages and sample["webhook_events_pending"] == 0


def callbacks_delivered(sample: dict, messages: int) -> bool:
    """Every `broadcast.read` received by the harness and nothing left in the endpoint's outbox."""
    return sample["callbacks_read_received"] >= messages and sample["callbacks_pending"] == 0


def first_time(samples: list[dict], done, messages: int) -> float | None:
    """When `done` first held (the time of the first sample where it did), or None."""
    return next((s["at"] for s in samples if done(s, messages)), None)


def backlog_series(samples: list[dict], start: float) -> dict:
    """The samples as columns for the chart and latest.json: seconds since `start`, and what was left to do."""
    def column(key: str) -> list[int]:
        return [s[key] for s in samples]

    return {
        "t_seconds": [round(s["at"] - start, 2) for s in samples],
        "sent": column("sent"),
        "statuses_unapplied": [s["sent"] - s["read"] for s in samples],
        "webhook_events_pending": column("webhook_events_pending"),
        "callbacks_pending": column("callbacks_pending"),
        "callbacks_received": column("callbacks_received"),
        "simulator_statuses_scheduled": column("simulator_statuses_scheduled"),
    }


def _after(moment: float | None, reference: float | None) -> float | None:
    return None if moment is None or reference is None else round(max(0.0, moment - reference), 3)


def round_trip_summary(*, outbound: dict, samples: list[dict], messages: int, last_send: float | None,
                       last_webhook: float | None, latency: dict, receiver: dict) -> dict:
    """The `round_trip` figures of latest.json, from the outbound measure and the backlog samples."""
    applied_at = first_time(samples, statuses_applied, messages)
    delivered_at = first_time([s for s in samples if statuses_applied(s, messages)], callbacks_delivered, messages)
    return {
        "messages": messages,
        "messages_per_second": outbound.get("messages_per_second"),
        "webhook_posts": latency.get("posts"),
        "webhook_p50_seconds": _round(latency.get("p50_seconds")),
        "webhook_p90_seconds": _round(latency.get("p90_seconds")),
        "webhook_p99_seconds": _round(latency.get("p99_seconds")),
        "webhook_max_seconds": _round(latency.get("max_seconds")),
        "statuses_applied_within_seconds": _after(applied_at, last_send),
        "callbacks_delivered_within_seconds": _after(delivered_at, last_send),
        "statuses_applied_after_last_webhook_seconds": _after(applied_at, last_webhook),
        "callbacks_delivered_after_last_webhook_seconds": _after(delivered_at, last_webhook),
        "peak_webhook_events_pending": max((s["webhook_events_pending"] for s in samples), default=None),
        "peak_callbacks_pending": max((s["callbacks_pending"] for s in samples), default=None),
        "callbacks": receiver,
        "drained": applied_at is not None and delivered_at is not None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def scenario_round_trip(bench) -> tuple[dict, dict]:
    """Scenario 7; returns (scenario result with its `round_trip` figures, backlog series)."""
    from broadcasts.models import BroadcastLog

    options, stack = bench.options, bench.stack
    count = options.round_trip_messages or (2_000 if options.quick else 20_000)
    receiver = CallbackCounter(stack.receiver_port).start()
    body = {"url": receiver.url, "batch_size": options.callback_batch_size}
    callback = bench.api("post", "/api/v1/callbacks", body, expect=(201,))
    receiver.secret = callback["secret"]
    bench.sim("post", "/_sim/reset")
    bench.sim_configure({
        "callback_url": f"{stack.web_url}/webhooks/whatsapp/{bench.transports['throughput']}",
        "status_delays_s": parse_delays(options.status_delays), "webhook_batch_size": options.webhook_batch_size,
        "webhook_concurrency": options.webhook_concurrency,
    })
    sampler = None
    try:
        stack.samplers["workers"].reset()
        stack.samplers["web"].reset()
        queries_before, cpu_before = stack.queries(), stack.cpu()
        started = time.time()
        session_id = bench.session_create("throughput", recipients(80, count))
        sampler = BacklogSampler(bench, session_id, callback["id"], receiver).start()
        timed_out = not bench.wait_done([session_id], timeout=count / 100 + 60)
        wall = time.time() - started
        deadline = time.time() + DRAIN_TIMEOUT_SECONDS
        while time.time() < deadline and not (
            sampler.samples and callbacks_delivered(sampler.samples[-1], count)
            and statuses_applied(sampler.samples[-1], count)
        ):
            stack._check_alive()
            time.sleep(SAMPLE_SECONDS)
        sampler.stop()
        drained_wall = time.time() - started
        outbound = bench.measure(f"7_round_trip_{count}", [session_id], wall_seconds=wall,
                                 queries=stack.queries() - queries_before, timed_out=timed_out)
        outbound["cpu_seconds"] = cpu_delta(cpu_before, stack.cpu())
        outbound["cpu_wall_seconds"] = round(drained_wall, 3)  # the CPU was read after the backlog drained
        last = BroadcastLog.objects.filter(session_id=session_id, kind="ATTEMPT", response_status__lt=300) \
            .order_by("-created_at").values_list("created_at", flat=True).first()
        latency = bench.sim("get", "/_sim/webhooks/latency")
        outbound["round_trip"] = round_trip_summary(
            outbound=outbound, samples=sampler.samples, messages=outbound["sent"],
            last_send=last.timestamp() if last else None, last_webhook=latency.get("last_delivered_at"),
            latency=latency, receiver=receiver.snapshot(),
        )
        outbound["round_trip"]["settings"] = {
            "status_delays_s": parse_delays(options.status_delays), "webhook_batch_size": options.webhook_batch_size,
            "webhook_concurrency": options.webhook_concurrency, "callback_batch_size": options.callback_batch_size,
        }
        return outbound, backlog_series(sampler.samples, started)
    finally:
        if sampler is not None:
            sampler.stop()
        bench.sim_configure({"callback_url": None})
        bench.api("delete", f"/api/v1/callbacks/{callback['id']}", expect=(200, 204))
        receiver.stop()
