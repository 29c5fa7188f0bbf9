"""/metrics: what Prometheus sees after a user sends, fails, receives webhooks or loses a transport."""

import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from broadcasts.models import Session
from broadcasts.services.dispatch import dispatch_batch, transport_stop_sending
from transports.models import Transport
from transports.testing import make_transport
from whatsapp_gateway.metrics import GatewayCollector, metric_names
from whatsapp_gateway.services import worker_heartbeat_record

TOKEN = "metrics-token-for-tests"  # noqa: S105
HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name: str, **labels) -> float:
    """Sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def send_now(api, transport: dict, recipients: list[str]) -> str:
    """Create a session through the API and drive it in this process, as a worker would."""
    response = api.post(
        "/api/v1/sessions", {"transport": transport["id"], "message": HELLO, "recipients": recipients}, format="json"
    )
    assert response.status_code == 202, response.content
    session_id = response.json()["id"]
    for _ in range(20):
        if dispatch_batch(session_id=session_id).countdown is None:
            break
    return session_id


def test_it_is_turned_off_without_a_token(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_it_answers_401_without_the_right_bearer_token(client, db, metrics_token):
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Api-Key {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_the_sent_counter_and_latency_grow_after_a_send(client, db, api, simulator, sim_transport, metrics_token):
    transport = str(sim_transport["id"])
    before = scrape(client)
    session_id = send_now(api, sim_transport, ["+12025550101", "+12025550102", "+12025550103"])
    after = scrape(client)

    assert Session.objects.get(pk=session_id).status == "COMPLETED"
    # Other processes may add to the same files (multiprocess mode), never take away: at least ours.
    assert value(after, "gateway_messages_sent_total", transport=transport) - value(
        before, "gateway_messages_sent_total", transport=transport) >= 3
    assert total(after, "gateway_send_attempt_duration_seconds_count", transport=transport) - total(
        before, "gateway_send_attempt_duration_seconds_count", transport=transport) >= 3
    assert total(after, "gateway_rate_limiter_wait_seconds_count", transport=transport) - total(
        before, "gateway_rate_limiter_wait_seconds_count", transport=transport) >= 1
    assert value(after, "gateway_sessions", status="COMPLETED") >= 1


def test_failures_are_counted_by_meta_error_code(client, db, api, simulator, sim_transport, metrics_token):
    simulator.configure(recipient_errors={"12025550199": 131026})
    transport = str(sim_transport["id"])
    before = scrape(client)
    send_now(api, sim_transport, ["+12025550199", "+12025550198"])
    after = scrape(client)
    failed = {"transport": transport, "error_code": "131026", "category": "PERMANENT"}
    assert value(after, "gateway_messages_failed_total", **failed) - value(
        before, "gateway_messages_failed_total", **failed) >= 1


def test_a_stopped_transport_and_webhook_statuses_show(client, db, app, api, simulator, sim_transport, metrics_token):
    before = scrape(client)
    session_id = send_now(api, sim_transport, ["+12025550111"])
    transport = Transport.objects.get(pk=sim_transport["id"])
    wamid = transport.sessions.get(pk=session_id).broadcasts.get().wamid
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "100000000000001"}, "statuses": [
            {"id": wamid, "status": "delivered", "timestamp": "1700000000", "recipient_id": "12025550111"}]},
    }]}]}).encode()
    signature = "sha256=" + hmac.new(b"demo-app-secret", body, hashlib.sha256).hexdigest()
    response = client.post(f"/webhooks/whatsapp/{transport.pk}", data=body, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=signature)
    assert response.status_code == 200
    transport_stop_sending(transport=transport, reason="Meta refused the credentials: code 190")

    after = scrape(client)
    assert value(after, "gateway_webhook_statuses_total", status="delivered") - value(
        before, "gateway_webhook_statuses_total", status="delivered") >= 1
    assert value(after, "gateway_transport_stopped", transport=str(transport.pk), app="alice") == 1
    assert value(after, "gateway_transport_stops_total", transport=str(transport.pk)) >= 1


def test_worker_heartbeat_age_is_reported_per_worker(client, db, metrics_token):
    worker_heartbeat_record(hostname="celery@metrics-test")
    samples = scrape(client)
    age = value(samples, "gateway_worker_heartbeat_age_seconds", worker="celery@metrics-test")
    assert 0 <= age < 5
    assert value(samples, "gateway_workers_live") >= 1


@pytest.mark.needs(
    "RabbitMQ (CELERY_BROKER_URL=amqp://…) for the queue depth", available=settings.CELERY_BROKER_URL.startswith("amqp")
)
def test_queue_depth_is_read_from_rabbitmq(client, db, metrics_token, settings):
    from kombu import Connection, Exchange, Producer, Queue

    name = f"test-metrics-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    with Connection(settings.CELERY_BROKER_URL) as conn:
        queue = Queue(name, Exchange(name), routing_key=name, durable=False, auto_delete=False)
        queue(conn.default_channel).declare()
        try:
            producer = Producer(conn.default_channel, exchange=queue.exchange, routing_key=name)
            for _ in range(2):
                producer.publish({"n": 1})
            samples = scrape(client)
        finally:
            queue(conn.default_channel).delete()
    assert value(samples, "gateway_broker_up") == 1
    assert value(samples, "gateway_queue_messages", queue=name) == 2
    assert value(samples, "gateway_queue_consumers", queue=name) == 0


def test_a_scrape_still_answers_when_the_broker_does_not(client, db, metrics_token, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    monkeypatch.setattr("whatsapp_gateway.metrics.queue_depths", lambda: (_ for _ in ()).throw(ConnectionError()))
    samples = scrape(client)
    assert value(samples, "gateway_broker_up") == 0
    assert ("gateway_sessions", (("status", "NEW"),)) in samples


def test_every_scrape_time_gauge_is_declared():
    declared = {family.name for family in GatewayCollector().describe()}
    assert declared <= metric_names()
    assert {"gateway_messages_sent_total", "gateway_send_attempt_duration_seconds_bucket"} <= metric_names()


def test_the_rate_a_transport_sends_at_drops_while_meta_throttles_it(client, db, app, metrics_token):
    from broadcasts.services.pacing import RATE_INCREASE_PER_SECOND, pace_throttled

    transport = make_transport(app=app, rateLimit=80)
    assert scrape(client)[("gateway_transport_send_rate", (("transport", str(transport.pk)),))] == 80
    throttled_at = time.time()
    pace_throttled(transport_id=transport.pk, rate=80, seconds=0)
    rate = scrape(client)[("gateway_transport_send_rate", (("transport", str(transport.pk)),))]
    # Halved to 40, then grown back by 5% of 80 each second since: the scrape's own delay, on a busy machine.
    grown = 80 * RATE_INCREASE_PER_SECOND * (time.time() - throttled_at)
    assert 40 - 0.01 <= rate <= 40 + grown + 0.01
