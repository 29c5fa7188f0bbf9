from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from whatsapp_gateway.models import WorkerHeartbeat
from whatsapp_gateway.services import worker_heartbeat_record


@pytest.fixture(autouse=True)
def real_meta(settings):
    """Sends go to Graph API (real credentials), so no simulator is checked unless a test points them at one."""
    settings.WHATSAPP_API_BASE_URL = "https://graph.facebook.com"


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


def test_it_checks_the_simulator_when_sends_go_to_it(client, db, settings, simulator):
    settings.SIMULATOR_URL = settings.WHATSAPP_API_BASE_URL = simulator.base_url
    worker_heartbeat_record(hostname="celery@ready")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "worker": "ok", "simulator": "ok"}


def test_it_answers_503_naming_the_simulator_when_it_does_not_answer(client, db, settings):
    from whatsapp_gateway.testing import free_port

    settings.SIMULATOR_URL = settings.WHATSAPP_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    worker_heartbeat_record(hostname="celery@ready")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["simulator"] == "ConnectionError"
