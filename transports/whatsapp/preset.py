"""The WhatsApp Cloud preset: Meta's Cloud API as an API transport config plus secrets."""

from transports import defaults
from transports.addresses import PHONE, STRICT_VALID

WHATSAPP_CLOUD = "whatsapp_cloud"  # the config's "preset": it reads Meta's error catalogue
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
MESSAGES_URL = (
    "{%transport.config.baseUrl%}/{%transport.config.apiVersion%}/{%transport.config.phoneNumberId%}/messages"
)
# With marketingMessages on, the WhatsApp builder names the endpoint per message: marketing_messages for a
# MARKETING template, messages for everything else.
ROUTED_URL = (
    "{%transport.config.baseUrl%}/{%transport.config.apiVersion%}/{%transport.config.phoneNumberId%}"
    "/{%whatsapp.endpoint%}"
)
# The Marketing Messages API: off (every send on /messages), prefer (MARKETING templates on
# /marketing_messages, Meta falling back to the Cloud API where the number is not onboarded), only (no fallback).
MARKETING_OFF, MARKETING_PREFER, MARKETING_ONLY = "off", "prefer", "only"
MARKETING_MODES = (MARKETING_OFF, MARKETING_PREFER, MARKETING_ONLY)

# Graph API ids are digits; API versions read v23.0 (the config schema and the API's shorthand check both).
GRAPH_ID_PATTERN = r"^[0-9]+$"
API_VERSION_PATTERN = r"^v[0-9]+\.[0-9]+$"

# The shorthand's options (the arguments of whatsapp_cloud_config) → the config key each one sets.
SHORTHAND_OPTIONS = {
    "phone_number_id": "phoneNumberId", "business_account_id": "businessAccountId", "api_version": "apiVersion",
    "base_url": "baseUrl", "rate_limit": "rateLimit", "max_attempts": "maxAttempts", "retry_window": "retryWindow",
    "phone_strictness": "phoneStrictness", "default_region": "defaultRegion", "concurrency": "concurrency",
    "timeouts": "timeouts", "marketing_messages": "marketingMessages",
}
# Shorthand field → secret name inside the transport's secrets.
SHORTHAND_SECRETS = {"access_token": "accessToken", "app_secret": "appSecret", "verify_token": "verifyToken"}
SHORTHAND_FIELDS = (*SHORTHAND_OPTIONS, *SHORTHAND_SECRETS)


def whatsapp_cloud_config(
    *, phone_number_id: str, business_account_id: str = "", api_version: str = DEFAULT_API_VERSION,
    base_url: str = DEFAULT_BASE_URL, rate_limit: float = defaults.RATE_LIMIT,
    max_attempts: int = defaults.MAX_ATTEMPTS, retry_window: float = defaults.RETRY_WINDOW,
    phone_strictness: str = STRICT_VALID, default_region: str | None = None,
    concurrency: int = defaults.CONCURRENCY,
    timeouts: dict | None = None, marketing_messages: str = MARKETING_OFF,
) -> dict:
    """The full API transport config for Meta's Cloud API `/messages` endpoint (no secrets in it).

    With `marketing_messages` prefer or only, MARKETING templates go to `/marketing_messages` instead.
    """
    if marketing_messages not in MARKETING_MODES:
        raise ValueError(f"whatsapp_cloud.marketing_messages: must be one of {', '.join(MARKETING_MODES)}")
    config = {
        "preset": WHATSAPP_CLOUD,
        "baseUrl": str(base_url).rstrip("/"),
        "apiVersion": str(api_version),
        "phoneNumberId": str(phone_number_id),
        "request": {
            "method": "POST",
            "url": MESSAGES_URL if marketing_messages == MARKETING_OFF else ROUTED_URL,
            "headers": {"Authorization": "Bearer {%secrets.accessToken%}", "Content-Type": "application/json"},
            "body": "{%whatsapp.payload%}",
        },
        "validationAddress": PHONE,
        "phoneStrictness": phone_strictness,
        "validationContent": "TEXT",
        "maxAttempts": int(max_attempts),
        "retryWindow": retry_window,
        "rateLimit": rate_limit,
        "concurrency": int(concurrency),
        "timeouts": {**defaults.TIMEOUTS, **(timeouts or {})},
        "response": {
            "successStatus": [200, 201],
            "messageIdPath": "messages.0.id",
            "messageStatusPath": "messages.0.message_status",
            "errorCodePath": "error.code",
            "errorSubcodePath": "error.error_subcode",
            "errorTitlePath": "error.message",
            "errorDetailsPath": "error.error_data.details",
        },
    }
    if business_account_id:
        config["businessAccountId"] = str(business_account_id)
    if default_region:
        config["defaultRegion"] = default_region
    if marketing_messages != MARKETING_OFF:
        config["marketingMessages"] = marketing_messages
    return config


def whatsapp_cloud_options(config: dict) -> dict:
    """The shorthand options (no secrets) a stored whatsapp_cloud config was built from."""
    options = {option: config.get(key) for option, key in SHORTHAND_OPTIONS.items()}
    return {name: value for name, value in options.items() if value is not None}


def whatsapp_cloud_expand(shorthand: dict, *, token_required: bool = True) -> tuple[dict, dict]:
    """(config, secrets) from the API's `whatsapp_cloud` shorthand; raises ValueError naming the field.

    `token_required` is False on an update of a transport that already stores its access token.
    """
    if not isinstance(shorthand, dict):
        raise ValueError("whatsapp_cloud: must be an object")
    unknown = sorted(set(shorthand) - set(SHORTHAND_FIELDS))
    if unknown:
        raise ValueError(f"whatsapp_cloud.{unknown[0]}: unknown field (allowed: {', '.join(SHORTHAND_FIELDS)})")
    for required in ("phone_number_id", "access_token") if token_required else ("phone_number_id",):
        if not shorthand.get(required):
            raise ValueError(f"whatsapp_cloud.{required}: is required")
    options = {k: v for k, v in shorthand.items() if k not in SHORTHAND_SECRETS and v is not None}
    config = whatsapp_cloud_config(**options)
    secrets = {name: str(shorthand[field]) for field, name in SHORTHAND_SECRETS.items() if shorthand.get(field)}
    return config, secrets
