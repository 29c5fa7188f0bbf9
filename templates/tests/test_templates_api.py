"""Templates as integrators use them: sync from Meta (the simulator), submit, delete, and checks before a send."""

import pytest
import requests

from templates.models import Template

SEEDED = {
    "hello_world",
    "order_confirmation",
    "appointment_reminder",
    "promo_image",
    "product_video",
    "invoice_document",
    "store_location",
    "shipping_update",
    "old_promo",
    "legacy_notice",
    "new_offer",
}


def _at_meta(simulator) -> set[str]:
    response = requests.get(
        f"{simulator.base_url}/v23.0/200000000000001/message_templates",
        params={"limit": 1000},
        headers={"Authorization": "Bearer demo-access-token"},
        timeout=5,
    )
    return {item["name"] for item in response.json()["data"]}


def _sync(api, transport):
    response = api.post("/api/v1/templates/sync", {"transport": transport["id"]}, format="json")
    assert response.status_code == 200, response.content
    return response.json()[0]


def test_sync_fetches_every_page(api, sim_transport, settings):
    settings.TEMPLATE_SYNC_PAGE_SIZE = 3
    report = _sync(api, sim_transport)
    assert report["created"] == len(SEEDED)
    listed = api.get("/api/v1/templates?limit=100").json()
    assert {row["name"] for row in listed["results"]} == SEEDED
    paused = api.get("/api/v1/templates?status=PAUSED").json()["results"]
    assert [row["name"] for row in paused] == ["old_promo"]
    again = _sync(api, sim_transport)
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)  # nothing changed at Meta


def test_a_status_change_at_meta_reaches_the_stored_template_on_the_next_sync(api, sim_transport, simulator):
    _sync(api, sim_transport)
    assert Template.objects.get(name="order_confirmation").status == "APPROVED"
    changed = requests.post(f"{simulator.base_url}/_sim/templates/status",
                            json={"name": "order_confirmation", "status": "PAUSED"}, timeout=5)
    assert changed.status_code == 200
    assert _sync(api, sim_transport)["updated"] == 1
    assert Template.objects.get(name="order_confirmation").status == "PAUSED"
    assert api.get("/api/v1/templates?status=paused&name=order_confirmation&language=en_US").json()["count"] == 1


def test_the_list_is_filtered_by_transport_language_and_name(api, sim_transport):
    _sync(api, sim_transport)
    listed = api.get(f"/api/v1/templates?transport={sim_transport['id']}&language=en_US&name=promo_image").json()
    assert [row["name"] for row in listed["results"]] == ["promo_image"]
    assert listed["results"][0]["requires"].startswith("an image header (link or media id)")
    assert api.get("/api/v1/templates?language=pt_BR").json()["count"] == 0
    assert api.get("/api/v1/templates?status=LIVE").status_code == 400


def test_a_template_deleted_at_meta_is_marked_deleted_on_the_next_sync(api, sim_transport, simulator):
    _sync(api, sim_transport)
    requests.delete(
        f"{simulator.base_url}/v23.0/200000000000001/message_templates",
        params={"name": "new_offer"},
        headers={"Authorization": "Bearer demo-access-token"},
        timeout=5,
    )
    assert _sync(api, sim_transport)["deleted"] == 1
    assert Template.objects.get(name="new_offer").status == "DELETED"


def test_a_new_template_is_submitted_and_stored_as_meta_answers(api, sim_transport, simulator):
    body = {
        "transport": sim_transport["id"],
        "name": "delivery_window_v1",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Your parcel arrives {{1}}.", "example": {"body_text": [["today"]]}}],
    }
    response = api.post("/api/v1/templates", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] in {"PENDING", "APPROVED"}
    assert response.json()["requires"] == "1 positional body parameter(s) (1)"
    assert "delivery_window_v1" in _at_meta(simulator)
    assert api.post("/api/v1/templates", body, format="json").status_code == 409


def test_a_template_breaking_metas_rules_is_refused_before_reaching_meta(api, sim_transport, simulator):
    body = {
        "transport": sim_transport["id"],
        "name": "Bad Name",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}"}],
    }
    response = api.post("/api/v1/templates", body, format="json")
    assert response.status_code == 400
    assert "name" in response.json() and "components" in response.json()
    assert "Bad Name" not in _at_meta(simulator)


def test_a_template_is_deleted_at_meta_and_here(api, sim_transport, simulator):
    _sync(api, sim_transport)
    template = Template.objects.get(name="new_offer")
    assert api.delete(f"/api/v1/templates/{template.pk}").status_code == 204
    assert "new_offer" not in _at_meta(simulator)
    assert not Template.objects.filter(name="new_offer").exists()


def test_another_app_sees_none_of_alices_templates(api, other_api, sim_transport):
    _sync(api, sim_transport)
    assert other_api.get("/api/v1/templates").json()["count"] == 0
    response = other_api.post("/api/v1/templates/sync", {"transport": sim_transport["id"]}, format="json")
    assert response.status_code == 400


def _session(api, transport, meta, recipients=("+12025550101",)):
    return api.post(
        "/api/v1/sessions",
        {
            "transport": transport["id"],
            "message": {"meta": {"language": "en_US", **meta}},
            "recipients": list(recipients),
        },
        format="json",
    )


def test_a_send_with_the_wrong_parameter_count_is_refused_and_nothing_reaches_meta(api, sim_transport, simulator):
    response = _session(api, sim_transport, {"templateName": "order_confirmation", "parameters": ["Ana", "B-1"]})
    assert response.status_code == 400
    assert response.json()["message"] == ["Template order_confirmation expects 3 body parameter(s), got 2."]
    assert simulator.messages() == []


def test_a_language_given_as_code_and_policy_finds_the_template(api, sim_transport):
    # Meta's send body takes {"code", "policy"}; the builder passes it on, so the check must read its code.
    language = {"code": "en_US", "policy": "deterministic"}
    response = _session(api, sim_transport, {"templateName": "order_confirmation", "language": language,
                                             "parameters": ["Ana", "B-1", "Fri"]})
    assert response.status_code == 202, response.content
    unknown = _session(api, sim_transport, {"templateName": "order_confirmation", "language": {"code": "pt_BR"},
                                            "parameters": ["Ana", "B-1", "Fri"]})
    assert unknown.status_code == 400
    assert "does not exist in pt_BR" in unknown.json()["message"][0]


def test_an_unknown_template_is_looked_up_at_meta_once_then_refused(api, sim_transport):
    response = _session(api, sim_transport, {"templateName": "no_such_template"})
    assert response.status_code == 400
    assert "does not exist in en_US" in response.json()["message"][0]
    assert Template.objects.filter(transport_id=sim_transport["id"]).count() == len(SEEDED)


def test_a_name_that_differs_only_in_case_is_refused_with_the_right_name(api, sim_transport, simulator):
    _sync(api, sim_transport)
    response = _session(api, sim_transport, {"templateName": "Order_Confirmation", "parameters": ["Ana", "B-1", "Fri"]})
    assert response.status_code == 400
    assert response.json()["message"] == [
        "Template Order_Confirmation does not exist (names are case-sensitive): did you mean order_confirmation?"
    ]
    assert simulator.messages() == []


def test_templates_that_are_not_approved_are_refused_with_their_status(api, sim_transport):
    for name, status in [("old_promo", "PAUSED"), ("legacy_notice", "DISABLED"), ("new_offer", "PENDING")]:
        response = _session(api, sim_transport, {"templateName": name})
        assert response.status_code == 400
        assert f"is {status}" in response.json()["message"][0]


def test_a_location_template_needs_its_location_header(api, sim_transport, simulator):
    meta = {"templateName": "store_location", "parameters": ["B-1042"]}
    response = _session(api, sim_transport, meta)
    assert response.status_code == 400
    assert response.json()["message"] == [
        "Template store_location has a LOCATION header: give header "
        "{type: location, latitude, longitude, name, address}."
    ]
    header = {"type": "location", "latitude": "37.4421", "longitude": -122.1615, "name": "Philz Coffee",
              "address": "101 Forest Ave, Palo Alto"}
    out_of_range = _session(api, sim_transport, {**meta, "header": {**header, "latitude": 91}})
    assert out_of_range.status_code == 400
    assert "meta.header.latitude: must be a number (or numeric string) from -90 to 90" in str(out_of_range.json())
    assert simulator.messages() == []
    response = _session(api, sim_transport, {**meta, "header": header})
    assert response.status_code == 202, response.content


def test_the_header_media_type_must_match_the_template(api, sim_transport):
    meta = {
        "templateName": "promo_image",
        "parameters": ["20%"],
        "header": {"type": "video", "link": "https://e.com/v.mp4"},
    }
    response = _session(api, sim_transport, meta)
    assert response.status_code == 400
    assert "IMAGE header, not video" in response.json()["message"][0]


def test_raw_components_are_checked_before_anything_is_stored(api, sim_transport, simulator):
    # Meta's own components shape: a missing image header was refused only by Meta (132012),
    # and parameters that were not a list made the request a 500.
    body = {"type": "body", "parameters": [{"type": "text", "text": "20%"}]}
    missing_header = _session(api, sim_transport, {"templateName": "promo_image", "components": [body]})
    assert missing_header.status_code == 400
    assert "IMAGE header: give header" in missing_header.json()["message"][0]
    not_a_list = _session(
        api, sim_transport, {"templateName": "order_confirmation", "components": [{"type": "body", "parameters": None}]}
    )
    assert not_a_list.status_code == 400
    assert not_a_list.json()["message"] == ["message.meta.components[0].parameters: must be a list."]
    assert simulator.messages() == []
    header = {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://e.com/a.jpg"}}]}
    accepted = _session(api, sim_transport, {"templateName": "promo_image", "components": [header, body]})
    assert accepted.status_code == 202, accepted.content


def _nested(depth: int):
    value = "x"
    for _ in range(depth):
        value = [value]
    return value


def _meta_returns(simulator, **values):
    """A template at Meta (the simulator) that Meta's own checks never saw, as a broken or hostile answer could."""
    values = {"waba_id": "200000000000001", "language": "en_US", "category": "UTILITY", "status": "APPROVED",
              "components": [{"type": "BODY", "text": "Hi"}], **values}
    simulator._call(lambda: simulator._state.templates._add(**values))


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"name": "x" * 600}, "name"),
        ({"name": "nul\u0000name"}, "name"),
        ({"name": "long_language", "language": "en_US_" + "x" * 40}, "language"),
        ({"name": "huge", "components": [{"type": "BODY", "text": "x" * 200_000}]}, "components"),
        ({"name": "nul_text", "components": [{"type": "BODY", "text": "a\u0000b"}]}, "components"),
        ({"name": "deep", "components": [{"type": "BODY", "example": _nested(100)}]}, "components"),
    ],
)
def test_a_template_the_gateway_cannot_store_is_skipped_and_reported_and_the_rest_synced(
    api, sim_transport, simulator, values, reason
):
    _meta_returns(simulator, **values)
    for _ in range(2):  # and every later sync still works
        report = _sync(api, sim_transport)
        assert [skipped["reason"].split(":")[0].split(".")[0] for skipped in report["skipped"]] == [reason]
    assert set(Template.objects.values_list("name", flat=True)) == SEEDED
    assert api.get("/api/v1/templates").status_code == 200


def test_a_stored_template_that_comes_back_unstorable_is_kept_not_deleted(api, sim_transport, simulator):
    _sync(api, sim_transport)
    simulator._call(lambda: simulator._state.templates.delete(waba_id="200000000000001", name="new_offer", hsm_id=None))
    _meta_returns(simulator, name="new_offer", components=[{"type": "BODY", "text": "a\u0000b"}])
    report = _sync(api, sim_transport)
    assert (report["deleted"], len(report["skipped"])) == (0, 1)
    assert Template.objects.get(name="new_offer").status != "DELETED"
