"""Test messages: the service, the `send_test_message` command and the transport list's admin action."""

import time

import pytest
from django.core.management import CommandError, call_command

from broadcasts.services.manual_sends import send_test_message
from transports.models import Transport
from transports.services import whatsapp_transport_from_settings

TO = "15550100001"


@pytest.fixture
def transport(sim_transport):
    return Transport.objects.get(pk=sim_transport["id"])


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
    from broadcasts.services.webhooks.statuses import broadcast_statuses_apply

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


def test_send_test_message_refuses_a_bad_number_before_sending(app, settings):
    transport = whatsapp_transport_from_settings(app=app, name="w", settings=settings, phone_strictness="valid")
    with pytest.raises(CommandError, match="--to: not a valid phone number for region US"):
        call_command("send_test_message", "--transport", str(transport.pk), "--to", "1234567890")


def test_the_admin_send_test_message_action_shows_metas_answer(admin_client, app, simulator, settings):
    settings.WHATSAPP_API_BASE_URL = simulator.base_url
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1]]
    transport = whatsapp_transport_from_settings(app=app, name="wa", settings=settings)
    url = "/admin/transports/transport/"
    form_page = admin_client.post(url, {"action": "send_test_message_action", "_selected_action": [transport.pk]})
    assert form_page.status_code == 200 and b"Send a test message through" in form_page.content
    answer = admin_client.post(url, {
        "action": "send_test_message_action", "_selected_action": [transport.pk], "confirm": "1",
        "to": "+15550100001", "template": "hello_world", "language": "en_US", "params": "", "text": "",
    })
    assert b"Sent: HTTP 200, message id wamid." in answer.content
    assert b"demo-access-token" not in answer.content
    session = transport.sessions.get()
    assert f'<a href="/admin/broadcasts/session/{session.pk}/change/">its session</a>'.encode() in answer.content
