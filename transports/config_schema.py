"""The published JSON Schema of an API transport's config, defaults, and config validation.

`config_errors` is what create/update (API and admin) call: JSON Schema first, then the
rules a schema cannot say (placeholders that name config keys, the URL guard).
"""

import copy

from jsonschema import Draft202012Validator

from transports import defaults, placeholders
from transports.addresses import ADDRESS_KINDS, PHONE, PHONE_REGIONS, REGION_PATTERN, STRICT_VALID, STRICTNESS
from transports.errors import ERROR_RULE_CATEGORIES
from transports.network import UnsafeURLError, header_problem, url_check
from transports.providers import BUILDERS
from transports.whatsapp.preset import (
    API_VERSION_PATTERN,
    GRAPH_ID_PATTERN,
    MARKETING_MODES,
    MARKETING_OFF,
    WHATSAPP_CLOUD,
)
from whatsapp_gateway.api_input import JSONInputError, json_check

# An error code as a provider writes it: a number or text (compared as text), as long as a broadcast keeps.
_ERROR_CODES = {
    "type": "array", "maxItems": 1000,
    "items": {"type": ["integer", "string"], "minLength": 1, "maxLength": 32},
}

CONFIG_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://whatsapp-gateway.local/schemas/api-transport-config.json",
    "title": "API transport config",
    "description": (
        "How a message becomes an HTTP request and how the answer is read. Strings may contain "
        "{%placeholders%}: address, message.content, message.meta.*, recipient.params.*, "
        "transport.config.*, secrets.*, whatsapp.payload, whatsapp.endpoint."
    ),
    "type": "object",
    "required": ["request"],
    "properties": {
        "request": {
            "type": "object",
            "required": ["url"],
            "additionalProperties": False,
            "properties": {
                "method": {"enum": ["POST", "PUT", "PATCH", "GET"], "default": "POST"},
                "url": {
                    "type": "string", "minLength": 1, "description": "May start with {%transport.config.baseUrl%}.",
                },
                "headers": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "default": {"Content-Type": "application/json"},
                },
                "body": {
                    "description": "Any JSON; \"{%whatsapp.payload%}\" lets the WhatsApp builder write it.",
                },
            },
        },
        "validationAddress": {"enum": list(ADDRESS_KINDS), "default": PHONE},
        "phoneStrictness": {
            "enum": list(STRICTNESS), "default": STRICT_VALID,
            "description": "possible accepts any number of the right length, e.g. Meta's +1 555 test numbers.",
        },
        "defaultRegion": {
            "type": "string", "pattern": REGION_PATTERN,
            "description": "Region for numbers without a country code; default settings.PHONE_DEFAULT_REGION.",
        },
        "validationContent": {"enum": ["TEXT", "JSON", "NONE"], "default": "TEXT"},
        "maxAttempts": {
            "type": "integer", "minimum": defaults.MAX_ATTEMPTS_MIN, "maximum": defaults.MAX_ATTEMPTS_MAX,
            "default": defaults.MAX_ATTEMPTS,
        },
        "retryWindow": {
            "type": "number", "minimum": defaults.RETRY_WINDOW_MIN, "maximum": defaults.RETRY_WINDOW_MAX,
            "description": f"Seconds after a message's first attempt during which its transient failures "
            f"(5xx, network errors, 131000…) keep being retried, past maxAttempts if need be: a message "
            f"gives up only once it has used maxAttempts and the window is over. Default "
            f"{defaults.RETRY_WINDOW} with the whatsapp_cloud preset, 0 (maxAttempts alone) otherwise.",
        },
        "onTimeout": {
            "enum": ["wait", "resend"], "default": "wait",
            "description": "A request answered after the read timeout may have been sent: wait marks it UNKNOWN "
            "for its status webhook to settle; resend retries it (a duplicate if it had arrived).",
        },
        "marketingLimitRetryDays": {
            "type": "integer", "minimum": 0, "maximum": 30, "default": 0,
            "description": "WhatsApp: a recipient Meta refused for its per-user marketing limit (131049) is sent "
            "again a day later, up to this many days; 0 (the default) fails it, and a trigger re-queues it.",
        },
        "marketingMessages": {
            "enum": list(MARKETING_MODES), "default": MARKETING_OFF,
            "description": "WhatsApp: where MARKETING templates go. off: /messages like every send; prefer: "
            "/marketing_messages with product_policy CLOUD_API_FALLBACK (Meta sends through the Cloud API where the "
            "number is not onboarded); only: product_policy STRICT (no fallback; Meta answers 131055 there). "
            "Utility and authentication templates and text always go to /messages. The request url must end in "
            "/{%whatsapp.endpoint%} (the whatsapp_cloud shorthand writes it).",
        },
        "rateLimit": {
            "type": "number", "minimum": defaults.RATE_LIMIT_MIN, "maximum": defaults.RATE_LIMIT_MAX,
            "default": defaults.RATE_LIMIT, "description": "Messages per second.",
        },
        "batchSize": {"type": ["integer", "null"], "minimum": 1, "maximum": 10000, "default": None},
        # Bounded like every number here: a countdown of 1e308 seconds overflows every re-queue.
        "batchDelay": {
            "type": ["number", "null"], "minimum": 0, "maximum": 3600, "default": None,
            "description": "Seconds between batches.",
        },
        "concurrency": {
            "type": "integer", "minimum": defaults.CONCURRENCY_MIN, "maximum": defaults.CONCURRENCY_MAX,
            "default": defaults.CONCURRENCY,
        },
        "timeouts": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                name: {
                    "type": "number", "minimum": defaults.TIMEOUT_MIN, "maximum": defaults.TIMEOUT_MAX[name],
                    "default": default,
                }
                for name, default in defaults.TIMEOUTS.items()
            },
        },
        "response": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "successStatus": {
                    "type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 100, "maximum": 599},
                    "default": [200, 201, 202],
                },
                "messageIdPath": {"type": "string", "default": "messages.0.id"},
                "messageStatusPath": {
                    "type": "string", "default": "",
                    "description": "Where an accepted send's answer says what became of it (WhatsApp: "
                    "messages.0.message_status: accepted, held_for_quality_assessment, paused); empty: not read.",
                },
                "errorCodePath": {"type": "string", "default": "error.code"},
                "errorSubcodePath": {"type": "string", "default": "error.error_subcode"},
                "errorTitlePath": {"type": "string", "default": "error.message"},
                "errorDetailsPath": {"type": "string", "default": "error.error_data.details"},
            },
        },
        "errorRules": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: _ERROR_CODES for name in ERROR_RULE_CATEGORIES},
            "description": "Generic transports: error codes (read at response.errorCodePath) that decide the "
            "category before the HTTP status does: permanent, retryable (transient), throttled, auth (stops the "
            "transport). Not with a preset, which reads its provider's own catalogue.",
        },
        "preset": {"enum": [WHATSAPP_CLOUD]},
        "baseUrl": {"type": "string", "pattern": "^https?://"},
        "apiVersion": {"type": "string", "pattern": API_VERSION_PATTERN},
        "phoneNumberId": {"type": "string", "pattern": GRAPH_ID_PATTERN},
        "businessAccountId": {"type": "string", "pattern": GRAPH_ID_PATTERN},
    },
    "additionalProperties": True,
    "if": {"required": ["preset"], "properties": {"preset": {"const": WHATSAPP_CLOUD}}},
    "then": {"required": ["baseUrl", "apiVersion", "phoneNumberId"]},
}

RESPONSE_DEFAULTS = {k: v["default"] for k, v in CONFIG_SCHEMA["properties"]["response"]["properties"].items()}
TIMEOUT_DEFAULTS = {k: v["default"] for k, v in CONFIG_SCHEMA["properties"]["timeouts"]["properties"].items()}

_VALIDATOR = Draft202012Validator(CONFIG_SCHEMA)
_ROOT_PLACEHOLDERS = ("address", "message", "recipient", "transport", "secrets", *BUILDERS)


def _field(path) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "config"


def _rule(error) -> str:
    if error.validator == "required":
        return "is required"
    if error.validator == "additionalProperties":
        return error.message
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        expected = error.validator_value
        return f"must be of type {' or '.join(expected) if isinstance(expected, list) else expected}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum"):
        words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "greater than"}
        return f"must be {words[error.validator]} {error.validator_value}"
    if error.validator == "pattern":
        return f"must match {error.validator_value}"
    if error.validator == "minLength":
        return "must not be empty"
    if error.validator == "maxLength":
        return f"must be at most {error.validator_value} characters"
    if error.validator == "maxItems":
        return f"must have at most {error.validator_value} items"
    return error.message


def config_errors(config, *, secrets: dict | None = None, network: bool = True) -> list[str]:
    """Every problem with `config` as "field: rule" (field as a dotted path); [] when valid.

    `secrets` (names are enough) lets `{%secrets.x%}` placeholders be checked too. Without
    `network` the URL guard (which resolves the host) is skipped, e.g. in the system check.
    """
    if not isinstance(config, dict):
        return ["config: must be a JSON object"]
    try:
        json_check(config)  # the API's parser checked it already; the admin's form and commands did not
    except JSONInputError as error:
        return [f"{error.field or 'config'}: {error.message}"]
    errors = []
    for error in sorted(_VALIDATOR.iter_errors(config), key=lambda e: (list(map(str, e.path)), e.message)):
        field = _field(error.absolute_path)
        if error.validator == "required" and error.absolute_path:
            field = f"{field}.{error.message.split(chr(39))[1]}"
        elif error.validator == "required":
            field = error.message.split("'")[1]
        errors.append(f"{field}: {_rule(error)}")
    if errors:
        return errors
    errors.extend(_error_rules_errors(config))
    region = config.get("defaultRegion")
    if region and region not in PHONE_REGIONS:
        errors.append(f"defaultRegion: must be a region code such as US, GB or IN ({region} is not one)")
    request = config["request"]
    for name, value in (request.get("headers") or {}).items():
        problem = header_problem(name, value)  # values with placeholders are checked again once rendered
        if problem:
            errors.append(problem)
    for path in placeholders.placeholder_paths(request):
        root, _, rest = path.partition(".")
        if root not in _ROOT_PLACEHOLDERS:
            errors.append(f"request: unknown placeholder {{%{path}%}} (roots: {', '.join(_ROOT_PLACEHOLDERS)})")
        elif root == "transport" and not (rest.startswith("config.") and rest[7:].split(".")[0] in config):
            errors.append(f"request: placeholder {{%{path}%}} names no key of this config")
        elif root == "secrets" and secrets is not None and rest.split(".")[0] not in secrets:
            errors.append(f"request: placeholder {{%{path}%}} names no secret of this transport")
        elif root in BUILDERS and path not in BUILDERS[root].placeholders:
            errors.append(
                f"request: unknown placeholder {{%{path}%}} (only {', '.join(BUILDERS[root].placeholders)})"
            )
    errors.extend(_marketing_errors(config))
    if errors or not network:
        return errors
    errors.extend(_url_errors(config))
    return errors


def _marketing_errors(config: dict) -> list[str]:
    """marketingMessages routes by {%whatsapp.endpoint%}: a URL without it would send everything to one place."""
    if config.get("marketingMessages", MARKETING_OFF) == MARKETING_OFF:
        return []
    if "whatsapp.endpoint" not in placeholders.placeholder_paths(config["request"].get("url", "")):
        return ["request.url: with marketingMessages prefer or only, must end in /{%whatsapp.endpoint%} "
                "(messages or marketing_messages, chosen per message)"]
    return []


def _error_rules_errors(config: dict) -> list[str]:
    rules = config.get("errorRules")
    if rules is None:
        return []
    if "preset" in config:
        return [f"errorRules: not with preset {config['preset']}, which reads its provider's own error catalogue"]
    errors, seen = [], {}
    for name in ERROR_RULE_CATEGORIES:
        for code in rules.get(name) or ():
            text = str(code).strip()
            if text in seen and seen[text] != name:
                errors.append(f"errorRules.{name}: code {text} is in errorRules.{seen[text]} too")
            seen.setdefault(text, name)
    return errors


def _url_errors(config: dict) -> list[str]:
    url = config["request"]["url"]
    first = placeholders.PLACEHOLDER.match(url)
    if first and not first.group(1).startswith("transport.config."):
        return []  # the host comes from per-message data; checked at send time
    head = placeholders.PLACEHOLDER.sub(
        lambda m: m.group(0) if m.group(1).startswith("transport.config.") else "x", url.split("?", 1)[0]
    )
    try:
        rendered = placeholders.render_string(head, {"transport": {"config": config}}, url=True)
    except placeholders.PlaceholderError:
        return []
    try:
        url_check(rendered, unresolvable_ok=True)  # DNS may be down here; send time checks again
    except UnsafeURLError as error:
        return [f"request.url: {error}"]
    return []


def config_with_defaults(config: dict) -> dict:
    """A copy of `config` with every default of the schema filled in (what the sender reads)."""
    full = copy.deepcopy(config)
    for key, spec in CONFIG_SCHEMA["properties"].items():
        if "default" in spec and key not in full:
            full[key] = copy.deepcopy(spec["default"])
    request = full.setdefault("request", {})
    request.setdefault("method", "POST")
    request.setdefault("headers", {"Content-Type": "application/json"})
    full["timeouts"] = {**TIMEOUT_DEFAULTS, **(full.get("timeouts") or {})}
    full["response"] = {**RESPONSE_DEFAULTS, **(full.get("response") or {})}
    return full
