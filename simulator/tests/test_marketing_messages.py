"""The Marketing Messages API: POST /{version}/{phone-number-id}/marketing_messages, onboarding, 131055/131063."""

import pytest
import requests

from .helpers import PHONE_ID, TOKEN, VERSION, WABA_ID, body_params, template_message

PROMO = [
    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/promo.jpg"}}]},
    body_params("20%"),
]
UTILITY = [body_params("Ana", "B-1042", "12 March")]


def _post(sim, payload: dict, endpoint: str = "marketing_messages") -> requests.Response:
    return requests.post(f"{sim.base_url}/{VERSION}/{PHONE_ID}/{endpoint}", json=payload,
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


def _number(sim, **flags) -> None:
    number = {"id": PHONE_ID, "display_phone_number": "15550000001", **flags}
    sim.configure(business_accounts=[{"id": WABA_ID, "phone_numbers": [number]}])


def test_it_sends_a_marketing_template_like_messages_does(sim):
    response = _post(sim, {**template_message("promo_image", PROMO), "product_policy": "STRICT",
                           "message_activity_sharing": False})

    assert response.status_code == 200, response.text
    (sent,) = response.json()["messages"]
    assert sent["id"].startswith("wamid.") and sent["message_status"] == "accepted"
    (record,) = sim.messages(endpoint="marketing_messages")
    assert record["template"] == "promo_image" and record["product_policy"] == "STRICT"
    assert record["fallback"] is False


def test_the_policy_defaults_to_cloud_api_fallback(sim):
    assert _post(sim, template_message("promo_image", PROMO)).status_code == 200
    assert sim.messages(endpoint="marketing_messages")[0]["product_policy"] == "CLOUD_API_FALLBACK"


def test_messages_records_its_own_endpoint(sim):
    assert _post(sim, template_message("order_confirmation", UTILITY), endpoint="messages").status_code == 200
    assert sim.messages(endpoint="marketing_messages") == []
    assert sim.messages(endpoint="messages")[0]["template"] == "order_confirmation"


@pytest.mark.parametrize(
    "payload",
    [
        template_message("order_confirmation", UTILITY),  # a UTILITY template
        {"messaging_product": "whatsapp", "to": "14155550123", "type": "text", "text": {"body": "Hi"}},
        {**template_message("promo_image", PROMO), "product_policy": "ALWAYS"},
        {**template_message("promo_image", PROMO), "message_activity_sharing": "yes"},
    ],
)
def test_it_refuses_what_is_not_a_marketing_template_send(sim, payload):
    response = _post(sim, payload)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert sim.messages() == []


def test_strict_on_a_number_not_onboarded_answers_131055(sim):
    _number(sim, marketing_messages_onboarded=False)

    response = _post(sim, {**template_message("promo_image", PROMO), "product_policy": "STRICT"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131055
    assert sim.messages() == []


def test_fallback_on_a_number_not_onboarded_sends_through_the_cloud_api(sim):
    _number(sim, marketing_messages_onboarded=False)

    response = _post(sim, {**template_message("promo_image", PROMO), "product_policy": "CLOUD_API_FALLBACK"})

    assert response.status_code == 200
    assert sim.messages(endpoint="marketing_messages")[0]["fallback"] is True


def test_marketing_disabled_on_the_cloud_api_answers_131063_there_only(sim):
    _number(sim, marketing_messages_onboarded=False, cloud_api_marketing=False)

    on_messages = _post(sim, template_message("promo_image", PROMO), endpoint="messages")
    falling_back = _post(sim, {**template_message("promo_image", PROMO), "product_policy": "CLOUD_API_FALLBACK"})
    utility = _post(sim, template_message("order_confirmation", UTILITY), endpoint="messages")

    assert on_messages.json()["error"]["code"] == 131063
    assert falling_back.json()["error"]["code"] == 131063
    assert utility.status_code == 200  # utility templates are not marketing: the Cloud API still sends them


def test_onboarded_marketing_messages_send_even_when_the_cloud_api_refuses_marketing(sim):
    _number(sim, cloud_api_marketing=False)

    assert _post(sim, template_message("promo_image", PROMO)).status_code == 200


def test_the_flags_are_booleans(sim):
    with pytest.raises(ValueError, match="true/false"):
        _number(sim, cloud_api_marketing="no")


def _waba(sim) -> requests.Response:
    return requests.get(f"{sim.base_url}/{VERSION}/{WABA_ID}",
                        params={"fields": "marketing_messages_onboarding_status"},
                        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


def test_the_waba_node_answers_the_onboarding_state_of_its_numbers(sim):
    assert _waba(sim).json()["marketing_messages_onboarding_status"] == "ONBOARDED"
    _number(sim, marketing_messages_onboarded=False)
    answer = _waba(sim)
    assert answer.status_code == 200 and answer.json()["id"] == WABA_ID
    assert answer.json()["marketing_messages_onboarding_status"] == "ELIGIBLE"
