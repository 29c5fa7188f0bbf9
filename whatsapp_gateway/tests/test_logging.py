"""Log lines carry their structured fields: key=value in development, one JSON object in production."""

import io
import json
import logging

import pytest
from django.conf import settings


def _formatted(format_name: str) -> str:
    spec = dict(settings.LOGGING["formatters"][format_name])
    factory = spec.pop("()")
    module, _, name = factory.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(
        **{("fmt" if k == "format" else k): v for k, v in spec.items()}
    )
    record = logging.makeLogRecord(
        {
            "name": "gateway.sending",
            "levelname": "INFO",
            "levelno": 20,
            "msg": "attempt sent",
            "transport": 3,
            "to": "1202*****01",
            "meta_code": "131026",
        }
    )
    return formatter.format(record)


def test_text_lines_end_with_the_structured_fields():
    line = _formatted("text")
    assert "INFO gateway.sending attempt sent" in line
    assert line.endswith("transport=3 to=1202*****01 meta_code=131026")


def test_json_lines_are_one_object_with_the_fields():
    entry = json.loads(_formatted("json"))
    assert entry["message"] == "attempt sent"
    assert entry["level"] == "INFO" and entry["logger"] == "gateway.sending"
    assert (entry["transport"], entry["to"], entry["meta_code"]) == (3, "1202*****01", "131026")


@pytest.fixture
def console():
    """What the configured console handler writes (its filters and formatter included)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def transport(app):
    from transports.testing import make_transport
    from transports.whatsapp.preset import DEFAULT_BASE_URL

    secrets = {"accessToken": "tok-123456", "appSecret": "app-secret-123", "verifyToken": "right-verify-token"}
    return make_transport(DEFAULT_BASE_URL, app=app, whatsapp=True, secrets=secrets)


def test_a_refused_webhook_handshake_never_logs_the_verify_token_tried(client, console, transport):
    response = client.get(
        f"/webhooks/whatsapp/{transport.pk}",
        {"hub.mode": "subscribe", "hub.verify_token": "guessed-verify-token-123", "hub.challenge": "42"},
    )

    assert response.status_code == 403
    written = console.getvalue()
    assert f"/webhooks/whatsapp/{transport.pk}" in written  # the refusal is logged...
    assert "guessed-verify-token-123" not in written  # ...without the token


def test_access_log_lines_hide_tokens_and_searched_numbers(console):
    server = logging.getLogger("django.server")
    server.info('"%s" %s %s', "GET /webhooks/whatsapp/1?hub.mode=subscribe&hub.verify_token=s3cret-vt HTTP/1.1", 200, 2)
    server.info('"%s" %s %s', "GET /admin/broadcasts/broadcast/?q=%2B1+555+010+0001 HTTP/1.1", 200, 900)
    server.info('"%s" %s %s', "GET /api/v1/sessions?address=15550100001&status=FAILED HTTP/1.1", 200, 50)

    written = console.getvalue()
    assert "s3cret-vt" not in written and "hub.verify_token=[REDACTED]" in written
    assert "555+010" not in written and "?q=[REDACTED]" in written
    assert "15550100001" not in written and "address=1555*****01&status=FAILED" in written
