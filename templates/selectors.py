"""Reads of templates, always scoped to one app."""

from django.db.models import QuerySet

from templates.models import Template
from whatsapp_gateway.models import App


def template_list(*, app: App) -> QuerySet[Template]:
    """The app's templates; the API narrows them with its query parameters (templates/api/filters.py)."""
    return Template.objects.filter(app=app)
