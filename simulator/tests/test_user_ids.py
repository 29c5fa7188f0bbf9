"""Users known by a business-scoped user id (BSUID): sends to `recipient`, webhooks without the number."""

import requests

from simulator.webhook_events import user_id

from .helpers import approved, template_message

NUMBER = "14155550123"
ANA = "14155550777"  # a user with a username


def test_a_send_to_a_user_id_is_answered_with_it_and_no_number(graph, sim):
    bsuid = user_id(NUMBER)
    payload = {**template_message("hello_world"), "recipient": bsuid}
    del payload["to"]

    answer = graph.send(payload)

    assert answer.status_code == 200, answer.text
    assert answer.json()["contacts"] == [{"input": bsuid, "user_id": bsuid}]
    [record] = sim.messages(to=bsuid)
    assert (record["user_id"], record["wa_id"]) == (bsuid, "")


def test_to_wins_over_recipient_and_a_malformed_user_id_is_refused(graph, sim):
    both = {**template_message("hello_world", to=NUMBER), "recipient": user_id("14155550999")}
    assert graph.send(both).json()["contacts"] == [{"input": NUMBER, "wa_id": NUMBER}]
    bad = {**template_message("hello_world"), "recipient": "not-a-user-id"}
    del bad["to"]
    answer = graph.send(bad)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 131026


def test_a_passcode_cannot_go_to_a_user_id(graph, sim):
    components = [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
    ]
    approved(graph, sim, "login_code", [], category="AUTHENTICATION", components=components)
    code = [{"type": "text", "text": "123456"}]
    copy_code = {"type": "button", "sub_type": "url", "index": 0, "parameters": code}
    payload = {**template_message("login_code", [{"type": "body", "parameters": code}, copy_code]),
               "recipient": user_id(NUMBER)}
    del payload["to"]

    answer = graph.send(payload)

    assert answer.status_code == 400 and answer.json()["error"]["code"] == 131062


def test_statuses_of_a_user_id_send_carry_no_number(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0, "delivered": 0.0}, usernames={ANA: "ana.shop"})
    payload = {**template_message("hello_world"), "recipient": user_id(ANA)}
    del payload["to"]
    graph.send(payload)

    receiver.wait_for(lambda: len(receiver.statuses()) >= 2)

    for status in receiver.statuses():
        assert status["recipient_user_id"] == user_id(ANA) and "recipient_id" not in status
    contacts = [c for value in receiver.changes("messages") for c in value.get("contacts", [])]
    assert all("wa_id" not in contact for contact in contacts)
    assert {"user_id": user_id(ANA), "username": "ana.shop"} in contacts  # on delivered


def test_a_user_with_a_username_writes_in_without_a_number(sim, receiver):
    sim.configure(usernames={ANA: "ana.shop"})
    requests.post(f"{sim.base_url}/_sim/inbound", json={"from": ANA, "text": "hi"}, timeout=5)
    requests.post(f"{sim.base_url}/_sim/inbound", json={"from": NUMBER, "text": "hello"}, timeout=5)

    receiver.wait_for(lambda: len(receiver.changes("messages")) >= 2)

    by_text = {value["messages"][0]["text"]["body"]: value for value in receiver.changes("messages")}
    ana, other = by_text["hi"], by_text["hello"]
    assert "from" not in ana["messages"][0] and ana["messages"][0]["from_user_id"] == user_id(ANA)
    assert ana["contacts"] == [{"profile": {"name": "Test User", "username": "ana.shop"}, "user_id": user_id(ANA)}]
    assert other["messages"][0]["from"] == NUMBER and other["contacts"][0]["wa_id"] == NUMBER


def test_with_the_service_window_on_text_needs_a_recent_message_from_the_user(graph, sim):
    sim.configure(service_window=True, usernames={ANA: "ana.shop"})
    refused = graph.send({"messaging_product": "whatsapp", "to": NUMBER, "type": "text", "text": {"body": "Hi"}})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 131047
    assert graph.send(template_message("hello_world")).status_code == 200  # templates open conversations

    for sender in (NUMBER, ANA):
        requests.post(f"{sim.base_url}/_sim/inbound", json={"from": sender, "text": "hello"}, timeout=5)
    by_number = graph.send({"messaging_product": "whatsapp", "to": NUMBER, "type": "text", "text": {"body": "Hi"}})
    by_user_id = graph.send({"messaging_product": "whatsapp", "recipient": user_id(ANA), "type": "text",
                             "text": {"body": "Hi"}})
    assert (by_number.status_code, by_user_id.status_code) == (200, 200), by_user_id.text
