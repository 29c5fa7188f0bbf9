"""Cost end to end: estimated at create, then counted from the pricing of Meta's status webhooks.

A real worker and the simulator as Meta, whose status webhooks (each carrying `pricing`) reach the live gateway.
"""

import pytest
import requests

from broadcasts.models import Broadcast, InboundMessage
from broadcasts.testing import PROMO, RECEIPT, wait_until
from whatsapp_gateway.testing import webhooked_whatsapp_transport

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

BR, DE, US, CA = "5511987654321", "4915112345678", "12025550101", "16135550123"


@pytest.fixture
def transport(api, simulator, settings, live_server):
    with webhooked_whatsapp_transport(api, simulator, settings, live_server) as created:
        yield created


def _sent_and_read(api, transport, message, recipients) -> dict:
    answer = api.post("/api/v1/sessions", {"transport": transport["id"], "message": message,
                                           "recipients": recipients}, format="json")
    assert answer.status_code == 202, answer.content
    session = answer.json()
    wait_until(lambda: Broadcast.objects.filter(session_id=session["id"], status="READ").count() == len(recipients),
               what="every recipient to read, from Meta's webhooks")
    return session


def test_a_marketing_session_to_four_countries_costs_what_was_estimated(api, transport):
    created = _sent_and_read(api, transport, PROMO, [f"+{n}" for n in (BR, DE, US, CA)])
    estimate = created["estimated_cost"]
    assert {country: row["billable"] for country, row in estimate["by_country"].items()} == dict.fromkeys(
        ["BR", "CA", "DE", "US"], 1)

    # Counted from the webhooks: delivered and read both carry pricing, each message is charged once.
    cost = api.get(f"/api/v1/sessions/{created['id']}").json()["cost"]
    assert (cost["billable"], cost["free"]) == (4, 0)
    assert cost["amount"] == estimate["amount"] and cost["currency"] == estimate["currency"]
    assert {country: row["amount"] for country, row in cost["by_country"].items()} == {
        country: row["rate"] for country, row in estimate["by_country"].items()}


def test_a_utility_message_inside_the_customer_service_window_is_free_as_estimated(api, simulator, transport):
    answer = requests.post(f"{simulator.base_url}/_sim/inbound", json={"from": BR, "text": "Where is my order?"},
                           timeout=5)
    assert answer.status_code == 200
    wait_until(InboundMessage.objects.exists, what="the inbound message: her window is open")

    created = _sent_and_read(api, transport, RECEIPT, [f"+{BR}", f"+{US}"])
    assert {c: (row["billable"], row["free"]) for c, row in created["estimated_cost"]["by_country"].items()} == {
        "BR": (0, 1), "US": (1, 0)}

    cost = api.get(f"/api/v1/sessions/{created['id']}").json()["cost"]
    assert (cost["billable"], cost["free"]) == (1, 1)
    assert cost["by_country"]["BR"] == {"billable": 0, "free": 1, "amount": "0.00"}
    assert cost["amount"] == created["estimated_cost"]["amount"]

