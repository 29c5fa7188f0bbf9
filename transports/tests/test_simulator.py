"""Sends through the Meta Cloud API simulator (skipped only while simulator.testing does not exist)."""

import time

import pytest
from django.core.management import CommandError, call_command

from transports import engine
from transports.services import send_test_message

pytest.importorskip("simulator.testing")

TO = "15550100001"


@pytest.fixture
def transport(sim_transport):
    from transports.models import Transport

    return Transport.objects.get(pk=sim_transport["id"])


def _send(transport, meta, content=""):
    message = {"content": content, "meta": meta}
    assert engine.message_check(transport, message) == []
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


def test_send_test_message_shows_metas_answer(transport, capsys):
    result, _session = send_test_message(transport=transport, to="+1 555 010 0001", template="hello_world")
    assert result.ok
    call_command("send_test_message", "--transport", str(transport.pk), "--to", "+15550100001",
                 "--template", "order_confirmation", "--param", "Ana", "--param", "B-1", "--param", "$1")
    out = capsys.readouterr().out
    assert "Sent: HTTP 200, message id wamid." in out
    assert "Recorded as test session " in out


def test_a_test_message_is_recorded_and_its_webhooks_find_it(transport, simulator):
    from django.utils import timezone

    from broadcasts.models import BroadcastLog
    from broadcasts.services.webhooks import broadcast_statuses_apply

    result, session = send_test_message(transport=transport, to="+1 555 010 0001", template="hello_world")
    (broadcast,) = session.broadcasts.all()
    assert (session.is_test, session.status, session.total) == (True, "COMPLETED", 1)
    assert (broadcast.address, broadcast.status, broadcast.wamid) == (TO, "SENT", result.provider_message_id)
    (attempt,) = broadcast.logs.all()
    assert (attempt.kind, attempt.response_status) == ("ATTEMPT", 200)
    assert "demo-access-token" not in str(attempt.request)

    read = {"id": result.provider_message_id, "status": "read", "timestamp": str(int(time.time())),
            "recipient_id": TO}
    unmatched, _counts = broadcast_statuses_apply(app_id=transport.app_id, items=[read], now=timezone.now())
    assert unmatched == []
    broadcast.refresh_from_db()
    assert broadcast.status == "READ"
    assert list(broadcast.logs.filter(kind=BroadcastLog.Kind.STATUS).values_list("status", flat=True)) == ["READ"]


def test_a_refused_test_message_is_recorded_as_failed(transport, simulator):
    simulator.configure(recipient_errors={TO: 131026})
    result, session = send_test_message(transport=transport, to="+1 555 010 0001", template="hello_world")
    assert (result.ok, result.error_code) == (False, "131026")
    (broadcast,) = session.broadcasts.all()
    assert (session.status, broadcast.status, broadcast.error_code, broadcast.wamid) == (
        "FAILED", "FAILED", "131026", None)
    assert session.error == result.error_title


def test_send_test_message_sends_a_media_header_template(transport, simulator, capsys):
    with pytest.raises(CommandError, match="promo_image has an IMAGE header"):
        call_command("send_test_message", "--transport", str(transport.pk), "--to", "+15550100001",
                     "--template", "promo_image", "--param", "20%")
    call_command("send_test_message", "--transport", str(transport.pk), "--to", "+15550100001",
                 "--template", "promo_image", "--param", "20%",
                 "--header", '{"type": "image", "link": "https://example.com/a.jpg"}')
    assert "Sent: HTTP 200" in capsys.readouterr().out
    (sent,) = simulator.messages(to=TO)
    assert sent["template"] == "promo_image"


def test_send_test_message_refuses_a_header_that_is_not_a_json_object(transport):
    with pytest.raises(CommandError, match="argument --header: not valid JSON"):
        call_command("send_test_message", "--transport", str(transport.pk), "--to", "+15550100001",
                     "--template", "promo_image", "--header", "{image}")


def test_send_test_message_checks_the_template_before_calling_meta(transport, simulator):
    with pytest.raises(CommandError, match="Template order_confirmation expects 3 body parameter"):
        call_command("send_test_message", "--transport", str(transport.pk), "--to", "+15550100001",
                     "--template", "order_confirmation", "--param", "Ana")
    with pytest.raises(CommandError, match=r"old_promo \(en_US\) is PAUSED"):
        call_command("send_test_message", "--transport", str(transport.pk), "--to", "+15550100001",
                     "--template", "old_promo")
    assert simulator.messages() == []
