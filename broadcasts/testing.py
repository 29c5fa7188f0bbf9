"""Test helpers for broadcasts: one session factory and Meta's webhook bodies, signed as Meta signs them.

Also the waits of the live tests. Importable from any app's tests (test modules and conftest.py files
import nothing from each other).
"""

import bisect
import hashlib
import hmac
import time

from broadcasts.models import Broadcast, BroadcastLog, Session

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


# --- Live tests: waiting on real workers -------------------------------------------------------------

FINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def numbers(count: int, start: int = 0) -> list[str]:
    """`count` distinct US test numbers in E.164."""
    return [f"+1202555{start + i:04d}" for i in range(count)]


def wait_until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_final(api, session_id, timeout: float = 60.0) -> dict:
    """The session's API answer once it is COMPLETED, FAILED or CANCELLED."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/sessions/{session_id}").json()
        if body["status"] in FINAL:
            return body
        time.sleep(0.2)
    raise AssertionError(f"session still {body['status']} after {timeout}s: {body['stats']}")


def busiest_second(times: list[float]) -> int:
    """The most arrivals in any 1-second window [t, t + 1): the busiest window starts at an arrival."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def request_times(session_id) -> list[float]:
    """When each attempt's request left the gateway (Unix time), sorted: the pace as the gateway kept it."""
    stamps = BroadcastLog.objects.filter(
        session_id=session_id, kind=BroadcastLog.Kind.ATTEMPT, requested_at__isnull=False
    ).values_list("requested_at", flat=True)
    return sorted(stamp.timestamp() for stamp in stamps)


HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}


def transport_for(api, simulator, **options) -> dict:
    """A WhatsApp transport on the simulator, created through the API (options as `whatsapp_cloud` takes them)."""
    from whatsapp_gateway.testing import whatsapp_transport_via_api

    return whatsapp_transport_via_api(api, base_url=simulator.base_url, **options)


def send_via_api(api, transport, recipients, message=HELLO, **headers) -> dict:
    """POST /api/v1/sessions as an integrator does; the 202 answer."""
    response = api.post(
        "/api/v1/sessions",
        {"transport": transport["id"], "message": message, "recipients": recipients},
        format="json",
        **headers,
    )
    assert response.status_code == 202, response.content
    return response.json()
