"""Response examples shown in the OpenAPI docs: a WhatsApp Cloud API transport as the API answers it."""

from drf_spectacular.utils import OpenApiExample

TRANSPORT_VALUE = {
    "id": 1,
    "name": "whatsapp",
    "kind": "API",
    "config": {
        "preset": "whatsapp_cloud",
        "baseUrl": "https://graph.facebook.com",
        "apiVersion": "v23.0",
        "phoneNumberId": "100000000000001",
        "businessAccountId": "200000000000001",
        "request": {
            "method": "POST",
            "url": "{%transport.config.baseUrl%}/{%transport.config.apiVersion%}/{%transport.config.phoneNumberId%}"
            "/messages",
            "headers": {"Authorization": "Bearer {%secrets.accessToken%}", "Content-Type": "application/json"},
            "body": "{%whatsapp.payload%}",
        },
        "validationAddress": "PHONE",
        "phoneStrictness": "valid",
        "validationContent": "TEXT",
        "maxAttempts": 3,
        "rateLimit": 80,
        "concurrency": 100,
        "timeouts": {"connect": 5, "read": 15},
        "response": {
            "successStatus": [200, 201],
            "messageIdPath": "messages.0.id",
            "messageStatusPath": "messages.0.message_status",
            "errorCodePath": "error.code",
            "errorSubcodePath": "error.error_subcode",
            "errorTitlePath": "error.message",
            "errorDetailsPath": "error.error_data.details",
        },
    },
    "secrets": ["accessToken", "appSecret", "verifyToken"],
    "is_active": True,
    "stopped_at": None,
    "stopped_reason": "",
    "display_phone_number": "15550000001",
    "messaging_limit": "TIER_10K",
    "quality_rating": "GREEN",
    "limits_read_at": "2026-11-25T08:00:02Z",
    "marketing_messages_onboarding": "ONBOARDED",
    "marketing_onboarding_read_at": "2026-11-25T08:00:02Z",
    "quality_changes": [{
        "changed_at": "2026-11-24T17:41:00Z", "source": "webhook", "event": "UPGRADE",
        "old_messaging_limit": "TIER_2K", "new_messaging_limit": "TIER_10K",
        "old_quality_rating": "GREEN", "new_quality_rating": "GREEN",
    }],
    "created_at": "2026-11-20T09:30:00Z",
    "updated_at": "2026-11-20T09:30:00Z",
}
TRANSPORT = OpenApiExample(
    "WhatsApp Cloud API number", response_only=True, status_codes=["200", "201"], value=TRANSPORT_VALUE
)
STOPPED = OpenApiExample(
    "Stopped: Meta refused the token",
    response_only=True,
    status_codes=["200"],
    value={
        **TRANSPORT_VALUE, "is_active": True, "stopped_at": "2026-11-25T08:03:10Z",
        "stopped_reason": "Meta error 190: the access token expired or was revoked.",
    },
)
