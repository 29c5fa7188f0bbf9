import requests

from transports import graph
from transports.models import Transport
from transports.secrets import secrets_encrypt


class _Answer:
    def __init__(self, status: int, body):
        self.status_code, self._body, self.ok = status, body, status < 400

    def json(self):
        return self._body


def _transport() -> Transport:
    return Transport(config={"baseUrl": "https://graph.facebook.com", "apiVersion": "v23.0"},
                     encrypted_secrets=secrets_encrypt({"accessToken": "tok-G"}))


def test_a_template_refusal_shows_metas_explanation_for_users(monkeypatch, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["graph.facebook.com"]
    error = {"message": "Invalid parameter", "code": 100, "error_subcode": 2388299,
             "error_user_title": "Variables can't be at the start or end",
             "error_user_msg": "Move the variable inside the text."}
    monkeypatch.setattr(requests, "request", lambda *a, **k: _Answer(400, {"error": error}))
    answer = graph.graph_request(_transport(), "POST", "1/message_templates", json={})
    assert answer.describe() == (
        "Meta error 100 - Invalid parameter - "
        "Variables can't be at the start or end: Move the variable inside the text."
    )


def test_a_non_object_answer_is_an_error_not_a_crash(monkeypatch, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["graph.facebook.com"]
    monkeypatch.setattr(requests, "request", lambda *a, **k: _Answer(502, ["bad gateway"]))
    answer = graph.graph_request(_transport(), "GET", "1/message_templates")
    assert (answer.ok, answer.describe()) == (False, "HTTP 502")
