"""Template management: list with paging, create (PENDING, then APPROVED or REJECTED), delete."""

import time

import pytest
import requests

from .helpers import WABA_ID, assert_meta_error, body_params, template_message

SEEDED = ["hello_world", "order_confirmation", "appointment_reminder", "promo_image", "product_video",
          "invoice_document", "store_location", "shipping_update", "old_promo", "legacy_notice", "new_offer"]


def new_template(name: str = "spring_sale", **changes) -> dict:
    return {
        "name": name, "language": "en_US", "category": "MARKETING",
        "components": [
            {"type": "BODY", "text": "Hi {{1}}, use code {{2}} today.", "example": {"body_text": [["Ana", "SPRING"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
        ],
        **changes,
    }


def test_it_lists_the_seeded_templates(graph):
    response = graph.templates(limit=100)

    assert response.status_code == 200
    by_name = {template["name"]: template for template in response.json()["data"]}
    assert list(by_name) == SEEDED
    assert by_name["old_promo"]["status"] == "PAUSED"
    assert by_name["legacy_notice"]["status"] == "DISABLED"
    assert by_name["new_offer"]["status"] == "PENDING"
    assert by_name["appointment_reminder"]["parameter_format"] == "NAMED"
    assert all(template["language"] == "en_US" for template in by_name.values())


def test_it_pages_with_cursors_and_next(graph):
    names, params, pages = [], {"limit": 4}, 0
    response = graph.templates(**params)
    while True:
        pages += 1
        body = response.json()
        names += [template["name"] for template in body["data"]]
        next_url = body["paging"].get("next")
        if not next_url:
            break
        assert body["paging"]["cursors"]["after"]
        response = graph.templates(limit=4, after=body["paging"]["cursors"]["after"])

    assert pages == 3
    assert names == SEEDED


def test_it_follows_its_next_url(graph):
    first = graph.templates(limit=6).json()
    second = requests.get(first["paging"]["next"], headers=graph.headers(), timeout=5).json()

    assert [t["name"] for t in second["data"]] == SEEDED[6:]
    assert "next" not in second["paging"]
    assert "previous" in second["paging"]


def test_it_filters_by_status_and_returns_only_asked_fields(graph):
    body = graph.templates(status="PAUSED,DISABLED", fields="name,status").json()

    assert [(t["name"], t["status"]) for t in body["data"]] == [("old_promo", "PAUSED"), ("legacy_notice", "DISABLED")]
    assert set(body["data"][0]) == {"id", "name", "status"}


def test_it_creates_a_template_pending_then_approved(graph, receiver):
    response = graph.create_template(new_template())

    assert response.status_code == 200
    created = response.json()
    assert created["status"] == "PENDING"
    assert created["category"] == "MARKETING"
    assert graph.send(template_message("spring_sale", [body_params("Ana", "X")])).status_code == 404

    [update] = receiver.wait_for(lambda: receiver.changes("message_template_status_update"))
    assert update["event"] == "APPROVED"
    assert update["message_template_id"] == int(created["id"])
    assert update["message_template_name"] == "spring_sale"
    assert graph.templates(name="spring_sale").json()["data"][0]["status"] == "APPROVED"
    assert graph.send(template_message("spring_sale", [body_params("Ana", "X")])).status_code == 200


def test_it_rejects_a_template_whose_name_says_so(graph, receiver):
    graph.create_template(new_template("please_reject_me"))

    [update] = receiver.wait_for(lambda: receiver.changes("message_template_status_update"))
    assert update["event"] == "REJECTED"
    assert graph.templates(name="please_reject_me").json()["data"][0]["status"] == "REJECTED"


def test_it_refuses_a_name_with_capitals(graph):
    assert_meta_error(graph.create_template(new_template("Spring Sale")), 100, 400)


def test_it_refuses_an_unknown_category(graph):
    assert_meta_error(graph.create_template(new_template(category="NEWS")), 100, 400)


def test_it_refuses_variables_without_examples(graph):
    payload = new_template(components=[{"type": "BODY", "text": "Hi {{1}}, welcome."}])

    assert_meta_error(graph.create_template(payload), 100, 400)


def test_it_refuses_a_body_that_starts_with_a_variable(graph):
    payload = new_template(components=[{"type": "BODY", "text": "{{1}} is here", "example": {"body_text": [["x"]]}}])

    error = assert_meta_error(graph.create_template(payload), 100, 400)
    assert error["error_subcode"] == 2388299


def test_it_refuses_a_header_over_60_characters(graph):
    payload = new_template()
    payload["components"].insert(0, {"type": "HEADER", "format": "TEXT", "text": "x" * 61})

    assert_meta_error(graph.create_template(payload), 100, 400)


def test_it_refuses_a_duplicate_name_in_the_same_language(graph):
    assert_meta_error(graph.create_template(new_template("hello_world")), 100, 400)


def test_it_deletes_every_language_by_name(graph):
    graph.create_template(new_template("bilingual"))
    graph.create_template(new_template("bilingual", language="pt_BR"))

    response = graph.delete_template(name="bilingual")

    assert response.json() == {"success": True}
    assert graph.templates(name="bilingual").json()["data"] == []


def test_it_deletes_one_translation_by_hsm_id(graph):
    english = graph.create_template(new_template("bilingual")).json()
    graph.create_template(new_template("bilingual", language="pt_BR"))

    graph.delete_template(name="bilingual", hsm_id=english["id"])

    assert [t["language"] for t in graph.templates(name="bilingual").json()["data"]] == ["pt_BR"]


def test_it_answers_100_when_deleting_an_unknown_template(graph):
    assert_meta_error(graph.delete_template(name="nothing_here"), 100, 400)


def test_it_answers_100_for_an_unknown_business_account(graph):
    assert_meta_error(graph.templates(waba_id="999"), 100, 400)


def test_a_paused_template_change_reaches_sends_and_webhooks(graph, sim, receiver):
    requests.post(f"{sim.base_url}/_sim/templates/status", json={"name": "hello_world", "status": "PAUSED"}, timeout=5)

    assert_meta_error(graph.send(template_message("hello_world")), 132015, 400)
    [update] = receiver.wait_for(lambda: receiver.changes("message_template_status_update"))
    assert update["event"] == "PAUSED"


def test_the_approval_delay_is_configurable(graph, sim):
    sim.configure(template_approval_delay_s=0.05)
    graph.create_template(new_template())

    time.sleep(0.3)

    assert graph.templates(name="spring_sale").json()["data"][0]["status"] == "APPROVED"


def test_it_keeps_each_business_accounts_templates_apart(graph, sim):
    sim.configure(business_accounts=[
        {"id": WABA_ID, "phone_numbers": [{"id": "100000000000001"}]},
        {"id": "200000000000002", "phone_numbers": [{"id": "100000000000002", "display_phone_number": "15550000002"}]},
    ])

    assert graph.templates(waba_id="200000000000002").json()["data"] == []
    assert graph.send(template_message("hello_world"), phone_id="100000000000002").status_code == 404


def test_it_accepts_authentication_templates_without_body_or_footer_text(graph, sim):
    payload = {"name": "login_code", "language": "en_US", "category": "AUTHENTICATION", "components": [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 5},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
    ]}

    response = graph.create_template(payload)

    assert response.status_code == 200, response.text
    [listed] = graph.templates(name="login_code").json()["data"]
    body = next(c for c in listed["components"] if c["type"] == "BODY")
    footer = next(c for c in listed["components"] if c["type"] == "FOOTER")
    # Meta writes these texts itself: the code, the security line, the expiry.
    assert "{{1}}" in body["text"] and body["add_security_recommendation"] is True
    assert "5" in footer["text"]


def test_it_still_requires_body_text_outside_authentication(graph):
    payload = new_template(components=[{"type": "BODY", "add_security_recommendation": True}])

    assert_meta_error(graph.create_template(payload), 100, 400)


def test_it_refuses_an_authentication_template_without_an_otp_button(graph):
    payload = {"name": "login_code", "language": "en_US", "category": "AUTHENTICATION", "components": [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Hi"}]},
    ]}

    assert_meta_error(graph.create_template(payload), 100, 400)


@pytest.mark.parametrize("buttons", [
    [{"type": "CATALOG", "text": "View catalog"}],
    [{"type": "MPM", "text": "View items"}],
    [{"type": "COPY_CODE", "example": "SPRING25"}],
    [{"type": "FLOW", "text": "Sign up", "flow_id": "1234567890", "flow_action": "navigate"}],
])
def test_it_accepts_catalog_multi_product_copy_code_and_flow_buttons(graph, buttons):
    payload = new_template(name="button_kinds", components=[
        {"type": "BODY", "text": "See what is new, {{1}}.", "example": {"body_text": [["Ana"]]}},
        {"type": "BUTTONS", "buttons": buttons},
    ])

    response = graph.create_template(payload)

    assert response.status_code == 200, response.text


def test_it_lists_the_quality_score_with_its_date(graph):
    [template] = graph.templates(name="hello_world").json()["data"]

    assert template["quality_score"]["score"] == "GREEN"
    assert isinstance(template["quality_score"]["date"], int) and template["quality_score"]["date"] > 1_600_000_000


def test_it_answers_the_summary_counts_clients_ask_for(graph):
    fields = "total_count,message_template_count,message_template_limit,are_translations_complete"

    summary = graph.templates(status="APPROVED", summary=fields, limit=2).json()["summary"]

    assert summary == {"total_count": 8, "message_template_count": len(SEEDED), "message_template_limit": 250,
                       "are_translations_complete": True}
    assert_meta_error(graph.templates(summary="bogus"), 100, 400)
