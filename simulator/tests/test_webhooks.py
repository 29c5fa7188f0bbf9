"""Status, inbound and template webhooks: Meta's envelope, signed with the app secret, delivered off the send path."""

import hashlib
import hmac
import time

import pytest
import requests

from simulator.webhook_events import user_id

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
    ana = {"profile": {"name": "Ana"}, "wa_id": "14155550123", "user_id": user_id("14155550123")}
    assert value["contacts"] == [ana]
    assert value["messages"][0]["text"] == {"body": "STOP"}
    assert value["messages"][0]["from"] == "14155550123"
    assert value["messages"][0]["id"] == response.json()["id"]


def test_it_answers_sends_before_any_webhook_is_posted(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.3})

    graph.send(text_message())

    assert receiver.requests == []
    receiver.wait_for(lambda: receiver.requests)


def inbound(sim, **data):
    response = requests.post(f"{sim.base_url}/_sim/inbound", json={"from": "+14155550123", **data}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def all_changes(receiver) -> list[dict]:
    entries = [entry for request in receiver.requests for entry in request["json"]["entry"]]
    return [change for entry in entries for change in entry["changes"]]


def test_template_status_webhooks_carry_the_entry_time(graph, sim, receiver):
    requests.post(f"{sim.base_url}/_sim/templates/status", json={"name": "hello_world", "status": "PAUSED"}, timeout=5)

    request = receiver.wait_for(lambda: receiver.requests)[0]
    [entry] = request["json"]["entry"]
    assert entry["changes"][0]["field"] == "message_template_status_update"
    assert isinstance(entry["time"], int) and abs(entry["time"] - time.time()) < 60


def test_statuses_and_inbound_messages_of_one_number_arrive_in_separate_changes(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0}, webhook_flush_interval_s=0.3)
    graph.send(text_message())
    inbound(sim, text="hi")

    receiver.wait_for(lambda: len(all_changes(receiver)) >= 2)
    changes = all_changes(receiver)
    assert [change["field"] for change in changes] == ["messages", "messages"]
    kinds = sorted(key for change in changes for key in ("statuses", "messages") if key in change["value"])
    assert kinds == ["messages", "statuses"]  # never both in one value
    assert len(receiver.requests) == 2  # and one change per payload, as Meta posts them


def test_inbound_messages_name_the_sender_by_wa_id_and_user_id(sim, receiver):
    inbound(sim, text="hi", name="Ana")

    [value] = receiver.wait_for(lambda: receiver.changes("messages"))
    [contact] = value["contacts"]
    assert contact["wa_id"] == "14155550123"
    assert contact["user_id"].startswith("US.") and contact["user_id"][3:].isdigit()
    assert contact["profile"] == {"name": "Ana"}


def test_status_webhooks_name_the_recipient_by_wa_id_and_user_id(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0})
    graph.send(text_message())

    [value] = receiver.wait_for(lambda: receiver.changes("messages"))
    assert value["contacts"][0]["wa_id"] == "14155550123"
    assert value["statuses"][0]["recipient_user_id"] == value["contacts"][0]["user_id"]


def test_the_same_number_always_has_the_same_user_id(sim, receiver):
    inbound(sim, text="one")
    inbound(sim, text="two")

    values = receiver.wait_for(lambda: len(receiver.changes("messages")) == 2 and receiver.changes("messages"))
    assert values[0]["contacts"][0]["user_id"] == values[1]["contacts"][0]["user_id"]


@pytest.mark.parametrize("kind, content", [
    ("image", {"id": "1234", "mime_type": "image/jpeg", "sha256": "abc", "caption": "look"}),
    ("video", {"id": "1235", "mime_type": "video/mp4", "sha256": "abc"}),
    ("audio", {"id": "1236", "mime_type": "audio/ogg", "sha256": "abc", "voice": True}),
    ("document", {"id": "1237", "mime_type": "application/pdf", "sha256": "abc", "filename": "a.pdf"}),
    ("sticker", {"id": "1238", "mime_type": "image/webp", "sha256": "abc", "animated": False}),
    ("location", {"latitude": 37.48, "longitude": -122.14, "name": "HQ"}),
    ("contacts", [{"name": {"formatted_name": "Bo", "first_name": "Bo"}, "phones": [{"phone": "+1 415 555 0100"}]}]),
    ("reaction", {"message_id": "wamid.ABC", "emoji": "\U0001f44d"}),
    ("interactive", {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}),
    ("interactive", {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row 1", "description": "d"}}),
])
def test_it_posts_inbound_messages_of_every_kind(sim, receiver, kind, content):
    wamid = inbound(sim, type=kind, **{kind: content})

    [value] = receiver.wait_for(lambda: receiver.changes("messages"))
    [message] = value["messages"]
    assert message["id"] == wamid and message["type"] == kind
    assert message[kind] == content


def test_inbound_media_gets_an_id_mime_type_and_hash_when_left_out(sim, receiver):
    inbound(sim, type="image", image={"caption": "look"})

    [value] = receiver.wait_for(lambda: receiver.changes("messages"))
    image = value["messages"][0]["image"]
    assert image["caption"] == "look" and image["id"] and image["mime_type"] == "image/jpeg" and image["sha256"]


def test_an_inbound_message_of_an_unknown_kind_is_refused(sim):
    response = requests.post(f"{sim.base_url}/_sim/inbound", json={"from": "14155550123", "type": "telepathy"},
                             timeout=5)

    assert response.status_code == 400


def test_a_template_category_change_sends_metas_category_webhook(graph, sim, receiver):
    response = requests.post(f"{sim.base_url}/_sim/templates/category",
                             json={"name": "order_confirmation", "category": "MARKETING"}, timeout=5)

    assert response.status_code == 200, response.text
    request = receiver.wait_for(lambda: receiver.requests)[0]
    [entry] = request["json"]["entry"]
    change = entry["changes"][0]
    assert change["field"] == "template_category_update" and isinstance(entry["time"], int)
    assert change["value"]["previous_category"] == "UTILITY"
    assert change["value"]["new_category"] == "MARKETING"
    assert change["value"]["message_template_name"] == "order_confirmation"
    assert isinstance(change["value"]["message_template_id"], int)
    [listed] = graph.templates(name="order_confirmation").json()["data"]
    assert (listed["category"], listed["previous_category"]) == ("MARKETING", "UTILITY")


def test_a_number_quality_change_sends_metas_quality_webhook_and_the_node_reads_it(graph, sim, receiver):
    response = requests.post(f"{sim.base_url}/_sim/phone_numbers/quality",
                             json={"event": "UPGRADE", "messaging_limit": "TIER_10K", "quality_rating": "YELLOW"},
                             timeout=5)

    assert response.status_code == 200, response.text
    request = receiver.wait_for(lambda: receiver.requests)[0]
    [entry] = request["json"]["entry"]
    assert entry["id"] == WABA_ID and isinstance(entry["time"], int)
    [change] = entry["changes"]
    assert change["field"] == "phone_number_quality_update"
    assert change["value"] == {
        "display_phone_number": "15550000001", "event": "UPGRADE", "old_limit": "TIER_2K",
        "current_limit": "TIER_10K", "max_daily_conversations_per_business": "TIER_10K",
    }
    token = sim.config.access_token
    node = requests.get(f"{sim.base_url}/v23.0/{PHONE_ID}", headers={"Authorization": f"Bearer {token}"},
                        timeout=5).json()
    assert (node["whatsapp_business_manager_messaging_limit"], node["quality_rating"]) == ("TIER_10K", "YELLOW")


@pytest.mark.parametrize("body", [{"event": "SOMETHING"}, {"event": "UPGRADE", "messaging_limit": "TIER_3K"},
                                  {"event": "FLAGGED", "quality_rating": "BLUE"}])
def test_a_bad_quality_change_is_refused(sim, body):
    response = requests.post(f"{sim.base_url}/_sim/phone_numbers/quality", json=body, timeout=5)
    assert response.status_code == 400 and "is one of" in response.json()["error"]


def test_it_reports_how_long_the_receiver_took_to_answer(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0, "delivered": 0.0}, webhook_batch_size=1)
    graph.send(text_message())
    receiver.wait_for(lambda: len(receiver.statuses()) == 2)
    receiver.wait_for(lambda: len([d for d in sim.webhook_deliveries() if d["delivered"]]) == 2)

    latency = requests.get(f"{sim.base_url}/_sim/webhooks/latency", timeout=5).json()

    assert latency["posts"] == 2
    assert 0 < latency["p50_seconds"] <= latency["p99_seconds"] == latency["max_seconds"]
    assert latency["last_delivered_at"] is not None
    assert all(d["answer_ms"] > 0 for d in sim.webhook_deliveries())
    assert sim.stats()["webhooks"]["webhook_statuses_delivered"] == 2
    sim.reset()
    assert requests.get(f"{sim.base_url}/_sim/webhooks/latency", timeout=5).json()["posts"] == 0
