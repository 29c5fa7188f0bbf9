"""Reads of templates, always scoped to one app."""

from django.db.models import QuerySet

from templates.models import Template
from transports.models import Transport
from whatsapp_gateway.models import App


def template_list(*, app: App) -> QuerySet[Template]:
    """The app's templates; the API narrows them with its query parameters (templates/api/filters.py)."""
    return Template.objects.filter(app=app).prefetch_related("category_changes")


def templates_for_event(*, transport: Transport, value: dict) -> QuerySet[Template]:
    """The templates a Meta template event names: by Meta's id, else by name and language.

    A template not synced since it was submitted has no meta_id yet, hence the second match.
    """
    meta_id = str(value.get("message_template_id") or "")
    matching = Template.objects.filter(app_id=transport.app_id, meta_id=meta_id) if meta_id else Template.objects.none()
    if matching.exists():
        return matching
    return Template.objects.filter(
        transport=transport, name=str(value.get("message_template_name") or ""),
        language=str(value.get("message_template_language") or ""),
    )
