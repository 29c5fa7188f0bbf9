"""Meta's recategorisations of templates: applied at once, kept as history, announced to the sessions using them."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from templates.models import Template, TemplateCategoryChange
from templates.selectors import templates_for_event
from templates.signals import templates_recategorised
from transports.models import Transport


def template_category_change_record(
    *, template: Template, new_category: str, source: str, changed_at: dt.datetime | None = None
) -> TemplateCategoryChange:
    """Give the template its new category and keep the old one in its history."""
    change = TemplateCategoryChange.objects.create(
        template=template, previous_category=template.category, new_category=new_category,
        changed_at=changed_at or timezone.now(), source=source,
    )
    Template.objects.filter(pk=template.pk).update(category=new_category, updated_at=timezone.now())
    return change


def template_category_events_apply(*, transport: Transport, events: list[dict]) -> dict:
    """Apply Meta's template_category_update events; returns counts for the event's summary."""
    counts = {"templates_recategorised": 0, "templates_unknown": 0, "template_events_ignored": 0}
    changes = []
    for value in events:
        # Meta has named the new category both ways.
        new_category = str(value.get("new_category") or value.get("correct_category") or "").upper()
        if new_category not in Template.Category.values:
            counts["template_events_ignored"] += 1
            continue
        matching = list(templates_for_event(transport=transport, value=value))
        if not matching:
            counts["templates_unknown"] += 1
        for template in matching:
            if template.category == new_category:  # the webhook repeated, or a sync was first
                continue
            changes.append(template_category_change_record(
                template=template, new_category=new_category, source=TemplateCategoryChange.Source.WEBHOOK,
                changed_at=_meta_time(value.get("category_update_timestamp")),
            ))
            counts["templates_recategorised"] += 1
    templates_recategorised_announce(transport=transport, changes=changes)
    return counts


def templates_recategorised_announce(*, transport: Transport, changes: list[TemplateCategoryChange]) -> None:
    if changes:
        transaction.on_commit(
            lambda: templates_recategorised.send(sender=Template, transport=transport, changes=changes)
        )


def _meta_time(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
