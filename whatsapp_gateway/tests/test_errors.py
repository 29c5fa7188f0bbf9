"""One error path: every refusal is a GatewayError, and every API error answers one body {code, detail, fields}."""

import pytest
import responses
from rest_framework import exceptions
from rest_framework.test import APIClient

from broadcasts.models import Session
from broadcasts.services.errors import SessionError
from broadcasts.services.privacy import ErasureError
from broadcasts.services.webhooks.receive import WebhookRejected
from templates.services import TemplateError
from transports.services import TransportConfigInvalid, TransportInUse, TransportNameTaken
from transports.testing import SMS, make_transport
from whatsapp_gateway.errors import GatewayError, api_exception_handler, summary


def _is_error_body(body: dict, code: str, status_words: str = "") -> None:
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert status_words in body["detail"]


# --- The classes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [SessionError, TemplateError, WebhookRejected, ErasureError])
def test_every_refusal_is_a_gateway_error_with_a_code_a_status_and_a_message(kind):
    error = kind("Something is wrong.")
    assert isinstance(error, GatewayError)
    assert (isinstance(error.code, str), isinstance(error.status, int)) == (True, True)
    assert error.message == str(error) == "Something is wrong."


def test_a_field_error_names_its_field_in_the_message_and_lists_the_bare_problem_under_it():
    error = SessionError("Must be a transport id.", field="transport")
    assert error.message == "transport: Must be a transport id."
    assert error.body() == {
        "code": "invalid",
        "detail": "transport: Must be a transport id.",
        "transport": ["Must be a transport id."],
    }


def test_the_message_of_field_keyed_problems_is_the_first_one_and_how_many_more():
    assert summary({"message": ["message.meta.x: must be a list"], "transport": ["required"]}) == (
        "message.meta.x: must be a list (and 1 more problem)"
    )
    recipients = [{"index": 1, "address": "12", "error": "too short"}, {"index": 4, "address": "x", "error": "no"}]
    assert summary({"recipients": recipients}) == "recipients.1: too short (and 1 more problem)"
    assert summary({"whatsapp_cloud": {"phone_strictnes": ["not an option."]}}) == (
        "whatsapp_cloud.phone_strictnes: not an option."
    )
    assert summary({"non_field_errors": ["Both given."]}) == "Both given."


def test_a_message_must_be_text_so_an_old_style_dict_fails_loudly():
    with pytest.raises(TypeError):
        SessionError({"detail": "A cancelled session cannot be triggered."}, status=409)


def test_transport_errors_carry_their_fields():
    invalid = TransportConfigInvalid(["maxAttempts: must be at least 1", "secrets.apiKey: must be text"])
    assert invalid.errors == {
        "config": ["maxAttempts: must be at least 1"], "secrets": ["secrets.apiKey: must be text"]
    }
    assert TransportNameTaken("sms").errors == {"name": ["This app already has a transport named 'sms'."]}
    assert (TransportInUse("in use").status, TransportInUse("in use").code) == (409, "transport_in_use")


# --- The one body over HTTP -----------------------------------------------------------------------


def test_a_missing_key_is_401_with_drf_s_words_and_a_code(db):
    response = APIClient().get("/api/v1/sessions")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_wrong_key_is_401_authentication_failed(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key demo0001.not-the-right-secret")
    response = client.get("/api/v1/sessions")
    assert response.status_code == 401
    _is_error_body(response.json(), "authentication_failed", "invalid, revoked or expired")


def test_a_missing_object_a_wrong_method_bad_json_and_a_form_body_each_have_their_code(api):
    _is_error_body(api.get("/api/v1/sessions/6f1c2a7e-0d55-4a4e-9a51-2b0f1f6f2c11").json(), "not_found")
    _is_error_body(api.get("/api/v1/transports/999").json(), "not_found")
    wrong_method = api.delete("/api/v1/sessions")
    assert wrong_method.status_code == 405
    _is_error_body(wrong_method.json(), "method_not_allowed", "DELETE")
    bad_json = api.generic("POST", "/api/v1/sessions", "{not json", content_type="application/json")
    assert bad_json.status_code == 400
    _is_error_body(bad_json.json(), "parse_error", "JSON parse error")
    form = api.post("/api/v1/sessions", "transport=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    _is_error_body(form.json(), "unsupported_media_type")
    _is_error_body(form.json(), "unsupported_media_type")


def test_a_serializer_error_keeps_its_field_keys_and_adds_code_and_detail(api):
    response = api.post("/api/v1/sessions", {"message": {}, "recipients": []}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["transport"] == ["This field is required."]
    assert body["recipients"] == ["This list may not be empty."]
    assert body["detail"] == "transport: This field is required. (and 1 more problem)"


def test_a_service_refusal_is_its_status_and_code(api, app):
    transport = make_transport(app=app, name="sms", config=SMS)
    unknown = api.post(
        "/api/v1/sessions", {"transport": 999, "message": {"content": "Hi"}, "recipients": ["+12025550101"]},
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json() == {
        "code": "unknown_transport",
        "detail": "transport: No transport with id 999 in this app.",
        "transport": ["No transport with id 999 in this app."],
    }
    session = Session.objects.create(app=app, transport=transport, status=Session.Status.COMPLETED, total=0)
    not_paused = api.post(f"/api/v1/sessions/{session.pk}/resume")
    assert not_paused.status_code == 409
    assert not_paused.json() == {
        "code": "session_not_paused", "detail": "Only a paused session can be resumed; this one is COMPLETED."
    }
    in_use = api.delete(f"/api/v1/transports/{transport.pk}")
    assert in_use.status_code == 409
    _is_error_body(in_use.json(), "transport_in_use", "deactivate it")
    taken = api.post("/api/v1/transports/", {"name": "sms", "config": SMS}, format="json")
    assert taken.status_code == 400
    assert taken.json()["code"] == "transport_name_taken"
    assert taken.json()["name"] == ["This app already has a transport named 'sms'."]


def test_an_address_that_is_nobody_s_is_invalid_address_under_address(api):
    response = api.post("/api/v1/recipients/erase", {"address": "hello"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_address"
    assert body["address"][0].startswith("not a phone number")
    assert body["detail"] == f"address: {body['address'][0]}"


@responses.activate
def test_meta_unreachable_during_a_template_sync_is_a_502_meta_unavailable(api, app):
    transport = make_transport(app=app, whatsapp=True, secrets={"accessToken": "t"})
    responses.get("http://127.0.0.1:8001/v23.0/200000000000001/message_templates", status=500, json={})
    response = api.post("/api/v1/templates/sync", {"transport": transport.pk}, format="json")
    assert response.status_code == 502
    body = response.json()
    assert body["code"] == "meta_unavailable"
    assert body["detail"].startswith("meta: ") and body["meta"]


def test_throttling_has_its_code_and_retry_after_header():
    response = api_exception_handler(exceptions.Throttled(wait=7), {})
    assert response.status_code == 429 and response["Retry-After"] == "7"
    _is_error_body(response.data, "throttled", "7 seconds")


def test_every_code_the_gateway_raises_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    raised = set()
    for package in ("broadcasts", "templates", "transports", "whatsapp_gateway"):
        for path in (root / package).rglob("*.py"):
            if "tests" not in path.parts:
                raised |= set(re.findall(r'\bcode ?= ?"([a-z_]+)"', path.read_text()))
    raised |= {"internal_error", "not_authenticated", "authentication_failed", "not_found", "parse_error"}
    documented = set(re.findall(r"`([a-z_]+)`", (root / "docs" / "errors.md").read_text()))
    assert raised <= documented, raised - documented
    assert len(raised) > 20  # the search found the raise sites


def test_a_body_over_max_request_bytes_is_a_413_not_a_500(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"transport": 1, "message": {"content": "%s"}, "recipients": ["+12025550101"]}' % ("x" * 5000)
    response = api.generic("POST", "/api/v1/sessions", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large", "detail": "The body is larger than 1000 bytes (MAX_REQUEST_BYTES)."
    }


# --- JSON types: what the schema says a field is, the API takes (DRF alone would convert) ---------------


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/v1/sessions", {"transport": "1", "message": {}, "recipients": ["+12025550101"]}, "transport",
         "Must be an integer."),
        ("/api/v1/sessions", {"transport": True, "message": {}, "recipients": ["+12025550101"]}, "transport",
         "Must be an integer."),
        ("/api/v1/transports/", {"name": 0, "config": SMS}, "name", "Must be a string."),
        ("/api/v1/recipients/erase", {"address": 12025550101}, "address", "Must be a string."),
        ("/api/v1/templates/sync", {"transport": 1.5}, "transport", "Must be an integer."),
        ("/api/v1/transports/", {"name": "x", "config": SMS, "secrets": {"apiKey": 5}}, "secrets", "Must be a string."),
    ],
)
def test_a_field_of_another_json_type_is_a_400_naming_it(api, path, body, field, message):
    response = api.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field] == [message]
    assert response.json()["detail"] == f"{field}: {message}"


def test_nested_fields_and_nulls_keep_their_own_rules(api, app):
    content = api.post(
        "/api/v1/sessions", {"transport": 1, "message": {"content": 0}, "recipients": ["+12025550101"]}, format="json"
    )
    assert content.status_code == 400 and content.json()["message"] == {"content": ["Must be a string."]}
    null = api.post("/api/v1/sessions", {"transport": 1, "message": {}, "recipients": None}, format="json")
    assert null.status_code == 400 and null.json()["recipients"] == ["This field may not be null."]
