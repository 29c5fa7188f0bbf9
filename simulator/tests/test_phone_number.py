"""The phone number node: the portfolio's messaging limit and the number's quality rating, as configured."""

import pytest
import requests

from .helpers import PHONE_ID, VERSION, WABA_ID

FIELDS = "whatsapp_business_manager_messaging_limit,quality_rating"


def read_number(graph, phone_id: str = PHONE_ID) -> requests.Response:
    return requests.get(
        f"{graph.base_url}/{VERSION}/{phone_id}", params={"fields": FIELDS}, headers=graph.headers(), timeout=5
    )


def test_it_answers_the_default_messaging_limit_and_quality_rating(graph):
    body = read_number(graph).json()
    assert body["id"] == PHONE_ID
    assert body["whatsapp_business_manager_messaging_limit"] == "TIER_2K"
    assert body["quality_rating"] == "GREEN"


def test_it_answers_each_numbers_configured_limit_and_rating(sim, graph):
    sim.configure(business_accounts=[{"id": WABA_ID, "phone_numbers": [
        {"id": PHONE_ID, "messaging_limit": "TIER_100K", "quality_rating": "YELLOW"},
        {"id": "100000000000009", "messaging_limit": "TIER_UNLIMITED", "quality_rating": "RED"},
    ]}])
    first, second = read_number(graph).json(), read_number(graph, "100000000000009").json()
    assert (first["whatsapp_business_manager_messaging_limit"], first["quality_rating"]) == ("TIER_100K", "YELLOW")
    assert (second["whatsapp_business_manager_messaging_limit"], second["quality_rating"]) == ("TIER_UNLIMITED", "RED")


@pytest.mark.parametrize("number", [{"messaging_limit": "TIER_3K"}, {"quality_rating": "BLUE"}])
def test_it_refuses_an_unknown_limit_or_rating(sim, number):
    with pytest.raises(ValueError, match="messaging_limit|quality_rating"):
        sim.configure(business_accounts=[{"id": WABA_ID, "phone_numbers": [{"id": PHONE_ID, **number}]}])
