from datetime import timedelta
from unittest import mock

from django.utils import timezone

from whatsapp_gateway.models import WorkerHeartbeat
from whatsapp_gateway.services import worker_heartbeat_record


def test_it_is_ready_with_database_broker_and_a_live_worker(client, db):
    worker_heartbeat_record(hostname="celery@ready")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "worker": "ok"}}


def test_it_answers_503_naming_the_worker_when_none_ever_beat(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "worker": "no worker heartbeat yet"}


def test_it_answers_503_when_the_last_heartbeat_is_older_than_90_seconds(client, db):
    WorkerHeartbeat.objects.create(hostname="celery@old", last_seen=timezone.now() - timedelta(seconds=120))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("last worker heartbeat 1")


def test_it_answers_503_naming_the_unreachable_broker(client, db):
    worker_heartbeat_record(hostname="celery@ready")
    with mock.patch("whatsapp_gateway.health.celery_app.connection_for_write", side_effect=ConnectionRefusedError):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "ConnectionRefusedError", "worker": "ok"}


def test_liveness_does_not_depend_on_workers(client, db):
    assert client.get("/healthz").status_code == 200
