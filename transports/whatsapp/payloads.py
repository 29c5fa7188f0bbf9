"""The WhatsApp Cloud message builder: a gateway message (+ recipient params) → Meta's send body.

message = {"content": "...", "meta": {"templateName", "language", "parameters", "header",
"buttons", "components"}}. With `templateName` it is a template message; without, a plain
text message (`content`, only delivered inside the 24-hour customer-service window).

Per-recipient params (the recipient's `params` object) are applied over the message meta:
- `parameters`: a list replaces the message's positional parameters; a map is merged over
  the message's named parameters (adds and overrides names).
- any other top-level key that is already a named parameter of the message overrides it
  (`{"first_name": "Ana"}`); keys the message does not name are left for placeholders.
- `header`, `buttons`, `language` replace the message's ones; `components` replaces all.
"""

import re

from transports.addresses import is_user_id
from transports.builders import TEXT_LIMIT, BuildError, PayloadBuilder
from transports.whatsapp.preset import MARKETING_OFF, MARKETING_ONLY
from whatsapp_gateway.api_input import ascii_id

MEDIA_TYPES = ("image", "video", "document")
HEADER_TYPES = ("text", *MEDIA_TYPES, "location")
BUTTON_TYPES = ("url", "quick_reply", "copy_code", "flow", "catalog", "mpm")
DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
RESERVED_PARAM_KEYS = ("parameters", "header", "buttons", "language", "components")


def meta_merged(meta: dict, params: dict | None) -> dict:
    """The message meta with one recipient's params applied (the rule in the module docstring)."""
    merged = dict(meta or {})
    params = params or {}
    base = merged.get("parameters")
    given = params.get("parameters")
    if isinstance(given, list):
        base = list(given)
    elif isinstance(given, dict):
        base = {**(base if isinstance(base, dict) else {}), **given}
    if isinstance(base, dict):
        base = {**base, **{k: v for k, v in params.items() if k in base and k not in RESERVED_PARAM_KEYS}}
    if base is not None:
        merged["parameters"] = base
    for key in ("header", "buttons", "language", "components"):
        if key in params:
            merged[key] = params[key]
    return merged


def _text_parameter(value, where: str, name: str | None = None) -> dict:
    if isinstance(value, dict):
        if "type" not in value:
            raise BuildError(f"{where}: a parameter object needs a 'type' (text, currency, date_time…)")
        parameter = dict(value)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        parameter = {"type": "text", "text": str(value)}
    else:
        raise BuildError(f"{where}: a parameter must be a string, a number or a parameter object")
    if name is not None:
        parameter["parameter_name"] = name
    return parameter


def _body_parameters(parameters) -> list[dict]:
    if parameters is None:
        return []
    if isinstance(parameters, list):
        return [_text_parameter(value, f"meta.parameters[{i}]") for i, value in enumerate(parameters)]
    if isinstance(parameters, dict):
        return [_text_parameter(value, f"meta.parameters.{name}", str(name)) for name, value in parameters.items()]
    raise BuildError("meta.parameters: must be a list (positional) or an object (named)")


def _header_component(header) -> dict:
    if not isinstance(header, dict):
        raise BuildError("meta.header: must be an object with a 'type'")
    kind = str(header.get("type", "")).lower()
    if kind not in HEADER_TYPES:
        raise BuildError(f"meta.header.type: must be one of {', '.join(HEADER_TYPES)}")
    if kind == "text":
        if not isinstance(header.get("text"), (str, int, float)) or header.get("text") == "":
            raise BuildError("meta.header.text: required for a text header")
        parameter = {"type": "text", "text": str(header["text"])}
        if header.get("parameter_name"):
            parameter["parameter_name"] = str(header["parameter_name"])
        return {"type": "header", "parameters": [parameter]}
    if kind == "location":
        return {"type": "header", "parameters": [{"type": "location", "location": _location(header)}]}
    link, media_id = header.get("link"), header.get("id")
    if bool(link) == bool(media_id):
        raise BuildError(f"meta.header: a {kind} header needs exactly one of 'link' or 'id'")
    media = {"link": str(link)} if link else {"id": str(media_id)}
    if kind == "document" and header.get("filename"):
        media["filename"] = str(header["filename"])
    if header.get("caption") and kind != "document":
        media["caption"] = str(header["caption"])
    return {"type": "header", "parameters": [{"type": kind, kind: media}]}


def _coordinate(value, key: str, limit: int) -> str:
    """A latitude or longitude as the decimal-degree string Meta's location object takes."""
    rule = f"meta.header.{key}: must be a number (or numeric string) from -{limit} to {limit}"
    if isinstance(value, str) and DECIMAL.fullmatch(value.strip()):
        number = float(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    else:
        raise BuildError(rule)
    if not -limit <= number <= limit:  # NaN fails this too
        raise BuildError(rule)
    if isinstance(value, str):
        return value.strip()
    return f"{number:.10f}".rstrip("0").rstrip(".")  # str() would write 1e-05, which is not a decimal


def _location(header: dict) -> dict:
    location = {
        "latitude": _coordinate(header.get("latitude"), "latitude", 90),
        "longitude": _coordinate(header.get("longitude"), "longitude", 180),
    }
    # Meta's location templates take all four at send time; name and address are shown under the map.
    for key in ("name", "address"):
        value = header.get(key)
        if not isinstance(value, str) or not value.strip():
            raise BuildError(f"meta.header.{key}: required for a location header (text shown under the map)")
        location[key] = value
    return location


def _button_component(button, position: int) -> dict:
    where = f"meta.buttons[{position}]"
    if not isinstance(button, dict):
        raise BuildError(f"{where}: must be an object with 'type' and 'index'")
    kind = str(button.get("type", "")).lower()
    if kind not in BUTTON_TYPES:
        raise BuildError(f"{where}.type: must be one of {', '.join(BUTTON_TYPES)}")
    index = button.get("index", position)
    if isinstance(index, bool) or ascii_id(index) is None:  # "²" is a digit to isdigit(), not an index
        raise BuildError(f"{where}.index: must be the button's 0-based position in the template")
    if kind == "quick_reply":
        if "payload" not in button:
            raise BuildError(f"{where}.payload: required for a quick_reply button")
        parameters = [{"type": "payload", "payload": str(button["payload"])}]
    elif kind == "copy_code":
        if "code" not in button:
            raise BuildError(f"{where}.code: required for a copy_code button")
        parameters = [{"type": "coupon_code", "coupon_code": str(button["code"])}]
    else:
        values = button.get("parameters", [])
        if not isinstance(values, list):
            raise BuildError(f"{where}.parameters: must be a list")
        parameters = [_text_parameter(v, f"{where}.parameters[{i}]") for i, v in enumerate(values)]
    return {"type": "button", "sub_type": kind, "index": str(index), "parameters": parameters}


def template_components(meta: dict) -> list[dict]:
    """Meta's `components` for a template message (raw `meta.components` pass through unchanged)."""
    if "components" in meta:
        if not isinstance(meta["components"], list):
            raise BuildError("meta.components: must be a list of Meta components")
        return meta["components"]
    components = []
    if meta.get("header") is not None:
        components.append(_header_component(meta["header"]))
    body = _body_parameters(meta.get("parameters"))
    if body:
        components.append({"type": "body", "parameters": body})
    buttons = meta.get("buttons") or []
    if not isinstance(buttons, list):
        raise BuildError("meta.buttons: must be a list")
    components.extend(_button_component(button, i) for i, button in enumerate(buttons))
    return components


def _language(value) -> dict:
    if value is None:
        return {"code": "en_US"}
    if isinstance(value, str) and value.strip():
        return {"code": value.strip()}
    if isinstance(value, dict) and isinstance(value.get("code"), str):
        return dict(value)
    raise BuildError("meta.language: must be a language code such as en_US")


def whatsapp_payload(*, to: str, message: dict, params: dict | None = None, callback_data: str = "") -> dict:
    """The JSON body for POST /{phone-number-id}/messages; raises BuildError naming the field.

    `callback_data` goes out as `biz_opaque_callback_data`, which Meta echoes in every status
    webhook of the message: a send whose answer never came is still matched by its statuses.
    """
    meta = meta_merged(message.get("meta") or {}, params)
    name = meta.get("templateName")
    # A business-scoped user id goes in `recipient`; a phone number in `to` (which Meta prefers when both are).
    address_key = "recipient" if is_user_id(to) else "to"
    envelope = {"messaging_product": "whatsapp", "recipient_type": "individual", address_key: to}
    if callback_data:
        envelope["biz_opaque_callback_data"] = callback_data
    if name:
        if not isinstance(name, str):
            raise BuildError("meta.templateName: must be a string")
        template = {"name": name, "language": _language(meta.get("language"))}
        components = template_components(meta)
        if components:
            template["components"] = components
        return {**envelope, "type": "template", "template": template}
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise BuildError("content: required for a text message (or set meta.templateName)")
    if len(content) > TEXT_LIMIT:
        raise BuildError(f"content: at most {TEXT_LIMIT} characters for a WhatsApp text message")
    text = {"body": content, "preview_url": bool(meta.get("previewUrl", False))}
    return {**envelope, "type": "text", "text": text}


def whatsapp_route(config: dict, message: dict) -> tuple[str, dict]:
    """(endpoint, body fields) for `message`: a MARKETING template goes to the Marketing Messages API when the
    transport's marketingMessages is prefer or only; everything else to /messages.

    The category is the message meta's `category` (the sessions write the synced template's one there).
    """
    mode = config.get("marketingMessages") or MARKETING_OFF
    meta = message.get("meta") or {}
    if mode == MARKETING_OFF or not meta.get("templateName") or str(meta.get("category", "")).upper() != "MARKETING":
        return "messages", {}
    return "marketing_messages", {"product_policy": "STRICT" if mode == MARKETING_ONLY else "CLOUD_API_FALLBACK"}


# {%whatsapp.payload%}: a template message's text lives at Meta, so only a text message sends its content.
WHATSAPP_BUILDER = PayloadBuilder(
    name="whatsapp", build=whatsapp_payload,
    sends_content=lambda message: not (message.get("meta") or {}).get("templateName"),
    user_ids=True,
    service_window=True,
    priced_per_message=True,
    route=whatsapp_route,
)
