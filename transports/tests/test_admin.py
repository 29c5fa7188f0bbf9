import json

from django.utils import timezone

from transports.models import Transport
from transports.secrets import transport_secrets
from transports.testing import make_transport

WITH_TOKEN = {
    "request": {"url": "https://93.184.216.34/s", "headers": {"Authorization": "Bearer {%secrets.accessToken%}"}}
}


def _admin_form(app, config, **extra):
    return {"app": app.pk, "name": "sms", "kind": "API", "config": json.dumps(config), "is_active": "on",
            "access_token": "", "app_secret": "", "verify_token": "", "other_secrets": "", **extra}


def test_the_admin_refuses_a_bad_config_naming_the_field_and_rule_on_create_and_update(admin_client, app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    url = "/admin/transports/transport/add/"
    page = admin_client.post(url, _admin_form(app, {"request": {"url": "https://93.184.216.34/s"}, "maxAttempts": 0}))
    assert page.status_code == 200 and b"maxAttempts: must be at least 1" in page.content
    assert not Transport.objects.exists()
    good = WITH_TOKEN
    assert admin_client.post(url, _admin_form(app, good, access_token="tok-ADMIN-1")).status_code == 302
    transport = Transport.objects.get()
    change = f"/admin/transports/transport/{transport.pk}/change/"
    page = admin_client.post(change, _admin_form(app, {**good, "validationAddress": "FAX"}))
    assert b"validationAddress: must be one of PHONE, EMAIL, NONE" in page.content
    transport.refresh_from_db()
    assert "validationAddress" not in transport.config


def test_the_admin_never_shows_a_secret_after_saving(admin_client, app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    config = WITH_TOKEN
    admin_client.post("/admin/transports/transport/add/", _admin_form(app, config, access_token="tok-ADMIN-1"))
    transport = Transport.objects.get()
    page = admin_client.get(f"/admin/transports/transport/{transport.pk}/change/")
    assert b"tok-ADMIN-1" not in page.content and b"accessToken" in page.content  # the name, not the value
    # Saving again with the password field left blank keeps the stored secret.
    admin_client.post(f"/admin/transports/transport/{transport.pk}/change/", _admin_form(app, config))
    transport.refresh_from_db()
    assert transport_secrets(transport) == {"accessToken": "tok-ADMIN-1"}


def test_the_admin_sets_and_removes_any_secret_a_generic_transport_uses(admin_client, app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    config = {"request": {"url": "https://93.184.216.34/s", "headers": {"X-Key": "{%secrets.apiKey%}"}}}
    add = admin_client.post("/admin/transports/transport/add/",
                            _admin_form(app, config, other_secrets='{"apiKey": "sk-ADMIN-9", "spare": "x"}'))
    assert add.status_code == 302
    transport = Transport.objects.get()
    change = f"/admin/transports/transport/{transport.pk}/change/"
    page = admin_client.get(change)
    assert b"sk-ADMIN-9" not in page.content and b"apiKey, spare" in page.content

    refused = admin_client.post(change, _admin_form(app, config, other_secrets='{"apiKey": null}'))
    assert refused.status_code == 200 and b"secrets.apiKey" in refused.content
    assert admin_client.post(change, _admin_form(app, config, other_secrets='{"spare": null}')).status_code == 302
    transport.refresh_from_db()
    assert transport_secrets(transport) == {"apiKey": "sk-ADMIN-9"}


def test_resume_in_the_admin_links_to_the_sessions_the_stop_failed(admin_client, app):
    transport = make_transport(app=app, name="wa")
    Transport.objects.filter(pk=transport.pk).update(stopped_at=timezone.now(), stopped_reason="code 190")
    response = admin_client.post(
        "/admin/transports/transport/", {"action": "resume_sending", "_selected_action": [transport.pk]}, follow=True
    )
    transport.refresh_from_db()
    assert (transport.stopped_at, transport.stopped_reason) == (None, "")
    link = f'href="/admin/broadcasts/session/?transport__id__exact={transport.pk}&amp;status__exact=FAILED"'
    assert b"resumed." in response.content and link.encode() in response.content


def test_the_transport_list_offers_the_actions_the_apps_built_on_transports_add(admin_client, app):
    # The actions show once there is a row.
    make_transport(app=app, name="sms", config=WITH_TOKEN, secrets={"accessToken": "t"})
    page = admin_client.get("/admin/transports/transport/").content.decode()
    for action in ("resume_sending", "send_test_message_action", "sync_templates"):
        assert f'value="{action}"' in page
