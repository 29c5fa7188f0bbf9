"""What each webhook says: the `value` of Meta's change for a status, an inbound message or a template event.

Pure shapes only; the state decides when an event happens and schedules it with the dispatcher (webhooks.py).
"""

import hashlib
import time
from collections.abc import Callable

from .config import PhoneNumber
from .errors import MetaError, invalid_parameter
from .message_templates import Template

INBOUND_KINDS = (
    "text", "button", "image", "video", "audio", "document", "sticker", "location", "contacts", "reaction",
    "interactive", "order",
)
INBOUND_MEDIA_TYPES = {
    "image": "image/jpeg", "video": "video/mp4", "audio": "audio/ogg", "document": "application/pdf",
    "sticker": "image/webp",
}


def user_id(wa_id: str) -> str:
    """A business-scoped user id (BSUID) for a number, stable across runs: country letters, a dot, digits."""
    digest = int(hashlib.sha256(f"bsuid:{wa_id}".encode()).hexdigest(), 16)
    return f"US.{digest % 10**20:020d}"


def number_metadata(number: PhoneNumber) -> dict:
    return {"display_phone_number": number.display_phone_number, "phone_number_id": number.id}


def status_value(record: dict, status: str, *, metadata: dict, category: str, tracker: str | None,
                 error: MetaError | None, free: bool = False) -> dict:
    """A `statuses` change for one recorded send: failed ones carry the error, the others Meta's pricing.

    `free`: Meta does not charge it (a free-form reply, or a utility template inside the user's 24-hour window).
    """
    # The user id always; the number only when the send used it (Meta's rule for users with a username,
    # and for sends to a user id); the username on delivered and read.
    recipient = {"user_id": record.get("user_id") or user_id(record["wa_id"])}
    item = {"id": record["wamid"], "status": status, "timestamp": str(int(time.time())),
            "recipient_user_id": recipient["user_id"]}
    if record["wa_id"]:
        recipient["wa_id"] = item["recipient_id"] = record["wa_id"]
    if record.get("username") and status in ("delivered", "read"):
        recipient["username"] = record["username"]
    if tracker:
        item["biz_opaque_callback_data"] = tracker
    if error is not None:
        item["errors"] = [error.webhook_error()]
    else:
        item.update(_pricing(record["wamid"], category, status, free=free or category == "service"))
    return {"messaging_product": "whatsapp", "metadata": metadata, "contacts": [recipient], "statuses": [item]}


def inbound_message_fields(data: dict, new_media_id: Callable[[], str]) -> dict:
    """`type` and its content for a POST /_sim/inbound request, or the invalid-parameter error for a bad one.

    `text` or `button` are shortcuts; otherwise `type` names any inbound kind and the field of that name
    holds its content, as Meta sends it (`{"type": "image", "image": {...}}`).
    """
    kind = data.get("type") or ("button" if "button" in data else "text")
    if kind == "text":
        text = data.get("text")
        return {"type": "text", "text": text if isinstance(text, dict) else {"body": str(text or "")}}
    if kind not in INBOUND_KINDS:
        raise invalid_parameter(f"type ({kind}) is not an inbound message kind: {', '.join(INBOUND_KINDS)}")
    if not isinstance(data.get(kind), dict | list):
        raise invalid_parameter(f"an inbound {kind} message needs its {kind} content")
    return {"type": kind, kind: _inbound_content(kind, data[kind], new_media_id)}


def inbound_value(number: PhoneNumber, *, sender: str, name: str, message: dict, username: str = "") -> dict:
    contact = {"profile": {"name": name, "username": username}, "user_id": user_id(sender)} if username else {
        "profile": {"name": name}, "wa_id": sender, "user_id": user_id(sender)
    }
    return {
        "messaging_product": "whatsapp",
        "metadata": number_metadata(number),
        "contacts": [contact],
        "messages": [message],
    }


def template_status_value(template: Template, status: str, reason: str) -> dict:
    return {
        "event": status, "message_template_id": int(template.id),
        "message_template_name": template.name, "message_template_language": template.language,
        "message_template_category": template.category, "reason": reason,
    }


def template_category_value(template: Template, previous: str) -> dict:
    return {
        "message_template_id": int(template.id), "message_template_name": template.name,
        "message_template_language": template.language, "previous_category": previous,
        "new_category": template.category, "category_update_timestamp": int(time.time()),
    }


def _inbound_content(kind: str, content: dict | list, new_media_id: Callable[[], str]) -> dict | list:
    """Inbound media always has the id, mime_type and sha256 Meta sends; other kinds go out as given."""
    if kind not in INBOUND_MEDIA_TYPES or not isinstance(content, dict):
        return content
    return {
        "id": new_media_id(), "mime_type": INBOUND_MEDIA_TYPES[kind],
        "sha256": hashlib.sha256(kind.encode()).hexdigest(), **content,
    }


def _pricing(wamid: str, category: str, status: str, *, free: bool) -> dict:
    conversation = {"id": hashlib.md5(wamid.encode(), usedforsecurity=False).hexdigest(), "origin": {"type": category}}
    if status == "sent":
        conversation["expiration_timestamp"] = str(int(time.time()) + 24 * 3600)
    return {
        "conversation": conversation,
        "pricing": {
            "billable": not free, "pricing_model": "PMP",
            "type": "free_customer_service" if free else "regular", "category": category,
        },
    }
