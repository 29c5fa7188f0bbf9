"""MkDocs hook: reference tables generated from the code at build time, so they cannot drift.

A page asks for a generated block with a line of its own:

    <!-- generate: NAME -->

and the hook replaces that line with the block. The blocks are never written to docs/, so
there is nothing to hand-edit and nothing to keep in sync. A NAME the hook does not know
fails the build (`mkdocs build --strict` turns the error into a failure too).

Generators: env-variables (.env.example), config-fields and config-schema
(transports.config_schema), error-categories, error-catalogue and error-http-fallback
(transports.errors, transports.whatsapp.catalogue), phone-examples (transports.addresses),
state-machine (broadcasts.services.transitions), commands (the project's management commands and
their help). whatsapp_gateway/tests/test_docs_reference.py tests them.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- generate: ([a-z0-9-]+) -->$", re.MULTILINE)

# What the gateway does with each category (broadcasts/services/outcomes.py and retry.py).
CATEGORY_ACTIONS = {
    "TRANSIENT": "Retried with exponential backoff and jitter (`RETRY_BACKOFF_BASE`, `RETRY_BACKOFF_MAX`, "
    "at least the hint) until the transport's `maxAttempts`; then the broadcast is `FAILED`.",
    "THROTTLED": "Retried like TRANSIENT, and the transport's send schedule is held back "
    "`THROTTLE_HOLD_SECONDS` so every worker slows down.",
    "PERMANENT": "The broadcast is `FAILED` at once with Meta's code and title; never retried.",
    "AUTH": "The transport is **stopped** with the reason and its running sessions become `FAILED`; "
    "the recipients stay `QUEUED` (the attempt is not counted) until the transport is resumed and "
    "the session triggered.",
}

# What the gateway does with a code, in a few words: its category's rule, or its own policy.
CATEGORY_DOES = {
    "TRANSIENT": "retried up to `maxAttempts`",
    "THROTTLED": "sent slower, retried without limit",
    "PERMANENT": "failed at once",
    "AUTH": "transport stopped, recipients kept queued",
}
POLICY_DOES = {
    "hold_session": "session paused (not failed) until the template is approved again or resumed",
    "next_day": "failed, or sent again a day later for `marketingLimitRetryDays` days; a trigger re-queues it "
    "for 24 hours after the failure",
}

CATEGORY_ADVICE = {
    "TRANSIENT": "Nothing; if it persists, check Meta's status page and trigger the session later.",
    "THROTTLED": "Lower the transport's `rateLimit` or spread the sends; see Rate limits.",
    "PERMANENT": "Fix the message or the recipient; resending the same request fails the same way.",
    "AUTH": "Fix the account, token or permission, then resume the transport and trigger the sessions.",
}

# What to do for a code, when it says more than its category's advice. Keys must be catalogue codes
# (a test checks it), so an entry cannot outlive its code.
CODE_ADVICE = {
    0: "The token is wrong or malformed: paste the system-user token again (`accessToken` secret).",
    3: "The Meta app lacks the WhatsApp product or the method's capability: add it in the app dashboard.",
    4: "Too many Graph API calls from the app: wait; lower template sync frequency (`TEMPLATE_SYNC_INTERVAL`).",
    10: "Grant `whatsapp_business_messaging` (and `whatsapp_business_management`) to the system user.",
    100: "A field of the request is wrong: read `error_title` and the log's response excerpt.",
    190: "The access token expired or was revoked: create a permanent system-user token, update the "
    "transport's `accessToken`, resume it, trigger the sessions.",
    368: "The account is blocked for policy violations: see Business Support; nothing to retry.",
    80007: "WABA-level rate limit: send less often; the gateway retries.",
    130429: "Per-number throughput reached: lower `rateLimit` to your tier (80 mps by default).",
    130472: "Meta holds this user out as part of an experiment: nothing to do.",
    130497: "Your business may not message users in this country.",
    131005: "The token lacks permission for this phone number or WABA: re-assign assets to the system user.",
    131008: "A required parameter is missing: compare the message with the template's `requires`.",
    131009: "A parameter value is not valid (e.g. a media link that is not https).",
    131021: "You sent to your own business number.",
    131026: "The number is not on WhatsApp, has an old app, or has not accepted the terms: nothing to retry.",
    131030: "Test numbers only reach the (up to 5) recipients you added in WhatsApp Manager: add the recipient.",
    131031: "The business account is locked: see Meta Business Support.",
    131037: "The display name is not approved yet: wait for review in WhatsApp Manager.",
    131042: "Payment method or eligibility problem: fix billing in Business Manager.",
    131045: "Re-register the phone number (certificate problem).",
    131047: "Free-form text needs a user message in the last 24 hours: send a template instead.",
    131048: "The number is being flagged as spam: slow down, improve opt-in and template quality.",
    131049: "Meta limits marketing messages per user: set `marketingLimitRetryDays` to try again the next days, "
    "or trigger the session tomorrow.",
    131050: "The user stopped marketing messages from you: respect it, remove them from marketing lists.",
    131051: "The message type is not supported.",
    131053: "Meta could not download the header media: use a public https URL with the right Content-Type and size.",
    131056: "Too many messages to the same recipient in a short time: space them out.",
    131057: "The business account is in maintenance: the gateway retries.",
    131055: "Accept the Marketing Messages API terms in WhatsApp Manager; other templates keep sending.",
    131063: "Marketing templates are disabled for Cloud API on this account: send marketing through the "
    "Marketing Messages API; utility and authentication templates keep sending.",
    131064: "Messaging limited because templates were misclassified: review template categories; the "
    "transport keeps sending what is allowed.",
    132000: "Send exactly as many body parameters as the template has (the gateway checks this before sending).",
    132001: "The template name or language does not exist at Meta: sync templates, check the language code.",
    132005: "The body is too long once the parameters are filled in: shorten the parameter values.",
    132007: "Template text breaks Meta's format rules (e.g. newlines or tabs in a parameter).",
    132008: "A parameter value is not valid for its type.",
    132012: "A parameter has the wrong format (e.g. text where the template expects currency or media).",
    132015: "The template is paused for low quality: edit it or wait; its sessions resume by themselves once "
    "Meta approves it again, or resume them yourself.",
    132016: "The template is disabled: create a new version (`_v2`) and send with it; cancel the held sessions.",
    133010: "Register the phone number with the Cloud API (`POST /{phone-number-id}/register`).",
    137000: "The recipient changed phones: the gateway fails the message; ask them to write to you.",
}

HTTP_FALLBACK_STATUSES = (None, 400, 401, 403, 404, 408, 429, 500, 503)


def _django_setup() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp_gateway.settings")
    # Reading the code needs no production secrets: a `mkdocs build` run by hand works like `make docs`.
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# --- .env.example -------------------------------------------------------------------------------


def env_variables(path: Path | None = None) -> list[dict]:
    """Every variable of .env.example: section, name, default, meaning, commented-out or set."""
    lines = (path or ROOT / ".env.example").read_text().splitlines()
    section, comments, found, previous = "", [], [], ""
    for line in lines:
        heading = re.match(r"^# ---\s*(.+?)\s*-*$", line)
        variable = re.match(r"^(# )?([A-Z][A-Z0-9_]+)=(.*)$", line)
        if heading:
            section, comments = heading.group(1), []
        elif variable:
            commented, name, value = variable.groups()
            # Variables on consecutive lines share the comment above the first (e.g. RETRY_BACKOFF_*).
            meaning = " ".join(comments) or previous
            default = value if not commented else ""
            explicit = re.search(r"Default(?: \(unset\))?: (.+?)(?:\.(?:\s|$)|$)", meaning)
            if explicit and not default:
                default = explicit.group(1)
            found.append({
                "section": section, "name": name, "default": default, "meaning": meaning,
                "example": value if commented else "",
            })
            comments, previous = [], meaning
        elif line.startswith("# ") and section:
            comments.append(line[2:].strip())
            previous = ""
        elif not line.strip():
            comments, previous = [], ""
    return found


def render_env_variables() -> str:
    out, section = [], None
    for var in env_variables():
        if var["section"] != section:
            section = var["section"]
            out += ["", f"### {section}", "", "| variable | default | meaning |", "|---|---|---|"]
        default = f"`{var['default']}`" if var["default"] else "*(unset)*"
        meaning = var["meaning"]
        if var["example"]:
            meaning += f" Example: `{var['example']}`."
        out.append(f"| `{var['name']}` | {_cell(default)} | {_cell(meaning)} |")
    return "\n".join(out).strip()


# --- transports.config_schema ---------------------------------------------------------------------


def _type_of(spec: dict) -> str:
    if "enum" in spec:
        return " \\| ".join(f"`{v}`" for v in spec["enum"])
    kind = spec.get("type", "any JSON")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _constraints(spec: dict) -> str:
    words = []
    for key, text in (("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"),
                      ("pattern", "matches `{}`"), ("minLength", "at least {} character(s)"),
                      ("minItems", "at least {} item(s)")):
        if key in spec:
            words.append(text.format(spec[key]))
    return ", ".join(words)


def config_fields(schema: dict) -> list[dict]:
    """One row per field of the schema (nested objects flattened to dotted names)."""
    rows = []
    conditional = set(schema.get("then", {}).get("required", []))

    def walk(properties: dict, required: set, prefix: str) -> None:
        for name, spec in properties.items():
            dotted = f"{prefix}{name}"
            if name in required:
                need = "yes"
            elif not prefix and name in conditional:
                need = "with `preset`"
            else:
                need = ""
            rows.append({
                "field": dotted, "required": need, "type": _type_of(spec),
                "default": json.dumps(spec["default"]) if "default" in spec else "",
                "rules": _constraints(spec), "description": spec.get("description", ""),
            })
            if spec.get("type") == "object" and "properties" in spec:
                walk(spec["properties"], set(spec.get("required", [])), f"{dotted}.")

    walk(schema["properties"], set(schema.get("required", [])), "")
    return rows


def render_config_fields() -> str:
    from transports.config_schema import CONFIG_SCHEMA

    out = ["| field | required | type | default | rules | description |", "|---|---|---|---|---|---|"]
    for row in config_fields(CONFIG_SCHEMA):
        default = f"`{row['default']}`" if row["default"] else ""
        out.append(
            f"| `{row['field']}` | {row['required']} | {row['type']} | {_cell(default)} | "
            f"{_cell(row['rules'])} | {_cell(row['description'])} |"
        )
    return "\n".join(out)


def render_config_schema() -> str:
    from transports.config_schema import CONFIG_SCHEMA

    return "```json\n" + json.dumps(CONFIG_SCHEMA, indent=2, ensure_ascii=False) + "\n```"


# --- transports.errors and transports.whatsapp.catalogue ------------------------------------------


def render_error_catalogue() -> str:
    from transports.errors import ErrorCategory
    from transports.whatsapp.catalogue import CATALOGUE, catalogue_entry

    missing = [c for c in ErrorCategory.values if c not in CATEGORY_ACTIONS or c not in CATEGORY_ADVICE]
    if missing:
        raise ValueError(f"docs/hooks/generate.py: no action/advice for categories {missing}")
    stale = sorted(set(CODE_ADVICE) - set(CATALOGUE))
    if stale:
        raise ValueError(f"docs/hooks/generate.py: advice for codes not in the catalogue: {stale}")
    unknown = sorted({entry.policy for entry in CATALOGUE.values() if entry.policy} - set(POLICY_DOES))
    if unknown:
        raise ValueError(f"docs/hooks/generate.py: no words for policies {unknown}")
    out = ["| code | Meta's meaning | category | what the gateway does | retry hint | what to do |",
           "|---|---|---|---|---|---|"]
    for code, entry in sorted(CATALOGUE.items()):
        hint = f"{entry.retry_after:g} s" if entry.retry_after else ""
        advice = CODE_ADVICE.get(code, CATEGORY_ADVICE[entry.category])
        does = POLICY_DOES.get(entry.policy) or CATEGORY_DOES[entry.category]
        out.append(f"| `{code}` | {_cell(entry.title)} | [{entry.category}](#{entry.category.lower()}) | "
                   f"{_cell(does)} | {hint} | {_cell(advice)} |")
    permission = catalogue_entry(200)
    out.append(f"| `200`–`299` | {_cell(permission.title)} | [{permission.category}](#auth) | "
               f"{CATEGORY_DOES['AUTH']} | | {_cell(CODE_ADVICE[10])} |")
    return "\n".join(out)


def render_error_categories() -> str:
    from transports.errors import ErrorCategory
    from transports.whatsapp.catalogue import CATALOGUE

    out = []
    for category in ErrorCategory.values:
        codes = sorted(code for code, entry in CATALOGUE.items() if entry.category == category)
        out += [
            f"### {category}", "",
            f"**What the gateway does:** {CATEGORY_ACTIONS[category]}", "",
            f"**What you do:** {CATEGORY_ADVICE[category]}", "",
            "Codes: " + ", ".join(f"`{c}`" for c in codes) + ("; `200`–`299`" if category == "AUTH" else "") + ".",
            "",
        ]
    return "\n".join(out).strip()


def render_error_http_fallback() -> str:
    from transports.errors import http_status_category

    out = ["| HTTP status (answer without a known code) | category |", "|---|---|"]
    for status in HTTP_FALLBACK_STATUSES:
        category = http_status_category(status)
        label = "none (network error, timeout)" if status is None else f"{status}"
        out.append(f"| {label} | {category} |")
    return "\n".join(out)


# --- management commands --------------------------------------------------------------------------


def project_commands() -> list[tuple[str, str]]:
    from django.core.management import get_commands, load_command_class

    rows = []
    for name, app in sorted(get_commands().items()):
        if not (ROOT / app.split(".")[0] / "management").is_dir():
            continue  # Django's and third-party commands
        rows.append((name, load_command_class(app, name).help.strip()))
    return rows


def render_commands() -> str:
    out = ["| command | what it does |", "|---|---|"]
    out += [f"| `python manage.py {name}` | {_cell(text)} |" for name, text in project_commands()]
    return "\n".join(out)


# --- transports.addresses -------------------------------------------------------------------------

PHONE_EXAMPLES = [
    ("+14155550123", "US"), ("14155550123", "US"), ("(415) 555-0123", "US"), ("+1 (415) 555-0123", "US"),
    (" +1.415.555.0123 ", "US"), ("0014155550123", "US"), ("+44 20 7946 0958", "US"), ("020 7946 0958", "GB"),
    ("07911 123456", "GB"), ("+5511987654321", "US"), ("+15550100001", "US"), ("5550100001", "US"),
    ("1234567890", "US"), ("+1234567890", "US"), ("4155550", "US"), ("020 7946 0958", "US"),
    ("+1415555012345678", "US"), ("+999123", "US"), ("+1 415 555 0123 ext 5", "US"), ("abc", "US"), ("", "US"),
]


def render_phone_examples() -> str:
    from transports.addresses import AddressError, phone_normalize

    out = ["| input | region | `valid` (default) | `possible` |", "|---|---|---|---|"]
    for raw, region in PHONE_EXAMPLES:
        cells = []
        for strictness in ("valid", "possible"):
            try:
                cells.append(f"`{phone_normalize(raw, region=region, strictness=strictness)}`")
            except AddressError as error:
                cells.append(f"✗ {error}")
        shown = f"`{raw}`" if raw.strip() else "*(empty)*"
        out.append(f"| {_cell(shown)} | {region} | {_cell(cells[0])} | {_cell(cells[1])} |")
    return "\n".join(out)


# --- broadcasts.services.transitions --------------------------------------------------------------


def render_state_machine() -> str:
    from broadcasts.services.transitions import BROADCAST_MOVES, SESSION_MOVES

    def table(title: str, moves) -> list[str]:
        rows = [f"| {title} move | from | to | made by |", "|---|---|---|---|"]
        for move in moves:
            rows.append(f"| {move.name} | {', '.join(f'`{s}`' for s in move.sources)} | "
                        f"{', '.join(f'`{s}`' for s in move.targets)} | {_cell(move.by)} |")
        return rows

    return "\n".join([*table("Session", SESSION_MOVES), "", *table("Broadcast", BROADCAST_MOVES)])


GENERATORS = {
    "state-machine": render_state_machine,
    "phone-examples": render_phone_examples,
    "env-variables": render_env_variables,
    "config-fields": render_config_fields,
    "config-schema": render_config_schema,
    "error-catalogue": render_error_catalogue,
    "error-categories": render_error_categories,
    "error-http-fallback": render_error_http_fallback,
    "commands": render_commands,
}


def expand(markdown: str) -> str:
    """`markdown` with every generate marker replaced; an unknown name raises ValueError."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated block {name!r}; known: {', '.join(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(replace, markdown)


# --- MkDocs events --------------------------------------------------------------------------------


def on_config(config, **kwargs):
    _django_setup()
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    return expand(markdown)
