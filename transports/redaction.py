"""Keep secrets and phone numbers out of logs, BroadcastLog rows and error messages."""

import json
import re
from urllib.parse import quote, quote_plus

from transports.addresses import BSUID_PATTERN, PHONE_DIGITS, PHONE_KEYS

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
    """A phone number (or user id) fit for logs: its first four and last two characters kept ("1555*****01")."""
    digits = str(digits or "")
    if len(digits) <= 6:
        return "*" * len(digits) if digits else ""
    return f"{digits[:4]}{'*' * (len(digits) - 6)}{digits[-2:]}"


RESPONSE_EXCERPT_LIMIT = 2000


# --- Personal data: template parameters and phone numbers -------------------------------------

# Keys of a WhatsApp parameter object that describe it rather than hold the person's data.
_PARAMETER_SHAPE_KEYS = frozenset({"type", "parameter_name", "sub_type", "index"})
_NOT_PERSONAL_KEYS = _PARAMETER_SHAPE_KEYS | {"language", "templateName", "code", "policy"}
_PHONE_VALUE = re.compile(rf"^(?:\+?{PHONE_DIGITS}|{BSUID_PATTERN})$")
_PHONE_KEYS_PATTERN = "|".join(sorted(PHONE_KEYS))
_PHONE_IN_JSON_TEXT = re.compile(
    rf'("(?:{_PHONE_KEYS_PATTERN})"\s*:\s*")(\+?{PHONE_DIGITS}|{BSUID_PATTERN})(")'
)


def parameter_values(*sources) -> list[str]:
    """Every leaf value (as text) of the given parameter structures: what a log must not keep."""
    values: list[str] = []

    def walk(obj, key=None):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, k)
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item, key)
        elif obj not in (None, "") and not isinstance(obj, bool) and key not in _NOT_PERSONAL_KEYS:
            values.append(str(obj))

    for source in sources:
        walk(source)
    return values


def parameters_redacted(obj, values: list[str]):
    """A copy of a request (dict) or response body (str) without the message's parameters.

    WhatsApp parameter objects (under a "parameters" key) keep only their type and name; any other
    string has the given `values` (4+ characters, as with secrets) cut out, for transports that
    place `{%recipient.params.x%}` anywhere in their body.
    """
    secrets = {str(i): value for i, value in enumerate(values)}
    if isinstance(obj, dict):
        obj = _whatsapp_parameters_redacted(obj)
    return redact(obj, secrets)


def _whatsapp_parameters_redacted(obj, under_parameters: bool = False):
    if isinstance(obj, dict):
        return {
            key: value if under_parameters and key in _PARAMETER_SHAPE_KEYS
            else _whatsapp_parameters_redacted(value, under_parameters or key == "parameters")
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [_whatsapp_parameters_redacted(item, under_parameters) for item in obj]
    if under_parameters and obj not in (None, ""):
        return REDACTED
    return obj


def phones_masked(obj, known: tuple[str, ...] = ()):
    """A copy of `obj` (str, dict, list) fit for staff without the personal-data permission.

    Values under phone keys (to, wa_id, recipient_id…) are masked, in JSON objects and in JSON
    text; the `known` numbers (e.g. the broadcast's address) are masked wherever they appear.
    """
    if isinstance(obj, str):
        text = _PHONE_IN_JSON_TEXT.sub(lambda m: f"{m.group(1)}{_phone_value_masked(m.group(2))}{m.group(3)}", obj)
        for number in sorted(filter(None, known), key=len, reverse=True):
            text = text.replace(number, mask_phone(number))
        return text
    if isinstance(obj, dict):
        return {
            key: _phone_value_masked(value) if str(key).lower() in PHONE_KEYS and isinstance(value, str)
            else phones_masked(value, known)
            for key, value in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [phones_masked(item, known) for item in obj]
    return obj


def _phone_value_masked(value: str) -> str:
    if _PHONE_VALUE.match(value):
        plus = "+" if value.startswith("+") else ""
        return plus + mask_phone(value.lstrip("+"))
    return value


# A run of 8 or more digits, perhaps with a "+": a phone number in free text. Meta's error codes
# (at most 6 digits) and years are kept.
_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(\+?)(\d{8,20})(?!\d)")


def numbers_masked(text: str) -> str:
    """`text` with every phone-number-like run of digits masked, for text gathered from many recipients."""
    return _NUMBER_IN_TEXT.sub(lambda m: m.group(1) + mask_phone(m.group(2)), text or "")
