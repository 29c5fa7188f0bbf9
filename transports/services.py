"""Transport services: create, update, stop and resume transports."""

from django.db import transaction
from django.utils import timezone

from transports.models import Transport
from transports.secrets import secrets_decrypt, secrets_encrypt
from whatsapp_gateway.models import App


def transport_create(*, app: App, name: str, config: dict, secrets: dict | None = None) -> Transport:
    transport = Transport(app=app, name=name, config=config)
    transport.encrypted_secrets = secrets_encrypt(secrets or {})
    transport.save()
    return transport


def transport_update(
    *, transport: Transport, name: str | None = None, config: dict | None = None,
    secrets: dict | None = None, is_active: bool | None = None,
) -> Transport:
    """Change the given fields only; secrets given are merged over the stored ones."""
    if name is not None:
        transport.name = name
    if config is not None:
        transport.config = config
    if secrets:
        transport.encrypted_secrets = secrets_encrypt({**secrets_decrypt(transport.encrypted_secrets), **secrets})
    if is_active is not None:
        transport.is_active = is_active
    transport.save()
    return transport


def transport_stop(*, transport_id: int, reason: str) -> bool:
    """Stop a transport (e.g. Meta refused its token); True if this call stopped it."""
    with transaction.atomic():
        stopped = Transport.objects.filter(id=transport_id, stopped_at__isnull=True).update(
            stopped_at=timezone.now(), stopped_reason=reason
        )
    return stopped == 1


def transport_resume(*, transport: Transport) -> Transport:
    transport.stopped_at = None
    transport.stopped_reason = ""
    transport.save(update_fields=["stopped_at", "stopped_reason", "updated_at"])
    return transport
