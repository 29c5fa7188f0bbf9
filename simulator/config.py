"""Everything the simulator can be told: identities, limits, webhooks and faults.

Defaults come from the same environment variables the gateway reads, so a transport pointed at
the simulator with `WHATSAPP_API_BASE_URL` works without extra setup. Django settings are never
read: the simulator also runs standalone (`python -m simulator`).
"""

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ACCESS_TOKEN = "demo-access-token"  # noqa: S105 - the documented demo token, not a secret
DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_BUSINESS_ACCOUNT_ID = "200000000000001"
DEFAULT_APP_SECRET = "demo-app-secret"  # noqa: S105 - the documented demo secret
DEFAULT_DISPLAY_PHONE_NUMBER = "15550000001"


@dataclass
class PhoneNumber:
    id: str
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER
    # Messages per second for this number; None means the config-wide `throughput_mps`.
    throughput_mps: float | None = None
    # The Marketing Messages API (simulator/marketing.py): false → STRICT sends answer 131055, CLOUD_API_FALLBACK
    # ones go through the Cloud API; cloud_api_marketing false → marketing templates on /messages answer 131063.
    marketing_messages_onboarded: bool = True
    cloud_api_marketing: bool = True
    # What `GET /{phone-number-id}` answers: the business portfolio's messaging limit (unique users a business
    # may start conversations with in a moving 24 hours: TIER_250, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED)
    # and the number's quality rating (GREEN, YELLOW, RED, UNKNOWN).
    messaging_limit: str = "TIER_2K"
    quality_rating: str = "GREEN"


@dataclass
class BusinessAccount:
    id: str
    phone_numbers: list[PhoneNumber] = field(default_factory=list)


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _default_tokens() -> list[str]:
    return [_env("WHATSAPP_ACCESS_TOKEN", DEFAULT_ACCESS_TOKEN)]


def _default_app_secret() -> str:
    return _env("WHATSAPP_APP_SECRET", DEFAULT_APP_SECRET)


def _default_accounts() -> list[BusinessAccount]:
    number = PhoneNumber(
        id=_env("WHATSAPP_PHONE_NUMBER_ID", DEFAULT_PHONE_NUMBER_ID),
        display_phone_number=_env("WHATSAPP_DISPLAY_PHONE_NUMBER", DEFAULT_DISPLAY_PHONE_NUMBER),
    )
    waba_id = _env("WHATSAPP_BUSINESS_ACCOUNT_ID", DEFAULT_BUSINESS_ACCOUNT_ID)
    return [BusinessAccount(id=waba_id, phone_numbers=[number])]


@dataclass
class SimulatorConfig:
    """The simulator's whole configuration. Every field can be set from JSON or changed at run time."""

    # --- identity
    access_tokens: list[str] = field(default_factory=_default_tokens)
    app_secret: str = field(default_factory=_default_app_secret)
    business_accounts: list[BusinessAccount] = field(default_factory=_default_accounts)
    expired_tokens: list[str] = field(default_factory=list)  # answer 190 (session expired)
    forbidden_tokens: list[str] = field(default_factory=list)  # answer 10 on sends/media, 200 on templates
    api_version_pattern: str = r"v\d+\.\d+"

    # --- limits
    throughput_mps: float = 80.0  # per phone number, all message types together
    pair_limit: int = 45  # messages to one recipient from one number ...
    pair_window_seconds: float = 6.0  # ... within this window (refilled continuously)
    throttle_http_status: int = 400  # Meta's table says 400 for 130429/131056; some clients see 429
    max_recorded_messages: int = 200_000

    # --- recipients
    allowed_recipients: list[str] | None = None  # sandbox: only these digits may be messaged (else 131030)
    recipient_errors: dict[str, int] = field(default_factory=dict)  # digits -> code answered synchronously
    failed_recipients: dict[str, int] = field(default_factory=dict)  # digits -> code in a `failed` webhook
    failure_rate: float = 0.0  # share of accepted sends that later get a `failed` webhook
    failure_code: int = 131026
    # Users with a WhatsApp username: digits -> username. Meta omits their number from webhooks (they are
    # known by their business-scoped user id) unless the business sent to that number.
    usernames: dict[str, str] = field(default_factory=dict)
    # Meta's customer-service window: free-form (non-template) sends only to users who wrote to the number in
    # the last `service_window_hours`; others answer 131047. Off by default so ad-hoc tests can send text.
    service_window: bool = False
    # Meta's health status per node id (a phone number id, a template id, the WABA id):
    # {"can_send_message": "LIMITED" | "BLOCKED", "errors": [{"error_code", "error_description", "possible_solution"}]}.
    # Nodes not listed are AVAILABLE.
    health: dict[str, dict] = field(default_factory=dict)
    service_window_hours: float = 24.0

    # --- media
    failing_media_words: list[str] = field(default_factory=lambda: ["fail"])  # in a link's host or path -> 131053
    failing_media_links: list[str] = field(default_factory=list)  # exact links -> 131053
    media_failure_mode: str = "sync"  # "sync": answer 131053; "async": accept, then a `failed` webhook

    # --- templates
    template_approval_delay_s: float = 2.0
    template_reject_words: list[str] = field(default_factory=lambda: ["reject"])

    # --- webhooks
    callback_url: str | None = None
    status_delays_s: dict[str, float] = field(
        default_factory=lambda: {"sent": 0.1, "delivered": 0.5, "read": 1.5}
    )  # seconds after acceptance; leave a status out to never send it
    webhook_batch_size: int = 100  # statuses per POST (per phone number)
    webhook_flush_interval_s: float = 0.05
    webhook_retries: int = 3  # extra attempts after a failed POST
    webhook_retry_backoff_s: float = 0.5  # doubled on every attempt
    webhook_timeout_s: float = 10.0
    webhook_concurrency: int = 8  # POSTs in flight at once

    # --- faults (Graph API routes only, never /_sim/)
    latency_ms: float = 0.0  # added to every answer
    latency_jitter_ms: float = 0.0  # uniform +/- around latency_ms
    server_error_rate: float = 0.0  # share of requests answered with a 5xx
    server_error_code: int = 131000  # 131000 (500), 2 / 131016 / 133004 (503)
    timeout_rate: float = 0.0  # share of requests held for timeout_seconds, then processed
    timeout_seconds: float = 60.0
    drop_rate: float = 0.0  # share of requests whose connection is closed without an answer
    seed: int | None = None  # makes fault decisions repeatable

    # ------------------------------------------------------------------ helpers
    @property
    def access_token(self) -> str:
        return self.access_tokens[0] if self.access_tokens else ""

    @property
    def business_account_id(self) -> str:
        return self.business_accounts[0].id

    @property
    def phone_number_id(self) -> str:
        return self.business_accounts[0].phone_numbers[0].id

    @property
    def display_phone_number(self) -> str:
        return self.business_accounts[0].phone_numbers[0].display_phone_number

    def phone_number(self, phone_number_id: str) -> tuple[BusinessAccount, PhoneNumber] | None:
        for account in self.business_accounts:
            for number in account.phone_numbers:
                if number.id == phone_number_id:
                    return account, number
        return None

    def business_account(self, waba_id: str) -> BusinessAccount | None:
        return next((account for account in self.business_accounts if account.id == waba_id), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view; the app secret and tokens are included because this is a test double."""
        return dataclasses.asdict(self)

    def with_changes(self, changes: dict[str, Any]) -> "SimulatorConfig":
        """A copy with `changes` applied; raises ValueError on unknown fields or wrong types."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in values:
                raise ValueError(f"unknown config option: {name}")
            try:
                values[name] = _coerce(name, value)
            except (TypeError, KeyError, AttributeError) as error:
                raise ValueError(f"{name}: {error!r} (see the simulator docs for its shape)") from error
        config = SimulatorConfig(**values)
        _check(config)
        return config

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> "SimulatorConfig":
        return cls().with_changes({**data, **overrides})

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> "SimulatorConfig":
        """Env defaults, then the JSON file at `path` (if any), then keyword overrides."""
        data = json.loads(Path(path).read_text()) if path else {}
        overrides = {name: value for name, value in overrides.items() if value is not None}
        return cls.from_dict(data, **overrides)


_INT_FIELDS = {f.name for f in dataclasses.fields(SimulatorConfig) if f.type in (int, int | None)}
_FLOAT_FIELDS = {f.name for f in dataclasses.fields(SimulatorConfig) if f.type is float}


def _coerce(name: str, value: Any) -> Any:
    if name == "business_accounts":
        return [_account(item) for item in value]
    if name in ("access_tokens", "expired_tokens", "forbidden_tokens", "failing_media_words",
                "failing_media_links", "template_reject_words"):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"{name} must be a list of strings")
        return list(value)
    if name == "allowed_recipients":
        return None if value is None else [_digits(item) for item in value]
    if name in ("recipient_errors", "failed_recipients"):
        if not isinstance(value, dict):
            raise ValueError(f"{name} must map recipient digits to an error code")
        return {_digits(key): int(code) for key, code in value.items()}
    if name == "usernames":
        if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
            raise ValueError("usernames must map recipient digits to a username")
        return {_digits(key): username for key, username in value.items()}
    if name == "status_delays_s":
        if not isinstance(value, dict) or not set(value) <= {"sent", "delivered", "read"}:
            raise ValueError("status_delays_s maps sent/delivered/read to seconds")
        return {status: float(delay) for status, delay in value.items()}
    if name == "media_failure_mode" and value not in ("sync", "async"):
        raise ValueError("media_failure_mode is 'sync' or 'async'")
    if name == "health":
        if not isinstance(value, dict) or not all(
            isinstance(v, dict) and v.get("can_send_message") in ("AVAILABLE", "LIMITED", "BLOCKED")
            for v in value.values()
        ):
            raise ValueError('health maps node ids to {"can_send_message": "AVAILABLE" | "LIMITED" | "BLOCKED", …}')
        return {str(key): dict(v) for key, v in value.items()}
    if name == "service_window" and not isinstance(value, bool):
        raise ValueError("service_window must be true or false")
    if name in ("seed", "callback_url") and value is None:
        return None
    if name in _INT_FIELDS or name in _FLOAT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")
        return int(value) if name in _INT_FIELDS else float(value)
    if name in ("app_secret", "api_version_pattern", "callback_url") and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


_RATE_FIELDS = ("failure_rate", "server_error_rate", "timeout_rate", "drop_rate")


def _check(config: SimulatorConfig) -> None:
    """Refuse values the server would crash on later (a bad PATCH must not break the running simulator)."""
    try:
        re.compile(config.api_version_pattern)
    except re.error as error:
        raise ValueError(f"api_version_pattern: not a valid regular expression ({error})") from error
    if not config.business_accounts or not config.business_accounts[0].phone_numbers:
        raise ValueError("business_accounts: needs at least one account, the first with a phone number")
    for name in sorted((_INT_FIELDS | _FLOAT_FIELDS) - {"seed"}):
        if getattr(config, name) < 0:
            raise ValueError(f"{name} must not be negative")
    for name in _RATE_FIELDS:
        if getattr(config, name) > 1:
            raise ValueError(f"{name} is a share between 0 and 1")
    for number in (n for account in config.business_accounts for n in account.phone_numbers):
        flags = (number.marketing_messages_onboarded, number.cloud_api_marketing)
        if not all(isinstance(flag, bool) for flag in flags):
            raise ValueError("business_accounts: marketing_messages_onboarded and cloud_api_marketing are true/false")
    if not 100 <= config.throttle_http_status <= 599:
        raise ValueError("throttle_http_status must be an HTTP status (100-599)")


def _digits(recipient: Any) -> str:
    return str(recipient).lstrip("+")


MESSAGING_LIMITS = ("TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED")
QUALITY_RATINGS = ("GREEN", "YELLOW", "RED", "UNKNOWN")


def _phone_number(item: Any) -> PhoneNumber:
    number = item if isinstance(item, PhoneNumber) else PhoneNumber(**item)
    if number.messaging_limit not in MESSAGING_LIMITS:
        raise ValueError(f"messaging_limit is one of {', '.join(MESSAGING_LIMITS)}")
    if number.quality_rating not in QUALITY_RATINGS:
        raise ValueError(f"quality_rating is one of {', '.join(QUALITY_RATINGS)}")
    return number


def _account(item: Any) -> BusinessAccount:
    if isinstance(item, BusinessAccount):
        return item
    numbers = [_phone_number(number) for number in item.get("phone_numbers", [])]
    return BusinessAccount(id=str(item["id"]), phone_numbers=numbers)
