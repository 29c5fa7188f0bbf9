"""Sends through the Meta Cloud API simulator."""

import pytest

from transports import engine, validation

TO = "15550100001"


@pytest.fixture
def transport(sim_transport):
    from transports.models import Transport

    return Transport.objects.get(pk=sim_transport["id"])


def _send(transport, meta, content=""):
    message = {"content": content, "meta": meta}
    assert validation.message_check(transport, message) == []
    (result,) = engine.send_batch(transport, message, [engine.Outgoing(key=1, address=TO, params={})])
    return result


def test_it_sends_a_text_message(transport, simulator):
    result = _send(transport, {}, content="Hello from the gateway")
    assert result.ok and result.provider_message_id.startswith("wamid.")
    (sent,) = simulator.messages(to=TO)
    assert sent["type"] == "text" and sent["wamid"] == result.provider_message_id


def test_it_sends_a_template_with_positional_params(transport, simulator):
    assert _send(transport, {"templateName": "order_confirmation", "language": "en_US",
                             "parameters": ["Ana", "B-1042", "$19.99"]}).ok
    assert simulator.messages(to=TO)[0]["template"] == "order_confirmation"


def test_it_sends_a_template_with_named_params(transport):
    result = _send(transport, {"templateName": "appointment_reminder", "language": "en_US",
                               "parameters": {"first_name": "Ana", "date": "1 May", "time": "10:00"}})
    assert result.ok, result


@pytest.mark.parametrize(
    ("template", "header", "params"),
    [
        ("promo_image", {"type": "image", "link": "https://cdn.example.com/promo.jpg"}, ["20%"]),
        ("product_video", {"type": "video", "link": "https://cdn.example.com/p.mp4"}, ["Ana"]),
        ("invoice_document", {"type": "document", "link": "https://cdn.example.com/i.pdf", "filename": "i.pdf"},
         ["Ana", "INV-7"]),
        ("store_location", {"type": "location", "latitude": 37.4421, "longitude": "-122.1615", "name": "Philz",
                            "address": "101 Forest Ave"}, ["B-1042"]),
    ],
)
def test_it_sends_media_and_location_header_templates(transport, template, header, params):
    result = _send(transport, {"templateName": template, "language": "en_US", "header": header, "parameters": params})
    assert result.ok, result


def test_it_sends_a_template_with_buttons(transport):
    result = _send(transport, {"templateName": "shipping_update", "language": "en_US", "parameters": ["B-1042"],
                               "buttons": [{"type": "url", "index": 0, "parameters": ["B-1042"]},
                                           {"type": "quick_reply", "index": 1, "payload": "STOP"}]})
    assert result.ok, result


def test_meta_errors_come_back_classified(transport):
    result = _send(transport, {"templateName": "no_such_template", "language": "en_US"})
    assert (result.ok, result.error_code, result.category) == (False, "132001", "PERMANENT")
    assert "demo-access-token" not in str(result.request)
