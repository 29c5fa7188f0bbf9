"""Hand a claimed batch to the transport engine and shape its answers for recording."""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings

from broadcasts.models import Broadcast, BroadcastLog, Session
from transports import engine
from transports.models import Transport
from transports.redaction import mask_phone, parameter_values, parameters_redacted

logger = logging.getLogger("gateway.sending")

# What each send carries for the provider to echo back (WhatsApp: biz_opaque_callback_data).
REFERENCE_PREFIX = "wg-broadcast:"


def broadcast_reference(broadcast_id: int) -> str:
    return f"{REFERENCE_PREFIX}{broadcast_id}"


def broadcast_id_of_reference(reference) -> int | None:
    """The broadcast id a provider echoed back, or None when the text is not one of ours."""
    if not isinstance(reference, str) or not reference.startswith(REFERENCE_PREFIX):
        return None
    digits = reference[len(REFERENCE_PREFIX):]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None


@dataclass
class SendOutcome:
    """One attempt's result for one broadcast (wraps the engine's SendResult)."""

    broadcast: Broadcast
    result: object

    def __getattr__(self, name):
        # ok, provider_message_id, error_code, category, retry_after… come from the engine's result.
        return getattr(self.result, name)

    def describe(self) -> str:
        if self.result.ok:
            return f"sent as {self.result.provider_message_id}"
        parts = [
            self.result.error_code and f"code {self.result.error_code}",
            self.result.error_title,
            self.result.error_details,
        ]
        return " - ".join(part for part in parts if part) or "request failed"

    def log_row(self, *, session: Session, attempt: int, task_id: str) -> BroadcastLog:
        result = self.result
        request, response_body = result.request, result.response_body[:2000]
        if not settings.LOG_MESSAGE_PARAMETERS:
            # Template parameters are personal data (names, order numbers, codes): the log keeps their shape only.
            meta = (session.message or {}).get("meta") or {}
            values = parameter_values(
                self.broadcast.params, *(meta.get(key) for key in ("parameters", "header", "buttons", "components"))
            )
            request, response_body = parameters_redacted(request, values), parameters_redacted(response_body, values)
        return BroadcastLog(
            broadcast=self.broadcast,
            session=session,
            kind=BroadcastLog.Kind.ATTEMPT,
            status=self.broadcast.status,
            attempt=attempt,
            task_id=task_id[:64],
            request=request,
            response_status=result.http_status,
            response_body=response_body,
            error_code=result.error_code,
            error_title=result.error_title[:255],
            duration_ms=result.duration_ms,
            message=self.describe()[:1000],
        )


def send_claimed(
    *, transport: Transport, message: dict, broadcasts: list[Broadcast], first_slot: float, rate: float | None = None,
    reserve: Callable[[int], tuple[float, float, int]] | None = None,
) -> Iterator[list[SendOutcome]]:
    """Send the batch with many requests in flight, yielding outcomes as answers arrive.

    Request i leaves at its rate-limit slot, `rate` (default: the transport's) apart; one that
    missed its slot takes a new one from `reserve(count)` → (first, rate, granted); one that gets none
    comes back `not_sent`. The caller records each
    chunk before the next, so a crash leaves only the requests still on the wire without an outcome.
    """
    interval = 1.0 / (rate or transport.rate_limit)
    outgoing = [
        engine.Outgoing(
            key=index, address=b.address, params=b.params, send_at=first_slot + index * interval,
            reference=broadcast_reference(b.pk),
        )
        for index, b in enumerate(broadcasts)
    ]
    for results in engine.send_batch_stream(transport, message, outgoing, reserve=reserve):
        outcomes = [SendOutcome(broadcast=broadcasts[result.key], result=result) for result in results]
        for outcome in outcomes:
            _attempt_log(transport, outcome)
        yield outcomes


def _attempt_log(transport: Transport, outcome: SendOutcome) -> None:
    logger.info(
        "attempt %s",
        "sent" if outcome.ok else "failed",
        extra={
            "session": str(outcome.broadcast.session_id),
            "broadcast": outcome.broadcast.pk,
            "transport": transport.pk,
            "attempt": outcome.broadcast.attempts,
            "to": mask_phone(outcome.broadcast.address),
            "meta_code": outcome.error_code,
            "duration_ms": outcome.duration_ms,
            "category": outcome.category,
        },
    )
