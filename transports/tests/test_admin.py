import pytest

from transports.presets import whatsapp_transport_from_settings

pytest.importorskip("simulator.testing")


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
