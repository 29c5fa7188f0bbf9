"""A test message is a real message: it is recorded as a one-recipient session like any other.

So its attempt is logged, Meta's webhooks find its wamid (delivered and read show up in the admin),
and retention and erasure treat it like every other send.
"""

from django.db import transaction
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services.outcomes import SendOutcome
from broadcasts.services.preflight import message_with_template_category
from templates.services import template_send_errors
from transports import engine
from transports.models import Transport
from transports.validation import address_normalize, message_check


def test_message_record(*, transport: Transport, message: dict, address: str, result) -> Session:
    """Store the session, broadcast and attempt log of a test message the engine has just sent."""
    now = timezone.now()
    status = Broadcast.Status.SENT if result.ok else Broadcast.Status.FAILED
    with transaction.atomic():
        session = Session.objects.create(
            app_id=transport.app_id, transport=transport, message=message, total=1, is_test=True,
            status=Session.Status.COMPLETED if result.ok else Session.Status.FAILED,
            error="" if result.ok else (result.error_title or "The test message was not sent.")[:1000],
            started_at=now, completed_at=now,
        )
        broadcast = Broadcast.objects.create(
            session=session, address=address, status=status, attempts=1,
            wamid=result.provider_message_id if result.ok else None,
            sent_at=now if result.ok else None, failed_at=None if result.ok else now,
            error_code=result.error_code, error_title=result.error_title[:255], error_category=result.category,
        )
        SendOutcome(broadcast=broadcast, result=result).log_row(session=session, attempt=1, task_id="").save()
    return session


def test_send_message_build(
    *, to: str, template: str | None = None, language: str = "en_US", params=(), text: str | None = None,
    header: dict | None = None, buttons: list | None = None,
) -> dict:
    """The message a test send uses: a template (params positional, or named when given as name=value,
    its header: media, text or location, and its buttons, as in a session's message.meta) or text."""
    if template:
        values = list(params or ())
        named = values and all(isinstance(v, str) and "=" in v for v in values)
        parameters = dict(v.split("=", 1) for v in values) if named else values
        meta = {"templateName": template, "language": language}
        if parameters:
            meta["parameters"] = parameters
        if header:
            meta["header"] = header
        if buttons:
            meta["buttons"] = buttons
        return {"content": "", "meta": meta}
    return {"content": text or "Test message from WhatsApp Gateway", "meta": {}}


def send_test_message(
    *, transport: Transport, to: str, template: str | None = None, language: str = "en_US", params=(),
    text: str | None = None, header: dict | None = None, buttons: list | None = None,
) -> tuple[engine.SendResult, Session]:
    """Send one message now; return the engine's SendResult (Meta's answer, secrets redacted) and its session.

    Raises AddressError for a bad number and ValueError for a message the transport or the template
    check refuses (the same check a session gets), so no Meta call is wasted on a template error.
    What was sent is recorded as a one-recipient test session, so its webhooks find it.
    """
    address = address_normalize(transport, to)
    message = test_send_message_build(
        to=to, template=template, language=language, params=params, text=text, header=header, buttons=buttons,
    )
    problems = message_check(transport, message) or template_send_errors(
        transport=transport, meta=message["meta"]
    )
    if problems:
        raise ValueError("; ".join(problems))
    # Routed as a session's message is: by the template's synced category (e.g. to the Marketing Messages API).
    result = engine.send_one(transport, message_with_template_category(transport_id=transport.pk, message=message),
                             address)
    session = test_message_record(transport=transport, message=message, address=address, result=result)
    return result, session


def test_result_describe(result) -> str:
    """The provider's answer as an operator reads it (shared by the command and the admin action)."""
    if result.ok:
        return f"Sent: HTTP {result.http_status}, message id {result.provider_message_id}"
    parts = [f"HTTP {result.http_status}" if result.http_status else "no HTTP answer"]
    parts += [p for p in (result.error_code and f"Meta error {result.error_code}", result.error_title,
                          result.error_details) if p]
    return f"Failed ({result.category}): " + " - ".join(parts)
