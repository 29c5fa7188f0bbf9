"""Meta's error catalogue and the error body the Graph API answers with.

HTTP statuses follow the "HTTP Status Code" column of Meta's error table (see docs/simulator.md).
Throttling codes are answered as HTTP 400 like that table says; `throttle_http_status` in the
config switches them to 429 for clients that want to be tested against both.
"""

import secrets
from dataclasses import dataclass, field

# code -> (HTTP status, title). The title is what Meta puts after "(#code) " in `message`.
CATALOGUE: dict[int, tuple[int, str]] = {
    0: (401, "AuthException"),
    1: (400, "An unknown error occurred"),
    2: (503, "Service temporarily unavailable"),
    3: (500, "Application does not have the capability to make this API call"),
    4: (400, "Application request limit reached"),
    10: (403, "Application does not have permission for this action"),
    33: (400, "This phone number is deleted"),
    100: (400, "Invalid parameter"),
    190: (401, "Error validating access token"),
    200: (403, "Requires whatsapp_business_management permission"),
    368: (403, "Temporarily blocked for policies violations"),
    2500: (400, "Unknown path components"),
    80007: (400, "Rate limit issues"),
    130429: (400, "Rate limit hit"),
    130472: (400, "User's number is part of an experiment"),
    131000: (500, "Something went wrong"),
    131005: (403, "Access denied"),
    131008: (400, "Required parameter is missing"),
    131009: (400, "Parameter value is not valid"),
    131016: (503, "Service unavailable"),
    131021: (400, "Recipient cannot be sender"),
    131026: (400, "Message undeliverable"),
    131030: (400, "Recipient phone number not in allowed list"),
    131031: (403, "Business Account locked"),
    131042: (400, "Business eligibility payment issue"),
    131045: (500, "Incorrect certificate"),
    131047: (400, "Re-engagement message"),
    131048: (400, "Spam rate limit hit"),
    131049: (400, "This message was not delivered to maintain healthy ecosystem engagement"),
    131050: (400, "User has stopped marketing messages"),
    131051: (400, "Unsupported message type"),
    131053: (400, "Media upload error"),
    131055: (400, "Marketing Messages API terms not accepted"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    131057: (500, "Account in maintenance mode"),
    131062: (400, "Business-scoped User ID recipients are not supported for this message"),
    131063: (400, "Marketing templates are disabled on the Cloud API"),
    132000: (400, "Number of parameters does not match the expected number of params"),
    132001: (404, "Template name does not exist in the translation"),
    132005: (400, "Translated text too long"),
    132007: (400, "Template Format Character Policy Violated"),
    132008: (400, "Template parameter format mismatch"),
    132012: (400, "Parameter format does not match format in the created template"),
    132015: (400, "Template is Paused"),
    132016: (400, "Template is Disabled"),
    133004: (503, "Server temporarily unavailable"),
    133010: (400, "Phone number not registered"),
    135000: (400, "Generic user error"),
}

THROTTLING_CODES = frozenset({4, 80007, 130429, 131056})

# Default `details` for codes whose details do not depend on the request.
DEFAULT_DETAILS: dict[int, str] = {
    130429: "Cloud API message throughput has been reached.",
    131000: "Something went wrong. Please retry later.",
    131026: "Message could not be delivered to this recipient.",
    131030: "Recipient phone number not in allowed list.",
    131053: "Media could not be downloaded or uploaded.",
    131056: (
        "Message failed to send because there were too many messages sent from this phone number "
        "to the same phone number in a short period of time."
    ),
}


@dataclass
class MetaError(Exception):
    """A Graph API error: raised anywhere in a handler, rendered once by the server."""

    code: int
    details: str = ""
    message: str = ""
    subcode: int | None = None
    http_status: int | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        super().__init__(self.code, self.details)

    @property
    def title(self) -> str:
        return CATALOGUE.get(self.code, (400, "Unknown error"))[1]

    def status(self, *, throttle_http_status: int = 400) -> int:
        if self.http_status:
            return self.http_status
        if self.code in THROTTLING_CODES:
            return throttle_http_status
        return CATALOGUE.get(self.code, (400, ""))[0]

    def body(self) -> dict:
        """Meta's synchronous error body for this error."""
        error = {
            "message": self.message or f"(#{self.code}) {self.title}",
            "type": "OAuthException",
            "code": self.code,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": self.details or DEFAULT_DETAILS.get(self.code, self.title),
            },
            "fbtrace_id": new_fbtrace_id(),
        }
        # Meta only sends a subcode on some errors (e.g. 463 on an expired token, 2494073 on 132001).
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error.update(self.extra)
        return {"error": error}

    def webhook_error(self) -> dict:
        """The same error as it appears in a `failed` status webhook (`statuses[].errors[]`)."""
        return {
            "code": self.code,
            "title": self.title,
            "message": self.title,
            "error_data": {"details": self.details or DEFAULT_DETAILS.get(self.code, self.title)},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }


def new_fbtrace_id() -> str:
    return secrets.token_urlsafe(12)


def invalid_parameter(details: str, **kwargs) -> MetaError:
    return MetaError(100, details, **kwargs)


def unknown_object(object_id: str, method: str) -> MetaError:
    return MetaError(
        100, f"Object with ID '{object_id}' does not exist", subcode=33,
        message=(
            f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API documentation "
            "at https://developers.facebook.com/docs/graph-api"
        ),
    )
