"""Templates: sync with the transport's WABA, submit and delete at Meta, and check a send before it leaves."""

import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from templates.categories import template_category_change_record, templates_recategorised_announce
from templates.models import Template, TemplateCategoryChange
from templates.requirements import requirements_of
from templates.rules import template_definition_errors
from templates.selectors import templates_for_event
from templates.send_check import send_errors
from templates.signals import status_change as _status_change
from templates.signals import status_changes_announce as _status_changes_announce
from templates.signals import templates_approved
from transports.graph import graph_request
from transports.models import Transport
from transports.whatsapp.quality import transport_number_refresh
from whatsapp_gateway.api_input import JSONInputError, json_check, text_problem
from whatsapp_gateway.errors import GatewayError

logger = logging.getLogger("gateway.templates")
FIELDS = "id,name,status,category,language,components,quality_score,parameter_format,rejected_reason"
# Meta's own limits keep a template's components to a few kilobytes; past this an answer is not a template.
COMPONENTS_MAX_BYTES = 64 * 1024
_TEXT_FIELDS = ("name", "language", "category", "status", "parameter_format")


class TemplateError(GatewayError):
    """Refused by our rules (400, 409 for a taken name) or by Meta (its refusal 400, Meta unreachable 502)."""


@dataclass(frozen=True)
class SyncReport:
    transport: int
    created: int
    updated: int
    deleted: int
    # Templates Meta returned that cannot be stored here: {name, language, reason}; the rest is synced.
    skipped: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return self.created + self.updated


def _waba_path(transport: Transport) -> str:
    waba = transport.config.get("businessAccountId")
    if not waba:
        raise TemplateError(
            f"Transport {transport.name} has no businessAccountId (WABA id).", field="transport", code="no_waba"
        )
    return f"{waba}/message_templates"


def _graph(transport: Transport, method: str, path: str, **kwargs) -> dict:
    answer = graph_request(transport, method, path, **kwargs)
    if not answer.ok:
        if answer.http_status in (None, 500):  # Meta unreachable or broken: not the caller's fault
            raise TemplateError(answer.describe(), field="meta", code="meta_unavailable", status=502)
        raise TemplateError(answer.describe(), field="meta", code="meta_refused")
    return answer.body


def templates_sync(*, transport: Transport) -> SyncReport:
    """Fetch every page of the WABA's templates; update ours, add new ones, mark the vanished as DELETED."""
    remote, after = [], None
    while True:
        params = {"fields": FIELDS, "limit": settings.TEMPLATE_SYNC_PAGE_SIZE}
        if after:
            params["after"] = after
        page = _graph(transport, "GET", _waba_path(transport), params=params)
        if not isinstance(page.get("data"), list):
            # An answer without the list is unreadable, not empty: deleting on it would empty the catalogue.
            raise TemplateError(
                "the template list answer has no data list; nothing was changed",
                field="meta", code="meta_unavailable", status=502,
            )
        remote.extend(page["data"])
        paging = page.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            break
    # The portfolio's messaging limit, the number's rating and Marketing Messages onboarding, read with templates.
    transport_number_refresh(transport=transport)
    return _store_synced(transport=transport, remote=remote)


def _store_synced(*, transport: Transport, remote: list[dict]) -> SyncReport:
    now = timezone.now()
    existing = {(t.name, t.language): t for t in Template.objects.filter(transport=transport)}
    created = updated = 0
    seen, unchanged, skipped, approved, recategorised, changes = set(), [], [], [], [], []
    with transaction.atomic():
        for item in remote:
            if reason := _unstorable(item):
                # One bad answer must not fail every later sync of the account: skip it, say so.
                skipped.append(_skipped(item, reason))
                if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("name", "language")):
                    seen.add((item["name"], item["language"]))  # still at Meta: a stored copy is not DELETED
                continue
            key = (item.get("name", ""), item.get("language", ""))
            seen.add(key)
            values = {
                "meta_id": str(item.get("id", "")),
                "category": item.get("category", "") or "",
                "status": item.get("status", "") or Template.Status.PENDING,
                "quality_score": _quality(item.get("quality_score")),
                "parameter_format": item.get("parameter_format") or Template.ParameterFormat.POSITIONAL,
                "components": item.get("components") or [],
                "rejected_reason": _reason(item.get("rejected_reason")),
                "deleted_at_meta": None,
            }
            template = existing.get(key)
            if template is None:
                Template.objects.create(
                    app=transport.app, transport=transport, name=key[0], language=key[1], synced_at=now, **values
                )
                created += 1
            elif any(getattr(template, field) != value for field, value in values.items()):
                if template.category and values["category"] not in ("", template.category):
                    recategorised.append(template_category_change_record(
                        template=template, new_category=values["category"], source=TemplateCategoryChange.Source.SYNC
                    ))
                Template.objects.filter(pk=template.pk).update(**values, synced_at=now, updated_at=now)
                updated += 1
                if values["status"] == Template.Status.APPROVED != template.status:
                    approved.append(key)
                if values["status"] != template.status:
                    changes.append(_status_change(template, values["status"], values["rejected_reason"]))
            else:
                unchanged.append(template.pk)
        # Seen at Meta as they are: only the time of the sync moves.
        Template.objects.filter(pk__in=unchanged).update(synced_at=now)
        vanished = [t.pk for key, t in existing.items() if key not in seen and t.status != Template.Status.DELETED]
        Template.objects.filter(pk__in=vanished).update(
            status=Template.Status.DELETED, deleted_at_meta=now, synced_at=now, updated_at=now
        )
        changes += [_status_change(t, Template.Status.DELETED) for t in existing.values() if t.pk in vanished]
        _status_changes_announce(transport=transport, changes=changes)
        _approved_announce(transport=transport, templates=approved)
        templates_recategorised_announce(transport=transport, changes=recategorised)
    for each in skipped:
        logger.warning(
            "template from Meta skipped",
            extra={"transport": transport.pk, "template": each["name"], "reason": each["reason"]},
        )
    logger.info(
        "templates synced",
        extra={"transport": transport.pk, "new": created, "changed": updated, "gone": len(vanished),
               "skipped": len(skipped)},
    )
    return SyncReport(
        transport=transport.pk, created=created, updated=updated, deleted=len(vanished), skipped=tuple(skipped)
    )


def _unstorable(item) -> str | None:
    """Why a template of Meta's answer cannot be stored as it is ("field: rule"), or None."""
    if not isinstance(item, dict):
        return "template: not a JSON object"
    for name in _TEXT_FIELDS:
        value = item.get(name)
        if value is None and name not in ("name", "language"):
            continue
        if not isinstance(value, str) or (name in ("name", "language") and not value):
            return f"{name}: missing or not text"
        limit = Template._meta.get_field(name).max_length
        if len(value) > limit:
            return f"{name}: longer than {limit} characters"
        if problem := text_problem(value):
            return f"{name}: {problem}"
    components = item.get("components") or []
    if not isinstance(components, list):
        return "components: not a list"
    try:
        json_check(components, field="components")
        json_check([item.get(key) for key in ("id", "rejected_reason", "quality_score")], field="template")
    except JSONInputError as error:
        return str(error)
    if len(json.dumps(components)) > COMPONENTS_MAX_BYTES:
        return f"components: larger than {COMPONENTS_MAX_BYTES // 1024} KiB"
    if len(str(item.get("id", ""))) > Template._meta.get_field("meta_id").max_length:
        return "id: too long"
    return None


def _skipped(item, reason: str) -> dict:
    """What a report may show of a template that was not stored: its name and language, printable and short."""
    def shown(value) -> str:
        text = value if isinstance(value, str) else ""
        return text[:100].encode("utf-8", "backslashreplace").decode().replace("\x00", "\\u0000")

    item = item if isinstance(item, dict) else {}
    return {"name": shown(item.get("name")), "language": shown(item.get("language")), "reason": reason}


def _quality(value) -> str:
    return (value.get("score", "") if isinstance(value, dict) else str(value or ""))[:10]


def _reason(value) -> str:
    return "" if value in (None, "NONE") else str(value)


@dataclass(frozen=True)
class SyncFailure:
    transport: int
    message: str


def templates_sync_each() -> tuple[list[SyncReport], list[SyncFailure]]:
    """Sync every active transport that has a WABA; one failing transport does not stop the others.

    Returns the reports of the transports synced and the failures of the others, so a caller can tell.
    """
    reports, failures = [], []
    for transport in Transport.objects.filter(is_active=True, stopped_at__isnull=True).order_by("pk"):
        if not transport.config.get("businessAccountId"):
            continue
        try:
            reports.append(templates_sync(transport=transport))
        except TemplateError as error:
            logger.warning("template sync failed", extra={"transport": transport.pk, "error": error.message})
            failures.append(SyncFailure(transport=transport.pk, message=error.message))
    return reports, failures


def templates_sync_all() -> list[SyncReport]:
    """templates_sync_each() for the periodic task: failures are logged there, the reports returned."""
    return templates_sync_each()[0]


def template_submit(*, transport: Transport, definition: dict) -> Template:
    """Check the definition against Meta's rules, submit it, and store it as Meta answered (usually PENDING)."""
    try:
        json_check(definition.get("components"), field="components")
    except JSONInputError as error:
        raise TemplateError(errors=error.detail(), code="invalid_template") from error
    errors = template_definition_errors(definition)
    if errors:
        raise TemplateError(errors=errors, code="invalid_template")
    if (
        Template.objects.filter(transport=transport, name=definition["name"], language=definition["language"])
        .exclude(status=Template.Status.DELETED)
        .exists()
    ):
        raise TemplateError(
            f"{definition['name']} already exists in {definition['language']}; use a new name such as a _v2 suffix.",
            field="name", code="template_exists", status=409,
        )
    body = {
        "name": definition["name"],
        "language": definition["language"],
        "category": definition["category"],
        "parameter_format": definition.get("parameter_format", "POSITIONAL"),
        "components": definition["components"],
    }
    answer = _graph(transport, "POST", _waba_path(transport), json=body)
    template, _ = Template.objects.update_or_create(
        transport=transport,
        name=body["name"],
        language=body["language"],
        defaults={
            "app": transport.app,
            "meta_id": str(answer.get("id", "")),
            "category": answer.get("category") or body["category"],
            "status": answer.get("status") or Template.Status.PENDING,
            "parameter_format": body["parameter_format"],
            "components": body["components"],
            "deleted_at_meta": None,
            "synced_at": timezone.now(),
        },
    )
    return template


def template_delete(*, template: Template) -> None:
    """Delete one language of a template at Meta (by its id), then here."""
    params = {"name": template.name}
    if template.meta_id:
        params["hsm_id"] = template.meta_id
    _graph(template.transport, "DELETE", _waba_path(template.transport), params=params)
    template.delete()


def language_code(language) -> str:
    """The code of a send's language: `"en_US"`, or Meta's object form `{"code": "en_US", "policy": …}`."""
    if isinstance(language, dict):
        language = language.get("code")
    return language if isinstance(language, str) and language else "en_US"


def template_for_send(*, transport: Transport, name: str, language) -> tuple[Template | None, str]:
    """The stored template; when it is unknown here, sync once before giving up (it may be new at Meta).

    `language` is a code or Meta's `{"code", "policy"}`. Returns the template (or None) and, when that sync
    failed, why.
    """
    language = language_code(language)
    found = Template.objects.filter(transport=transport, name=name, language=language).first()
    if found is not None or not transport.config.get("businessAccountId"):
        return found, ""
    try:
        templates_sync(transport=transport)
    except TemplateError as error:
        logger.warning("template sync before send failed", extra={"transport": transport.pk})
        return None, "; ".join(str(m) for messages in error.errors.values() for m in messages)
    return Template.objects.filter(transport=transport, name=name, language=language).first(), ""


def template_usable(*, transport: Transport, name: str, language) -> tuple[Template | None, list[str]]:
    """The APPROVED template a send may use, or why it may not (unknown in that language, not approved)."""
    language = language_code(language)
    # Meta's names are lower-case and exact, so "Order_Update" is a typo for a stored "order_update": say so.
    near = set(Template.objects.filter(transport=transport, name__iexact=name).values_list("name", flat=True))
    if near and name not in near:
        return None, [f"Template {name} does not exist (names are case-sensitive): did you mean {min(near)}?"]
    template, sync_error = template_for_send(transport=transport, name=name, language=language)
    if template is None and sync_error:
        return None, [f"Template {name} ({language}) is not known here and Meta could not be asked: {sync_error}"]
    if template is None:
        other = Template.objects.filter(transport=transport, name=name).values_list("language", flat=True)
        hint = f" It exists in {', '.join(other)}." if other else ""
        return None, [f"Template {name} does not exist in {language} for this WhatsApp Business Account.{hint}"]
    if template.status != Template.Status.APPROVED:
        return None, [f"Template {name} ({language}) is {template.status}; only APPROVED templates can be sent."]
    return template, []


def template_parameters_errors(*, template: Template, meta: dict) -> list[str]:
    """Why these parameters, header and buttons do not fit the template; [] when they do."""
    return send_errors(name=template.name, requirements=requirements_of(template.components), meta=meta)


def template_send_errors(*, transport: Transport, meta: dict) -> list[str]:
    """Why a message using `meta.templateName` may not be sent (unknown, not APPROVED, parameters); [] when it may.

    Messages without a template, and transports without a WABA (nothing to check against), pass.
    """
    name = meta.get("templateName")
    if not name or not transport.config.get("businessAccountId"):
        return []
    template, errors = template_usable(transport=transport, name=name, language=meta.get("language") or "en_US")
    return errors or template_parameters_errors(template=template, meta=meta)


# --- Meta's template events -----------------------------------------------------------------------


def template_events_apply(*, transport: Transport, status_events: list[dict], quality_events: list[dict]) -> dict:
    """Apply Meta's template status and quality events to the app's templates; the rest is only counted."""
    counts = {"templates_updated": 0, "templates_unknown": 0, "template_events_ignored": 0}
    approved = []
    for value in status_events:
        event = str(value.get("event", "")).upper()
        if event not in Template.Status.values:
            # e.g. FLAGGED or REINSTATED: no status of ours; the raw event stays on the WebhookEvent.
            counts["template_events_ignored"] += 1
            continue
        updates = {"status": event}
        if event == Template.Status.REJECTED:
            info = value.get("rejection_info") if isinstance(value.get("rejection_info"), dict) else {}
            updates["rejected_reason"] = str(info.get("reason") or value.get("reason") or "")
        elif event == Template.Status.APPROVED:
            updates["rejected_reason"] = ""
        approved += _template_update(transport=transport, value=value, updates=updates, counts=counts)
    for value in quality_events:
        score = str(value.get("new_quality_score", "")).upper()[:10]
        _template_update(transport=transport, value=value, updates={"quality_score": score}, counts=counts)
    _approved_announce(transport=transport, templates=approved)
    return counts


def _template_update(*, transport: Transport, value: dict, updates: dict, counts: dict) -> list[tuple[str, str]]:
    """Update the template the event names; returns (name, language) of those it made APPROVED."""
    matching = templates_for_event(transport=transport, value=value)
    becoming_approved, changes = [], []
    if updates.get("status") == Template.Status.APPROVED:
        becoming_approved = list(matching.exclude(status=Template.Status.APPROVED).values_list("name", "language"))
    if "status" in updates:
        changes = [
            _status_change(t, updates["status"], updates.get("rejected_reason", ""))
            for t in matching.exclude(status=updates["status"]).only("id", "name", "language", "status")
        ]
    updated = matching.update(**updates, updated_at=timezone.now())
    _status_changes_announce(transport=transport, changes=changes)
    counts["templates_updated" if updated else "templates_unknown"] += 1
    return becoming_approved


def _approved_announce(*, transport: Transport, templates: list[tuple[str, str]]) -> None:
    if templates:
        transaction.on_commit(lambda: templates_approved.send(sender=Template, transport=transport,
                                                              templates=templates))
