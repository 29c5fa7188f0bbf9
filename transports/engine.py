"""The API transport engine's sending: render each request, send a batch with many requests in flight,
classify each answer as it arrives (`send_batch_stream`; `send_batch` collects them).

What a message must satisfy before it is stored is checked in `transports/validation.py`.
"""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from transports import placeholders
from transports.builders import BuildError, PayloadBuilder
from transports.errors import ErrorCategory
from transports.network import UnsafeURLError, URLGuard, header_problem
from transports.providers import failure_classify, failure_policy
from transports.redaction import RESPONSE_EXCERPT_LIMIT, redact, redact_text
from transports.secrets import transport_secrets
from transports.sender import PreparedRequest, RawAnswer, Reserve, config_hash, send_prepared_stream
from transports.validation import builder_of, render_context, transport_config


@dataclass
class Outgoing:
    key: object
    address: str
    params: dict
    send_at: float = 0.0  # Unix time (time.time()) not before which the request may leave
    reference: str = ""  # echoed by the provider's status callbacks (WhatsApp: biz_opaque_callback_data)


@dataclass
class SendResult:
    key: object
    ok: bool
    http_status: int | None
    provider_message_id: str | None
    error_code: str = ""
    error_subcode: str = ""
    error_title: str = ""
    error_details: str = ""
    category: str = ""  # "" when ok, else an ErrorCategory
    retry_after: float | None = None
    policy: str = ""  # the provider's own handling of this error, beyond its category (see providers.py)
    message_status: str = ""  # what the provider says of an accepted send (WhatsApp: held_for_quality_assessment…)
    timed_out: bool = False  # no answer in time: the message may have been sent
    not_sent: bool = False  # never left: its slot passed and `reserve` had no new one (see sender.py)
    duration_ms: int = 0
    requested_at: float | None = None  # Unix time the request left (None: it never did)
    request: dict = field(default_factory=dict)  # {"method","url","headers","body"}, secrets redacted
    response_body: str = ""  # excerpt, secrets redacted

    def describe(self) -> str:
        """The answer in one line, as attempt logs and stop reasons quote it."""
        if self.ok:
            return f"sent as {self.provider_message_id}"
        parts = [self.error_code and f"code {self.error_code}", self.error_title, self.error_details]
        return " - ".join(part for part in parts if part) or "request failed"


def _failed(key, *, title: str, category: str, request: dict | None = None, details: str = "") -> SendResult:
    return SendResult(
        key=key, ok=False, http_status=None, provider_message_id=None, error_title=title[:255],
        error_details=details[:500], category=category, request=request or {},
    )


def _prepare(
    config, message, item: Outgoing, secrets: dict, builder: PayloadBuilder | None
) -> tuple[PreparedRequest, dict]:
    """The request for one recipient and its redacted copy for the log; raises on a render problem."""
    context = render_context(
        config=config, message=message, address=item.address, params=item.params or {}, secrets=secrets,
        builder=builder, reference=item.reference,
    )
    spec = config["request"]
    url = placeholders.render_string(spec["url"], context, url=True)
    headers = {}
    for name, value in (spec.get("headers") or {}).items():
        text = placeholders.as_text(placeholders.render_string(value, context))
        problem = header_problem(name, text)
        if problem:
            raise ValueError(problem)
        headers[name] = text
    body = placeholders.render(spec["body"], context) if "body" in spec else None
    if body is None:
        raw = None
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json")
    method = spec.get("method", "POST")
    log_request = {"method": method, "url": redact_text(url, secrets), "headers": redact(headers, secrets),
                   "body": redact(body, secrets)}
    return PreparedRequest(item.key, method, url, headers, raw, item.send_at), log_request


def _path_value(data, path: str):
    if not path:
        return None
    try:
        return placeholders.lookup(data, path)
    except placeholders.PlaceholderError:
        return None


def _retry_after_header(value: str) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _classify(config: dict, answer: RawAnswer, request: dict, secrets: dict) -> SendResult:
    rules = config["response"]
    excerpt = redact_text(answer.body[:RESPONSE_EXCERPT_LIMIT], secrets)
    if answer.not_sent:
        return SendResult(
            key=answer.key, ok=False, http_status=None, provider_message_id=None, error_title=answer.not_sent,
            category=ErrorCategory.THROTTLED, not_sent=True, request=request,
        )
    if answer.refused:
        return _failed(
            answer.key, title=redact_text(answer.refused, secrets), category=ErrorCategory.PERMANENT, request=request
        )
    if answer.http_status is None:
        category, hint = failure_classify(config, http_status=None)
        return SendResult(
            key=answer.key, ok=False, http_status=None, provider_message_id=None,
            error_title=redact_text(answer.network_error, secrets)[:255], category=category, retry_after=hint,
            timed_out=answer.timed_out, duration_ms=answer.duration_ms, request=request, response_body="",
        )
    try:
        data = json.loads(answer.body) if answer.body else {}
    except (ValueError, RecursionError):  # a provider's answer nested past Python's parser is no answer
        data = {}
    if answer.http_status in rules["successStatus"]:
        message_id = _path_value(data, rules["messageIdPath"])
        status = _path_value(data, rules["messageStatusPath"]) if rules.get("messageStatusPath") else None
        return SendResult(
            key=answer.key, ok=True, http_status=answer.http_status,
            provider_message_id=str(message_id) if message_id is not None else None,
            message_status=str(status)[:40] if isinstance(status, str | int) else "",
            duration_ms=answer.duration_ms, request=request, response_body=excerpt,
        )
    code = _path_value(data, rules["errorCodePath"])
    code = "" if code is None else str(code)
    category, hint = failure_classify(config, http_status=answer.http_status, code=code)
    header_hint = _retry_after_header(answer.headers.get("Retry-After", ""))
    title = _path_value(data, rules["errorTitlePath"])
    subcode = _path_value(data, rules["errorSubcodePath"])
    details = _path_value(data, rules["errorDetailsPath"])
    return SendResult(
        key=answer.key, ok=False, http_status=answer.http_status, provider_message_id=None,
        error_code=code, error_subcode="" if subcode is None else str(subcode),
        error_title=redact_text(str(title or f"HTTP {answer.http_status}"), secrets)[:255],
        error_details=redact_text("" if details is None else str(details), secrets)[:500],
        category=category, retry_after=header_hint if header_hint is not None else hint,
        policy=failure_policy(config, code), duration_ms=answer.duration_ms, request=request, response_body=excerpt,
    )


def send_batch_stream(
    transport, message: dict, outgoing: list[Outgoing], *, reserve: Reserve | None = None
) -> Iterator[list[SendResult]]:
    """Send `message` to every Outgoing, yielding results as they are known (keys say whose).

    Messages that cannot be sent (a render or URL problem) come first, then each chunk of
    answers as it arrives. Never raises for one message's failure. `reserve(count)` → (first slot,
    rate, how many) gives new slots to requests that missed theirs; one that gets none is `not_sent`.
    """
    config = transport_config(transport)
    secrets = transport_secrets(transport)  # decrypted once per batch
    builder = builder_of(config)
    refused: list[SendResult] = []
    prepared: list[PreparedRequest] = []
    logged: dict[int, dict] = {}
    guard = URLGuard()
    for position, item in enumerate(outgoing):
        try:
            request, log_request = _prepare(config, message, item, secrets, builder)
        except (placeholders.PlaceholderError, BuildError, ValueError, TypeError) as error:
            refused.append(_failed(item.key, title=redact_text(str(error), secrets), category=ErrorCategory.PERMANENT))
            continue
        try:
            guard.check(request.url)
        except UnsafeURLError as error:
            # This message's URL, not the transport's credentials: fail it alone, keep the transport sending.
            refused.append(_failed(
                item.key, title=redact_text(f"Refused URL: {error}", secrets), category=ErrorCategory.PERMANENT,
                request=log_request,
            ))
            continue
        request.key = position
        prepared.append(request)
        logged[position] = log_request
    if refused:
        yield refused
    answers = send_prepared_stream(
        prepared, session_key=(transport.pk, config_hash(config)), concurrency=int(config["concurrency"]),
        timeouts=config["timeouts"], reserve=reserve,
    )
    for chunk in answers:
        results = []
        for answer in chunk:
            result = _classify(config, answer, logged[answer.key], secrets)
            result.key = outgoing[answer.key].key
            result.requested_at = answer.requested_at
            results.append(result)
        yield results


def send_batch(transport, message: dict, outgoing: list[Outgoing]) -> list[SendResult]:
    """Send `message` to every Outgoing; results in the same order. Never raises for one message's failure."""
    results: list[SendResult | None] = [None] * len(outgoing)
    # Keyed by position while sending: callers' keys need not be unique or hashable.
    keyed = [Outgoing(key=index, address=item.address, params=item.params, send_at=item.send_at,
                      reference=item.reference) for index, item in enumerate(outgoing)]
    for chunk in send_batch_stream(transport, message, keyed):
        for result in chunk:
            index = result.key
            result.key = outgoing[index].key
            results[index] = result
    return results


def send_one(transport, message: dict, address: str, params: dict | None = None) -> SendResult:
    """One message now (the test-message path)."""
    item = Outgoing(key=0, address=address, params=params or {}, send_at=time.time())
    return send_batch(transport, message, [item])[0]
