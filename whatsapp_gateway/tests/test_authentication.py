from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from whatsapp_gateway.models import AppAPIKey

TRANSPORTS = "/api/v1/transports/"


def test_it_refuses_a_request_without_a_key(db):
    response = APIClient().get(TRANSPORTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_it_refuses_an_unknown_key(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key-at-all")
    response = client.get(TRANSPORTS)
    assert response.status_code == 401
    assert "invalid" in response.json()["detail"]


def test_it_refuses_a_bearer_token_instead_of_an_api_key(app_and_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {app_and_key[1]}")
    response = client.get(TRANSPORTS)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert "Authorization: Api-Key <key>" in response.json()["detail"]
    assert app_and_key[1] not in response.content.decode()  # the key is never echoed


def test_it_accepts_a_valid_key(api):
    response = api.get(TRANSPORTS)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_it_refuses_a_revoked_key(app, api):
    AppAPIKey.objects.filter(app=app).update(revoked=True)
    assert api.get(TRANSPORTS).status_code == 401


def test_it_refuses_an_expired_key(app, api):
    AppAPIKey.objects.filter(app=app).update(expiry_date=timezone.now() - timedelta(minutes=1))
    assert api.get(TRANSPORTS).status_code == 401


def test_it_refuses_the_key_of_a_deactivated_app(app, api):
    app.is_active = False
    app.save()
    assert api.get(TRANSPORTS).status_code == 401


def test_it_stores_keys_hashed(app_and_key):
    app, key = app_and_key
    stored = AppAPIKey.objects.get(app=app)
    assert key not in stored.hashed_key
    assert key.partition(".")[2] not in stored.id
