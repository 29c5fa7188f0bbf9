"""The WhatsApp Cloud preset: Meta's Cloud API as an API transport config plus secrets."""

WHATSAPP_CLOUD = "whatsapp_cloud"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
MESSAGES_URL = (
    "{%transport.config.baseUrl%}/{%transport.config.apiVersion%}/{%transport.config.phoneNumberId%}/messages"
)

# Shorthand field → secret name inside the transport's secrets.
SHORTHAND_SECRETS = {"access_token": "accessToken", "app_secret": "appSecret", "verify_token": "verifyToken"}
SHORTHAND_FIELDS = (
    "phone_number_id", "business_account_id", "api_version", "base_url", *SHORTHAND_SECRETS,
    "rate_limit", "max_attempts", "phone_strictness", "default_region", "concurrency", "timeouts",
)


def whatsapp_cloud_config(
    *, phone_number_id: str, business_account_id: str = "", api_version: str = DEFAULT_API_VERSION,
    base_url: str = DEFAULT_BASE_URL, rate_limit: float = 80, max_attempts: int = 3,
    phone_strictness: str = "valid", default_region: str | None = None, concurrency: int = 100,
    timeouts: dict | None = None,
) -> dict:
    """The full API transport config for Meta's Cloud API `/messages` endpoint (no secrets in it)."""
    config = {
        "preset": WHATSAPP_CLOUD,
        "baseUrl": str(base_url).rstrip("/"),
        "apiVersion": str(api_version),
        "phoneNumberId": str(phone_number_id),
        "request": {
            "method": "POST",
            "url": MESSAGES_URL,
            "headers": {"Authorization": "Bearer {%secrets.accessToken%}", "Content-Type": "application/json"},
            "body": "{%whatsapp.payload%}",
        },
        "validationAddress": "PHONE",
        "phoneStrictness": phone_strictness,
        "validationContent": "TEXT",
        "maxAttempts": int(max_attempts),
        "rateLimit": rate_limit,
        "concurrency": int(concurrency),
        "timeouts": {"connect": 5, "read": 15, **(timeouts or {})},
        "response": {
            "successStatus": [200, 201],
            "messageIdPath": "messages.0.id",
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
    return config


def whatsapp_cloud_options(config: dict) -> dict:
    """The shorthand options (no secrets) a stored whatsapp_cloud config was built from."""
    options = {
        "phone_number_id": config.get("phoneNumberId"),
        "business_account_id": config.get("businessAccountId"),
        "api_version": config.get("apiVersion"),
        "base_url": config.get("baseUrl"),
        "rate_limit": config.get("rateLimit"),
        "max_attempts": config.get("maxAttempts"),
        "phone_strictness": config.get("phoneStrictness"),
        "default_region": config.get("defaultRegion"),
        "concurrency": config.get("concurrency"),
        "timeouts": config.get("timeouts"),
    }
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
