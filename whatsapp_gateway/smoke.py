"""The smoke test: is this deployment able to send? Database, broker, a live worker, the transport's
credentials against Meta (or the simulator), and one real message to a verified number.

Each check is independent and reported, so one run says everything that is wrong at once; a check
that depends on a failed one (no transport found) is reported as failed, never skipped silently.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from transports.models import Transport
from transports.redaction import mask_phone
from whatsapp_gateway.health import broker_reachable, database_reachable, worker_alive


@dataclass(frozen=True)
class SmokeCheck:
    name: str
    ok: bool
    detail: str
    skipped: bool = False


def _check(name: str, probe: Callable[[], tuple[bool, str]]) -> SmokeCheck:
    try:
        ok, detail = probe()
    except Exception as exc:  # noqa: BLE001 — a smoke test reports, it does not crash
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return SmokeCheck(name=name, ok=ok, detail=detail)


def smoke_transport_pick(*, transport_id: int | None) -> Transport | None:
    """The transport named, or else the first active one (the demo transport on a fresh install)."""
    transports = Transport.objects.select_related("app")
    if transport_id is not None:
        return transports.filter(pk=transport_id).first()
    return transports.filter(is_active=True).order_by("id").first()


def transport_credentials_check(transport: Transport) -> tuple[bool, str]:
    """Ask Graph API for the transport's phone number with its access token (read-only, sends nothing)."""
    from transports.graph import graph_request

    if transport.is_stopped:
        return False, f"transport is stopped: {transport.stopped_reason}"
    phone_number_id = transport.config.get("phoneNumberId")
    if not phone_number_id or not transport.config.get("baseUrl"):
        return True, "not a WhatsApp Cloud transport: no credentials to check"
    answer = graph_request(transport, "GET", str(phone_number_id), params={"fields": "display_phone_number"})
    if not answer.ok:
        return False, f"Meta refused: {answer.describe()}"
    number = answer.body.get("display_phone_number") or phone_number_id
    return True, f"token accepted for phone number {number}"


def test_send_check(transport: Transport, *, to: str, template: str, language: str) -> tuple[bool, str]:
    from broadcasts.services.manual_sends import send_test_message

    result, _session = send_test_message(transport=transport, to=to, template=template, language=language)
    if result.ok:
        digits = "".join(c for c in str(to) if c.isdigit())
        return True, f"{template} sent to {mask_phone(digits)} as {result.provider_message_id}"
    parts = [result.error_code and f"code {result.error_code}", result.error_title, result.error_details]
    return False, "not sent: " + (" - ".join(p for p in parts if p) or f"HTTP {result.http_status}")


def smoke_test_run(
    *, transport_id: int | None = None, to: str | None = None, send: bool = True,
    template: str = "hello_world", language: str = "en_US",
) -> list[SmokeCheck]:
    checks = [
        _check("database", database_reachable),
        _check("broker", broker_reachable),
        _check("worker", worker_alive),
    ]
    if not checks[0].ok:
        return [*checks, SmokeCheck("transport", False, "database unreachable")]
    transport = smoke_transport_pick(transport_id=transport_id)
    if transport is None:
        wanted = f"transport {transport_id} does not exist" if transport_id else "no active transport"
        return [*checks, SmokeCheck("transport", False, wanted)]
    label = f"transport {transport.pk} ({transport.name}, app {transport.app.name})"
    credentials = _check("credentials", lambda: transport_credentials_check(transport))
    checks.append(SmokeCheck(credentials.name, credentials.ok, f"{label}: {credentials.detail}"))
    if not send:
        checks.append(SmokeCheck("send", True, "skipped (--no-send)", skipped=True))
    elif not credentials.ok:
        checks.append(SmokeCheck("send", False, "not attempted: the credentials check failed"))
    else:
        recipient = to or settings.DEV_PHONE
        checks.append(_check("send", lambda: test_send_check(transport, to=recipient, template=template,
                                                             language=language)))
    return checks
