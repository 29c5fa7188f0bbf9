"""Meta's rules for the message types beside text, media and templates: location, contacts, reaction, interactive.

A missing required value answers 131008, a value out of Meta's limits 131009, as Meta does.
"""

import math

from .errors import MetaError

INTERACTIVE_BODY_LIMIT = 1024
HEADER_TEXT_LIMIT = 60
FOOTER_LIMIT = 60
MAX_REPLY_BUTTONS = 3
REPLY_TITLE_LIMIT = 20
REPLY_ID_LIMIT = 256
LIST_BUTTON_LIMIT = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
SECTION_TITLE_LIMIT = 24
ROW_TITLE_LIMIT = 24
ROW_ID_LIMIT = 200
ROW_DESCRIPTION_LIMIT = 72
CTA_TEXT_LIMIT = 20
# Interactive kinds whose action the simulator passes through as long as it is an object.
OTHER_INTERACTIVE = (
    "product", "product_list", "catalog_message", "flow", "location_request_message", "address_message",
    "call_permission_request", "voice_call", "carousel",
)


def missing(details: str) -> MetaError:
    return MetaError(131008, details)


def not_valid(details: str) -> MetaError:
    return MetaError(131009, details)


def _text(value: object, where: str, limit: int, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise missing(f"The parameter {where} is required.")
    if len(value) > limit:
        raise not_valid(f"{where} is {len(value)} characters long; at most {limit} are allowed")


def check_coordinates(location: object, where: str, *, require_names: bool = False) -> None:
    """Latitude and longitude present and in range (a template's location header also needs name and address)."""
    if not isinstance(location, dict):
        raise missing(f"The parameter {where} is required.")
    required = ("latitude", "longitude", "name", "address") if require_names else ("latitude", "longitude")
    for key in required:
        if location.get(key) in (None, ""):
            raise missing(f"{where}['{key}'] is required")
    for key, limit in (("latitude", 90), ("longitude", 180)):
        try:
            value = float(location[key])
        except (TypeError, ValueError, OverflowError):
            value = math.nan
        if not -limit <= value <= limit:
            raise not_valid(f"{where}['{key}'] must be a number from -{limit} to {limit}")


def check_location(body: object) -> None:
    check_coordinates(body, "location")


def check_contacts(body: object) -> None:
    """`contacts` is a list of contact cards, each with `name.formatted_name`."""
    if not isinstance(body, list) or not body:
        raise missing("The parameter contacts is required and must be a list of contacts.")
    for index, contact in enumerate(body):
        name = contact.get("name") if isinstance(contact, dict) else None
        if not isinstance(name, dict):
            raise missing(f"The parameter contacts[{index}]['name'] is required.")
        if not isinstance(name.get("formatted_name"), str) or not name["formatted_name"].strip():
            raise missing(f"The parameter contacts[{index}]['name']['formatted_name'] is required.")
        for key in ("phones", "emails", "urls", "addresses"):
            if key in contact and not isinstance(contact[key], list):
                raise not_valid(f"contacts[{index}]['{key}'] must be a list")


def check_reaction(body: object) -> None:
    """A reaction names the message it reacts to; an empty emoji removes the reaction."""
    if not isinstance(body, dict) or not isinstance(body.get("message_id"), str) or not body["message_id"]:
        raise missing("The parameter reaction['message_id'] is required.")
    if not isinstance(body.get("emoji"), str):
        raise missing("The parameter reaction['emoji'] is required (an empty string removes the reaction).")


# ------------------------------------------------------------------------------------- interactive
def check_interactive(body: object) -> None:
    if not isinstance(body, dict):
        raise missing("The parameter interactive is required.")
    kind = body.get("type")
    checks = {"button": _check_reply_buttons, "list": _check_list, "cta_url": _check_cta_url}
    if kind not in checks and kind not in OTHER_INTERACTIVE:
        raise not_valid(f"interactive['type'] ({kind}) is not a supported interactive type")
    action = body.get("action")
    if not isinstance(action, dict):
        raise missing("The parameter interactive['action'] is required.")
    _check_frame(body, kind)
    if kind in checks:
        checks[kind](action)


def _check_frame(body: dict, kind: str) -> None:
    """Header, body and footer: the texts a user sees around the action."""
    text = body.get("body")
    if kind in ("button", "list", "cta_url") or text is not None:
        _text(text.get("text") if isinstance(text, dict) else None, "interactive['body']['text']",
              INTERACTIVE_BODY_LIMIT)
    footer = body.get("footer")
    if footer is not None:
        _text(footer.get("text") if isinstance(footer, dict) else None, "interactive['footer']['text']", FOOTER_LIMIT)
    header = body.get("header")
    if header is None:
        return
    header_type = header.get("type") if isinstance(header, dict) else None
    allowed = ("text",) if kind == "list" else ("text", "image", "video", "document")
    if header_type not in allowed:
        raise not_valid(f"interactive['header']['type'] must be one of {', '.join(allowed)} for {kind}")
    if header_type == "text":
        _text(header.get("text"), "interactive['header']['text']", HEADER_TEXT_LIMIT)


def _check_reply_buttons(action: dict) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise missing("The parameter interactive['action']['buttons'] is required.")
    if len(buttons) > MAX_REPLY_BUTTONS:
        raise not_valid(f"buttons: {len(buttons)} buttons given; at most {MAX_REPLY_BUTTONS} reply buttons")
    ids, titles = set(), set()
    for index, button in enumerate(buttons):
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(button, dict) or button.get("type") != "reply" or not isinstance(reply, dict):
            raise missing(f"buttons[{index}] needs type reply and a reply object")
        _text(reply.get("id"), f"buttons[{index}]['reply']['id']", REPLY_ID_LIMIT)
        _text(reply.get("title"), f"buttons[{index}]['reply']['title']", REPLY_TITLE_LIMIT)
        if reply["id"] in ids or reply["title"] in titles:
            raise not_valid(f"buttons[{index}]: button ids and titles must be unique")
        ids.add(reply["id"])
        titles.add(reply["title"])


def _check_list(action: dict) -> None:
    _text(action.get("button"), "interactive['action']['button']", LIST_BUTTON_LIMIT)
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise missing("The parameter interactive['action']['sections'] is required.")
    if len(sections) > MAX_SECTIONS:
        raise not_valid(f"sections: {len(sections)} sections given; at most {MAX_SECTIONS}")
    total, ids = 0, set()
    for s_index, section in enumerate(sections):
        if not isinstance(section, dict):
            raise missing(f"sections[{s_index}] must be an object")
        _text(section.get("title"), f"sections[{s_index}]['title']", SECTION_TITLE_LIMIT,
              required=len(sections) > 1)
        section_rows = section.get("rows")
        if not isinstance(section_rows, list) or not section_rows:
            raise missing(f"The parameter sections[{s_index}]['rows'] is required.")
        total += len(section_rows)
        for r_index, row in enumerate(section_rows):
            where = f"sections[{s_index}]['rows'][{r_index}]"
            if not isinstance(row, dict):
                raise missing(f"{where} must be an object")
            _text(row.get("id"), f"{where}['id']", ROW_ID_LIMIT)
            _text(row.get("title"), f"{where}['title']", ROW_TITLE_LIMIT)
            _text(row.get("description"), f"{where}['description']", ROW_DESCRIPTION_LIMIT, required=False)
            if row["id"] in ids:
                raise not_valid(f"{where}: row ids must be unique")
            ids.add(row["id"])
    if total > MAX_ROWS:
        raise not_valid(f"Total row count exceed max allowed count: {MAX_ROWS} ({total} rows given)")


def _check_cta_url(action: dict) -> None:
    parameters = action.get("parameters")
    if action.get("name") != "cta_url" or not isinstance(parameters, dict):
        raise missing("interactive['action'] needs name cta_url and parameters {display_text, url}")
    _text(parameters.get("display_text"), "action['parameters']['display_text']", CTA_TEXT_LIMIT)
    url = parameters.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise missing("action['parameters']['url'] is required and must be an http(s) URL")


OTHER_CHECKS = {
    "location": check_location, "contacts": check_contacts, "reaction": check_reaction,
    "interactive": check_interactive,
}
