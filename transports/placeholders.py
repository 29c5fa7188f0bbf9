"""`{%path%}` placeholders in a transport's request config: a lookup, never code.

A JSON string that is exactly one placeholder becomes the value with its JSON type (a list
of components stays a list, a number stays a number); a placeholder inside a longer string
is interpolated as text. In a URL every placeholder except one at the very start (the base
URL) is percent-encoded. A path that does not exist is an error before anything is sent.
"""

import json
import re
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\{%\s*([A-Za-z0-9_.\-]+)\s*%\}")


class PlaceholderError(ValueError):
    """A placeholder names a path that does not exist; `path` is the placeholder's path."""

    def __init__(self, path: str, reason: str = "unknown placeholder"):
        self.path = path
        super().__init__(f"{reason} {{%{path}%}}")


_MISSING = object()


def lookup(context: dict, path: str):
    """The value at dotted `path` in `context` (list items by index); raises PlaceholderError."""
    value = context
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise PlaceholderError(path)
        if callable(value):  # lazily computed roots (the WhatsApp payload); never user data
            value = value()
    return value


def as_text(value) -> str:
    """How a value reads inside a longer string: strings as is, everything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_string(template: str, context: dict, *, url: bool = False):
    """One config string rendered; an exact single placeholder keeps the value's type."""
    whole = PLACEHOLDER.fullmatch(template.strip()) if not url else None
    if whole:
        return lookup(context, whole.group(1))

    def replace(match: re.Match) -> str:
        text = as_text(lookup(context, match.group(1)))
        if url and match.start() != 0:
            return quote(text, safe="")
        return text

    return PLACEHOLDER.sub(replace, template)


def render(value, context: dict):
    """`value` (any JSON) with every placeholder in its strings and keys rendered; input untouched."""
    if isinstance(value, str):
        return render_string(value, context)
    if isinstance(value, dict):
        return {as_text(render_string(k, context)): render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value


def placeholder_paths(value) -> list[str]:
    """Every placeholder path used anywhere in `value` (strings and keys), in order of appearance."""
    found: list[str] = []

    def walk(item) -> None:
        if isinstance(item, str):
            found.extend(match.group(1) for match in PLACEHOLDER.finditer(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                walk(key)
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(value)
    return found


def unknown_paths(value, context: dict, *, skip_roots: tuple[str, ...] = ()) -> list[str]:
    """The placeholder paths in `value` that `context` cannot answer (roots in skip_roots not checked)."""
    problems = []
    for path in placeholder_paths(value):
        if path.split(".", 1)[0] in skip_roots:
            continue
        try:
            lookup(context, path)
        except PlaceholderError:
            if path not in problems:
                problems.append(path)
    return problems
