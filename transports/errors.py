"""The categories every failed send is sorted into, whatever the provider: they decide what the gateway does."""

from django.db import models


class ErrorCategory(models.TextChoices):
    TRANSIENT = "TRANSIENT", "Transient (retried with backoff)"
    THROTTLED = "THROTTLED", "Throttled (sent slower, retried later)"
    PERMANENT = "PERMANENT", "Permanent (will not succeed as sent: not retried)"
    AUTH = "AUTH", "Auth (account, token or config: the transport stops)"


# What a sender does for an error beyond its category's rule, when the provider's catalogue says so.
HOLD_SESSION = "hold_session"  # the message's template is paused or disabled: its session waits, nothing fails
NEXT_DAY = "next_day"  # not today, for this recipient (Meta's per-user marketing limit): a day later, if opted in


def http_status_category(http_status: int | None) -> ErrorCategory:
    """The category the HTTP status alone gives: none (network error), 5xx and 408 are transient,
    429 throttled, 401/403 auth, any other status permanent."""
    if http_status is None or http_status >= 500 or http_status == 408:
        return ErrorCategory.TRANSIENT
    if http_status == 429:
        return ErrorCategory.THROTTLED
    if http_status in (401, 403):
        return ErrorCategory.AUTH
    return ErrorCategory.PERMANENT


# A generic transport's `errorRules`: provider error codes (read at response.errorCodePath) per category.
ERROR_RULE_CATEGORIES = {
    "permanent": ErrorCategory.PERMANENT,
    "retryable": ErrorCategory.TRANSIENT,
    "throttled": ErrorCategory.THROTTLED,
    "auth": ErrorCategory.AUTH,
}


def error_rules_category(rules: dict | None, code: object) -> ErrorCategory | None:
    """The category `rules` give the error `code` (codes compare as text: 190 matches "190"), or None."""
    if not rules or code in ("", None):
        return None
    wanted = str(code).strip()
    for name, category in ERROR_RULE_CATEGORIES.items():
        if any(str(listed).strip() == wanted for listed in rules.get(name) or ()):
            return category
    return None
