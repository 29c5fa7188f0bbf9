"""Test helpers for broadcasts: one session factory and Meta's webhook bodies, signed as Meta signs them.

Importable from any app's tests (test modules and conftest.py files import nothing from each other).
"""

import hashlib
import hmac

from broadcasts.models import Broadcast, Session

APP_SECRET = "s3cret"  # noqa: S105 — the tests' app secret
VERIFY_TOKEN = "vt"  # noqa: S105 — the tests' verify token
T0 = 1732450000  # Meta's timestamps: Unix seconds, sent as strings


def make_session(app, transport_id, statuses: list[tuple[str, str, int]]) -> Session:
    """A stored session whose broadcasts are in the given (status, error_category, attempts) states."""
    session = Session.objects.create(
        app=app, transport_id=transport_id, status=Session.Status.PENDING, total=len(statuses),
        message={"meta": {"templateName": "hello_world", "language": "en_US"}},
    )
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1555010{i:04d}", status=status, error_category=category, attempts=n)
        for i, (status, category, n) in enumerate(statuses)
    )
    return session


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The X-Hub-Signature-256 header Meta sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope(field: str, value: dict, waba_id: str = "200000000000001") -> dict:
    change = {"field": field, "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": waba_id, "changes": [change]}]}


def statuses(*items: dict) -> dict:
    """A webhook body carrying these status events for the tests' phone number."""
    return envelope("messages", {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "100000000000001"},
        "statuses": list(items),
    })


def status(wamid: str, name: str, offset: int = 0, **extra) -> dict:
    """One status event, `offset` seconds after T0."""
    return {"id": wamid, "status": name, "timestamp": str(T0 + offset), "recipient_id": "15550100001", **extra}
