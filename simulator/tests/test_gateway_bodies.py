"""The gateway against the simulator: every body its builder makes is accepted, every webhook its parser reads."""

import pytest
import requests

from broadcasts.services.webhooks.payload import webhook_payload_parse
from transports.whatsapp.payloads import whatsapp_payload

from .helpers import PHONE_ID, approved

TO = "14155550123"
ACTION_BUTTONS = [
    ("CATALOG", {"type": "CATALOG", "text": "View catalog"}, {"thumbnail_product_retailer_id": "SKU-1"}),
    ("MPM", {"type": "MPM", "text": "View items"}, {
        "thumbnail_product_retailer_id": "SKU-1",
        "sections": [{"title": "Picks", "product_items": [{"product_retailer_id": "SKU-1"}]}],
    }),
    ("FLOW", {"type": "FLOW", "text": "Sign up", "flow_id": "1234567890"}, {"flow_token": "tok-1"}),
]


@pytest.mark.parametrize("kind, template_button, action", ACTION_BUTTONS)
def test_builder_bodies_with_action_buttons_are_accepted(graph, sim, kind, template_button, action):
    approved(graph, sim, f"{kind.lower()}_offer", [template_button])
    message = {"meta": {"templateName": f"{kind.lower()}_offer", "parameters": ["Ana"],
                        "buttons": [{"type": kind.lower(), "index": 0,
                                     "parameters": [{"type": "action", "action": action}]}]}}

    response = graph.send(whatsapp_payload(to=TO, message=message))

    assert response.status_code == 200, response.text


def test_builder_bodies_with_a_copy_code_button_and_a_language_policy_are_accepted(graph, sim):
    approved(graph, sim, "coupon_offer", [{"type": "COPY_CODE", "example": "SPRING25"}])
    message = {"meta": {"templateName": "coupon_offer", "language": {"code": "en_US", "policy": "deterministic"},
                        "parameters": ["Ana"], "buttons": [{"type": "copy_code", "index": 0, "code": "SPRING25"}]}}

    response = graph.send(whatsapp_payload(to=TO, message=message))

    assert response.status_code == 200, response.text


def test_the_gateways_webhook_parser_reads_every_webhook_the_simulator_sends(graph, sim, receiver):
    sim.configure(status_delays_s={"sent": 0.0, "delivered": 0.0, "read": 0.0}, webhook_flush_interval_s=0.2)
    wamid = graph.send(whatsapp_payload(to=TO, message={"meta": {"templateName": "hello_world"}})).json()
    requests.post(f"{sim.base_url}/_sim/inbound", json={"from": TO, "text": "STOP"}, timeout=5)
    requests.post(f"{sim.base_url}/_sim/templates/status", json={"name": "old_promo", "status": "APPROVED"}, timeout=5)

    receiver.wait_for(lambda: len(receiver.requests) >= 3)
    parsed = [webhook_payload_parse(request["json"], phone_number_ids={PHONE_ID}) for request in receiver.requests]

    statuses = [item for payload in parsed for item in payload.statuses]
    assert sorted(s["status"] for s in statuses) == ["delivered", "read", "sent"]
    assert {s["id"] for s in statuses} == {wamid["messages"][0]["id"]}
    [(_number, message, contacts)] = [item for payload in parsed for item in payload.inbound]
    assert message["text"] == {"body": "STOP"} and contacts[TO]["profile"]["name"] == "Test User"
    assert [t["message_template_name"] for payload in parsed for t in payload.template_status] == ["old_promo"]
    assert all(not payload.ignored and not payload.foreign_numbers for payload in parsed)
