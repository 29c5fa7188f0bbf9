import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from whatsapp_gateway.models import App, AppAPIKey


@pytest.fixture
def operator(client, db):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests"))
    return client


@pytest.fixture
def one_of_each(app):
    """At least one row of every model the admin shows, so every list column and change page renders something."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from broadcasts.callbacks.models import Callback, CallbackAttempt, CallbackDelivery, CallbackEvent
    from broadcasts.cost_models import CostDaily, RateCard
    from broadcasts.models import BroadcastLog, Erasure, InboundMessage, OptOut, WebhookEvent
    from broadcasts.testing import make_session
    from templates.models import Template
    from transports.testing import make_transport

    transport = make_transport(app=app, whatsapp=True)
    session = make_session(app, transport.pk, [("FAILED", "PERMANENT", 1)])
    broadcast = session.broadcasts.get()
    BroadcastLog.objects.create(broadcast=broadcast, session=session, kind=BroadcastLog.Kind.ATTEMPT,
                                status="FAILED", attempt=1, response_status=400, error_code="131026")
    Template.objects.create(app=app, transport=transport, name="hello_world", language="en_US", category="UTILITY",
                            status="APPROVED", components=[{"type": "BODY", "text": "Hello"}])
    WebhookEvent.objects.create(transport=transport, body_sha256="0" * 64, payload={"object": "whatsapp"},
                                unmatched=["wamid.X"])
    InboundMessage.objects.create(transport=transport, app=app, wa_id="15550100001", message_id="wamid.IN",
                                  type="text", text="Hello", timestamp=timezone.now())
    Erasure.objects.create(app=app, requested_by="API", counts={"broadcasts": 1})
    transport.quality_changes.create(source="webhook", event="UPGRADE", old_messaging_limit="TIER_2K",
                                     new_messaging_limit="TIER_10K", changed_at=timezone.now())
    OptOut.objects.create(app=app, address="15550100009", scope="marketing", reason="Replied STOP")
    RateCard.objects.create(app=app, currency="EUR", rates={"default": {"MARKETING": "0.05"}}, source="Contract")
    CostDaily.objects.create(day="2026-11-25", app=app, transport=transport, category="marketing", currency="EUR",
                             billable=3, free=1, amount="0.15")
    callback = Callback.objects.create(app=app, url="https://hooks.example.com/wa", events=["broadcast.read"])
    event = CallbackEvent.objects.create(app=app, type="broadcast.read", session=session, broadcast=broadcast,
                                         address=broadcast.address, sequence=1, data={"status": "READ"})
    CallbackDelivery.objects.create(event=event, callback=callback, attempts=1, last_status_code=500)
    CallbackAttempt.objects.create(callback=callback, events=1, event_ids=[str(event.pk)], status_code=500)
    Group.objects.create(name="operators")
    where = {"ip_address": "203.0.113.7", "username": "ops", "user_agent": "pytest", "path_info": "/admin/login/"}
    AccessAttempt.objects.create(**where, get_data="", post_data="", http_accept="*/*", failures_since_start=1)
    AccessLog.objects.create(**where, http_accept="*/*")
    AccessFailureLog.objects.create(**where, http_accept="*/*")


def _admin_pages_render(client, model) -> None:
    """The model's list (with its rows and every column) and the change page of its first row answer 200."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"no {model._meta.label} row: the list would render no column"
    listing = client.get(reverse(f"{info}_changelist"))
    assert listing.status_code == 200
    assert 'id="result_list"' in listing.content.decode()  # the table of rows, not "0 results"
    assert client.get(reverse(f"{info}_change", args=[row.pk])).status_code == 200


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_list_and_change_page_renders_with_rows(operator, one_of_each, model):
    _admin_pages_render(operator, model)


def test_a_broken_list_column_fails_the_admin_page_check(operator, one_of_each, monkeypatch):
    from broadcasts.models import Session

    session_admin = admin.site._registry[Session]

    def broken(self, obj):
        return obj.message["no such key"]

    monkeypatch.setattr(type(session_admin), "broken", broken, raising=False)
    monkeypatch.setattr(session_admin, "list_display", [*session_admin.list_display, "broken"])
    with pytest.raises(KeyError):
        _admin_pages_render(operator, Session)


def test_the_create_key_action_shows_a_working_key_once(operator, app):
    url = reverse("admin:whatsapp_gateway_app_changelist")
    response = operator.post(
        url, {"action": "create_api_key", "_selected_action": [app.pk]}, follow=True
    )
    text = response.content.decode()
    assert "it will not be shown again" in text
    key = text.split(f"New API key for {app.name}: ")[1].split(" ")[0]
    assert AppAPIKey.objects.get_from_key(key).app == app
    # The app page lists the key by prefix only.
    page = operator.get(reverse("admin:whatsapp_gateway_app_change", args=[app.pk])).content.decode()
    assert key.partition(".")[0] in page
    assert key not in page


def test_the_app_page_never_shows_a_key(operator, app_and_key):
    app, key = app_and_key
    page = operator.get(reverse("admin:whatsapp_gateway_app_change", args=[app.pk])).content.decode()
    assert key not in page
    assert App.objects.count() == 1


def test_api_keys_are_listed_once_under_their_app(operator):
    home = operator.get("/admin/").content.decode()
    assert "/admin/whatsapp_gateway/appapikey/" in home
    # The library's app-less keys would authenticate nothing: their admin is not offered.
    assert "/admin/rest_framework_api_key/" not in home


# --- login throttling (django-axes) -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # dozens of logins per test


def _admin_login(client, username: str, password: str, *, address: str = "203.0.113.7"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_it_locks_a_username_out_after_the_failure_limit_even_for_the_right_password(client, db, settings):
    get_user_model().objects.create_superuser("ops", "ops@example.com", "the-right-password")
    for _ in range(25):
        _admin_login(client, "ops", "a-wrong-guess")
    answer = _admin_login(client, "ops", "the-right-password")
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_it_locks_out_at_the_configured_limit_and_not_before(client, db, settings):
    get_user_model().objects.create_superuser("ops", "ops@example.com", "the-right-password")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _admin_login(client, "ops", "a-wrong-guess").status_code == 200  # the form again, with its error
    assert _admin_login(client, "ops", "the-right-password").status_code == 302  # logged in; the count resets
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, "ops", "a-wrong-guess")
    assert _admin_login(client, "ops", "the-right-password").status_code == 429


def test_a_lockout_does_not_shut_other_admins_out_of_the_same_address(client, db, settings):
    get_user_model().objects.create_superuser("ops", "ops@example.com", "the-right-password")
    get_user_model().objects.create_superuser("ana", "ana@example.com", "anas-password")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, "ops", "a-wrong-guess")
    assert _admin_login(client, "ana", "anas-password").status_code == 302
