"""How a failed answer is read: with Meta's catalogue for the whatsapp_cloud preset only.

Any other API transport is read by its HTTP status, unless its config's `errorRules` name the
error code: a generic provider's code 100 or 190 means whatever that provider says, not Meta's.
"""

from transports.errors import ErrorCategory, error_rules_category, http_status_category
from transports.whatsapp import catalogue
from transports.whatsapp.preset import WHATSAPP_CLOUD


def failure_classify(config: dict, *, http_status: int | None, code: object = "") -> tuple[ErrorCategory, float | None]:
    """(category, retry-after hint) for a failed request through a transport with `config`."""
    if config.get("preset") == WHATSAPP_CLOUD:
        return catalogue.error_classify(http_status=http_status, code=code)
    return error_rules_category(config.get("errorRules"), code) or http_status_category(http_status), None
