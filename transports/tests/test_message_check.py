"""What a message must look like for a transport, checked before anything is stored or sent."""

import json

import pytest

from transports import engine, validation
from transports.models import Transport
from transports.testing import make_transport
from transports.whatsapp.payloads import TEXT_LIMIT
from transports.whatsapp.preset import whatsapp_cloud_config


def _generic(content_rule: str) -> Transport:
    config = {"request": {"url": "https://x.example/send", "body": {"to": "{%address%}", "c": "{%message.content%}"}},
              "validationContent": content_rule}
    return make_transport(config=config)


def _whatsapp() -> Transport:
    config = whatsapp_cloud_config(phone_number_id="100000000000001")
    return make_transport(config=config, secrets={"accessToken": "t"})


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("", "message.content: must be non-empty text"),
        ("   ", "message.content: must be non-empty text"),
        (None, "message.content: must be non-empty text"),
        ({"a": 1}, "message.content: must be non-empty text"),
        ("x" * (TEXT_LIMIT + 1), f"message.content: at most {TEXT_LIMIT} characters (got {TEXT_LIMIT + 1})"),
    ],
)
def test_text_content_must_be_non_empty_and_within_metas_limit(content, error):
    assert validation.message_check(_generic("TEXT"), {"content": content}) == [error]


def test_text_of_exactly_metas_limit_is_accepted():
    assert validation.message_check(_generic("TEXT"), {"content": "x" * TEXT_LIMIT}) == []
    assert validation.message_check(_whatsapp(), {"content": "x" * TEXT_LIMIT, "meta": {}}) == []


def test_a_whatsapp_template_message_needs_no_content():
    assert validation.message_check(_whatsapp(), {"meta": {"templateName": "hello_world"}}) == []


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        ('{"order": 7}', []),
        ({"order": 7}, []),
        ([1, 2], []),
        ("{order: 7}", ["message.content: must be valid JSON"]),
        (None, ["message.content: required (a JSON object, a list or JSON text)"]),
    ],
)
def test_json_content_must_be_json(content, errors):
    message = {"content": content} if content is not None else {}
    assert validation.message_check(_generic("JSON"), message) == errors


def test_none_accepts_any_content():
    assert validation.message_check(_generic("NONE"), {"content": ""}) == []
    assert validation.message_check(_generic("NONE"), {}) == []


def test_an_unknown_placeholder_is_an_error_before_anything_is_sent():
    transport = make_transport(config={"request": {"url": "https://x.example/send",
                                                   "body": {"campaign": "{%message.meta.campaign%}"}},
                                       "validationContent": "NONE"})
    assert validation.message_check(transport, {"meta": {}}) == ["unknown placeholder {%message.meta.campaign%}"]
    assert validation.message_check(transport, {"meta": {"campaign": "spring"}}) == []


def test_a_recipient_without_a_param_the_request_uses_is_named():
    transport = make_transport("https://x.example")
    assert validation.recipient_params_check(transport, {"content": "hi"}, {}) == [
        "missing recipient param {%recipient.params.name%}"
    ]
    assert validation.recipient_params_check(transport, {"content": "hi"}, {"name": "Ana"}) == []


def test_text_with_quotes_and_line_breaks_stays_valid_json_in_the_request(provider):
    content = 'She said "hi"\nthen \\ left {%not.a.placeholder%}'
    (result,) = engine.send_batch(
        make_transport(provider.base_url), {"content": content, "meta": {}},
        [engine.Outgoing(key=1, address="15550100001", params={"name": "Ana"})],
    )
    assert result.ok
    assert provider.received[0]["body"]["text"] == content  # sent once, escaped as JSON, never re-rendered
    assert json.loads(json.dumps(result.request["body"]))["text"] == content
