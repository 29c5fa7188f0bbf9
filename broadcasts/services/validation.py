"""Everything about a send request is checked before anything is stored."""

from collections.abc import Callable
from dataclasses import dataclass, field

from broadcasts.services.webhooks.inbound import inbound_windows_open
from templates.models import Template
from templates.services import template_parameters_errors, template_usable
from transports.addresses import AddressError, is_user_id
from transports.models import Transport
from transports.validation import address_normalize, recipient_params_checker, service_window_applies
from transports.validation import message_check as transport_message_check
from transports.whatsapp.payloads import meta_merged
from whatsapp_gateway.api_input import text_problem


@dataclass
class MessageChecked:
    errors: list[str] = field(default_factory=list)
    template: Template | None = None  # the approved template the message uses, if any
    template_errors: list[str] = field(default_factory=list)  # parameters that do not fit it (before params)


@dataclass
class RecipientsChecked:
    valid: list[tuple[str, dict]] = field(default_factory=list)  # (normalized address, params)
    invalid: list[dict] = field(default_factory=list)  # {index, address, error}
    duplicates: int = 0
    references: dict[str, str] = field(default_factory=dict)  # normalized address -> the integrator's reference


def message_check(*, transport: Transport, message: dict) -> MessageChecked:
    """The transport's content rules and placeholders, then the template: exists, APPROVED, parameters fit."""
    errors = transport_message_check(transport, message)
    meta = message.get("meta") or {}
    if errors or not meta.get("templateName") or not transport.config.get("businessAccountId"):
        return MessageChecked(errors=errors)
    template, errors = template_usable(
        transport=transport, name=meta["templateName"], language=meta.get("language") or "en_US"
    )
    if errors:
        return MessageChecked(errors=errors)
    return MessageChecked(template=template, template_errors=template_parameters_errors(template=template, meta=meta))


def recipients_check(
    *, transport: Transport, message: dict, recipients: list, checked_message: MessageChecked
) -> RecipientsChecked:
    """Normalize and de-duplicate addresses; report each bad recipient by its index and the reason.

    A recipient's params may complete or replace the template parameters, so those are checked
    per recipient when it has params, and once for the message otherwise.
    """
    checked = RecipientsChecked()
    seen: set[str] = set()
    check = recipient_checker(transport=transport, message=message, checked_message=checked_message)
    for index, recipient in enumerate(recipients):
        raw, params, shape_error = _recipient_parts(recipient)
        reference, shape_error = _recipient_reference(recipient, shape_error)
        if shape_error:
            checked.invalid.append({"index": index, "address": raw, "error": shape_error})
            continue
        address, error = check(raw, params)
        if error:
            checked.invalid.append({"index": index, "address": raw, "error": error})
            continue
        if address in seen:
            checked.duplicates += 1
            continue
        seen.add(address)
        checked.valid.append((address, params))
        if reference:
            checked.references[address] = reference
    return checked


def recipient_checker(
    *, transport: Transport, message: dict, checked_message: MessageChecked
) -> Callable[[str, dict], tuple[str, str]]:
    """A check of one recipient: (raw address, params) → (normalized address, "") or ("", the reason).

    The one rule for every source of recipients (a JSON list, a CSV file, an earlier session).
    """
    params_check = recipient_params_checker(transport, message)
    without_params = params_check({})  # the same for every such recipient
    template, meta = checked_message.template, message.get("meta") or {}
    # Free-form text on WhatsApp: only to those inside their 24-hour window (Meta would answer 131047).
    windows = inbound_windows_open(transport=transport) if service_window_applies(transport, message) else None

    def check(raw: str, params: dict) -> tuple[str, str]:
        try:
            address = address_normalize(transport, raw)
        except AddressError as error:
            return "", str(error)
        if windows is not None and address not in windows:
            return "", OUTSIDE_WINDOW
        if _passcode_to_user_id(template, address):
            return "", PASSCODE_NEEDS_NUMBER
        problems = params_check(params) if params else without_params
        if not problems and params and template:
            problems = template_parameters_errors(template=template, meta=meta_merged(meta, params))
        return (address, "") if not problems else ("", "; ".join(problems))

    return check


def template_errors_for_message(checked_message: MessageChecked, recipients_checked: RecipientsChecked) -> list[str]:
    """The message's own template problems matter for every recipient that does not bring its own params."""
    if checked_message.template_errors and any(not params for _, params in recipients_checked.valid):
        return checked_message.template_errors
    return []


OUTSIDE_WINDOW = (
    "outside the 24-hour window: a free-form message may only go to someone who wrote to this number in the "
    "last 24 hours (Meta answers 131047); send an approved template instead"
)
PASSCODE_NEEDS_NUMBER = (
    "an authentication template needs the phone number: Meta does not send passcodes to a user id (131062)"
)


def _passcode_to_user_id(template: Template | None, address: str) -> bool:
    return bool(template and template.category == Template.Category.AUTHENTICATION and is_user_id(address))


_SHAPE_ERROR = (
    'A recipient is an address string or an object {"address": "...", "params": {...}, "reference": "..."}.'
)
REFERENCE_MAX = 128


def _recipient_reference(recipient, shape_error: str) -> tuple[str, str]:
    """(the recipient's own reference or "", why the shape is wrong or "")."""
    reference = recipient.get("reference") if isinstance(recipient, dict) and not shape_error else None
    if reference is None:
        return "", shape_error
    if not isinstance(reference, str) or len(reference) > REFERENCE_MAX or text_problem(reference):
        return "", f'"reference" must be a string of at most {REFERENCE_MAX} characters.'
    return reference, ""


def _recipient_parts(recipient) -> tuple[str | None, dict, str]:
    """(address, params, why the shape is wrong or "")."""
    if isinstance(recipient, str):
        return recipient, {}, ""
    if not isinstance(recipient, dict):
        return None, {}, _SHAPE_ERROR
    if not isinstance(recipient.get("address"), str):
        return None, {}, '"address" is required and must be a string.'
    params = recipient.get("params") or {}
    if not isinstance(params, dict):
        return recipient["address"], {}, '"params" must be an object, e.g. {"parameters": ["Ana"]}.'
    return recipient["address"], params, ""
