"""Keep secrets and phone numbers out of logs, BroadcastLog rows and error messages."""

import json
import re
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"

# Header and query/body keys whose values are secret whatever they contain.
SENSITIVE_KEYS = frozenset({
    "authorization", "proxy-authorization", "x-api-key", "api-key", "apikey", "access_token",
    "accesstoken", "token", "app_secret", "appsecret", "client_secret", "password", "secret",
    "verify_token", "hub.verify_token", "x-hub-signature-256", "cookie", "set-cookie",
})
# Secrets shorter than this are not searched for in free text (they would match ordinary words).
_MIN_SECRET_LENGTH = 4
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/=]+")
_QUERY_SECRET = re.compile(
    r"(?i)((?:access_token|token|app_secret|client_secret|verify_token|password|key)=)[^&\s\"']+"
)


def _secret_values(secrets: dict | None) -> list[str]:
    values: set[str] = set()
    for value in (secrets or {}).values():
        if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
            # The raw value and the forms it takes in a URL or a JSON string.
            values.update({value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]})
    return sorted(values, key=len, reverse=True)  # longest first, so a prefix never leaves a tail


def redact_text(text: str, secrets: dict | None = None) -> str:
    """`text` with every secret value, bearer credential and secret-looking query parameter replaced."""
    for value in _secret_values(secrets):
        text = text.replace(value, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def redact(obj, secrets: dict | None = None):
    """A copy of `obj` (str, dict, list or scalar) with secrets removed; the input is not changed.

    Values under sensitive keys (Authorization, access_token…) are replaced whole; everywhere
    else the known secret values are cut out of strings, in any nesting.
    """
    if isinstance(obj, str):
        return redact_text(obj, secrets)
    if isinstance(obj, dict):
        return {key: _redact_item(key, value, secrets) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact(item, secrets) for item in obj]
    return obj


def _redact_item(key, value, secrets: dict | None):
    if str(key).lower() in SENSITIVE_KEYS and value not in ("", None):
        if isinstance(value, str) and _BEARER.match(value):
            return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
        return REDACTED
    return redact(value, secrets)


def mask_phone(digits: str) -> str:
    """A phone number fit for logs: country code and the last two digits kept ("1555*****01")."""
    digits = str(digits or "")
    if len(digits) <= 6:
        return "*" * len(digits) if digits else ""
    return f"{digits[:4]}{'*' * (len(digits) - 6)}{digits[-2:]}"


RESPONSE_EXCERPT_LIMIT = 2000
