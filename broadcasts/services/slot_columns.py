"""CSV columns that fill a template message's slots: each row's cell becomes that recipient's value.

`columns` maps a slot of the message's meta to a column of the CSV's header:

- `body.1`, `body.2`… a positional body parameter (1-based); `body.first_name` a named one;
- `header.text` the text header's parameter; `header.link` or `header.id` a media header's link or
  uploaded media id;
- `button.0`, `button.1`… the parameter of the button with that index (a URL button's suffix, a copy
  code button's code).

The message keeps a value for every slot (the fixed one, used where a row's cell is empty; "" when
the column must give it), so `meta.parameters`, `meta.header` and `meta.buttons` say the shape and
the row fills it in: a row's params get `parameters`, `header` or `buttons` as the message's with its
cells put in, which the message builder applies over the message (transports/whatsapp/payloads.py).
"""

import re

from broadcasts.services.errors import SessionError

SLOT = re.compile(r"(body)\.([A-Za-z0-9_]+)|(header)\.(text|link|id)|(button)\.(\d+)")
EXAMPLE = '{"body.1": "first_name", "header.link": "image", "button.0": "tracking_code"}'


def columns_check(*, columns, header: list[str], meta: dict) -> dict[str, tuple[int, str]]:
    """Slot → (the index of its column in `header`, its name); raises SessionError naming `columns`."""
    if columns is None:
        return {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise SessionError(f"An object of slot → CSV column, e.g. {EXAMPLE}.", field="columns")
    found = {}
    for slot, column in columns.items():
        if not isinstance(slot, str) or not SLOT.fullmatch(slot):
            raise SessionError(
                f'"{slot}" is not a slot: use body.<n or name>, header.text, header.link, header.id or '
                f"button.<index>, e.g. {EXAMPLE}.", field="columns",
            )
        if problem := _slot_problem(slot, meta):
            raise SessionError(f"{slot}: {problem}", field="columns")
        matches = [i for i, name in enumerate(header) if name == column.strip()]
        matches = matches or [i for i, name in enumerate(header) if name.casefold() == column.strip().casefold()]
        if len(matches) != 1:
            named = ", ".join(f'"{name}"' for name in header if name) or "none"
            raise SessionError(
                f'{slot}: the CSV has no column "{column}" (its header names {named}).', field="columns",
                code="missing_column",
            )
        found[slot] = (matches[0], header[matches[0]])
    return found


def _slot_problem(slot: str, meta: dict) -> str:
    kind, _, key = slot.partition(".")
    if kind == "body":
        parameters = meta.get("parameters")
        if key.isdigit():
            if not isinstance(parameters, list) or not 0 < int(key) <= len(parameters):
                return "the message has no such positional parameter (give meta.parameters a value, \"\" for none)"
        elif not isinstance(parameters, dict) or key not in parameters:
            return "the message has no such named parameter (give meta.parameters a value, \"\" for none)"
    elif kind == "header":
        header = meta.get("header")
        if not isinstance(header, dict):
            return "the message has no header (give meta.header its type)"
        if (key == "text") != (str(header.get("type", "")).lower() == "text"):
            return f"the message's header is {header.get('type') or 'untyped'}"
    elif _button(meta, int(key)) is None:
        return "the message has no button with that index (give meta.buttons an entry)"
    return ""


def _button(meta: dict, index: int) -> dict | None:
    buttons = meta.get("buttons")
    for position, button in enumerate(buttons if isinstance(buttons, list) else []):
        if isinstance(button, dict) and str(button.get("index", position)) == str(index):
            return button
    return None


def row_slots_apply(
    *, meta: dict, slots: dict[str, tuple[int, str]], cells: list[str], params: dict
) -> tuple[dict, str]:
    """(the row's params with its slots' values put in, "") or ({}, why the row cannot fill them)."""
    if not slots:
        return params, ""
    params = dict(params)
    parameters = meta.get("parameters")
    parameters = list(parameters) if isinstance(parameters, list) else None
    header = dict(meta.get("header") or {})
    buttons = [dict(b) if isinstance(b, dict) else b for b in meta.get("buttons") or []]
    touched = set()
    for slot, (index, column) in slots.items():
        kind, _, key = slot.partition(".")
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            if _fixed(meta, kind, key):
                continue  # the message's own value applies
            return {}, f'the column "{column}" is empty and the message has no value of its own for {slot}'
        if kind == "body" and parameters is None:
            params[key] = value  # a named parameter by its name, as a column of that name gives it
            continue
        touched.add(kind)
        if kind == "body":
            parameters[int(key) - 1] = value
        elif kind == "header":
            header.pop("link" if key == "id" else "id", None)
            header[key] = value
        else:
            button = _button({"buttons": buttons}, int(key))
            if str(button.get("type", "")).lower() == "copy_code":
                button["code"] = value
            else:
                button["parameters"] = [value]
    if "body" in touched:
        params["parameters"] = parameters
    if "header" in touched:
        params["header"] = header
    if "button" in touched:
        params["buttons"] = buttons
    return params, ""


def _fixed(meta: dict, kind: str, key: str) -> bool:
    """Whether the message has a non-empty value of its own for that slot."""
    if kind == "body":
        parameters = meta.get("parameters")
        value = parameters[int(key) - 1] if isinstance(parameters, list) else (parameters or {}).get(key)
    elif kind == "header":
        value = (meta.get("header") or {}).get(key) or (meta.get("header") or {}).get("id" if key == "link" else "link")
    else:
        button = _button(meta, int(key)) or {}
        value = button.get("code") or "".join(str(v) for v in button.get("parameters") or [])
    return bool(str(value or "").strip())
