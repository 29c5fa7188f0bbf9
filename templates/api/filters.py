"""The query parameters of the template list."""

import django_filters

from templates.models import Template
from whatsapp_gateway.filters import ExactFilter, IdFilter, StatusFilter


class TemplateFilter(django_filters.FilterSet):
    transport = IdFilter(
        field_name="transport_id", error="Must be a transport id.",
        description="Only the templates of this transport's WhatsApp Business Account (its id).",
    )
    status = StatusFilter(statuses=Template.Status, description="Only templates in this status at Meta.")
    language = ExactFilter(description="Only this language, e.g. en_US.")
    name = ExactFilter(description="Only templates of exactly this name.")
