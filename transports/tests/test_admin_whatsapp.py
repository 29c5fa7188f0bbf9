"""The admin's WhatsApp form: ids, token and rate in, the preset writes the config; saved through the services."""

import pytest

from transports.models import Transport
from transports.secrets import secrets_decrypt, transport_secrets
from transports.services import transport_create
from transports.whatsapp.preset import whatsapp_cloud_config

ADD = "/admin/transports/transport/add/?preset=whatsapp_cloud"


def _form(app, **extra) -> dict:
    return {
        "app": app.pk, "name": "wa", "is_active": "on", "phone_number_id": "100000000000001",
        "business_account_id": "200000000000001", "access_token": "tok-TYPED-1", "app_secret": "as-TYPED-2",
        "verify_token": "vt-TYPED-3", "rate_limit": "20", "phone_strictness": "valid", "api_version": "",
        "base_url": "", **extra,
    }


def test_an_operator_adds_a_whatsapp_transport_without_writing_json(admin_client, app):
    assert admin_client.post(ADD, _form(app)).status_code == 302
    transport = Transport.objects.get()
    expected = whatsapp_cloud_config(
        phone_number_id="100000000000001", business_account_id="200000000000001", rate_limit=20
    )
    assert transport.config == expected and transport.config["preset"] == "whatsapp_cloud"
    assert transport_secrets(transport) == {
        "accessToken": "tok-TYPED-1", "appSecret": "as-TYPED-2", "verifyToken": "vt-TYPED-3",
    }


def test_the_transport_list_links_to_the_whatsapp_form(admin_client, app):
    page = admin_client.get("/admin/transports/transport/")
    assert b'href="/admin/transports/transport/add/?preset=whatsapp_cloud"' in page.content
    form = admin_client.get(ADD).content.decode()
    assert 'name="phone_number_id"' in form and 'name="config"' not in form


@pytest.mark.parametrize(
    ("extra", "field", "said"),
    [
        ({"phone_number_id": "12ab"}, "phone_number_id", "Enter a valid value."),
        ({"rate_limit": "20000"}, "rate_limit", "Ensure this value is less than or equal to 10000."),
        ({"access_token": ""}, "access_token", "is required"),
        ({"access_token": "env:SECRET_KEY"}, "access_token", "env:SECRET_KEY is not listed in TRANSPORT_SECRET_ENV"),
    ],
)
def test_a_refused_form_names_the_field_keeps_what_was_typed_and_stores_nothing(admin_client, app, extra, field, said):
    page = admin_client.post(ADD, _form(app, **extra))
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert any(said in message for message in errors[field]), errors
    for typed in ("as-TYPED-2", "vt-TYPED-3"):  # typed again by nobody: they come back in their fields
        assert f'value="{typed}"'.encode() in page.content
    assert not Transport.objects.exists()


def test_a_name_the_app_already_uses_is_refused_naming_it(admin_client, app):
    config = whatsapp_cloud_config(phone_number_id="1")
    transport_create(app=app, name="wa", config=config, secrets={"accessToken": "t"})
    page = admin_client.post(ADD, _form(app))
    assert page.status_code == 200 and b"Transport with this App and Name already exists." in page.content
    assert Transport.objects.count() == 1


@pytest.fixture
def stored(app):
    config = {**whatsapp_cloud_config(phone_number_id="100000000000001", rate_limit=80), "onTimeout": "resend"}
    return transport_create(
        app=app, name="wa", config=config, secrets={"accessToken": "tok-STORED", "appSecret": "as-STORED"}
    )


def test_the_change_page_shows_the_options_and_never_a_secret(admin_client, stored):
    page = admin_client.get(f"/admin/transports/transport/{stored.pk}/change/")
    form = page.context["adminform"].form
    assert form.initial["phone_number_id"] == "100000000000001" and form.initial["rate_limit"] == 80
    assert b"tok-STORED" not in page.content and b"as-STORED" not in page.content
    assert b"accessToken, appSecret" in page.content  # the names only


def test_saving_with_blank_secrets_keeps_them_and_keeps_what_the_form_does_not_show(admin_client, app, stored):
    change = f"/admin/transports/transport/{stored.pk}/change/"
    answer = admin_client.post(change, _form(app, access_token="", app_secret="", verify_token="", rate_limit="5",
                                             business_account_id=""))
    assert answer.status_code == 302
    stored.refresh_from_db()
    assert transport_secrets(stored) == {"accessToken": "tok-STORED", "appSecret": "as-STORED"}
    assert (stored.config["rateLimit"], stored.config["onTimeout"]) == (5, "resend")
    assert "businessAccountId" not in stored.config


def test_a_whatsapp_transport_can_still_be_edited_as_json(admin_client, stored):
    page = admin_client.get(f"/admin/transports/transport/{stored.pk}/change/?config=json")
    assert 'name="config"' in page.content.decode() and 'name="phone_number_id"' not in page.content.decode()


def test_the_json_form_keeps_typed_secrets_after_an_error_too(admin_client, app):
    page = admin_client.post("/admin/transports/transport/add/", {
        "app": app.pk, "name": "sms", "kind": "API", "is_active": "on", "config": '{"maxAttempts": 0}',
        "access_token": "tok-TYPED-9", "app_secret": "", "verify_token": "", "other_secrets": "",
    })
    assert page.status_code == 200 and b'value="tok-TYPED-9"' in page.content
    assert not Transport.objects.exists()


def test_an_operator_references_a_listed_environment_variable(admin_client, app, settings, monkeypatch):
    settings.TRANSPORT_SECRET_ENV_NAMES = ["WA_TOKEN"]
    monkeypatch.setenv("WA_TOKEN", "from-env")
    assert admin_client.post(ADD, _form(app, access_token="env:WA_TOKEN")).status_code == 302
    transport = Transport.objects.get()
    assert transport_secrets(transport)["accessToken"] == "from-env"
    assert secrets_decrypt(transport.encrypted_secrets)["accessToken"] == "env:WA_TOKEN"  # the reference, not the value
