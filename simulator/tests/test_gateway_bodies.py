"""The gateway's own message builder against the simulator: every body it builds for a template is accepted."""

import pytest

from transports.whatsapp import whatsapp_payload

from .test_template_buttons import approved

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
