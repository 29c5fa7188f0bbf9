"""OpenAPI examples of what following a session shows: the session, its broadcasts, and the answers of
the moves an integrator makes on it (pause, resume, trigger, cancel, reschedule, retarget)."""

from drf_spectacular.utils import OpenApiExample

from broadcasts.api.examples import SESSION_ID

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
    "send_at": None,
    "send_window": None,
    "waiting": None,
    "idempotency_key": "campaign-2026-11-25",
    "is_test": False,
    "retargeted_from": None,
    "callback_url": None,
    "estimated_cost": {
        "currency": "USD", "amount": "29.50", "category": "UTILITY", "example_rates": False,
        "rate_card_date": "2026-10-01",
        "by_country": {
            "BR": {"recipients": 700, "billable": 650, "free": 50, "rate": "0.01", "amount": "6.50"},
            "DE": {"recipients": 400, "billable": 400, "free": 0, "rate": "0.05", "amount": "20.00"},
            "unknown": {"recipients": 100, "billable": 100, "free": 0, "rate": "0.03", "amount": "3.00"},
        },
    },
    "cost": {
        "currency": "USD", "amount": "13.80", "billable": 540, "free": 30,
        "by_country": {
            "BR": {"billable": 310, "free": 30, "amount": "3.10"},
            "DE": {"billable": 190, "free": 0, "amount": "9.50"},
            "unknown": {"billable": 40, "free": 0, "amount": "1.20"},
        },
    },
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
    "reference": "order-1042",
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
    "pricing": {"billable": True, "category": "utility", "type": "regular", "amount": "0.01", "country": "US"},
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
        "pricing": None, "updated_at": "2026-11-25T08:00:02Z",
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
                "error_code": "", "error_title": "", "duration_ms": 182, "requested_at": "2026-11-25T08:00:01.816Z",
                "message": "", "event_at": None, "created_at": "2026-11-25T08:00:02Z",
            },
            {
                "id": 5391, "kind": "STATUS", "status": "DELIVERED", "attempt": 1, "request": None,
                "response_status": None, "response_body": "", "error_code": "", "error_title": "",
                "duration_ms": None, "requested_at": None, "message": "delivered", "event_at": "2026-11-25T08:00:04Z",
                "created_at": "2026-11-25T08:00:05Z",
            },
        ],
    },
)
RESCHEDULED = OpenApiExample(
    "Rescheduled",
    response_only=True,
    status_codes=["200"],
    value={
        **SESSION_VALUE, "status": "SCHEDULED", "started_at": None,
        "stats": {**SESSION_VALUE["stats"], "queued": 1200, "sending": 0, "sent": 0, "delivered": 0, "read": 0,
                  "failed": 0},
        "send_at": "2027-01-16T08:00:00Z",
        "send_window": {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"},
        "waiting": {"reason": "scheduled", "until": "2027-01-16T08:00:00Z"},
    },
)
RETARGETED = OpenApiExample(
    "A reminder to those who did not read",
    response_only=True,
    status_codes=["202"],
    value={
        **SESSION_VALUE, "id": "0c9e4b2d-7f3a-4e51-8d6b-2a1f9e3c5b70", "status": "NEW", "total": 430,
        "message": {"meta": {"templateName": "order_reminder", "language": "en_US", "parameters": ["B-1042"]}},
        "stats": {**SESSION_VALUE["stats"], "total": 430, "queued": 430, "sending": 0, "sent": 0, "delivered": 0,
                  "read": 0, "failed": 0},
        "idempotency_key": None, "retargeted_from": SESSION_ID, "started_at": None,
        "invalid": [], "duplicates": 0, "warnings": [],
    },
)
