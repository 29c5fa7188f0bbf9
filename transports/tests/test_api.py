import pytest

from transports.models import Transport
from transports.secrets import transport_secrets

SHORTHAND = {
    "phone_number_id": "100000000000001",
    "business_account_id": "200000000000001",
    "api_version": "v23.0",
    "base_url": "https://graph.facebook.com",
    "access_token": "EAAG-real-token",
    "app_secret": "app-secret-x",
    "verify_token": "verify-x",
    "rate_limit": 40,
    "max_attempts": 5,
}


@pytest.fixture(autouse=True)
def _no_allow_list(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []


def test_it_creates_a_whatsapp_transport_from_the_shorthand_without_echoing_secrets(api, app):
    response = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": SHORTHAND}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secrets"] == ["accessToken", "appSecret", "verifyToken"]
    assert "EAAG-real-token" not in response.content.decode()
    config = body["config"]
    assert (config["preset"], config["phoneNumberId"], config["rateLimit"], config["maxAttempts"]) == (
        "whatsapp_cloud",
        "100000000000001",
        40,
        5,
    )
    assert config["request"]["body"] == "{%whatsapp.payload%}"
    assert Transport.objects.get(pk=body["id"]).app == app


def test_a_bad_config_is_a_400_naming_the_field_and_rule(api):
    response = api.post(
        "/api/v1/transports/",
        {"name": "x", "config": {"request": {"url": "https://a.example"}, "maxAttempts": 0}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["config"] == ["maxAttempts: must be at least 1"]


def test_a_private_url_is_a_400(api):
    config = {"request": {"url": "http://169.254.169.254/latest/meta-data"}}
    response = api.post("/api/v1/transports/", {"name": "x", "config": config}, format="json")
    assert response.status_code == 400
    problem = response.json()["config"][0]
    assert "request.url: host 169.254.169.254 resolves to an address that is not globally routable" in problem


def test_a_bad_shorthand_is_a_400_naming_the_field(api):
    response = api.post(
        "/api/v1/transports/", {"name": "x", "whatsapp_cloud": {"phone_number_id": "abc"}}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["whatsapp_cloud"]
    assert "phone_number_id" in errors and "access_token" in errors


def test_a_misspelt_shorthand_option_is_refused_not_dropped(api):
    shorthand = {**SHORTHAND, "phone_strictnes": "possible"}
    response = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": shorthand}, format="json")
    assert response.status_code == 400
    assert response.json()["whatsapp_cloud"] == {"phone_strictnes": ["not a whatsapp_cloud option."]}


def test_an_update_is_validated_too(api):
    created = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": SHORTHAND}, format="json").json()
    response = api.patch(f"/api/v1/transports/{created['id']}/", {"config": {"request": {}}}, format="json")
    assert response.status_code == 400 and response.json()["config"] == ["request.url: is required"]


def test_the_config_schema_is_published(api):
    response = api.get("/api/v1/transports/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["required"] == ["request"] and "phoneStrictness" in schema["properties"]


def test_another_app_cannot_see_the_transport(api, other_api):
    created = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": SHORTHAND}, format="json").json()
    assert other_api.get(f"/api/v1/transports/{created['id']}/").status_code == 404


def test_the_shorthand_can_change_a_transport_without_resending_its_token(api):
    created = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": SHORTHAND}, format="json").json()
    changed = {"phone_number_id": "100000000000002", "business_account_id": "200000000000001", "rate_limit": 20}
    response = api.patch(f"/api/v1/transports/{created['id']}/", {"whatsapp_cloud": changed}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["config"]["phoneNumberId"], response.json()["config"]["rateLimit"]) == (
        "100000000000002", 20
    )
    transport = Transport.objects.get(pk=created["id"])
    assert transport_secrets(transport)["accessToken"] == "EAAG-real-token"


def test_the_shorthand_changes_only_the_options_given(api):
    created = api.post(
        "/api/v1/transports/",
        {"name": "wa", "whatsapp_cloud": {**SHORTHAND, "phone_strictness": "possible", "max_attempts": 5}},
        format="json",
    ).json()
    response = api.patch(f"/api/v1/transports/{created['id']}/", {"whatsapp_cloud": {"rate_limit": 20}}, format="json")
    assert response.status_code == 200, response.content
    config = response.json()["config"]
    assert {key: config[key] for key in ("rateLimit", "phoneStrictness", "maxAttempts", "phoneNumberId")} == {
        "rateLimit": 20, "phoneStrictness": "possible", "maxAttempts": 5, "phoneNumberId": SHORTHAND["phone_number_id"],
    }
    assert config["baseUrl"] == created["config"]["baseUrl"]


def test_a_new_transport_from_the_shorthand_needs_a_token(api):
    response = api.post(
        "/api/v1/transports/", {"name": "wa", "whatsapp_cloud": {"phone_number_id": "1"}}, format="json"
    )
    assert response.status_code == 400 and "access_token" in response.json()["whatsapp_cloud"]


def test_a_secret_can_be_removed_but_not_one_the_config_still_uses(api):
    config = {"request": {"url": "https://93.184.216.34/send", "headers": {"X-Key": "{%secrets.apiKey%}"}}}
    created = api.post(
        "/api/v1/transports/", {"name": "sms", "config": config, "secrets": {"apiKey": "k1", "old": "o1"}},
        format="json",
    ).json()
    url = f"/api/v1/transports/{created['id']}/"

    removed = api.patch(url, {"secrets": {"old": None}}, format="json")
    assert removed.status_code == 200 and removed.json()["secrets"] == ["apiKey"]

    refused = api.patch(url, {"secrets": {"apiKey": None}}, format="json")
    assert refused.status_code == 400 and "secrets.apiKey" in str(refused.json())
    assert transport_secrets(Transport.objects.get(pk=created["id"])) == {"apiKey": "k1"}
