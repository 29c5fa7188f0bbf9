"""Does a send's message.meta give exactly what the template asks for? Checked before any request leaves."""

import ipaddress
from urllib.parse import urlparse

from templates.requirements import TemplateRequirements, with_article
from whatsapp_gateway.api_input import ascii_id


def send_errors(*, name: str, requirements: TemplateRequirements, meta: dict) -> list[str]:
    if isinstance(meta.get("components"), list):
        return _raw_components_errors(name, requirements, meta["components"])
    return [
        *_body_errors(name, requirements, meta.get("parameters")),
        *_header_errors(name, requirements, meta.get("header")),
        *_button_errors(name, requirements, meta.get("buttons")),
    ]


def _body_errors(name: str, req: TemplateRequirements, parameters) -> list[str]:
    expected = list(req.body_variables)
    if req.named:
        given = parameters if isinstance(parameters, dict) else {}
        if parameters not in (None, {}) and not isinstance(parameters, dict):
            return [f"Template {name} takes named parameters ({', '.join(expected)}): give parameters as an object."]
        missing = [v for v in expected if v not in given]
        extra = [k for k in given if k not in expected]
        problems = []
        if missing:
            problems.append(f"Template {name} is missing named parameter(s) {', '.join(missing)}.")
        if extra:
            problems.append(f"Template {name} has no parameter(s) {', '.join(extra)}; it takes {', '.join(expected)}.")
        return problems
    if isinstance(parameters, dict):
        return [f"Template {name} takes positional parameters: give parameters as a list of {len(expected)}."]
    given = len(parameters or [])
    if given != len(expected):
        return [f"Template {name} expects {len(expected)} body parameter(s), got {given}."]
    return []


# Header formats whose content is given at every send, and what that header object holds.
# A location's values (coordinates in range, name, address) are checked by the builder.
_SENT_HEADER_FIELDS = {
    "IMAGE": "link or id", "VIDEO": "link or id", "DOCUMENT": "link or id",
    "LOCATION": "latitude, longitude, name, address",
}


def _header_errors(name: str, req: TemplateRequirements, header) -> list[str]:
    if req.header_format in _SENT_HEADER_FIELDS:
        kind, described = req.header_format.lower(), with_article(req.header_format)
        if not isinstance(header, dict):
            fields = _SENT_HEADER_FIELDS[req.header_format]
            return [f"Template {name} has {described} header: give header {{type: {kind}, {fields}}}."]
        if str(header.get("type", "")).lower() != kind:
            return [f"Template {name} has {described} header, not {header.get('type') or 'none'}."]
        if req.needs_media and not header.get("id") and not _link_usable(header.get("link")):
            return [
                f"Template {name} needs a usable header {kind}: a public http(s) link Meta can download "
                "or an uploaded media id."
            ]
        return []
    if req.header_variables:
        if not isinstance(header, dict) or not header.get("text"):
            return [f"Template {name} has a text header with a variable: give header {{type: text, text}}."]
        return []
    if header:
        if not req.header_format:
            return [f"Template {name} has no header; remove meta.header."]
        return [
            f"Template {name} has {with_article(req.header_format)} header without a parameter; remove meta.header."
        ]
    return []


def _link_usable(link) -> bool:
    """An http(s) URL whose host Meta's servers can reach (not localhost or a private address)."""
    parts = urlparse(str(link or ""))
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name: only Meta's fetch can tell (a failure comes back as 131053)


def _button_errors(name: str, req: TemplateRequirements, buttons) -> list[str]:
    # Keyed as the builder keys them: `index`, or the button's position in the list when absent.
    given = {}
    for position, button in enumerate(buttons if isinstance(buttons, list) else []):
        index = button.get("index", position) if isinstance(button, dict) else None
        if isinstance(index, int | str) and not isinstance(index, bool) and (number := ascii_id(index)) is not None:
            given[number] = button
    problems = []
    for slot in req.buttons:
        button = given.get(slot.index)
        kind = str((button or {}).get("type", "")).upper()
        if button is not None and kind and kind != slot.sub_type:
            problems.append(f"Template {name} button {slot.index} is {slot.sub_type}, not {kind}.")
        elif slot.sub_type == "COPY_CODE" and not (button or {}).get("code"):
            problems.append(f"Template {name} button {slot.index} (COPY_CODE) needs its code.")
        elif slot.variables and not (button or {}).get("parameters"):
            problems.append(f"Template {name} button {slot.index} ({slot.sub_type}) needs its URL parameter.")
    known = {slot.index for slot in req.buttons}
    for index in sorted(set(given) - known):
        problems.append(f"Template {name} has no button {index}.")
    return problems


def _raw_components_errors(name: str, req: TemplateRequirements, components: list) -> list[str]:
    # Meta's own shape goes out unchanged, so it gets the same checks as the friendly fields:
    # each part is read back into that shape (header, buttons) and checked by the same rules.
    parts: dict[str, list[dict]] = {}
    for position, component in enumerate(components):
        if not isinstance(component, dict) or not isinstance(component.get("type"), str):
            return [f"message.meta.components[{position}]: must be an object with a type (header, body or button)."]
        if not isinstance(component.get("parameters", []), list):
            return [f"message.meta.components[{position}].parameters: must be a list."]
        parts.setdefault(component["type"].lower(), []).append(component)
    body = (parts.get("body") or [{}])[0]
    given = len(body.get("parameters", []))
    problems = []
    if given != len(req.body_variables):
        problems.append(f"Template {name} expects {len(req.body_variables)} body parameter(s), got {given}.")
    header = next(iter((parts.get("header") or [{}])[0].get("parameters") or []), None)
    buttons = [_raw_button(button) for button in parts.get("button", [])]
    return problems + _header_errors(name, req, _raw_header(header)) + _button_errors(name, req, buttons)


def _raw_header(parameter) -> dict | None:
    """{"type": "image", "image": {"link": …}} → {"type": "image", "link": …}; text and location alike."""
    if not isinstance(parameter, dict):
        return None
    kind = str(parameter.get("type", "")).lower()
    value = parameter.get(kind)
    if kind == "text":
        return {"type": "text", "text": value}
    return {"type": kind, **value} if isinstance(value, dict) else {"type": kind}


def _raw_button(component: dict) -> dict:
    parameters = component.get("parameters") or []
    first = parameters[0] if parameters and isinstance(parameters[0], dict) else {}
    button = {"type": component.get("sub_type", ""), "parameters": parameters, "code": first.get("coupon_code")}
    if "index" in component:
        button["index"] = component["index"]
    return button
