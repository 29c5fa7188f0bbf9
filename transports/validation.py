"""Validation of a transport's messages before anything is stored: addresses, content, placeholders.

Each check answers a list of problems ([] when ok) in words an integrator can act on. The rendering
context built here is the one `engine.send_batch_stream` renders requests with, so a dry run here
finds exactly the placeholders a send would miss.
"""

import json
from collections.abc import Callable

from django.conf import settings

from transports import placeholders
from transports.addresses import address_normalize_with
from transports.builders import TEXT_LIMIT, BuildError, PayloadBuilder
from transports.config_schema import config_with_defaults
from transports.providers import BUILDERS, payload_builder
from transports.secrets import secrets_decrypt


def transport_config(transport) -> dict:
    """The config with defaults, computed once per loaded transport (a 100,000-recipient check asks often)."""
    cached = transport.__dict__.get("_config_with_defaults")
    if cached is None or cached[0] is not transport.config:
        cached = (transport.config, config_with_defaults(transport.config or {}))
        transport.__dict__["_config_with_defaults"] = cached
    return cached[1]


def address_normalize(transport, raw) -> str:
    """The address as the provider expects it (PHONE → digits, country code first); raises AddressError."""
    config = transport_config(transport)
    return address_normalize_with(
        raw, kind=config["validationAddress"],
        region=config.get("defaultRegion") or settings.PHONE_DEFAULT_REGION,
        strictness=config["phoneStrictness"],
        user_ids=bool((builder := builder_of(config)) and builder.user_ids),
    )


def builder_of(config: dict) -> PayloadBuilder | None:
    """The payload builder the config's request names ({%whatsapp.payload%}), or None."""
    return payload_builder(config["request"])


def service_window_applies(transport, message: dict) -> bool:
    """Whether this message may only go to people who wrote to the number in the last 24 hours."""
    builder = builder_of(transport_config(transport))
    return bool(builder and builder.service_window and builder.sends_content(message))


def priced_per_message(transport) -> bool:
    """Whether the transport's provider charges per delivered template (priced with the app's rate card)."""
    builder = builder_of(transport_config(transport))
    return bool(builder and builder.priced_per_message)


def _content_errors(config: dict, message: dict) -> list[str]:
    kind = config["validationContent"]
    content = message.get("content")
    if kind == "TEXT":
        builder = builder_of(config)
        if builder is not None and not builder.sends_content(message):
            return []  # e.g. a template message: its text lives at the provider, the content is not sent
        if not isinstance(content, str) or not content.strip():
            return ["message.content: must be non-empty text"]
        if len(content) > TEXT_LIMIT:
            return [f"message.content: at most {TEXT_LIMIT} characters (got {len(content)})"]
    elif kind == "JSON" and content is None:
        return ["message.content: required (a JSON object, a list or JSON text)"]
    elif kind == "JSON" and isinstance(content, str):
        try:
            json.loads(content)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
            return ["message.content: must be valid JSON"]
    return []


def render_context(
    *, config, message, address, params, secrets, builder: PayloadBuilder | None, reference: str = ""
) -> dict:
    """What placeholders resolve against: the same for a dry run here and for each request sent."""
    context = {
        "address": address,
        "message": {"content": message.get("content", ""), "meta": message.get("meta") or {}},
        "recipient": {"params": params or {}},
        "transport": {"config": config},
        "secrets": secrets,
    }
    if builder is not None:
        endpoint, extra = builder.route(config, message) if builder.route else ("", {})

        def payload():
            body = builder.build(to=address, message=message, params=params, callback_data=reference)
            return {**body, **extra} if extra else body

        context[builder.name] = {"payload": payload, "endpoint": endpoint}
    return context


def message_check(transport, message: dict) -> list[str]:
    """Content rules and a dry run of every placeholder (except recipient.params.*); [] when ok."""
    if not isinstance(message, dict):
        return ["message: must be an object"]
    config = transport_config(transport)
    errors = _content_errors(config, message)
    if errors:
        return errors
    secrets = {name: "x" for name in secrets_decrypt(transport.encrypted_secrets)}
    context = render_context(
        config=config, message=message, address="0", params={}, secrets=secrets, builder=None
    )
    errors = [
        f"unknown placeholder {{%{path}%}}"
        for path in placeholders.unknown_paths(config["request"], context, skip_roots=("recipient", *BUILDERS))
    ]
    builder = builder_of(config)
    if builder is not None:
        try:
            builder.build(to="0", message=message, params={})
        except BuildError as error:
            errors.append(f"message.{error}")
    return errors


def recipient_params_checker(transport, message: dict) -> Callable[[dict], list[str]]:
    """`recipient_params_check` for the many recipients of one message: the config is read once, not per row."""
    config = transport_config(transport)
    paths = list(dict.fromkeys(
        path for path in placeholders.placeholder_paths(config["request"]) if path.startswith("recipient.")
    ))
    builder = builder_of(config)

    def check(params: dict) -> list[str]:
        if params is not None and not isinstance(params, dict):
            return ["params: must be an object"]
        context = {"recipient": {"params": params or {}}}
        errors = []
        for path in paths:
            try:
                placeholders.lookup(context, path)
            except placeholders.PlaceholderError:
                errors.append(f"missing recipient param {{%{path}%}}")
        if builder is not None and params:  # asked per recipient: only when there is something to check
            try:
                builder.build(to="0", message=message, params=params)
            except BuildError as error:
                errors.append(f"params: {error}")
        return errors

    return check


def recipient_params_check(transport, message: dict, params: dict) -> list[str]:
    """Problems with one recipient's params: unknown {%recipient.params.x%}, builder errors; [] when ok."""
    return recipient_params_checker(transport, message)(params)
