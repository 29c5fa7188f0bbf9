"""The one error path: every refusal the gateway makes is a GatewayError, and every API error has one body.

The body of every API error (docs/errors.md, "The error body"):

    {"code": "session_not_paused", "detail": "Only a paused session can be resumed; this one is PENDING."}
    {"code": "invalid", "detail": "recipients: …", "recipients": [{"index": 1, "address": "12", "error": "…"}]}

`code` is machine-readable and stable, `detail` is one human sentence, and a problem with a field of the
request (a body field, a query parameter or a header) is also listed under that field's name, as before
`code` existed. No request field is called `code` or `detail`, so neither key is ever a field.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("gateway.api")

# Codes of the errors that are no GatewayError (DRF's own errors carry DRF's codes: not_found, parse_error…).
INVALID = "invalid"
INTERNAL_ERROR = "internal_error"
TOO_LARGE = "request_too_large"


class GatewayError(Exception):
    """A request the gateway refuses: `code` (machine-readable), `status` (HTTP), `message` (for people).

    `field` names the one field or parameter at fault; `errors` maps fields to their problems (the
    field-keyed part of the API body). Without a message, the first problem of `errors` is the message.
    Subclasses set the default `code` and `status`; a raise site may give its own.
    """

    code = INVALID
    status = 400

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        errors: dict | None = None,
        code: str | None = None,
        status: int | None = None,
    ):
        if not isinstance(message, str):
            raise TypeError(f"{type(self).__name__}'s message is text, not {type(message).__name__}")
        if errors is None:
            errors = {field: [message]} if field and message else {}
        if not message and not errors:
            raise ValueError(f"{type(self).__name__} needs a message or errors")
        self.field = field
        self.errors = errors
        self.message = (f"{field}: {message}" if field else message) if message else summary(errors)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        super().__init__(self.message)

    def body(self) -> dict:
        return error_body(self.code, self.message, self.errors)


def error_body(code: str, detail: str, errors: dict | None = None) -> dict:
    """The one API error body: `code`, `detail`, then each field's problems under its name."""
    body = {"code": code, "detail": detail}
    for field, problems in (errors or {}).items():
        body.setdefault(field, problems)
    return body


def summary(errors) -> str:
    """One sentence for field-keyed problems: the first one, with its field, and how many others there are."""
    problems = list(_problems(errors, ""))
    if not problems:
        return "The request is invalid."
    path, text = problems[0]
    first = text if not path or text.startswith((f"{path}:", f"{path}.")) else f"{path}: {text}"
    more = len(problems) - 1
    return first if not more else f"{first} (and {more} more problem{'s' if more > 1 else ''})"


def _problems(value, path: str):
    """(field path, text) for every problem in DRF-style error detail, in order."""
    if isinstance(value, dict):
        if isinstance(value.get("error"), str):  # a reported item, e.g. a recipient {"index", "address", "error"}
            index, row = value.get("index"), value.get("row")
            if row is not None:  # a CSV row {"row", "address", "error"}: numbered as a spreadsheet shows it
                yield path, f"row {row}: {value['error']}"
                return
            yield (f"{path}.{index}" if index is not None and path else path), value["error"]
            return
        for key, child in value.items():
            name = "" if key == "non_field_errors" else str(key)  # DRF's key for the body as a whole
            yield from _problems(child, ".".join(part for part in (path, name) if part))
    elif isinstance(value, list | tuple):
        for child in value:
            yield from _problems(child, path)
    elif value is not None:
        yield path, str(value)


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: a GatewayError, any DRF error and any unexpected error, each as the one body.

    An unexpected error is a JSON 500 that says nothing of the server or other tenants: Django's DEBUG
    page would show settings, the environment and the objects of the failing query. It is logged with
    its traceback and signalled as Django signals an unhandled one.
    """
    # Imported here: DRF imports its settings (and so this module) while it builds APIView.
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig
    from django.core.signals import got_request_exception
    from rest_framework.exceptions import ValidationError
    from rest_framework.response import Response
    from rest_framework.views import exception_handler, set_rollback

    if isinstance(exc, GatewayError):
        set_rollback()
        return Response(exc.body(), status=exc.status)
    if isinstance(exc, RequestDataTooBig):  # Django's, raised when DRF reads the body: not a server error
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body(TOO_LARGE, f"The body is larger than {limit} bytes (MAX_REQUEST_BYTES)."), 413)
    response = exception_handler(exc, context)  # DRF's: Http404 → NotFound, auth headers, Retry-After, rollback
    if response is not None:
        response.data = _drf_body(response.data, validation=isinstance(exc, ValidationError))
        return response
    request = context.get("request")
    logger.error("unexpected error answering %s", getattr(request, "path", "?"), exc_info=exc)
    got_request_exception.send(sender=None, request=getattr(request, "_request", request))
    set_rollback()
    detail = "Internal error: the request was not completed. It has been logged."
    return Response(error_body(INTERNAL_ERROR, detail), status=500)


def _drf_body(data, *, validation: bool) -> dict:
    """DRF's error data ({"detail": …} or field-keyed problems) as the one body; DRF's own code is the code."""
    if not validation and isinstance(data, dict) and set(data) == {"detail"}:
        detail = data["detail"]
        return error_body(getattr(detail, "code", None) or "error", str(detail))
    errors = data if isinstance(data, dict) else {}
    return error_body(INVALID, summary(data), errors)
