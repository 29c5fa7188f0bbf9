"""An app's callback endpoints: create, change, rotate the signing secret, delete."""

import secrets as token_source
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from broadcasts.callbacks.models import EVENT_TYPES, SESSION_CALLBACK_EVENTS, Callback, CallbackDelivery
from broadcasts.models import Session
from transports.network import UnsafeURLError, url_check
from transports.secrets import secrets_decrypt, secrets_encrypt
from whatsapp_gateway.errors import GatewayError
from whatsapp_gateway.models import App

SECRET_PREFIX = "whsec_"  # noqa: S105 — the prefix of generated secrets, not a secret
MAX_BATCH_SIZE = 100
SECRET_OVERLAP = timedelta(hours=24)  # how long a rotated-out secret keeps signing beside the new one


class CallbackError(GatewayError):
    """A callback the gateway refuses: a URL the network guard refuses, an unknown event type."""


@dataclass(frozen=True)
class Signing:
    """The secrets that sign now: the current one, and a rotated-out one until it expires."""

    current: str
    previous: str = ""


def _new_secret() -> str:
    return SECRET_PREFIX + token_source.token_urlsafe(32)


def _sealed(secret: str) -> str:
    return secrets_encrypt({"secret": secret}) if secret else ""


def _opened(token: str) -> str:
    return secrets_decrypt(token).get("secret", "") if token else ""


def callback_url_check(*, url: str, field: str = "url") -> None:
    """Raise CallbackError (naming `field`) unless the network guard lets the gateway call `url`.

    The same guard as transport URLs (transports/network.py): http(s) only, no credentials, no
    address that is not globally routable unless listed in TRANSPORT_ALLOWED_HOSTS. DNS may be down
    here; every delivery checks again, at connect time too.
    """
    try:
        url_check(url, unresolvable_ok=True)
    except UnsafeURLError as error:
        raise CallbackError(str(error), field=field, code="unsafe_url") from error


def callback_events_check(*, events: list) -> list[str]:
    unknown = sorted({str(event) for event in events} - set(EVENT_TYPES))
    if unknown:
        raise CallbackError(
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            field="events", code="unknown_event_type",
        )
    return sorted(set(events), key=EVENT_TYPES.index)


def callback_create(
    *, app: App, url: str, events: list | None = None, is_active: bool = True, batch_size: int = 1
) -> tuple[Callback, str]:
    """Store a new endpoint; returns it and its signing secret (the only time the secret is shown)."""
    callback_url_check(url=url)
    secret = _new_secret()
    callback = Callback.objects.create(
        app=app, url=url, events=callback_events_check(events=events or []), is_active=is_active,
        batch_size=batch_size, encrypted_secret=_sealed(secret),
    )
    return callback, secret


def session_callback_create(*, session: Session, url: str) -> str:
    """The session's own endpoint (its `callback_url`); returns the signing secret, shown this once.

    It gets that session's session.* and broadcast.* events only (never replies or template
    changes, which belong to no one session), signed and retried as any endpoint's; call it in
    the transaction that stores the session, so a refused URL (a 400 naming `callback_url`)
    stores nothing.
    """
    callback_url_check(url=url, field="callback_url")
    secret = _new_secret()
    Callback.objects.create(
        app_id=session.app_id, session=session, url=url, events=list(SESSION_CALLBACK_EVENTS),
        encrypted_secret=_sealed(secret),
    )
    return secret


def callback_update(*, callback: Callback, **changes) -> Callback:
    """Change url, events, is_active or batch_size; turning an endpoint on again clears why it was off."""
    if "url" in changes:
        callback_url_check(url=changes["url"])
    if "events" in changes:
        changes["events"] = callback_events_check(events=changes["events"] or [])
    for name, value in changes.items():
        setattr(callback, name, value)
    if changes.get("is_active"):
        callback_enable_fields(callback)
    callback.save()
    return callback


def callback_enable_fields(callback: Callback) -> None:
    """On again: the failure streak is forgotten and what was given up is sent (in order) after all."""
    if callback.disabled_at is None:
        return
    callback.disabled_at, callback.disabled_reason = None, ""
    callback.failures, callback.failing_since, callback.next_attempt_at = 0, None, None
    CallbackDelivery.objects.filter(callback=callback, state=CallbackDelivery.State.FAILED).update(
        state=CallbackDelivery.State.PENDING, next_attempt_at=None
    )


def callback_disable(*, callback: Callback, reason: str) -> Callback:
    """Stop sending to the endpoint; events are no longer recorded for it."""
    callback.is_active = False
    callback.disabled_reason = reason[:1000]
    callback.disabled_at = timezone.now()
    callback.save(update_fields=["is_active", "disabled_reason", "disabled_at", "updated_at"])
    return callback


def callback_rotate(*, callback: Callback, now: datetime | None = None) -> tuple[Callback, str, datetime]:
    """A new signing secret; the current one keeps signing beside it for SECRET_OVERLAP (24 hours).

    Returns the endpoint, the new secret (shown this once) and when the previous one stops signing.
    """
    now = now or timezone.now()
    expires = now + SECRET_OVERLAP
    secret = _new_secret()
    with transaction.atomic():
        locked = Callback.objects.select_for_update().get(pk=callback.pk)
        locked.encrypted_previous_secret = locked.encrypted_secret
        locked.previous_secret_expires_at = expires
        locked.encrypted_secret = _sealed(secret)
        locked.save(update_fields=[
            "encrypted_secret", "encrypted_previous_secret", "previous_secret_expires_at", "updated_at",
        ])
    return locked, secret, expires


def callback_signing(*, callback: Callback, now: datetime | None = None) -> Signing:
    now = now or timezone.now()
    expires = callback.previous_secret_expires_at
    previous = _opened(callback.encrypted_previous_secret) if expires and expires > now else ""
    return Signing(current=_opened(callback.encrypted_secret), previous=previous)


def callback_delete(*, callback: Callback) -> None:
    """Delete the endpoint and its pending deliveries (the events stay for other endpoints)."""
    callback.delete()
