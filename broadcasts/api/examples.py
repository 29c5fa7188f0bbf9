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
        "send_at": None,
        "send_window": None,
        "waiting": None,
        "idempotency_key": None,
        "is_test": False,
        "retargeted_from": None,
        "callback_url": None,
        "created_at": "2026-11-25T08:00:00Z",
        "started_at": None,
        "completed_at": None,
        "cancelled_at": None,
        "warnings": [],
        "invalid": [],
        "duplicates": 0,
    },
)

CREATE_SCHEDULED = OpenApiExample(
    "Scheduled, inside a send window",
    request_only=True,
    value={
        "transport": 1,
        "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "recipients": ["+14155550123", "+14155550124"],
        "send_at": "2027-01-15T09:00:00+01:00",
        "send_window": {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"},
    },
)
CREATED_SCHEDULED = OpenApiExample(
    "Accepted, scheduled",
    response_only=True,
    status_codes=["202"],
    value={
        **CREATED.value,
        "status": "SCHEDULED",
        "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "pause_reason": "",
        "send_at": "2027-01-15T08:00:00Z",
        "send_window": {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"},
        "waiting": {"reason": "scheduled", "until": "2027-01-15T08:00:00Z"},
    },
)
CREATED_OVER_LIMIT = OpenApiExample(
    "Accepted, past Meta's messaging limit",
    response_only=True,
    status_codes=["202"],
    value={
        **CREATED.value,
        "total": 600,
        "stats": {**CREATED.value["stats"], "total": 600, "queued": 600},
        "warnings": [{
            "code": "messaging_limit",
            "detail": "Meta's messaging limit of this business portfolio (TIER_2K) is 2000 unique recipients in "
            "24 hours; 1700 were messaged or are queued, and this session adds 600: 300 over. The recipients past "
            "the limit wait until the 24-hour window allows them.",
            "limit": 2000,
            "used": 1700,
            "over_by": 300,
        }],
    },
)
CREATE_WITH_CALLBACK = OpenApiExample(
    "With its own callback URL",
    request_only=True,
    value={
        "transport": 1,
        "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "recipients": [{"address": "+14155550123", "reference": "order-1042"}],
        "callback_url": "https://hooks.example.com/gateway/campaign-7",
    },
)
CREATED_WITH_CALLBACK = OpenApiExample(
    "Accepted, with its callback secret (shown once)",
    response_only=True,
    status_codes=["202"],
    value={
        **CREATED.value,
        "message": {"meta": {"templateName": "hello_world", "language": "en_US"}},
        "total": 1,
        "stats": {**CREATED.value["stats"], "total": 1, "queued": 1},
        "callback_url": "https://hooks.example.com/gateway/campaign-7",
        "callback_secret": "whsec_4kQ0cJ3n8mXvT2yZp1rLw9bS6dF5gH7aE0uI3oK8sNq",
    },
)
UNSAFE_CALLBACK_URL = OpenApiExample(
    "A private callback URL",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "unsafe_url",
        "detail": "callback_url: host 10.0.0.5 resolves to an address that is not globally routable (10.0.0.5); "
        "add it to TRANSPORT_ALLOWED_HOSTS to allow it",
        "callback_url": ["host 10.0.0.5 resolves to an address that is not globally routable (10.0.0.5); add it "
                         "to TRANSPORT_ALLOWED_HOSTS to allow it"],
    },
)
RESCHEDULE = OpenApiExample(
    "Start later", request_only=True, value={"send_at": "2027-01-16T09:00:00+01:00"}
)
RESCHEDULE_NOW = OpenApiExample(
    "Start now, and only in the evening (a window across midnight)",
    request_only=True,
    value={"send_at": None, "send_window": {"start": "18:00", "end": "02:00", "time_zone": "America/New_York"}},
)
NAIVE_SEND_AT = OpenApiExample(
    "send_at without an offset",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "invalid",
        "detail": "send_at: needs a UTC offset, e.g. 2027-01-15T09:00:00+01:00 or …Z.",
        "send_at": ["needs a UTC offset, e.g. 2027-01-15T09:00:00+01:00 or …Z."],
    },
)
PAST_SEND_AT = OpenApiExample(
    "send_at in the past",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "invalid",
        "detail": "send_at: is in the past (2026-11-01T09:00:00+01:00; now is 2026-11-25T08:00:00+00:00).",
        "send_at": ["is in the past (2026-11-01T09:00:00+01:00; now is 2026-11-25T08:00:00+00:00)."],
    },
)
BAD_TIME_ZONE = OpenApiExample(
    "Unknown time zone",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "invalid",
        "detail": 'send_window.time_zone: must be an IANA time zone name, e.g. "Europe/Madrid" or "UTC".',
        "send_window": {"time_zone": ['must be an IANA time zone name, e.g. "Europe/Madrid" or "UTC".']},
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

CREATE_CSV = OpenApiExample(
    "Recipients from a CSV file",
    summary="Recipients from a CSV file (multipart/form-data)",
    request_only=True,
    media_type="multipart/form-data",
    value={
        "transport": 1,
        "message": '{"meta": {"templateName": "appointment_reminder", "language": "en_US", '
        '"parameters": {"first_name": "there", "date": "Monday", "time": "10:00"}}}',
        "recipients_csv": "phone;first_name;date\r\n+1 415 555 0123;Ana;12 March\r\n+1 415 555 0124;Ben;\r\n",
        "address_column": "phone",
    },
)
CSV_REFUSED = [
    OpenApiExample(
        "Bad CSV rows",
        response_only=True,
        status_codes=["400"],
        value={
            "code": "invalid_recipients",
            "detail": "recipients_csv: row 3: impossible phone number (too short) (and 1 more problem)",
            "recipients_csv": [
                {"row": 3, "address": "12", "error": "impossible phone number (too short)"},
                {"row": 7, "address": "+1 415 555 0199;x", "error": "not a phone number (only digits, spaces, "
                 "dashes, brackets and a leading + or 00)"},
            ],
        },
    ),
    OpenApiExample(
        "No such address column",
        response_only=True,
        status_codes=["400"],
        value={
            "code": "missing_address_column",
            "detail": 'address_column: The CSV has no column "phone" (its header names "mobile", "name"): name the '
            'column with the addresses in address_column, or call it "phone".',
            "address_column": ['The CSV has no column "phone" (its header names "mobile", "name"): name the column '
                               'with the addresses in address_column, or call it "phone".'],
        },
    ),
    OpenApiExample(
        "Not UTF-8",
        response_only=True,
        status_codes=["400"],
        value={
            "code": "invalid_csv_encoding",
            "detail": "recipients_csv: The CSV is not UTF-8: line 2 has the byte 0xe9, which UTF-8 does not allow "
            'there (Windows-1252 or Latin-1, perhaps): save it as "CSV UTF-8" (Excel, LibreOffice and Google Sheets '
            "all offer it).",
            "recipients_csv": ["The CSV is not UTF-8: line 2 has the byte 0xe9, which UTF-8 does not allow there "
                               '(Windows-1252 or Latin-1, perhaps): save it as "CSV UTF-8" (Excel, LibreOffice and '
                               "Google Sheets all offer it)."],
        },
    ),
    OpenApiExample(
        "Too many rows",
        response_only=True,
        status_codes=["400"],
        value={
            "code": "too_many_recipients",
            "detail": "recipients_csv: At most 100,000 rows per CSV (MAX_RECIPIENTS_PER_SESSION); row 100002 is one "
            "more: split the list into several sessions.",
            "recipients_csv": ["At most 100,000 rows per CSV (MAX_RECIPIENTS_PER_SESSION); row 100002 is one more: "
                               "split the list into several sessions."],
        },
    ),
]
EXPORT_CSV = OpenApiExample(
    "Two recipients",
    response_only=True,
    status_codes=["200"],
    media_type="text/csv",
    value="id,address,params,status,sent_at,delivered_at,read_at,failed_at,wamid,error_code,error_title,attempts\r\n"
    '41,14155550123,"{""first_name"": ""Ana""}",READ,2026-11-25T08:00:01+00:00,2026-11-25T08:00:03+00:00,'
    "2026-11-25T08:04:10+00:00,,wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI,,,1\r\n"
    '42,14155550124,"{""first_name"": ""Ben""}",FAILED,,,,2026-11-25T08:00:02+00:00,,131026,'
    "Message undeliverable,1\r\n",
)
RETARGET = OpenApiExample(
    "Delivered but not read: a reminder",
    request_only=True,
    value={
        "statuses": ["DELIVERED"],
        "message": {"meta": {"templateName": "order_reminder", "language": "en_US", "parameters": ["B-1042"]}},
    },
)
RETARGET_NOBODY = OpenApiExample(
    "Nobody in these statuses",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "empty_selection",
        "detail": "statuses: No broadcast of this session is DELIVERED: there is nobody to retarget.",
        "statuses": ["No broadcast of this session is DELIVERED: there is nobody to retarget."],
    },
)
