import pytest
from django.core.management import CommandError, call_command

from transports.engine import transport_secrets
from transports.models import Transport


def test_create_whatsapp_transport_is_idempotent_by_name(app, capsys, settings, monkeypatch):
    settings.WHATSAPP_ACCESS_TOKEN = "env:MY_TOKEN"
    monkeypatch.setenv("MY_TOKEN", "from-the-environment")
    call_command("create_whatsapp_transport", "--app", app.name)
    first = capsys.readouterr().out.strip()
    call_command("create_whatsapp_transport", "--app", app.name)
    assert capsys.readouterr().out.strip() == first
    transport = Transport.objects.get(pk=int(first))
    assert transport.name == "whatsapp" and transport.config["phoneStrictness"] == "possible"
    assert transport_secrets(transport)["accessToken"] == "from-the-environment"
    assert "env:MY_TOKEN" in transport.encrypted_secrets or "from-the-environment" not in transport.encrypted_secrets


def test_create_whatsapp_transport_names_an_unknown_app(db):
    with pytest.raises(CommandError, match="No app named 'nobody'"):
        call_command("create_whatsapp_transport", "--app", "nobody")


def test_send_test_message_refuses_a_bad_number_before_sending(app, settings):
    from transports.presets import whatsapp_transport_from_settings

    transport = whatsapp_transport_from_settings(app=app, name="w", settings=settings, phone_strictness="valid")
    with pytest.raises(CommandError, match="--to: not a valid phone number for region US"):
        call_command("send_test_message", "--transport", str(transport.pk), "--to", "1234567890")
