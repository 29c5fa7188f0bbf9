"""Tenancy services: apps and their API keys."""

from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.crypto import concatenate

from whatsapp_gateway.models import App, AppAPIKey, WorkerHeartbeat

KEY_PREFIX_LENGTH = 8


def app_create(*, name: str) -> tuple[App, str]:
    """Create an app with its first API key; returns the app and the key, which is never stored.

    Raises ValidationError for a blank, too long or taken name (the admin's rules, not a database error).
    """
    app = App(name=name.strip())
    app.full_clean()
    with transaction.atomic():
        app.save()
        _, key = api_key_create(app=app, name="default")
    return app, key


def api_key_create(*, app: App, name: str, key: str | None = None) -> tuple[AppAPIKey, str]:
    """Create an API key for `app`. A fixed `key` (`<prefix>.<secret>`) is accepted for demos."""
    if key is None:
        return AppAPIKey.objects.create_key(app=app, name=name)
    prefix, dot, secret = key.partition(".")
    if not dot or not prefix or len(prefix) > KEY_PREFIX_LENGTH or len(secret) < 16:
        raise ValueError("An API key must look like <prefix of 1-8 chars>.<secret of 16+ chars>.")
    hashed = AppAPIKey.objects.key_generator.hash(key)
    api_key = AppAPIKey(app=app, name=name, prefix=prefix, hashed_key=hashed)
    api_key.id = concatenate(prefix, hashed)
    api_key.save()
    return api_key, key


def app_for_key(key: str) -> App | None:
    """The active app that owns a valid, unrevoked, unexpired key, or None."""
    try:
        api_key = AppAPIKey.objects.get_from_key(key)
    except AppAPIKey.DoesNotExist:
        return None
    if api_key.has_expired or not api_key.app.is_active:
        return None
    return api_key.app


def worker_heartbeat_record(*, hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})
