"""What the generic engine asks of provider code: the payload builders, and how a failure is read.

A failure is read with Meta's catalogue for the whatsapp_cloud preset only. Any other API transport
is read by its HTTP status, unless its config's `errorRules` name the error code: a generic
provider's code 100 or 190 means whatever that provider says, not Meta's.
"""

from transports import defaults, placeholders
from transports.builders import PayloadBuilder
from transports.errors import ErrorCategory, error_rules_category, http_status_category
from transports.whatsapp import catalogue
from transports.whatsapp.payloads import WHATSAPP_BUILDER
from transports.whatsapp.preset import WHATSAPP_CLOUD

BUILDERS: dict[str, PayloadBuilder] = {builder.name: builder for builder in (WHATSAPP_BUILDER,)}


def payload_builder(request: dict) -> PayloadBuilder | None:
    """The builder a config's request asks for with {%<name>.payload%}, or None."""
    paths = placeholders.placeholder_paths(request)
    return next((builder for builder in BUILDERS.values() if builder.placeholder in paths), None)


def failure_policy(config: dict, code: object) -> str:
    """The provider's own handling of error `code` beyond its category ("" for none); the preset's only."""
    if config.get("preset") != WHATSAPP_CLOUD:
        return ""
    entry = catalogue.catalogue_entry(code) if code not in ("", None) else None
    return entry.policy if entry is not None else ""


def codes_with_policy(config: dict, policy: str) -> list[str]:
    """The error codes a transport with `config` handles with `policy` (the preset's catalogue only)."""
    if config.get("preset") != WHATSAPP_CLOUD:
        return []
    return [str(code) for code, entry in catalogue.CATALOGUE.items() if entry.policy == policy]


def failure_classify(config: dict, *, http_status: int | None, code: object = "") -> tuple[ErrorCategory, float | None]:
    """(category, retry-after hint) for a failed request through a transport with `config`."""
    if config.get("preset") == WHATSAPP_CLOUD:
        return catalogue.error_classify(http_status=http_status, code=code)
    return error_rules_category(config.get("errorRules"), code) or http_status_category(http_status), None


def retry_window(config: dict) -> float:
    """Seconds after a first attempt that transient failures keep being retried: the config's, else the preset's."""
    value = config.get("retryWindow")
    if value is not None:
        return float(value)
    return float(defaults.RETRY_WINDOW) if config.get("preset") == WHATSAPP_CLOUD else 0.0
