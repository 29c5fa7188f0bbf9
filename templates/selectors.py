"""Reads of templates, always scoped to one app."""

from django.db.models import QuerySet

from templates.models import Template
from templates.services import TemplateError
from whatsapp_gateway.api_input import ascii_id
from whatsapp_gateway.models import App


def template_list(*, app: App, filters: dict) -> QuerySet[Template]:
    templates = Template.objects.filter(app=app)
    if transport := filters.get("transport"):
        if (transport_id := ascii_id(transport)) is None:
            raise TemplateError("Must be a transport id.", field="transport")
        templates = templates.filter(transport_id=transport_id)
    if status := filters.get("status"):
        if status.upper() not in Template.Status.values:
            raise TemplateError(f"Must be one of {', '.join(Template.Status.values)}.", field="status")
        templates = templates.filter(status=status.upper())
    if language := filters.get("language"):
        templates = templates.filter(language=language)
    if name := filters.get("name"):
        templates = templates.filter(name=name)
    return templates
