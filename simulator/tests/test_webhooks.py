"""Status, inbound and template webhooks: Meta's envelope, signed with the app secret, delivered off the send path."""

import hashlib
import hmac
import time

import requests

from .helpers import APP_SECRET, PHONE_ID, WABA_ID, template_message, text_message


def wamid_of(response) -> str:
    return response.json()["messages"][0]["id"]


def test_it_posts_sent_delivered_and_read_in_metas_shape(graph, receiver):
    wamid = wamid_of(graph.send(template_message("hello_world")))

    statuses = receiver.wait_for(lambda: [s for s in receiver.statuses() if s["id"] == wamid][2:] and
                                 [s for s in receiver.statuses() if s["id"] == wamid])
    assert [status["status"] for status in statuses] == ["sent", "delivered", "read"]
    sent = statuses[0]
    assert sent["recipient_id"] == "14155550123"
    assert sent["timestamp"].isdigit()
    assert sent["pricing"]["category"] == "utility"
    assert sent["conversation"]["origin"]["type"] == "utility"
    body = receiver.requests[0]["json"]
    assert body["object"] == "whatsapp_business_account"
    assert body["entry"][0]["id"] == WABA_ID
    change = body["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    assert change["value"]["messaging_product"] == "whatsapp"
    assert change["value"]["metadata"] == {"display_phone_number": "15550000001", "phone_number_id": PHONE_ID}


def test_it_signs_every_webhook_with_the_app_secret(graph, receiver):
    graph.send(text_message())

    receiver.wait_for(lambda: receiver.requests)
    for request in receiver.requests:
        expected = "sha256=" + hmac.new(APP_SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Hub-Signature-256"] == expected


def test_it_posts_failed_with_metas_error_for_a_configured_recipient(graph, sim, receiver):
    sim.configure(failed_recipients={"14155550777": 131026})

    response = graph.send(text_message(to="14155550777"))

    assert response.status_code == 200  # like Meta: accepted now, failed later
    [failed] = receiver.wait_for(lambda: receiver.statuses())
    assert failed["status"] == "failed"
    assert failed["id"] == wamid_of(response)
    assert failed["errors"][0]["code"] == 131026
    assert failed["errors"][0]["title"]
    assert "pricing" not in failed
    time.sleep(0.2)
    assert [s["status"] for s in receiver.statuses()] == ["failed"]
    assert sim.messages(to="14155550777")[0]["status"] == "failed"


def test_it_fails_a_share_of_messages_at_the_configured_rate(graph, sim, receiver):
    sim.configure(failure_rate=1.0, failure_code=131049)

    graph.send(text_message())

    [failed] = receiver.wait_for(lambda: receiver.statuses())
    assert failed["errors"][0]["code"] == 131049


def test_it_can_fail_bad_media_asynchronously(graph, sim, receiver):
    sim.configure(media_failure_mode="async")
    payload = {"messaging_product": "whatsapp", "to": "14155550123", "type": "image",
               "image": {"link": "https://cdn.example.com/fail.jpg"}}

    assert graph.send(payload).status_code == 200
    [failed] = receiver.wait_for(lambda: receiver.statuses())
    assert failed["errors"][0]["code"] == 131053


def test_it_batches_statuses_of_many_sends_into_few_posts(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.1}, throughput_mps=1000)
    for n in range(30):
        graph.send(text_message(to=f"1415555{n:04d}"))

    receiver.wait_for(lambda: len(receiver.statuses()) == 30)
    assert len(receiver.requests) < 30


def test_it_retries_a_failed_delivery(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0}, webhook_retry_backoff_s=0.1)
    receiver.status_code = 500
    graph.send(text_message())
    receiver.wait_for(lambda: receiver.requests)

    receiver.status_code = 200

    receiver.wait_for(lambda: len(receiver.requests) >= 2)
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    delivery = receiver.wait_for(lambda: [d for d in sim.webhook_deliveries() if d["delivered"]])[0]
    assert delivery["attempts"] == 2


def test_it_gives_up_after_the_configured_retries(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0}, webhook_retries=2, webhook_retry_backoff_s=0.01)
    receiver.status_code = 503

    graph.send(text_message())

    receiver.wait_for(lambda: sim.stats()["webhooks"].get("webhook_posts_given_up") == 1)
    assert len(receiver.requests) == 3


def test_it_posts_an_inbound_user_message(sim, receiver):
    response = requests.post(f"{sim.base_url}/_sim/inbound", json={"from": "+14155550123", "text": "STOP",
                                                                  "name": "Ana"}, timeout=5)

    assert response.status_code == 200
    [value] = receiver.wait_for(lambda: receiver.changes("messages"))
    assert value["contacts"] == [{"profile": {"name": "Ana"}, "wa_id": "14155550123"}]
    assert value["messages"][0]["text"] == {"body": "STOP"}
    assert value["messages"][0]["from"] == "14155550123"
    assert value["messages"][0]["id"] == response.json()["id"]


def test_it_answers_sends_before_any_webhook_is_posted(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.3})

    graph.send(text_message())

    assert receiver.requests == []
    receiver.wait_for(lambda: receiver.requests)
