"""The marketing_messages option: where the WhatsApp preset sends MARKETING templates, and how it is set."""

import pytest

from transports import engine
from transports.config_schema import config_errors
from transports.models import Transport
from transports.testing import make_transport, wa_config
from transports.whatsapp.preset import MESSAGES_URL, whatsapp_cloud_config

TO = "15550100001"
PROMO = {"meta": {"templateName": "promo", "language": "en_US", "category": "MARKETING"}}
SHORTHAND = {"phone_number_id": "100000000000001", "access_token": "EAAG-real-token",
             "base_url": "https://graph.facebook.com"}


@pytest.fixture(autouse=True)
def _no_allow_list(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []


def _sent(provider, message: dict, **shorthand) -> dict:
    config = whatsapp_cloud_config(phone_number_id="100000000000001", base_url=provider.base_url, **shorthand)
    transport = make_transport(config=config, secrets={"accessToken": "t"})
    result = engine.send_one(transport, message, TO)
    assert result.ok, result
    assert result.request["url"].endswith(provider.received[-1]["path"])  # the attempt log shows where it went
    return provider.received[-1]


@pytest.mark.parametrize(("mode", "path", "policy"), [
    ("off", "/v23.0/100000000000001/messages", None),
    ("prefer", "/v23.0/100000000000001/marketing_messages", "CLOUD_API_FALLBACK"),
    ("only", "/v23.0/100000000000001/marketing_messages", "STRICT"),
])
def test_a_marketing_template_goes_where_the_mode_says(provider, mode, path, policy):
    received = _sent(provider, PROMO, marketing_messages=mode)
    assert received["path"] == path
    assert received["body"].get("product_policy") == policy
    assert received["body"]["template"]["name"] == "promo"


@pytest.mark.parametrize("message", [
    {"meta": {"templateName": "order", "language": "en_US", "category": "UTILITY"}},
    {"meta": {"templateName": "code", "language": "en_US", "category": "AUTHENTICATION"}},
    {"meta": {"templateName": "unknown_category", "language": "en_US"}},
    {"content": "Hello", "meta": {"category": "MARKETING"}},  # a text message is never a marketing template
])
def test_everything_else_stays_on_messages(provider, message):
    received = _sent(provider, message, marketing_messages="only")
    assert received["path"] == "/v23.0/100000000000001/messages"
    assert "product_policy" not in received["body"]


def test_off_writes_the_config_it_always_wrote():
    assert whatsapp_cloud_config(phone_number_id="1", marketing_messages="off") == whatsapp_cloud_config(
        phone_number_id="1"
    )
    assert whatsapp_cloud_config(phone_number_id="1")["request"]["url"] == MESSAGES_URL


def test_the_config_schema_knows_the_modes_and_the_url_they_need():
    assert config_errors(wa_config(marketingMessages="always"), network=False) == [
        "marketingMessages: must be one of off, prefer, only"
    ]
    # A hand-written config that asks for routing but posts every message to /messages is refused.
    errors = config_errors(wa_config(marketingMessages="prefer"), network=False)
    assert errors and errors[0].startswith("request.url: with marketingMessages prefer or only, must end in")
    assert config_errors(whatsapp_cloud_config(phone_number_id="1", marketing_messages="prefer"), network=False) == []
    bad = whatsapp_cloud_config(phone_number_id="1")
    bad["request"]["url"] += "/{%whatsapp.nothing%}"
    assert "unknown placeholder {%whatsapp.nothing%}" in config_errors(bad, network=False)[0]


def test_the_api_shorthand_stores_the_option_and_refuses_an_unknown_mode(api):
    bad = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": {**SHORTHAND, "marketing_messages": "yes"}},
                   format="json")
    assert bad.status_code == 400
    assert "marketing_messages" in bad.json()["whatsapp_cloud"]
    assert not Transport.objects.exists()

    created = api.post("/api/v1/transports/",
                       {"name": "wa", "whatsapp_cloud": {**SHORTHAND, "marketing_messages": "prefer"}}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["config"]["marketingMessages"] == "prefer"
    assert created.json()["config"]["request"]["url"].endswith("/{%whatsapp.endpoint%}")

    # Back to off through the shorthand: the config is the plain /messages one again.
    changed = api.patch(f"/api/v1/transports/{created.json()['id']}/",
                        {"whatsapp_cloud": {"marketing_messages": "off"}}, format="json")
    assert changed.status_code == 200, changed.content
    assert "marketingMessages" not in changed.json()["config"]
    assert changed.json()["config"]["request"]["url"] == MESSAGES_URL


def test_the_admin_form_sets_the_option(admin_client, app):
    form = {
        "app": app.pk, "name": "wa", "is_active": "on", "phone_number_id": "100000000000001",
        "access_token": "tok-TYPED-1", "rate_limit": "20", "phone_strictness": "valid", "api_version": "",
        "base_url": "", "marketing_messages": "only",
    }
    assert admin_client.post("/admin/transports/transport/add/?preset=whatsapp_cloud", form).status_code == 302
    transport = Transport.objects.get()
    assert transport.config["marketingMessages"] == "only"
    page = admin_client.get(f"/admin/transports/transport/{transport.pk}/change/").content.decode()
    assert '<option value="only" selected>' in page
