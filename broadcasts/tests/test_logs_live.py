"""The logs of a live run (worker + web + webhooks) say what happened and leak nothing secret."""

import hashlib
import hmac
import json
import logging

import pytest

from broadcasts.models import Broadcast, Session
from broadcasts.testing import wait_until
from whatsapp_gateway.testing import WorkerProcess, whatsapp_transport_via_api

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SECRETS = ["demo-access-token", "demo-app-secret", "demo-verify-token"]
NUMBERS = ["+12025550301", "+12025550302", "+12025550303"]



def test_a_send_with_a_failure_and_webhooks_logs_fields_but_no_secret_or_number(api, client, simulator, settings,
                                                                              caplog):
    host = simulator.base_url.split("://", 1)[1]
    settings.TRANSPORT_ALLOWED_HOSTS = [host]
    # One recipient fails for good (131026, a "giving up" line); the others go through.
    simulator.configure(recipient_errors={"12025550302": 131026})
    worker = WorkerProcess(extra_env={"TRANSPORT_ALLOWED_HOSTS": host, "RETRY_BACKOFF_BASE": "0.2",
                                      "RETRY_BACKOFF_MAX": "0.5"}).start()
    caplog.set_level(logging.INFO)
    try:
        transport = whatsapp_transport_via_api(api, base_url=simulator.base_url, phone_strictness="possible")
        response = api.post("/api/v1/sessions", {"transport": transport["id"], "message": {
            "meta": {"templateName": "hello_world", "language": "en_US"}}, "recipients": NUMBERS}, format="json")
        assert response.status_code == 202, response.content
        session_id = response.json()["id"]
        wait_until(lambda: Session.objects.get(pk=session_id).status in {"COMPLETED", "FAILED"}, what="session")

        wamids = list(Broadcast.objects.filter(session_id=session_id, wamid__isnull=False)
                      .values_list("wamid", "address"))
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
            "field": "messages", "value": {"metadata": {"phone_number_id": "100000000000001"}, "statuses": [
                {"id": wamid, "status": "delivered", "timestamp": "1700000000", "recipient_id": address}
                for wamid, address in wamids]},
        }]}]}).encode()
        signature = "sha256=" + hmac.new(b"demo-app-secret", body, hashlib.sha256).hexdigest()
        url = f"/webhooks/whatsapp/{transport['id']}"
        assert client.post(url, data=body, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=signature).status_code == 200
        assert client.post(url, data=body, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256="sha256=bad").status_code == 403
        handshake = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": "demo-verify-token",
                                     "hub.challenge": "42"})
        assert handshake.status_code == 200
        wait_until(lambda: Broadcast.objects.filter(session_id=session_id, status="DELIVERED").count() == len(wamids),
                   what="webhook statuses applied")
        wait_until(lambda: "webhook event processed" in worker.output(), what="worker processing log")
    finally:
        worker.stop()

    worker_log = worker.output()
    web_log = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    everything = worker_log + "\n" + web_log
    # What happened is there, with fields.
    assert "attempt sent" in worker_log and "batch recorded" in worker_log
    assert "giving up" in worker_log and "meta_code=131026" in worker_log
    assert "webhook event processed" in worker_log and "statuses_matched=2" in worker_log
    assert "webhook received" in web_log and "webhook rejected" in web_log
    # Nothing secret and no full phone number, in any process's log.
    for secret in SECRETS:
        assert secret not in everything, secret
    for number in NUMBERS:
        assert number.lstrip("+") not in everything, number
    assert "sha256=" not in everything
