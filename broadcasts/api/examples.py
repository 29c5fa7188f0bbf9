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
    status_codes=["202"],
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
        },
        "error": "",
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
