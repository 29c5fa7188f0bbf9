import pytest
from django.core.management import CommandError, call_command

from transports.models import Transport
from transports.secrets import transport_secrets


def test_create_whatsapp_transport_is_idempotent_by_name(app, capsys, settings, monkeypatch):
    settings.WHATSAPP_ACCESS_TOKEN = "env:MY_TOKEN"
    settings.TRANSPORT_SECRET_ENV_NAMES = ["MY_TOKEN"]
    settings.WHATSAPP_APP_SECRET, settings.WHATSAPP_VERIFY_TOKEN = "app-secret-1", "verify-token-1"
    monkeypatch.setenv("MY_TOKEN", "from-the-environment")
    call_command("create_whatsapp_transport", "--app", app.name)
    first = capsys.readouterr().out.strip()
    call_command("create_whatsapp_transport", "--app", app.name)
    assert capsys.readouterr().out.strip() == first
    transport = Transport.objects.get(pk=int(first))
    assert transport.name == "whatsapp" and transport.config["phoneStrictness"] == "possible"
    assert transport_secrets(transport)["accessToken"] == "from-the-environment"
    assert "env:MY_TOKEN" in transport.encrypted_secrets or "from-the-environment" not in transport.encrypted_secrets


@pytest.mark.parametrize("values", [
    {"WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": "", "WHATSAPP_VERIFY_TOKEN": ""},  # DEBUG off, unset
    {"WHATSAPP_ACCESS_TOKEN": "real-token", "WHATSAPP_APP_SECRET": "demo-app-secret", "WHATSAPP_VERIFY_TOKEN": "vt"},
])
def test_create_whatsapp_transport_refuses_demo_or_missing_credentials_outside_debug(app, settings, values):
    settings.DEBUG = False
    for name, value in values.items():
        setattr(settings, name, value)
    with pytest.raises(CommandError, match="WHATSAPP_APP_SECRET is (not set|the public demo value)"):
        call_command("create_whatsapp_transport", "--app", app.name)
    assert not Transport.objects.exists()


def test_create_whatsapp_transport_stores_the_demo_values_in_debug(app, settings, capsys):
    settings.DEBUG = True
    for name, value in settings.WHATSAPP_DEMO_VALUES.items():
        setattr(settings, name, value)
    call_command("create_whatsapp_transport", "--app", app.name)
    transport = Transport.objects.get(pk=int(capsys.readouterr().out))
    assert transport_secrets(transport)["appSecret"] == "demo-app-secret"


def test_create_whatsapp_transport_names_an_unknown_app(db):
    with pytest.raises(CommandError, match="No app named 'nobody'"):
        call_command("create_whatsapp_transport", "--app", "nobody")


def test_rotate_secrets_lets_the_old_key_be_dropped(app, settings, capsys):
    from cryptography.fernet import Fernet

    from transports.services import transport_create

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = [old]
    transport = transport_create(
        app=app, name="sms", secrets={"token": "tok-1"},
        config={"request": {"url": "https://93.184.216.34/send", "headers": {"X": "{%secrets.token%}"}}},
    )
    settings.SECRETS_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_secrets")
    assert "secrets of 1 transport(s)" in capsys.readouterr().out
    settings.SECRETS_ENCRYPTION_KEYS = [new]
    transport.refresh_from_db()
    assert transport_secrets(transport) == {"token": "tok-1"}


def test_rotate_secrets_changes_nothing_when_a_key_is_missing(app, settings):
    from cryptography.fernet import Fernet

    from transports.services import transport_create

    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    transport = transport_create(app=app, name="sms", secrets={"token": "tok-1"},
                                 config={"request": {"url": "https://93.184.216.34/send"}})
    stored = transport.encrypted_secrets
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("rotate_secrets")
    transport.refresh_from_db()
    assert transport.encrypted_secrets == stored
