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
# Two of the simulator's approved templates: a MARKETING one with an image header, and a UTILITY one.
PROMO = {"meta": {"templateName": "promo_image", "language": "en_US", "parameters": ["20%"],
                  "header": {"type": "image", "link": "https://cdn.example.com/promo.jpg"}}}
RECEIPT = {"meta": {"templateName": "order_confirmation", "language": "en_US",
                    "parameters": ["Ana", "B-1042", "12 March"]}}


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


# --- Meta's messaging limit -----------------------------------------------------------------------------

SIM_PHONE_ID = "100000000000001"


def messaging_limit_set(simulator, tier: str, *, accounts: list[dict] = ()) -> None:
    """The simulator's default number answers `tier` as its portfolio's messaging limit (plus other `accounts`)."""
    waba = simulator.config.business_accounts[0]
    number = {"id": SIM_PHONE_ID, "messaging_limit": tier}
    simulator.configure(business_accounts=[{"id": waba.id, "phone_numbers": [number]}, *accounts])


def transport_with_limit(api, simulator, tier: str, **options) -> dict:
    """A transport on the simulator whose portfolio has `tier`, read by a template sync."""
    from templates.services import templates_sync
    from transports.models import Transport

    if not options:
        messaging_limit_set(simulator, tier)
    transport = transport_for(api, simulator, phone_strictness="possible", **options)
    templates_sync(transport=Transport.objects.get(pk=transport["id"]))
    return transport


def sent_earlier(transport_id: int, addresses: list[str], *, ago=None) -> Session:
    """A finished session that sent to these addresses `ago` (an hour ago by default)."""
    from datetime import timedelta

    from django.utils import timezone

    from transports.models import Transport

    transport = Transport.objects.get(pk=transport_id)
    session = Session.objects.create(
        app=transport.app, transport=transport, status=Session.Status.COMPLETED, total=len(addresses), message=HELLO,
    )
    when = timezone.now() - (ago if ago is not None else timedelta(hours=1))
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=address.lstrip("+"), status=Broadcast.Status.SENT, sent_at=when)
        for address in addresses
    )
    return session


def simulator_template_add(simulator, *, waba_id: str, name: str = "hello_world") -> None:
    """An approved template `name` (one body text) in another business account of the simulator."""
    import requests

    payload = {"name": name, "language": "en_US", "category": "UTILITY",
               "components": [{"type": "BODY", "text": "Welcome and congratulations!!"}]}
    url = f"{simulator.base_url}/v23.0/{waba_id}/message_templates"
    headers = {"Authorization": "Bearer demo-access-token"}
    assert requests.post(url, json=payload, headers=headers, timeout=5).ok

    def approved() -> bool:
        listed = requests.get(url, params={"name": name}, headers=headers, timeout=5).json()["data"]
        return bool(listed) and listed[0]["status"] == "APPROVED"

    wait_until(approved, timeout=10, what=f"the simulator to approve {name}")
