"""What the OpenAPI schema says of errors: the one error body (errors.py) and the statuses an operation answers.

`errors(400, 404, 409)` is the `responses` part of an operation's `extend_schema` for its error statuses;
401 is added to every operation, since every one needs a key.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

SESSION_ID = "6f1c2a7e-0d55-4a4e-9a51-2b0f1f6f2c11"


class ErrorOutput(serializers.Serializer):
    """The body of every API error (docs/errors.md)."""

    code = serializers.CharField(help_text="What went wrong, for programs (docs/errors.md lists every code).")
    detail = serializers.CharField(help_text="The same in words, for people.")


class ErrorOutputScheme(OpenApiSerializerExtension):
    """ErrorOutput with the rest of the body: each field at fault, under its name, with its problems."""

    target_class = ErrorOutput

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = {
            "description": "A request field, query parameter or header at fault: its problems, as a list "
            '(recipients by index: {"index", "address", "error"}; a CSV\'s rows by number: {"row", "address", '
            '"error"}; a nested field as an object of lists).',
        }
        return schema


def _example(name: str, status: int, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


# The examples shown for each status unless an operation gives its own.
EXAMPLES = {
    400: [
        _example(
            "Invalid recipients",
            400,
            {
                "code": "invalid_recipients",
                "detail": "recipients.1: impossible phone number (too short)",
                "recipients": [{"index": 1, "address": "12", "error": "impossible phone number (too short)"}],
            },
        ),
        _example(
            "Template parameters that do not fit",
            400,
            {
                "code": "template_not_usable",
                "detail": "message: Template order_confirmation expects 3 body parameter(s), got 2.",
                "message": ["Template order_confirmation expects 3 body parameter(s), got 2."],
            },
        ),
    ],
    401: [
        _example(
            "No key", 401, {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}
        ),
        _example(
            "A Bearer token instead of an Api-Key",
            401,
            {
                "code": "authentication_failed",
                "detail": "Send the key as `Authorization: Api-Key <key>`: "
                "no other scheme (such as Bearer) is accepted.",
            },
        ),
    ],
    404: [_example("Not in your app", 404, {"code": "not_found", "detail": "No such session."})],
    409: [
        _example(
            "Idempotency-Key reused",
            409,
            {
                "code": "idempotency_key_reused",
                "detail": "This Idempotency-Key was already used with a different request body.",
            },
        )
    ],
    413: [
        _example(
            "Body too large", 413,
            {"code": "request_too_large", "detail": "The body is larger than 20971520 bytes (MAX_REQUEST_BYTES)."},
        )
    ],
    415: [
        _example(
            "Not JSON",
            415,
            {"code": "unsupported_media_type", "detail": 'Unsupported media type "text/plain" in request.'},
        )
    ],
    502: [
        _example(
            "Meta unreachable",
            502,
            {
                "code": "meta_unavailable",
                "detail": "meta: Meta could not be reached (connection refused)",
                "meta": ["Meta could not be reached (connection refused)"],
            },
        )
    ],
}

WHEN = {
    400: "Invalid request (nothing was stored): each field at fault is listed under its name.",
    401: "No key, an unknown, revoked or expired key, or a key sent with another scheme than `Api-Key`.",
    404: "No such object in your app (another app's ids answer the same), or a page past the last.",
    409: "The object's state does not allow this.",
    413: "The body is larger than MAX_REQUEST_BYTES.",
    415: "The body is not application/json.",
    502: "Meta could not be reached or failed; nothing was changed.",
}


def errors(*statuses: int, examples: dict[int, list[OpenApiExample]] | None = None, **when: str) -> dict:
    """`responses` entries for these error statuses (and 401), each with the error body and examples.

    `when` gives an operation's own words for a status (`when_409="The session is not paused."`).
    """
    answers = {}
    for status in sorted({401, *statuses}):
        answers[status] = OpenApiResponse(
            ErrorOutput,
            description=when.get(f"when_{status}", WHEN[status]),
            examples=(examples or {}).get(status, EXAMPLES[status]),
        )
    return answers


def not_found_example(detail: str) -> OpenApiExample:
    return _example("Not in your app", 404, {"code": "not_found", "detail": detail})


def conflict(name: str, code: str, detail: str) -> dict[int, list[OpenApiExample]]:
    """An operation's own 409 example."""
    return {409: [_example(name, 409, {"code": code, "detail": detail})]}
