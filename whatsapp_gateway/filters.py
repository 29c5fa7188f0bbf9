"""Query-parameter filters for the API's lists (django-filter), each documented in the schema by itself.

A bad value is a 400 naming the parameter, through the one error body: `{"code": "invalid",
"detail": "status: Must be one of …", "status": ["Must be one of …"]}`. An empty value filters nothing.
"""

import re

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import extend_schema_field

from whatsapp_gateway.api_input import MAX_ID

_ID_DIGITS = re.compile(r"[0-9]{1,19}")  # MAX_ID has 19 digits
WHEN_EXAMPLE = "e.g. 2026-11-25T08:00:00Z or 2026-11-25"


class _AsciiIdField(forms.Field):
    """An object id, 1 to MAX_ID in ASCII digits: int() would read "١" (Arabic-Indic one) as 1."""

    default_error_messages = {"invalid": "Must be an id."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value)
        found = int(text) if _ID_DIGITS.fullmatch(text) else 0
        if not 1 <= found <= MAX_ID:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return found


class _UpperChoiceField(forms.ChoiceField):
    """One of the choices, in any case (`?status=paused` is PAUSED)."""

    def to_python(self, value):
        return super().to_python(value).upper()


class _WhenField(forms.Field):
    """An ISO 8601 date-time or date; without an offset it is read in TIME_ZONE (a date is its midnight)."""

    default_error_messages = {"invalid": f"Must be an ISO 8601 date-time or date, {WHEN_EXAMPLE}."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:  # well-formed but impossible, e.g. month 13
            parsed = None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _documented(filter_, schema: dict, description: str):
    """The filter's OpenAPI parameter schema, given whole (the django-filter extension would guess it)."""
    return extend_schema_field({**schema, "description": description})(filter_)


class IdFilter(django_filters.Filter):
    """`?transport=1`: the id of a related object; anything but ASCII digits is a 400 saying `error`."""

    field_class = _AsciiIdField

    def __init__(self, *, field_name: str, description: str, error: str = "Must be an id.", **kwargs):
        super().__init__(field_name=field_name, error_messages={"invalid": error}, **kwargs)
        _documented(self, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description)


class StatusFilter(django_filters.Filter):
    """`?status=FAILED`: one of a model's statuses, in any case."""

    field_class = _UpperChoiceField

    def __init__(self, *, statuses, description: str, **kwargs):
        error = f"Must be one of {', '.join(statuses.values)}."
        super().__init__(choices=statuses.choices, error_messages={"invalid_choice": error}, **kwargs)
        _documented(self, {"type": "string", "enum": list(statuses.values)}, description)


class WhenFilter(django_filters.Filter):
    """`?created_after=2026-11-25`: a date-time, or a date meaning its midnight."""

    field_class = _WhenField

    def __init__(self, *, field_name: str, lookup_expr: str, description: str, **kwargs):
        super().__init__(field_name=field_name, lookup_expr=lookup_expr, **kwargs)
        _documented(self, {"type": "string", "format": "date-time"}, f"{description} ({WHEN_EXAMPLE}).")


class ExactFilter(django_filters.CharFilter):
    """`?name=order_confirmation`: the exact value."""

    def __init__(self, *, description: str, **kwargs):
        super().__init__(lookup_expr="exact", **kwargs)
        _documented(self, {"type": "string"}, description)


class EmptyFiltersNothing(DjangoFilterExtension):
    """drf-spectacular's django-filter extension, saying what the API does: `?status=` (empty) filters nothing."""

    priority = 1  # before the extension it extends

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
        return parameters
