"""Validation of `POST /{version}/{phone-number-id}/messages` payloads, the way Meta answers them."""

import re
from dataclasses import dataclass, field

from .errors import MetaError, invalid_parameter
from .message_kinds import OTHER_CHECKS, check_coordinates
from .message_templates import Template, TemplateStore

MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")
OTHER_TYPES = ("interactive", "location", "contacts", "reaction")
TEXT_LIMIT = 4096
# Separators people write inside numbers; anything else that is not a digit makes `to` invalid.
NUMBER_SEPARATORS = re.compile(r"[\s\-().]")


@dataclass
class MediaRef:
    kind: str  # image / video / document / audio / sticker
    link: str | None
    media_id: str | None


BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?\d{6,40}$")


@dataclass
class ParsedSend:
    to: str  # as given (`to`, or `recipient` for a business-scoped user id)
    wa_id: str  # digits only; "" when sent to a user id
    type: str
    template: str | None = None
    language: str | None = None
    category: str | None = None
    media: list[MediaRef] = field(default_factory=list)
    user_id: str = ""  # the business-scoped user id it was sent to, when `recipient` was used


def recipient_digits(to: object) -> str:
    """The wa_id for `to`, or Meta's invalid-recipient error (131026) when it cannot be a phone number."""
    if not isinstance(to, str) or not to.strip():
        raise invalid_parameter("The parameter to is required.")
    digits = NUMBER_SEPARATORS.sub("", to.strip())
    digits = digits[1:] if digits.startswith("+") else digits
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise MetaError(131026, f"Recipient ({to}) is not a valid WhatsApp phone number")
    return digits


def parse_send(payload: object, *, waba_id: str, templates: TemplateStore) -> ParsedSend:
    """Check a send payload; returns what the simulator records, or raises the MetaError Meta would answer."""
    if not isinstance(payload, dict):
        raise invalid_parameter("The request body must be a JSON object")
    if payload.get("messaging_product") != "whatsapp":
        raise invalid_parameter("The parameter messaging_product is required and must be 'whatsapp'.")
    recipient_type = payload.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise invalid_parameter(f"recipient_type ({recipient_type}) is not supported; use individual")
    message_type = payload.get("type", "text")
    if payload.get("to") is None and payload.get("recipient") is not None:
        # `to` wins when both are given, as at Meta; `recipient` alone addresses a business-scoped user id.
        user_id = payload["recipient"]
        if not isinstance(user_id, str) or not BSUID.match(user_id):
            raise MetaError(131026, f"Recipient ({user_id}) is not a valid business-scoped user ID")
        send = ParsedSend(to=user_id, wa_id="", type=message_type, user_id=user_id)
    else:
        send = ParsedSend(to=payload.get("to"), wa_id=recipient_digits(payload.get("to")), type=message_type)
    body = payload.get(message_type)
    if message_type == "text":
        _check_text(body)
    elif message_type == "template":
        _check_template(body, send, waba_id=waba_id, templates=templates)
    elif message_type in MEDIA_TYPES:
        send.media.append(_media_ref(message_type, body))
    elif message_type in OTHER_TYPES:
        OTHER_CHECKS[message_type](body)
        if message_type == "interactive":
            header = body.get("header") or {}
            kind = header.get("type") if isinstance(header, dict) else None
            if kind in ("image", "video", "document"):
                send.media.append(_media_ref(kind, header.get(kind)))
    else:
        raise MetaError(131051, f"message type ({message_type}) is not supported")
    return send


def _check_text(body: object) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
        raise MetaError(131008, "The parameter text['body'] is required.")
    if len(body["body"]) > TEXT_LIMIT:
        raise invalid_parameter(f"text['body'] must be at most {TEXT_LIMIT} characters")


def parse_read_receipt(payload: object) -> None:
    """A mark-as-read (optionally with a typing indicator): `{"status": "read", "message_id": …}`."""
    if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
        raise invalid_parameter("The parameter messaging_product is required and must be 'whatsapp'.")
    if payload.get("status") != "read":
        raise invalid_parameter(f"status ({payload.get('status')}) is not valid; only read can be set")
    if not isinstance(payload.get("message_id"), str) or not payload["message_id"]:
        raise invalid_parameter("The parameter message_id is required.")
    indicator = payload.get("typing_indicator")
    if indicator is not None and (not isinstance(indicator, dict) or indicator.get("type") != "text"):
        raise invalid_parameter("typing_indicator['type'] must be text")


def _media_ref(kind: str, body: object) -> MediaRef:
    if not isinstance(body, dict):
        raise MetaError(131008, f"The parameter {kind} is required.")
    link, media_id = body.get("link"), body.get("id")
    if bool(link) == bool(media_id):
        raise invalid_parameter(f"{kind} needs exactly one of link or id")
    if link and (not isinstance(link, str) or not link.startswith(("https://", "http://"))):
        raise invalid_parameter(f"{kind}['link'] must be an http(s) URL")
    if kind in ("audio", "sticker") and "caption" in body:
        raise invalid_parameter(f"caption is not allowed on {kind}")
    if "filename" in body and kind != "document":
        raise invalid_parameter("filename is only allowed on document")
    return MediaRef(kind=kind, link=link or None, media_id=str(media_id) if media_id else None)


# -------------------------------------------------------------------------------------- templates
def _check_template(body: object, send: ParsedSend, *, waba_id: str, templates: TemplateStore) -> None:
    if not isinstance(body, dict) or not body.get("name"):
        raise invalid_parameter("The parameter template['name'] is required.")
    language = body.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not code:
        raise invalid_parameter("The parameter template['language']['code'] is required.")
    send.template, send.language = str(body["name"]), str(code)
    template = templates.for_send(waba_id=waba_id, name=send.template, language=send.language)
    send.category = template.category
    if send.user_id and template.category == "AUTHENTICATION":
        # One-tap, zero-tap and copy-code passcodes still need the phone number.
        raise MetaError(131062, "Business-scoped User ID recipients are not supported for this message")
    components = body.get("components") or []
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise invalid_parameter("template['components'] must be a list of objects")
    by_type: dict[str, list[dict]] = {}
    for component in components:
        by_type.setdefault(str(component.get("type", "")).lower(), []).append(component)
    unknown = set(by_type) - {"header", "body", "button", "carousel", "limited_time_offer"}
    if unknown:
        raise invalid_parameter(f"unknown component type: {', '.join(sorted(unknown))}")
    _check_parts(template, by_type, send, where="")
    _check_offer(template, by_type.get("limited_time_offer", []))
    _check_carousel(template, by_type.get("carousel", []), send)


def _check_parts(template: Template, by_type: dict[str, list[dict]], send: ParsedSend, where: str) -> None:
    """Header, body and buttons of a template, or of one carousel card (`where` names the card)."""
    _check_header_parameters(template, by_type.get("header", []), send)
    _check_text_parameters(
        template, f"{where}body", template.body_variables, _single(by_type.get("body", []), f"{where}body")
    )
    _check_button_parameters(template, by_type.get("button", []))


def _check_offer(template: Template, components: list[dict]) -> None:
    """A limited-time offer with an expiry takes its `expiration_time_ms` at every send."""
    if components and template.offer_expires is None:
        raise MetaError(132012, "limited_time_offer: the template has no limited-time offer")
    parameters = _single(components, "limited_time_offer")
    if not template.offer_expires:
        if parameters:
            raise _count_mismatch("limited_time_offer", len(parameters), 0)
        return
    if len(parameters) != 1:
        raise _count_mismatch("limited_time_offer", len(parameters), 1)
    offer = parameters[0].get("limited_time_offer")
    if parameters[0].get("type") != "limited_time_offer" or not isinstance(offer, dict):
        raise MetaError(132012, "limited_time_offer: parameter type must be limited_time_offer")
    expiry = offer.get("expiration_time_ms")
    if not isinstance(expiry, int) or isinstance(expiry, bool) or expiry <= 0:
        raise MetaError(131008, "limited_time_offer: expiration_time_ms is required (epoch milliseconds)")


def _check_carousel(template: Template, components: list[dict], send: ParsedSend) -> None:
    """Every card of the template, once each by `card_index`, with its own header, body and buttons."""
    if components and not template.cards:
        raise MetaError(132012, "carousel: the template has no carousel")
    if not template.cards:
        return
    if len(components) != 1 or not isinstance(components[0].get("cards"), list):
        raise _count_mismatch("carousel", 0, len(template.cards))
    cards = components[0]["cards"]
    indexes = [card.get("card_index") if isinstance(card, dict) else None for card in cards]
    if sorted(str(index) for index in indexes) != sorted(str(n) for n in range(len(template.cards))):
        raise _count_mismatch("carousel cards", len(cards), len(template.cards))
    for card in cards:
        index = int(card["card_index"])
        parts = card.get("components")
        if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
            raise invalid_parameter(f"carousel card {index}: components must be a list of objects")
        by_type: dict[str, list[dict]] = {}
        for part in parts:
            by_type.setdefault(str(part.get("type", "")).lower(), []).append(part)
        _check_parts(template.cards[index], by_type, send, where=f"card {index} ")


def _single(components: list[dict], kind: str) -> list[dict]:
    if len(components) > 1:
        raise invalid_parameter(f"only one {kind} component is allowed")
    parameters = components[0].get("parameters", []) if components else []
    if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
        raise invalid_parameter(f"{kind}['parameters'] must be a list of objects")
    return parameters


def _count_mismatch(where: str, given: int, expected: int) -> MetaError:
    return MetaError(
        132000,
        f"{where}: number of localizable_params ({given}) does not match the expected number of params ({expected})",
    )


def _check_text_parameters(template: Template, where: str, variables: list[str], parameters: list[dict]) -> None:
    if len(parameters) != len(variables):
        raise _count_mismatch(where, len(parameters), len(variables))
    for parameter in parameters:
        _check_parameter_value(parameter, where)
    if template.parameter_format == "NAMED" and variables:
        names = [parameter.get("parameter_name") for parameter in parameters]
        if not all(names):
            raise invalid_parameter(f"{where}: Parameter name is missing or empty")
        if sorted(names) != sorted(variables):
            raise invalid_parameter(
                f"{where}: parameter names ({', '.join(map(str, names))}) do not match the template's "
                f"({', '.join(variables)})"
            )


CURRENCY_FIELDS = ("fallback_value", "code", "amount_1000")
# Parameter types each kind of place takes; `action` belongs to catalog, multi-product and flow buttons only.
TEXT_PARAMETER_TYPES = ("text", "currency", "date_time")
BUTTON_PARAMETER_TYPES = {
    "URL": ("text",), "QUICK_REPLY": ("payload", "text"), "COPY_CODE": ("coupon_code",),
    "OTP": ("text",), "CATALOG": ("action",), "MPM": ("action",), "FLOW": ("action",),
}


def _check_parameter_value(
    parameter: dict, where: str, allowed: tuple[str, ...] = TEXT_PARAMETER_TYPES, button_type: str = ""
) -> None:
    kind = parameter.get("type")
    if kind not in allowed:
        raise MetaError(132012, f"{where}: parameter type ({kind}) does not match the template")
    value = parameter.get(kind)
    if kind in ("text", "payload", "coupon_code"):
        if not isinstance(value, str):
            raise MetaError(131008, f"{where}: parameter of type {kind} needs its {kind} value")
    elif not isinstance(value, dict):
        raise MetaError(131008, f"{where}: parameter of type {kind} needs its {kind} object")
    elif kind == "currency":
        for key in CURRENCY_FIELDS:
            if value.get(key) in (None, ""):
                raise MetaError(131008, f"{where}: currency['{key}'] is required")
        if not isinstance(value["amount_1000"], int) or isinstance(value["amount_1000"], bool):
            raise MetaError(131009, f"{where}: currency['amount_1000'] must be a whole number")
    elif kind == "date_time" and value.get("fallback_value") in (None, ""):
        raise MetaError(131008, f"{where}: date_time['fallback_value'] is required")
    elif kind == "action" and button_type == "MPM":
        _check_products(value, where)


def _check_products(action: dict, where: str) -> None:
    """A multi-product button's action: a thumbnail and up to 10 sections of at most 30 products in all."""
    sections = action.get("sections")
    if not action.get("thumbnail_product_retailer_id"):
        raise MetaError(131008, f"{where}: action['thumbnail_product_retailer_id'] is required")
    if not isinstance(sections, list) or not sections:
        raise MetaError(131008, f"{where}: action['sections'] is required")
    if len(sections) > 10:
        raise MetaError(131009, f"{where}: at most 10 sections")
    items = 0
    for index, section in enumerate(sections):
        products = section.get("product_items") if isinstance(section, dict) else None
        if not isinstance(products, list) or not products:
            raise MetaError(131008, f"{where}: sections[{index}]['product_items'] is required")
        if not all(isinstance(item, dict) and item.get("product_retailer_id") for item in products):
            raise MetaError(131008, f"{where}: every product item needs product_retailer_id")
        items += len(products)
    if items > 30:
        raise MetaError(131009, f"{where}: at most 30 products in all sections")


def _check_header_parameters(template: Template, components: list[dict], send: ParsedSend) -> None:
    parameters = _single(components, "header")
    header_format = template.header_format
    if header_format in ("IMAGE", "VIDEO", "DOCUMENT", "LOCATION"):
        expected_kind = header_format.lower()
        received = str(parameters[0].get("type", "UNKNOWN")) if parameters else "UNKNOWN"
        if len(parameters) != 1 or received != expected_kind:
            raise MetaError(
                132012, f"header: Format mismatch, expected {header_format}, received {received.upper()}"
            )
        if expected_kind == "location":
            check_coordinates(parameters[0].get("location"), "header: location", require_names=True)
        else:
            send.media.append(_media_ref(expected_kind, parameters[0].get(expected_kind)))
        return
    _check_text_parameters(template, "header", template.header_variables, parameters)


def _check_button_parameters(template: Template, components: list[dict]) -> None:
    seen: set[int] = set()
    for component in components:
        try:
            index = int(component.get("index"))
        except (TypeError, ValueError) as exc:
            raise invalid_parameter("button['index'] is required and must be a number") from exc
        if not 0 <= index < len(template.buttons) or index in seen:
            raise invalid_parameter(f"button index ({index}) does not match a button of the template")
        seen.add(index)
        button = template.buttons[index]
        button_type = str(button.get("type", "")).upper()
        sub_type = str(component.get("sub_type", "")).upper()
        # An authentication template's OTP button is sent as a url button carrying the code.
        if sub_type != button_type and not (button_type == "OTP" and sub_type == "URL"):
            raise MetaError(
                132012, f"button {index}: sub_type {sub_type or 'UNKNOWN'} does not match {button_type}"
            )
        parameters = _single([component], f"button {index}")
        expected = None
        if button_type == "URL":
            expected = len(re.findall(r"{{\s*[^{}\s]+\s*}}", button.get("url", "")))
        elif button_type in ("OTP", "COPY_CODE", "MPM"):
            expected = 1
        elif len(parameters) > 1:
            raise _count_mismatch(f"button {index}", len(parameters), 1)
        if expected is not None and len(parameters) != expected:
            raise _count_mismatch(f"button {index}", len(parameters), expected)
        for parameter in parameters:
            _check_parameter_value(
                parameter, f"button {index}", BUTTON_PARAMETER_TYPES.get(button_type, ()), button_type
            )
    # A URL button with a variable, an OTP button or a copy-code button cannot be sent without its value.
    for index, button in enumerate(template.buttons):
        needs_value = button.get("type") in ("OTP", "COPY_CODE", "MPM") or (
            button.get("type") == "URL" and "{{" in button.get("url", ""))
        if needs_value and index not in seen:
            raise _count_mismatch(f"button {index}", 0, 1)
