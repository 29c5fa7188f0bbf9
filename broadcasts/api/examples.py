"""Request and response examples shown in the OpenAPI docs (WhatsApp template sends)."""

from drf_spectacular.utils import OpenApiExample

SESSION_ID = "6f1c2a7e-0d55-4a4e-9a51-2b0f1f6f2c11"

CREATE_TEMPLATE = OpenApiExample(
    "Template with positional parameters",
    request_only=True,
    value={
        "transport": 1,
        "message": {
            "meta": {
                "templateName": "order_confirmation",
                "language": "en_US",
                "parameters": ["Ana", "B-1042", "Friday"],
            }
        },
        "recipients": [
            "+1 415 555 0123",
            {"address": "+14155550124", "params": {"parameters": ["Ben", "B-1043", "Monday"]}},
        ],
    },
)
CREATE_IMAGE = OpenApiExample(
    "Template with an image header",
    request_only=True,
    value={
        "transport": 1,
        "message": {
            "meta": {
                "templateName": "promo_image",
                "language": "en_US",
                "header": {"type": "image", "link": "https://example.com/collection.jpg"},
                "parameters": ["Ana"],
            }
        },
        "recipients": ["+14155550123"],
    },
)
CREATED = OpenApiExample(
    "Accepted",
    response_only=True,
    status_codes=["202", "200"],
    value={
        "id": SESSION_ID,
        "transport": 1,
        "status": "NEW",
        "message": {
            "meta": {
                "templateName": "order_confirmation",
                "language": "en_US",
                "parameters": ["Ana", "B-1042", "Friday"],
            }
        },
        "total": 2,
        "stats": {
            "total": 2,
            "queued": 2,
            "sending": 0,
            "unknown": 0,
            "sent": 0,
            "delivered": 0,
            "read": 0,
            "failed": 0,
            "cancelled": 0,
            "suppressed": 0,
        },
        "error": "",
        "pause_reason": "",
        "idempotency_key": None,
        "is_test": False,
        "created_at": "2026-11-25T08:00:00Z",
        "started_at": None,
        "completed_at": None,
        "cancelled_at": None,
        "invalid": [],
        "duplicates": 0,
    },
)

NOBODY = OpenApiExample(
    "Not an address",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "invalid_address",
        "detail": "address: not a phone number, a BSUID or a wamid (e.g. +1 202 555 0101, US.13491208655302741918, "
        "wamid.…)",
        "address": ["not a phone number, a BSUID or a wamid (e.g. +1 202 555 0101, US.13491208655302741918, wamid.…)"],
    },
)
ERASE = OpenApiExample("Erase a number", request_only=True, value={"address": "+1 202 555 0101"})
ERASED = OpenApiExample(
    "Erased",
    response_only=True,
    status_codes=["200"],
    value={
        "id": 7,
        "erased_at": "2025-01-15T10:00:00Z",
        "dry_run": False,
        "counts": {
            "broadcasts": 3, "sessions": 1, "cancelled": 0, "logs": 8, "inbound_messages": 2, "webhook_events": 4,
        },
    },
)
ERASE_DRY_RUN = OpenApiExample(
    "Dry run (?dry_run=true)",
    response_only=True,
    status_codes=["200"],
    value={
        "id": None,
        "erased_at": None,
        "dry_run": True,
        "counts": {
            "broadcasts": 3, "sessions": 1, "cancelled": 0, "logs": 8, "inbound_messages": 2, "webhook_events": 4,
        },
    },
)

# A session part-way through: what following it (GET /sessions/{id}) shows.
SESSION_VALUE = {
    "id": SESSION_ID,
    "transport": 1,
    "status": "PENDING",
    "message": {
        "meta": {"templateName": "order_confirmation", "language": "en_US", "parameters": ["Ana", "B-1042", "Friday"]}
    },
    "total": 1200,
    "stats": {
        "total": 1200, "queued": 340, "sending": 20, "unknown": 0, "sent": 260, "delivered": 430, "read": 140,
        "failed": 10, "cancelled": 0, "suppressed": 0,
    },
    "error": "",
    "pause_reason": "",
    "idempotency_key": "campaign-2026-11-25",
    "is_test": False,
    "created_at": "2026-11-25T08:00:00Z",
    "started_at": "2026-11-25T08:00:01Z",
    "completed_at": None,
    "cancelled_at": None,
}
SESSION = OpenApiExample("Sending", response_only=True, status_codes=["200"], value=SESSION_VALUE)
PAUSED = OpenApiExample(
    "Paused", response_only=True, status_codes=["200"],
    value={**SESSION_VALUE, "status": "PAUSED", "pause_reason": "operator", "error": "Paused by an operator."},
)
RESUMED = OpenApiExample("Sending again", response_only=True, status_codes=["200"], value=SESSION_VALUE)
CANCELLED = OpenApiExample(
    "340 queued broadcasts cancelled",
    response_only=True,
    status_codes=["200"],
    value={
        "count": 340,
        "session": {
            **SESSION_VALUE, "status": "CANCELLED", "cancelled_at": "2026-11-25T08:20:00Z",
            "stats": {**SESSION_VALUE["stats"], "queued": 0, "cancelled": 340},
        },
    },
)
TRIGGERED = OpenApiExample(
    "10 failed broadcasts queued again",
    response_only=True,
    status_codes=["200"],
    value={"count": 10, "session": {**SESSION_VALUE, "stats": {**SESSION_VALUE["stats"], "failed": 0, "queued": 350}}},
)

BROADCAST_VALUE = {
    "id": 981,
    "session": SESSION_ID,
    "address": "14155550123",
    "params": {"parameters": ["Ana", "B-1042", "Friday"]},
    "status": "DELIVERED",
    "attempts": 1,
    "wamid": "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
    "message_status": "accepted",
    "error_code": "",
    "error_title": "",
    "error_category": "",
    "next_attempt_at": None,
    "sent_at": "2026-11-25T08:00:02Z",
    "delivered_at": "2026-11-25T08:00:04Z",
    "read_at": None,
    "failed_at": None,
    "updated_at": "2026-11-25T08:00:04Z",
}
BROADCAST = OpenApiExample("Delivered", response_only=True, status_codes=["200"], value=BROADCAST_VALUE)
BROADCAST_FAILED = OpenApiExample(
    "Failed: not a WhatsApp number",
    response_only=True,
    status_codes=["200"],
    value={
        **BROADCAST_VALUE, "id": 982, "address": "14155550124", "status": "FAILED", "wamid": None,
        "message_status": "", "error_code": "131026", "error_title": "Message undeliverable",
        "error_category": "PERMANENT", "sent_at": None, "delivered_at": None, "failed_at": "2026-11-25T08:00:02Z",
        "updated_at": "2026-11-25T08:00:02Z",
    },
)
BROADCAST_DETAIL = OpenApiExample(
    "Delivered, with its history",
    response_only=True,
    status_codes=["200"],
    value={
        **BROADCAST_VALUE,
        "logs": [
            {
                "id": 5120, "kind": "ATTEMPT", "status": "SENT", "attempt": 1,
                "request": {
                    "method": "POST", "url": "https://graph.facebook.com/v23.0/100000000000001/messages",
                    "headers": {"Authorization": "Bearer [redacted]"},
                    "body": {"messaging_product": "whatsapp", "to": "1415555****", "type": "template"},
                },
                "response_status": 200,
                "response_body": '{"messaging_product":"whatsapp","contacts":[{"input":"1415555****"}],'
                '"messages":[{"id":"wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",'
                '"message_status":"accepted"}]}',
                "error_code": "", "error_title": "", "duration_ms": 182, "message": "",
                "event_at": None, "created_at": "2026-11-25T08:00:02Z",
            },
            {
                "id": 5391, "kind": "STATUS", "status": "DELIVERED", "attempt": 1, "request": None,
                "response_status": None, "response_body": "", "error_code": "", "error_title": "",
                "duration_ms": None, "message": "delivered", "event_at": "2026-11-25T08:00:04Z",
                "created_at": "2026-11-25T08:00:05Z",
            },
        ],
    },
)
