from unittest import mock


def test_it_reports_database_and_broker_reachable(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_it_answers_503_naming_the_unreachable_broker(client, db):
    with mock.patch("whatsapp_gateway.health.celery_app.connection_for_write", side_effect=ConnectionRefusedError):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "ConnectionRefusedError"}
