"""Does a send's message.meta give exactly what the template asks for? Checked before any request leaves."""

from urllib.parse import urlparse

from templates.requirements import TemplateRequirements


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


def _header_errors(name: str, req: TemplateRequirements, header) -> list[str]:
    if req.needs_media:
        kind = req.header_format.lower()
        if not isinstance(header, dict):
            return [f"Template {name} has a {req.header_format} header: give header {{type: {kind}, link or id}}."]
        if str(header.get("type", "")).lower() != kind:
            return [f"Template {name} has a {req.header_format} header, not {header.get('type') or 'none'}."]
        link, media_id = header.get("link"), header.get("id")
        if media_id:
            return []
        if not link or urlparse(str(link)).scheme not in {"http", "https"} or not urlparse(str(link)).netloc:
            return [f"Template {name} needs a usable header {kind}: an http(s) link or an uploaded media id."]
        return []
    if req.header_variables:
        if not isinstance(header, dict) or not header.get("text"):
            return [f"Template {name} has a text header with a variable: give header {{type: text, text}}."]
        return []
    if header:
        return [f"Template {name} has no {'media ' if req.header_format != 'TEXT' else ''}header parameter to fill."]
    return []


def _button_errors(name: str, req: TemplateRequirements, buttons) -> list[str]:
    given = {
        int(b.get("index", -1)): b for b in buttons or [] if isinstance(b, dict) and str(b.get("index", "")).isdigit()
    }
    problems = []
    for slot in req.buttons:
        if slot.variables and not (given.get(slot.index) or {}).get("parameters"):
            problems.append(f"Template {name} button {slot.index} ({slot.sub_type}) needs its URL parameter.")
    known = {slot.index for slot in req.buttons}
    for index in sorted(set(given) - known):
        problems.append(f"Template {name} has no button {index}.")
    return problems


def _raw_components_errors(name: str, req: TemplateRequirements, components: list) -> list[str]:
    body = next((c for c in components if isinstance(c, dict) and c.get("type") == "body"), {})
    given = len(body.get("parameters", []))
    if given != len(req.body_variables):
        return [f"Template {name} expects {len(req.body_variables)} body parameter(s), got {given}."]
    return []
