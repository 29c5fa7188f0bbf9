"""Everything about a send request is checked before anything is stored."""

from dataclasses import dataclass, field

from templates.models import Template
from templates.services import template_parameters_errors, template_usable
from transports import engine
from transports.models import Transport
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
    errors = engine.message_check(transport, message)
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
    without_params = engine.recipient_params_check(transport, message, {})  # the same for every such recipient
    for index, recipient in enumerate(recipients):
        raw, params, shape_error = _recipient_parts(recipient)
        reference, shape_error = _recipient_reference(recipient, shape_error)
        if shape_error:
            checked.invalid.append({"index": index, "address": raw, "error": shape_error})
            continue
        try:
            address = engine.address_normalize(transport, raw)
        except engine.AddressError as error:
            checked.invalid.append({"index": index, "address": raw, "error": str(error)})
            continue
        problems = engine.recipient_params_check(transport, message, params) if params else without_params
        if not problems and params and checked_message.template:
            merged = meta_merged(message.get("meta") or {}, params)
            problems = template_parameters_errors(template=checked_message.template, meta=merged)
        if problems:
            checked.invalid.append({"index": index, "address": raw, "error": "; ".join(problems)})
            continue
        if address in seen:
            checked.duplicates += 1
            continue
        seen.add(address)
        checked.valid.append((address, params))
        if reference:
            checked.references[address] = reference
    return checked


def template_errors_for_message(checked_message: MessageChecked, recipients_checked: RecipientsChecked) -> list[str]:
    """The message's own template problems matter for every recipient that does not bring its own params."""
    if checked_message.template_errors and any(not params for _, params in recipients_checked.valid):
        return checked_message.template_errors
    return []


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
