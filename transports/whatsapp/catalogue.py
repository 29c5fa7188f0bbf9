"""Meta's error catalogue: one table from error code to how a sender should react.

Meta returns throttling as HTTP 400 and some auth failures as 500, so the status code alone
lies; the code in the body decides, the HTTP status is the fallback when there is no code.
"""

from dataclasses import dataclass

from transports.errors import HOLD_SESSION, NEXT_DAY, ErrorCategory, http_status_category

TRANSIENT, THROTTLED, PERMANENT, AUTH = (
    ErrorCategory.TRANSIENT, ErrorCategory.THROTTLED, ErrorCategory.PERMANENT, ErrorCategory.AUTH
)


@dataclass(frozen=True)
class CatalogueEntry:
    category: ErrorCategory
    title: str
    retry_after: float | None = None  # seconds to wait before the next attempt, when Meta's docs suggest one
    policy: str = ""  # a FailurePolicy of transports.errors, or ""


# code: (category, short title, retry-after hint in seconds)
_TABLE: dict[int, tuple[ErrorCategory, str, float | None]] = {
    0: (AUTH, "Could not authenticate the app or user", None),
    1: (TRANSIENT, "Unknown API error", 5),
    2: (TRANSIENT, "Temporary API service downtime", 10),
    3: (AUTH, "App lacks the capability for this method", None),
    4: (THROTTLED, "App-level API call-rate limit", 60),
    10: (AUTH, "Permission not granted or removed", None),
    33: (AUTH, "Business phone number deleted", None),
    100: (PERMANENT, "Invalid parameter", None),
    190: (AUTH, "Access token expired or invalidated", None),
    368: (AUTH, "Temporarily blocked for policy violations", None),
    80007: (THROTTLED, "WhatsApp Business Account rate limit reached", 60),
    80008: (THROTTLED, "Too many calls to this WhatsApp Business Account", 60),
    130429: (THROTTLED, "Cloud API throughput reached", 1),
    130472: (PERMANENT, "Recipient is part of a Meta experiment", None),
    130497: (AUTH, "Business account restricted from messaging users in this country", None),
    131000: (TRANSIENT, "Something went wrong on Meta's side", 5),
    131005: (AUTH, "Access denied", None),
    131008: (PERMANENT, "Required parameter missing", None),
    131009: (PERMANENT, "Parameter value not valid", None),
    131016: (TRANSIENT, "Service temporarily unavailable", 10),
    131021: (PERMANENT, "Recipient is the sender", None),
    131026: (PERMANENT, "Message undeliverable", None),
    131030: (PERMANENT, "Recipient not in the allowed list", None),
    131031: (AUTH, "Business account locked", None),
    131037: (AUTH, "Display name not approved", None),
    131042: (AUTH, "Business eligibility or payment problem", None),
    131045: (AUTH, "Phone number certificate problem", None),
    131047: (PERMANENT, "More than 24 hours since the user last wrote", None),
    131048: (THROTTLED, "Spam rate limit hit", 3600),
    131049: (PERMANENT, "Meta chose not to deliver (per-user marketing limit)", 86400),
    131050: (PERMANENT, "User stopped marketing messages", None),
    131051: (PERMANENT, "Unsupported message type", None),
    131052: (PERMANENT, "Media download error (inbound media)", None),
    131053: (PERMANENT, "Media could not be downloaded or uploaded", None),
    131056: (THROTTLED, "Pair rate limit: too many messages to this recipient", 6),
    131057: (TRANSIENT, "Account in maintenance mode", 60),
    131062: (PERMANENT, "Recipient type not supported for this message", None),
    # These three concern one template or its category, never the whole account: not AUTH, which
    # would stop every send of the transport, utility and authentication templates included.
    131055: (PERMANENT, "Marketing Messages API terms not accepted", None),
    131063: (PERMANENT, "Marketing templates disabled on Cloud API (use the Marketing Messages API)", None),
    131064: (PERMANENT, "Messaging limited for template misclassification", None),
    132000: (PERMANENT, "Template parameter count mismatch", None),
    132001: (PERMANENT, "Template does not exist", None),
    132005: (PERMANENT, "Template text too long after hydration", None),
    132007: (PERMANENT, "Template format character policy violated", None),
    132008: (PERMANENT, "Template parameter value invalid", None),
    132012: (PERMANENT, "Template parameter format mismatch", None),
    132015: (PERMANENT, "Template paused for low quality", None),
    132016: (PERMANENT, "Template disabled", None),
    133004: (TRANSIENT, "Server temporarily unavailable", 10),
    133010: (AUTH, "Phone number not registered with Cloud API", None),
    133016: (THROTTLED, "Registration or deregistration rate limit", 60),
    135000: (PERMANENT, "Generic user error", None),
    137000: (PERMANENT, "Identity key hash mismatch", None),
}

# Graph API permission errors are a whole range.
_PERMISSION_RANGE = range(200, 300)

_POLICIES = {131049: NEXT_DAY, 132015: HOLD_SESSION, 132016: HOLD_SESSION}

CATALOGUE: dict[int, CatalogueEntry] = {
    code: CatalogueEntry(*row, policy=_POLICIES.get(code, "")) for code, row in _TABLE.items()
}


def catalogue_entry(code: object) -> CatalogueEntry | None:
    """The entry for Meta error `code` (int or numeric string), or None when unknown."""
    try:
        number = int(str(code).strip())
    except (TypeError, ValueError):
        return None
    if number in CATALOGUE:
        return CATALOGUE[number]
    if number in _PERMISSION_RANGE:
        return CatalogueEntry(AUTH, "API permission missing")
    return None


def error_classify(*, http_status: int | None, code: object = "") -> tuple[ErrorCategory, float | None]:
    """(category, retry-after hint) for a failed request to Meta.

    The error code decides when Meta sent a known one; otherwise the HTTP status (`http_status_category`).
    """
    entry = catalogue_entry(code) if code not in ("", None) else None
    if entry is not None:
        return entry.category, entry.retry_after
    return http_status_category(http_status), None


def failed_status_category(code: object) -> ErrorCategory:
    """The category of a `failed` status webhook's error: the catalogue's (131000 is TRANSIENT, so a
    trigger sends it again), PERMANENT for a code it does not know (Meta took the message and gave up)."""
    entry = catalogue_entry(code)
    return entry.category if entry is not None else PERMANENT
