"""A template as the campaign form and its preview show it: texts with a recipient's values, media, buttons."""

from templates.models import Template
from templates.requirements import VARIABLE


def template_texts(template: Template, meta: dict | None = None) -> dict:
    """The template's header, body and footer texts and its buttons, with `meta`'s values filled in when given."""
    texts = {}
    parameters = (meta or {}).get("parameters")
    for component in template.components or []:
        kind = str(component.get("type", "")).upper()
        if kind in ("HEADER", "BODY", "FOOTER") and component.get("text"):
            text = component["text"]
            if meta is not None:
                text = VARIABLE.sub(lambda m, kind=kind: _value(m.group(1), kind, meta, parameters), text)
            texts[kind.lower()] = text
        elif kind == "HEADER" and component.get("format"):
            texts["media"] = _media_shown(component["format"], (meta or {}).get("header"))
        elif kind == "BUTTONS":
            texts["buttons"] = [_button_shown(i, b, meta) for i, b in enumerate(component.get("buttons") or [])]
    return texts


def _media_shown(kind: str, header) -> str:
    header = header if isinstance(header, dict) else {}
    source = header.get("link") or (f"media id {header['id']}" if header.get("id") else "")
    return f"[{kind.lower()}{': ' + source if source else ''}]"


def _button_shown(index: int, button: dict, meta: dict | None) -> str:
    """A button as the recipient sees it: its text, and what a URL or copy-code button carries for them."""
    text, kind = str(button.get("text", "")), str(button.get("type", "")).upper()
    given = next((b for b in (meta or {}).get("buttons") or []
                  if isinstance(b, dict) and str(b.get("index", "")) == str(index)), None)
    if kind == "URL" and button.get("url"):
        values = [str(v) for v in (given or {}).get("parameters") or []]
        url = VARIABLE.sub(lambda m: values[0] if values and meta is not None else m.group(0), button["url"])
        return f"{text} → {url}"
    if kind == "COPY_CODE":
        return f"{text or 'Copy code'}: {(given or {}).get('code') or '{{code}}'}"
    return text


def _value(name: str, kind: str, meta: dict, parameters) -> str:
    unfilled = "{{" + name + "}}"
    if kind == "HEADER":
        return str((meta.get("header") or {}).get("text", unfilled))
    if isinstance(parameters, dict):
        return str(parameters.get(name, unfilled))
    if isinstance(parameters, list) and name.isdigit() and 0 < int(name) <= len(parameters):
        return str(parameters[int(name) - 1])
    return unfilled
