"""Templates with every button kind: created as Meta accepts them, then sent with the parameters Meta expects."""

import pytest

from .helpers import BODY, LTO, OFFER_BUTTONS, approved, assert_meta_error, card, template_message

SPRING = {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}


def button(sub_type: str, parameters: list[dict] | None, index: int = 0) -> dict:
    component = {"type": "button", "sub_type": sub_type, "index": index}
    if parameters is not None:
        component["parameters"] = parameters
    return component


# ------------------------------------------------------------------------------------- action parameters
def test_catalog_buttons_take_an_action_parameter(graph, sim):
    approved(graph, sim, "catalog_offer", [{"type": "CATALOG", "text": "View catalog"}])
    action = {"type": "action", "action": {"thumbnail_product_retailer_id": "SKU-1"}}

    with_thumbnail = graph.send(template_message("catalog_offer", [SPRING, button("catalog", [action])]))
    without = graph.send(template_message("catalog_offer", [SPRING, button("catalog", None)]))

    assert with_thumbnail.status_code == 200, with_thumbnail.text
    assert without.status_code == 200, without.text


def test_multi_product_buttons_take_an_action_with_sections(graph, sim):
    approved(graph, sim, "product_picks", [{"type": "MPM", "text": "View items"}])
    action = {"type": "action", "action": {
        "thumbnail_product_retailer_id": "SKU-1",
        "sections": [{"title": "Picks", "product_items": [{"product_retailer_id": "SKU-1"},
                                                          {"product_retailer_id": "SKU-2"}]}]}}

    response = graph.send(template_message("product_picks", [SPRING, button("mpm", [action])]))

    assert response.status_code == 200, response.text


def test_multi_product_buttons_without_sections_are_refused(graph, sim):
    approved(graph, sim, "product_picks", [{"type": "MPM", "text": "View items"}])
    action = {"type": "action", "action": {"thumbnail_product_retailer_id": "SKU-1"}}

    assert_meta_error(graph.send(template_message("product_picks", [SPRING, button("mpm", [action])])), 131008, 400)


def test_flow_buttons_take_an_action_parameter(graph, sim):
    approved(graph, sim, "signup_flow", [{"type": "FLOW", "text": "Sign up", "flow_id": "1234567890"}])
    action = {"type": "action", "action": {"flow_token": "tok-1", "flow_action_data": {"step": "start"}}}

    response = graph.send(template_message("signup_flow", [SPRING, button("flow", [action])]))

    assert response.status_code == 200, response.text


def test_an_action_parameter_on_a_quick_reply_button_is_refused(graph):
    action = {"type": "action", "action": {"flow_token": "x"}}
    components = [{"type": "body", "parameters": [{"type": "text", "text": "B-1"}]},
                  button("url", [{"type": "text", "text": "B-1"}]), button("quick_reply", [action], index=1)]

    assert_meta_error(graph.send(template_message("shipping_update", components)), 132012, 400)


# ------------------------------------------------------------------------------------- copy code, OTP
def test_copy_code_buttons_need_no_text_and_take_a_coupon_code(graph, sim):
    approved(graph, sim, "coupon_offer", [{"type": "COPY_CODE", "example": "SPRING25"}])
    coupon = {"type": "coupon_code", "coupon_code": "SPRING25"}

    response = graph.send(template_message("coupon_offer", [SPRING, button("copy_code", [coupon])]))

    assert response.status_code == 200, response.text


def test_authentication_templates_send_the_code_in_body_and_button(graph, sim):
    components = [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
    ]
    approved(graph, sim, "login_code", [], category="AUTHENTICATION", components=components)
    code = [{"type": "text", "text": "123456"}]

    ok = graph.send(template_message("login_code", [{"type": "body", "parameters": code}, button("url", code)]))
    no_code = graph.send(template_message("login_code", [button("url", code)]))

    assert ok.status_code == 200, ok.text
    assert_meta_error(no_code, 132000, 400)


# ------------------------------------------------------------------------------------- currency
def test_currency_parameters_need_fallback_code_and_amount(graph, sim):
    approved(graph, sim, "price_drop", [{"type": "QUICK_REPLY", "text": "Buy"}])
    full = {"type": "currency", "currency": {"fallback_value": "$10.99", "code": "USD", "amount_1000": 10990}}

    response = graph.send(template_message("price_drop", [{"type": "body", "parameters": [full]}]))

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("dropped", ["fallback_value", "code", "amount_1000"])
def test_currency_parameters_missing_a_field_are_refused(graph, sim, dropped):
    approved(graph, sim, "price_drop", [{"type": "QUICK_REPLY", "text": "Buy"}])
    currency = {"fallback_value": "$10.99", "code": "USD", "amount_1000": 10990}
    del currency[dropped]

    response = graph.send(template_message("price_drop", [{"type": "body", "parameters": [
        {"type": "currency", "currency": currency}]}]))

    error = assert_meta_error(response, 131008, 400)
    assert dropped in error["error_data"]["details"]


# ------------------------------------------------------------------------------------- carousel, limited-time offer
def sent_card(index: int) -> dict:
    return {"card_index": index, "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": f"https://cdn.example.com/{index}.jpg"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "apples"}]},
        {"type": "button", "sub_type": "quick_reply", "index": 0,
         "parameters": [{"type": "payload", "payload": "more"}]},
        {"type": "button", "sub_type": "url", "index": 1, "parameters": [{"type": "text", "text": f"p{index}"}]},
    ]}


def test_carousel_templates_are_created_and_sent_card_by_card(graph, sim):
    approved(graph, sim, "fruit_carousel", [], components=[BODY, {"type": "CAROUSEL", "cards": [card(), card()]}])

    response = graph.send(template_message("fruit_carousel", [SPRING, {"type": "carousel",
                                                                       "cards": [sent_card(0), sent_card(1)]}]))

    assert response.status_code == 200, response.text
    assert len(sim.messages()[0]["payload"]["template"]["components"][1]["cards"]) == 2


def test_a_carousel_send_missing_a_card_or_a_card_parameter_is_refused(graph, sim):
    approved(graph, sim, "fruit_carousel", [], components=[BODY, {"type": "CAROUSEL", "cards": [card(), card()]}])
    no_url = sent_card(1)
    del no_url["components"][3]

    one_card = graph.send(template_message("fruit_carousel", [SPRING, {"type": "carousel", "cards": [sent_card(0)]}]))
    missing = graph.send(template_message("fruit_carousel", [SPRING, {"type": "carousel",
                                                                      "cards": [sent_card(0), no_url]}]))

    assert_meta_error(one_card, 132000, 400)
    assert_meta_error(missing, 132000, 400)


@pytest.mark.parametrize("cards", [[], [{"components": []}], [card(), {"components": card()["components"][:2]}]])
def test_a_carousel_template_with_bad_cards_is_refused_at_creation(graph, cards):
    payload = {"name": "fruit_carousel", "language": "en_US", "category": "MARKETING",
               "components": [BODY, {"type": "CAROUSEL", "cards": cards}]}

    assert_meta_error(graph.create_template(payload), 100, 400)


def test_limited_time_offers_are_created_and_sent_with_their_expiry(graph, sim):
    approved(graph, sim, "spring_offer", [], components=[BODY, LTO, OFFER_BUTTONS])
    expiry = {"type": "limited_time_offer", "parameters": [
        {"type": "limited_time_offer", "limited_time_offer": {"expiration_time_ms": 1_900_000_000_000}}]}
    buttons = [button("copy_code", [{"type": "coupon_code", "coupon_code": "SPRING25"}]),
               button("url", [{"type": "text", "text": "a"}], index=1)]

    ok = graph.send(template_message("spring_offer", [SPRING, expiry, *buttons]))
    no_expiry = graph.send(template_message("spring_offer", [SPRING, *buttons]))

    assert ok.status_code == 200, ok.text
    assert_meta_error(no_expiry, 132000, 400)


def test_a_limited_time_offer_outside_marketing_or_with_a_footer_is_refused(graph):
    base = {"name": "spring_offer", "language": "en_US", "category": "MARKETING"}
    utility = {**base, "category": "UTILITY", "components": [BODY, LTO, OFFER_BUTTONS]}
    footer = {**base, "components": [BODY, LTO, {"type": "FOOTER", "text": "bye"}, OFFER_BUTTONS]}

    assert_meta_error(graph.create_template(utility), 100, 400)
    assert_meta_error(graph.create_template(footer), 100, 400)
