"""Prometheus metrics: counters and histograms written where things happen, gauges computed at scrape.

The web server and the Celery workers are many processes, so metrics are kept in
prometheus_client's multiprocess mode when `PROMETHEUS_MULTIPROC_DIR` is set (settings set it
under var/ in DEBUG): each process writes its own files there and a scrape adds them up with
`MultiProcessCollector`. That is why every gauge here is computed at scrape time from the
database or the broker (`GatewayCollector`) rather than set by a process: a gauge written by a
worker that has since died would lie.

Labels stay low-cardinality: a transport id, a Meta error code, a status, a queue name, a
worker host name. Never a phone number, a session id or anything secret.
"""

import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from whatsapp_gateway.heartbeat import WORKER_HEARTBEAT_MAX_AGE

logger = logging.getLogger("gateway.metrics")

MESSAGES_SENT = Counter(
    "gateway_messages_sent", "Send attempts Meta accepted (one per message sent).", ["transport"]
)
MESSAGES_FAILED = Counter(
    "gateway_messages_failed",
    "Send attempts that failed, by Meta error code (empty for network errors) and retry category.",
    ["transport", "error_code", "category"],
)
RETRIES = Counter(
    "gateway_send_retries", "Failed attempts scheduled to be tried again, by retry category.", ["transport", "category"]
)
ATTEMPT_DURATION = Histogram(
    "gateway_send_attempt_duration_seconds",
    "Duration of one send request to Meta (or the transport's endpoint).",
    ["transport"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMIT_WAIT = Histogram(
    "gateway_rate_limiter_wait_seconds",
    "Seconds a batch waited for its first rate-limit slot on the transport.",
    ["transport"],
    buckets=(0, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
)
WEBHOOK_STATUSES = Counter(
    "gateway_webhook_statuses", "Delivery statuses received in Meta's webhooks, by status.", ["status"]
)
TRANSPORTS_STOPPED = Counter(
    "gateway_transport_stops", "Times a transport was stopped because Meta refused its credentials.", ["transport"]
)
MESSAGES_PRICED = Counter(
    "gateway_messages_priced",
    "Delivered messages Meta's status webhooks priced, by transport, Meta's pricing category and whether billable.",
    ["transport", "category", "billable"],
)
COST = Counter(
    "gateway_cost",
    "What Meta charges for the priced messages at the app's rate card, in its currency.",
    ["transport", "category", "currency"],
)
# Meta's pricing categories kept as labels; anything else (a new one) is counted as "other".
PRICING_CATEGORIES = frozenset({
    "marketing", "marketing_lite", "utility", "authentication", "authentication_international", "service",
    "referral_conversion",
})

# Each worker's heartbeat thread beats every 30 s; three missed beats mean the worker is gone.
WORKER_LIVE_SECONDS = WORKER_HEARTBEAT_MAX_AGE
# Workers not seen for a day are left out of the heartbeat gauge (renamed or removed hosts).
WORKER_FORGET_SECONDS = 24 * 3600


# --- Recording (called by the services) -----------------------------------------------------------


def send_outcomes_observe(*, transport_id: int, outcomes: Iterable) -> None:
    """Count a batch's attempts and their latencies; `outcomes` have ok, error_code, category, duration_ms."""
    transport = str(transport_id)
    for outcome in outcomes:
        if outcome.ok:
            MESSAGES_SENT.labels(transport=transport).inc()
        else:
            MESSAGES_FAILED.labels(
                transport=transport, error_code=str(outcome.error_code or ""), category=outcome.category or ""
            ).inc()
        ATTEMPT_DURATION.labels(transport=transport).observe(max(0, outcome.duration_ms or 0) / 1000)


def rate_limit_wait_observe(*, transport_id: int, seconds: float) -> None:
    RATE_LIMIT_WAIT.labels(transport=str(transport_id)).observe(max(0.0, seconds))


def retry_observe(*, transport_id: int, category: str) -> None:
    RETRIES.labels(transport=str(transport_id), category=category).inc()


def webhook_statuses_observe(*, statuses: Iterable[str]) -> None:
    for status in statuses:
        WEBHOOK_STATUSES.labels(status=str(status).lower()).inc()


def pricing_category_label(category: str) -> str:
    return category if category in PRICING_CATEGORIES else "other"


def pricing_observe(*, rows: Iterable[tuple]) -> None:
    """Count priced messages: rows of (transport id, category, currency, billable, free, amount)."""
    for transport_id, category, currency, billable, free, amount in rows:
        labels = {"transport": str(transport_id), "category": pricing_category_label(category)}
        if billable:
            MESSAGES_PRICED.labels(**labels, billable="true").inc(billable)
        if free:
            MESSAGES_PRICED.labels(**labels, billable="false").inc(free)
        if amount:
            COST.labels(**labels, currency=currency).inc(float(amount))


def transport_stop_observe(*, transport_id: int) -> None:
    TRANSPORTS_STOPPED.labels(transport=str(transport_id)).inc()


# --- Computed at scrape -----------------------------------------------------------------------------


def known_queues() -> list[str]:
    """The queues the gateway's tasks go to: sends (the default queue), webhooks and housekeeping."""
    from celery_app import queue_names

    return sorted(queue_names(default_queue=settings.CELERY_TASK_DEFAULT_QUEUE))


def queue_depths() -> dict[str, tuple[int, int]] | None:
    """{queue: (messages ready, consumers)} from RabbitMQ by passive declares; None when not applicable.

    A passive declare never creates a queue; one that does not exist yet is simply left out.
    Brokers without queue stats (the filesystem broker of the zero-setup stack) give None.
    """
    if not settings.CELERY_BROKER_URL.startswith(("amqp", "pyamqp")):
        return None
    from celery_app import app as celery_app

    depths = {}
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        for queue in known_queues():
            channel = conn.channel()
            try:
                _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
                depths[queue] = (messages, consumers)
            except Exception:  # noqa: BLE001 — a missing queue closes the channel; the others still count
                logger.debug("queue %s not declared on the broker", queue)
            finally:
                try:
                    channel.close()
                except Exception:  # noqa: BLE001,S110 — already closed by the broker
                    pass
    return depths


class GatewayCollector(Collector):
    """Gauges read from the database and the broker at each scrape."""

    def describe(self):
        # Names only, so the registry can tell which metrics exist without touching the database.
        return [
            GaugeMetricFamily("gateway_sessions", "Sessions by status.", labels=["status"]),
            GaugeMetricFamily("gateway_broadcasts_queued", "Broadcasts waiting to be sent (queued or sending)."),
            GaugeMetricFamily(
                "gateway_transport_stopped", "1 for each transport stopped because Meta refused its credentials.",
                labels=["transport", "app"],
            ),
            GaugeMetricFamily(
                "gateway_worker_heartbeat_age_seconds", "Seconds since each worker's last heartbeat.",
                labels=["worker"],
            ),
            GaugeMetricFamily("gateway_workers_live", "Workers with a heartbeat in the last 90 seconds."),
            GaugeMetricFamily("gateway_queue_messages", "Messages ready in each broker queue.", labels=["queue"]),
            GaugeMetricFamily("gateway_queue_consumers", "Consumers of each broker queue.", labels=["queue"]),
            GaugeMetricFamily("gateway_broker_up", "1 when the broker answered the queue-depth check."),
            GaugeMetricFamily("gateway_webhook_events_pending", "Stored webhook events not yet processed."),
            GaugeMetricFamily(
                "gateway_transport_send_rate", "Messages per second each active transport sends at now "
                "(below its rateLimit while Meta throttles it).", labels=["transport"],
            ),
            GaugeMetricFamily(
                "gateway_cost_today", "Today's (UTC) cost of the messages Meta priced, at the app's rate card.",
                labels=["transport", "category", "currency"],
            ),
            GaugeMetricFamily(
                "gateway_messages_priced_today", "Today's (UTC) delivered messages Meta priced, billable or free.",
                labels=["transport", "category", "billable"],
            ),
        ]

    def collect(self):
        yield from self._database()
        yield from self._broker()

    def _database(self):
        from broadcasts.models import Broadcast, Session, WebhookEvent
        from transports.models import Transport
        from whatsapp_gateway.models import WorkerHeartbeat

        sessions = GaugeMetricFamily("gateway_sessions", "Sessions by status.", labels=["status"])
        counts = dict(Session.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in Session.Status.values:
            sessions.add_metric([status], counts.get(status, 0))
        yield sessions

        queued = Broadcast.objects.filter(
            status__in=[Broadcast.Status.QUEUED, Broadcast.Status.SENDING],
            session__status__in=Session.RUNNING,
        ).count()
        yield GaugeMetricFamily(
            "gateway_broadcasts_queued", "Broadcasts waiting to be sent (queued or sending).", value=queued
        )

        stopped = GaugeMetricFamily(
            "gateway_transport_stopped", "1 for each transport stopped because Meta refused its credentials.",
            labels=["transport", "app"],
        )
        for transport_id, app_name in Transport.objects.filter(stopped_at__isnull=False).values_list(
            "id", "app__name"
        ):
            stopped.add_metric([str(transport_id), app_name], 1)
        yield stopped

        now = timezone.now()
        ages = GaugeMetricFamily(
            "gateway_worker_heartbeat_age_seconds", "Seconds since each worker's last heartbeat.", labels=["worker"]
        )
        live = 0
        beats = WorkerHeartbeat.objects.filter(last_seen__gte=now - timezone.timedelta(seconds=WORKER_FORGET_SECONDS))
        for hostname, last_seen in beats.values_list("hostname", "last_seen"):
            age = max(0.0, (now - last_seen).total_seconds())
            live += age <= WORKER_LIVE_SECONDS
            ages.add_metric([hostname], age)
        yield ages
        yield GaugeMetricFamily("gateway_workers_live", "Workers with a heartbeat in the last 90 seconds.", value=live)

        pending = WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING).count()
        yield GaugeMetricFamily(
            "gateway_webhook_events_pending", "Stored webhook events not yet processed.", value=pending
        )

        from broadcasts.services.pacing import pace_effective_rates

        lowered = pace_effective_rates()
        rates = GaugeMetricFamily(
            "gateway_transport_send_rate", "Messages per second each active transport sends at now "
            "(below its rateLimit while Meta throttles it).", labels=["transport"],
        )
        for transport in Transport.objects.filter(is_active=True).only("id", "config"):
            rates.add_metric([str(transport.pk)], lowered.get(transport.pk, transport.rate_limit))
        yield rates

        from broadcasts.services.pacing import circuits_tripped

        circuits = GaugeMetricFamily(
            "gateway_transport_circuit_open", "1 for each transport whose circuit breaker is open or probing: "
            "its requests kept failing on Meta's side, so it sends nothing but probes.", labels=["transport"],
        )
        for transport_id in sorted(circuits_tripped()):
            circuits.add_metric([str(transport_id)], 1)
        yield circuits
        yield from self._costs()

    def _costs(self):
        from broadcasts.cost_models import CostDaily

        cost = GaugeMetricFamily(
            "gateway_cost_today", "Today's (UTC) cost of the messages Meta priced, at the app's rate card.",
            labels=["transport", "category", "currency"],
        )
        priced = GaugeMetricFamily(
            "gateway_messages_priced_today", "Today's (UTC) delivered messages Meta priced, billable or free.",
            labels=["transport", "category", "billable"],
        )
        sums: dict[tuple, list] = {}
        today = CostDaily.objects.filter(day=timezone.now().date()).values_list(
            "transport_id", "category", "currency", "billable", "free", "amount"
        )
        for transport_id, category, currency, billable, free, amount in today:
            label = pricing_category_label(category)
            row = sums.setdefault((str(transport_id), label, currency), [0, 0, 0.0])
            row[0], row[1], row[2] = row[0] + billable, row[1] + free, row[2] + float(amount)
        for (transport, category, currency), (billable, free, amount) in sorted(sums.items()):
            cost.add_metric([transport, category, currency], amount)
            priced.add_metric([transport, category, "true"], billable)
            priced.add_metric([transport, category, "false"], free)
        yield cost
        yield priced

    def _broker(self):
        try:
            depths = queue_depths()
        except Exception as exc:  # noqa: BLE001 — a scrape must answer even when the broker does not
            logger.warning("queue depths unavailable", extra={"error": type(exc).__name__})
            yield GaugeMetricFamily("gateway_broker_up", "1 when the broker answered the queue-depth check.", value=0)
            return
        if depths is None:
            return
        yield GaugeMetricFamily("gateway_broker_up", "1 when the broker answered the queue-depth check.", value=1)
        messages = GaugeMetricFamily("gateway_queue_messages", "Messages ready in each broker queue.", labels=["queue"])
        consumers = GaugeMetricFamily("gateway_queue_consumers", "Consumers of each broker queue.", labels=["queue"])
        for queue, (ready, consuming) in depths.items():
            messages.add_metric([queue], ready)
            consumers.add_metric([queue], consuming)
        yield messages
        yield consumers


def metrics_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's counters (multiprocess mode) plus the scrape-time gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        prometheus_multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ProcessRegistry())
    registry.register(GatewayCollector())
    return registry


class _ProcessRegistry(Collector):
    """This process's own metrics, when there is no multiprocess directory (a single-process server)."""

    def collect(self):
        yield from REGISTRY.collect()


def metrics_render() -> bytes:
    started = time.monotonic()
    body = generate_latest(metrics_registry())
    logger.debug("metrics rendered", extra={"duration_ms": int((time.monotonic() - started) * 1000)})
    return body


def metric_names() -> set[str]:
    """Every series name the gateway exposes (counters with their _total, histograms with their parts)."""
    names: set[str] = set()
    for metric in (MESSAGES_SENT, MESSAGES_FAILED, RETRIES, ATTEMPT_DURATION, RATE_LIMIT_WAIT, WEBHOOK_STATUSES,
                   TRANSPORTS_STOPPED, MESSAGES_PRICED, COST):
        for family in metric.describe():
            if family.type == "counter":
                names |= {family.name, f"{family.name}_total"}
            elif family.type == "histogram":
                names |= {family.name, *(f"{family.name}_{part}" for part in ("bucket", "sum", "count"))}
            else:
                names.add(family.name)
    names |= {family.name for family in GatewayCollector().describe()}
    return names


def process_exited(pid: int) -> None:
    """Tell multiprocess mode a process is gone (gunicorn's child_exit, Celery's worker_process_shutdown)."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        prometheus_multiprocess.mark_process_dead(pid, settings.PROMETHEUS_MULTIPROC_DIR)
