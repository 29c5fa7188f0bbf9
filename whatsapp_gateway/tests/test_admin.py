import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from whatsapp_gateway.models import App, AppAPIKey


@pytest.fixture
def operator(client, db):
    get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests")
    client.login(username="ops", password="pw-for-tests")
    return client


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_list_page_opens(operator, app, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert operator.get(url).status_code == 200


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
