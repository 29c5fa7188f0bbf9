"""Bad input is a 4xx naming the field, never a 500, and nothing is stored: every case as a client sends it.

Run on PostgreSQL too (DATABASE_URL=postgres://…): NUL characters only fail there at the database.
"""

import hashlib
import hmac
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from broadcasts.testing import APP_SECRET
from transports.models import Transport
from transports.services import transport_create
from transports.testing import SMS, make_transport
from whatsapp_gateway.api_input import MAX_JSON_DEPTH
from whatsapp_gateway.testing import database_rows


def nested(depth: int, leaf="x"):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def with_deep(body: dict, depth: int = 950) -> str:
    """`body` as JSON text with its "DEEP" string nested `depth` arrays deep (deeper than json.dumps goes)."""
    return json.dumps(body).replace('"DEEP"', "[" * depth + '"x"' + "]" * depth)


@pytest.fixture(autouse=True)
def _no_allow_list(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []


@pytest.fixture
def sms_transport(app):
    return make_transport(app=app, name="sms", config=SMS)


@pytest.fixture
def wa_transport(app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["127.0.0.1:8001"]
    return make_transport(app=app, whatsapp=True, secrets={"appSecret": APP_SECRET, "accessToken": "t"})


def _session_body(transport, *, meta=None, params=None, content="Hi"):
    recipient = {"address": "+12025550101", "params": params} if params is not None else "+12025550101"
    message = {"content": content, "meta": meta or {}}
    return {"transport": transport.pk, "message": message, "recipients": [recipient]}


def _refused(response, field: str, *words: str) -> str:
    """The response is a 400 whose error for `field` says every one of `words`; returns that error."""
    assert response.status_code == 400, response.content
    errors = response.json()[field]
    text = errors if isinstance(errors, str) else " ".join(map(str, errors))
    for word in words:
        assert word in text, text
    return text


# --- Depth ----------------------------------------------------------------------------------------


def test_a_body_of_a_hundred_thousand_brackets_is_a_400(api, sms_transport):
    before = database_rows()
    response = api.post("/api/v1/sessions", "[" * 100_000, content_type="application/json")
    _refused(response, "detail", f"nested more than {MAX_JSON_DEPTH} levels")
    assert database_rows() == before


def test_a_field_nested_past_what_python_parses_is_a_400_naming_it(api, sms_transport):
    body = json.dumps({"transport": sms_transport.pk, "recipients": ["+12025550101"], "message": {"meta": "M"}})
    body = body.replace('"M"', "[" * 100_000)
    before = database_rows()
    response = api.post("/api/v1/sessions", body, content_type="application/json")
    _refused(response, "message", "nested more than")
    assert database_rows() == before


@pytest.mark.parametrize(
    ("where", "field", "path"),
    [
        ("meta", "message", "message.meta.parameters"),
        ("params", "recipients", "recipients.0.params.parameters"),
    ],
)
def test_a_session_nested_950_deep_is_a_400_naming_the_field(api, sms_transport, where, field, path):
    deep = {"parameters": "DEEP"}
    body = _session_body(
        sms_transport, meta=deep if where == "meta" else None, params=deep if where == "params" else None
    )
    before = database_rows()
    response = api.post("/api/v1/sessions", with_deep(body), content_type="application/json")
    _refused(response, field, path, f"more than {MAX_JSON_DEPTH} levels")
    assert database_rows() == before


def test_a_transport_config_nested_950_deep_is_a_400_naming_the_field(api):
    config = {"request": {"url": "https://sms.example.com/send", "body": {"to": "DEEP"}}}
    before = database_rows()
    body = with_deep({"name": "deep", "config": config})
    response = api.post("/api/v1/transports", body, content_type="application/json")
    _refused(response, "config", "config.request.body")
    assert database_rows() == before


def test_template_components_nested_950_deep_are_a_400_naming_the_field(api, wa_transport):
    body = {
        "transport": wa_transport.pk, "name": "deep", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi", "example": "DEEP"}],
    }
    before = database_rows()
    response = api.post("/api/v1/templates", with_deep(body), content_type="application/json")
    _refused(response, "components", "components.0.example")
    assert database_rows() == before


def test_a_body_as_deep_as_allowed_is_read(api, sms_transport):
    body = _session_body(sms_transport, meta={"deep": nested(MAX_JSON_DEPTH - 3)})
    assert api.post("/api/v1/sessions", body, format="json").status_code == 202


# --- Text the database cannot store ----------------------------------------------------------------

BAD_TEXT = {"NUL": "a\u0000b", "lone surrogate": "a\ud800b"}


def _raw(body: dict) -> bytes:
    # json.dumps escapes both as \u0000 and \ud800, as a client's JSON encoder would.
    return json.dumps(body).encode()


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
@pytest.mark.parametrize(
    ("where", "field", "path"),
    [
        ("content", "message", "message.content"),
        ("meta", "message", "message.meta.parameters.0"),
        ("params", "recipients", "recipients.0.params.parameters.0"),
    ],
)
def test_a_session_with_unstorable_text_is_a_400_and_nothing_is_stored(api, sms_transport, bad, where, field, path):
    body = _session_body(
        sms_transport,
        content=bad if where == "content" else "Hi",
        meta={"parameters": [bad]} if where == "meta" else None,
        params={"parameters": [bad]} if where == "params" else None,
    )
    before = database_rows()
    response = api.post("/api/v1/sessions", _raw(body), content_type="application/json")
    _refused(response, field, path)
    assert database_rows() == before
    assert api.get("/api/v1/sessions").status_code == 200


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "BAD", "config": SMS}, "name"),
        ({"name": "x", "config": {**SMS, "note": "BAD"}}, "config"),
        ({"name": "x", "config": {"request": {**SMS["request"], "body": {"BAD": 1}}}}, "config"),
        ({"name": "x", "config": SMS, "secrets": {"token": "BAD"}}, "secrets"),
    ],
)
def test_a_transport_with_unstorable_text_is_a_400_and_nothing_is_stored(api, bad, body, field):
    raw = _raw(body).replace(b"BAD", json.dumps(bad)[1:-1].encode())
    before = database_rows()
    _refused(api.post("/api/v1/transports", raw, content_type="application/json"), field)
    assert database_rows() == before


@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_template_components_with_unstorable_text_are_a_400(api, wa_transport, bad):
    body = {
        "transport": wa_transport.pk, "name": "t", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": bad}],
    }
    before = database_rows()
    response = api.post("/api/v1/templates", _raw(body), content_type="application/json")
    _refused(response, "components", "components.0.text")
    assert database_rows() == before


def test_a_query_parameter_with_a_nul_is_a_400_naming_it(api, sms_transport):
    response = api.get("/api/v1/templates", {"name": "a\u0000b"})
    _refused(response, "name", "NUL")


def test_an_idempotency_key_with_a_nul_is_a_400_naming_it(api, sms_transport):
    before = database_rows()
    response = api.post(
        "/api/v1/sessions", _session_body(sms_transport), format="json", HTTP_IDEMPOTENCY_KEY="a\u0000b"
    )
    _refused(response, "Idempotency-Key", "NUL")
    assert database_rows() == before


def test_infinity_is_a_400_naming_the_field(api, sms_transport):
    body = json.dumps(_session_body(sms_transport, meta={"parameters": ["X"]})).replace('["X"]', "[1e400]")
    before = database_rows()
    _refused(api.post("/api/v1/sessions", body, content_type="application/json"), "message", "finite")
    assert database_rows() == before


# --- Signed webhooks ------------------------------------------------------------------------------


def _signed_post(transport, body: bytes):
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(
        f"/webhooks/whatsapp/{transport.pk}", data=body, content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"text": {"body": "a\\u0000b"}}]}}]}]}',
        b'{"entry": [{"changes": [{"field": "messages", "value": {"contacts": [{"wa_id": "\\ud800"}]}}]}]}',
        b'{"entry": ' + b"[" * 100_000,
        with_deep({"entry": "DEEP"}).encode(),
    ],
    ids=["NUL", "lone surrogate", "100,000 brackets", "950 deep"],
)
def test_a_signed_webhook_that_cannot_be_stored_is_a_400_and_stores_nothing(admin_client, wa_transport, body):
    before = database_rows()
    response = _signed_post(wa_transport, body)
    assert response.status_code == 400, response.content
    assert database_rows() == before
    assert admin_client.get("/admin/broadcasts/webhookevent/").status_code == 200


# --- Unexpected errors ----------------------------------------------------------------------------


def test_an_unexpected_error_is_a_json_500_without_details_even_in_debug(settings, app_and_key, other_app, monkeypatch):
    settings.DEBUG = True
    make_transport(app=other_app, name="charlies-secret-transport", config=SMS)

    def broken(**kwargs):
        raise RuntimeError(f"boom {Transport.objects.all()!r}")

    monkeypatch.setattr("broadcasts.api.views.session_list", broken)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {app_and_key[1]}")
    response = client.get("/api/v1/sessions")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    text = response.content.decode()
    assert "boom" not in text and "charlies" not in text and "SECRET_KEY" not in text
    assert response.json() == {
        "code": "internal_error", "detail": "Internal error: the request was not completed. It has been logged."
    }


# --- Ids and filters in other digits --------------------------------------------------------------

OTHER_DIGITS = ["²", "\u0661", "1\u0660"]  # superscript two; Arabic-Indic one; one, Arabic-Indic zero


@pytest.mark.parametrize("digits", OTHER_DIGITS)
@pytest.mark.parametrize("prefix", ["/api/v1/broadcasts/", "/api/v1/templates/", "/api/v1/transports/"])
def test_an_id_in_other_digits_is_a_404(api, sms_transport, prefix, digits):
    assert api.get(f"{prefix}{digits}").status_code == 404


@pytest.mark.parametrize("digits", OTHER_DIGITS)
@pytest.mark.parametrize("path", ["/api/v1/sessions", "/api/v1/templates"])
def test_a_transport_filter_in_other_digits_is_a_400_naming_it(api, sms_transport, path, digits):
    _refused(api.get(path, {"transport": digits}), "transport")


def test_a_button_index_in_other_digits_is_a_400(api, wa_transport):
    from templates.models import Template

    Template.objects.create(
        app=wa_transport.app, transport=wa_transport, name="hello_world", language="en_US", category="UTILITY",
        status="APPROVED", components=[{"type": "BODY", "text": "Hello"}],
    )
    meta = {"templateName": "hello_world", "language": "en_US", "buttons": [{"type": "url", "index": "²"}]}
    before = database_rows()
    response = api.post("/api/v1/sessions", _session_body(wa_transport, meta=meta), format="json")
    _refused(response, "message", "index")
    assert database_rows() == before


# --- Names and numbers ----------------------------------------------------------------------------


def test_a_second_transport_of_the_same_name_is_a_400_naming_name(api, sms_transport):
    before = database_rows()
    response = api.post("/api/v1/transports", {"name": "sms", "config": SMS}, format="json")
    _refused(response, "name", "already has a transport named 'sms'")
    assert database_rows() == before


def test_renaming_a_transport_to_a_taken_name_is_a_400_naming_name(api, sms_transport, wa_transport):
    before = database_rows()
    response = api.patch(f"/api/v1/transports/{wa_transport.pk}", {"name": "sms"}, format="json")
    _refused(response, "name", "sms")
    assert database_rows() == before
    assert api.patch(f"/api/v1/transports/{sms_transport.pk}", {"name": "sms"}, format="json").status_code == 200


def test_another_app_may_use_the_same_transport_name(other_api, sms_transport):
    assert other_api.post("/api/v1/transports", {"name": "sms", "config": SMS}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("key", "value"),
    [("batchDelay", 1e308), ("rateLimit", 1e308), ("batchSize", 10**30), ("maxAttempts", 10**30),
     ("concurrency", 10**30)],
)
def test_a_config_number_past_its_maximum_is_a_400_naming_it(api, sms_transport, key, value):
    before = database_rows()
    response = api.post("/api/v1/transports", {"name": "big", "config": {**SMS, key: value}}, format="json")
    _refused(response, "config", key, "at most")
    assert database_rows() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/sessions", {"message": {"content": "Hi"}, "recipients": ["+12025550101"]}),
        ("/api/v1/templates/sync", {}),
        ("/api/v1/templates", {"name": "t", "language": "en_US", "category": "UTILITY", "components": []}),
    ],
)
@pytest.mark.parametrize("transport", [10**30, -1, 0])
def test_a_transport_id_out_of_range_is_a_400_naming_it(api, sms_transport, path, body, transport):
    before = database_rows()
    _refused(api.post(path, {**body, "transport": transport}, format="json"), "transport")
    assert database_rows() == before


def test_a_form_encoded_body_is_a_415(api, sms_transport):
    before = database_rows()
    response = api.post("/api/v1/transports", {"name": "form", "config": "{}"}, format="multipart")
    assert response.status_code == 415
    assert "detail" in response.json()
    assert database_rows() == before


# --- Services check what the parser checks (the admin's forms and commands call them) ----------------


@pytest.mark.parametrize("config", [{**SMS, "note": "a\u0000b"}, {**SMS, "deep": nested(40)}])
def test_a_transport_config_that_cannot_be_stored_is_refused_by_the_service(app, config):
    from transports.services import TransportConfigInvalid

    with pytest.raises(TransportConfigInvalid, match="note: must not contain NUL|deep.0.0.0"):
        transport_create(app=app, name="x", config=config)
    assert not Transport.objects.filter(name="x").exists()


def test_template_components_that_cannot_be_stored_are_refused_by_the_service(wa_transport):
    from templates.services import TemplateError, template_submit

    definition = {"name": "t", "language": "en_US", "category": "UTILITY",
                  "components": [{"type": "BODY", "text": "a\u0000b"}]}
    with pytest.raises(TemplateError) as refused:
        template_submit(transport=wa_transport, definition=definition)
    assert "components.0.text" in refused.value.errors["components"][0]


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ({**SMS, "note": "a\u0000b"}, b"note: must not contain NUL"),
        ({**SMS, "deep": nested(40)}, b"nested more than 32 levels"),
        ({**SMS, "batchDelay": 1e308}, b"batchDelay: must be at most 3600"),
    ],
)
def test_the_admin_transport_form_refuses_what_cannot_be_stored(admin_client, app, config, said):
    form = {"app": app.pk, "name": "sms", "kind": "API", "config": json.dumps(config), "is_active": "on",
            "access_token": "", "app_secret": "", "verify_token": "", "other_secrets": ""}
    before = database_rows()
    page = admin_client.post("/admin/transports/transport/add/", form)
    assert page.status_code == 200 and said in page.content
    assert database_rows() == before


def test_json_content_nested_past_what_python_parses_is_a_400(api, app):
    transport = transport_create(app=app, name="json", config={**SMS, "validationContent": "JSON"})
    before = database_rows()
    response = api.post("/api/v1/sessions", _session_body(transport, content="[" * 100_000), format="json")
    _refused(response, "message", "message.content")
    assert database_rows() == before


@pytest.mark.parametrize(
    ("text", "said"),
    [("[" * 100_000, "nested more than 32"), ('{"a": "\\u0000"}', "a: must not contain NUL"), ("{", "not valid JSON")],
)
def test_the_checked_form_field_makes_bad_json_a_form_error(text, said):
    from django import forms

    from whatsapp_gateway.api_input import JSONFormField

    class ConfigForm(forms.Form):
        config = JSONFormField()

    form = ConfigForm(data={"config": text})
    assert not form.is_valid()
    assert said in form.errors["config"][0]
    assert ConfigForm(data={"config": '{"a": [1, 2]}'}).is_valid()
