"""Reading a webhook payload: its changes sorted by kind, and Meta's field formats."""

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class ParsedPayload:
    """A payload's changes sorted by kind; each status item keeps Meta's raw dict (retries re-read it)."""

    statuses: list[dict] = field(default_factory=list)
    # (phone_number_id, message, contacts by number and by user id)
    inbound: list[tuple[str, dict, dict]] = field(default_factory=list)
    template_status: list[dict] = field(default_factory=list)
    template_quality: list[dict] = field(default_factory=list)
    template_category: list[dict] = field(default_factory=list)
    # `phone_number_quality_update` values, each with its entry's `waba_id` and `time` added.
    phone_quality: list[dict] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    # `messages` changes skipped because they name a phone number id outside `phone_number_ids`: id -> count.
    foreign_numbers: dict[str, int] = field(default_factory=dict)


def webhook_payload_parse(payload: dict, *, phone_number_ids: set[str] | None = None) -> ParsedPayload:
    """Walk every entry and change (never just the first); anything unexpected is counted, not raised.

    With `phone_number_ids`, a `messages` change whose metadata names another phone number id is skipped,
    its statuses and messages unread, and counted in `foreign_numbers` (Meta always names one; a change
    naming none belongs to the transport it was delivered to).
    """
    parsed = ParsedPayload()
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            name, value = str(change.get("field", "")), change["value"]
            if name == "messages":
                number = str((value.get("metadata") or {}).get("phone_number_id", ""))
                if phone_number_ids is not None and number and number not in phone_number_ids:
                    parsed.foreign_numbers[number] = parsed.foreign_numbers.get(number, 0) + 1
                    continue
                _messages_value_parse(value, parsed)
            elif name == "message_template_status_update":
                parsed.template_status.append(value)
            elif name == "message_template_quality_update":
                parsed.template_quality.append(value)
            elif name == "template_category_update":
                parsed.template_category.append(value)
            elif name == "phone_number_quality_update":
                parsed.phone_quality.append({**value, "waba_id": entry.get("id"), "time": entry.get("time")})
            else:
                parsed.ignored[name] = parsed.ignored.get(name, 0) + 1
    return parsed


def _messages_value_parse(value: dict, parsed: ParsedPayload) -> None:
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
    parsed.statuses.extend(item for item in meta_list(value.get("statuses")) if isinstance(item, dict))
    # Each contact by its number and by its user id: a username user's message may carry only the latter.
    names = {}
    for contact in meta_list(value.get("contacts")):
        if isinstance(contact, dict):
            for key in ("wa_id", "user_id"):
                if contact.get(key):
                    names[str(contact[key])] = contact
    parsed.inbound.extend((phone_number_id, m, names) for m in meta_list(value.get("messages")) if isinstance(m, dict))


def meta_list(value) -> list:
    return value if isinstance(value, list) else []


def meta_time(value, default: datetime) -> datetime:
    """Meta's timestamps are Unix seconds as strings."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default
