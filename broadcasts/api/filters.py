"""The query parameters of the session and broadcast lists."""

import django_filters

from broadcasts.models import Broadcast, Session
from whatsapp_gateway.filters import ExactFilter, IdFilter, StatusFilter, WhenFilter


class SessionFilter(django_filters.FilterSet):
    status = StatusFilter(statuses=Session.Status, description="Only sessions in this status.")
    transport = IdFilter(
        field_name="transport_id", error="Must be a transport id.",
        description="Only sessions sent through this transport (its id).",
    )
    created_after = WhenFilter(
        field_name="created_at", lookup_expr="gte", description="Created at or after; a date means its midnight"
    )
    created_before = WhenFilter(
        field_name="created_at", lookup_expr="lt", description="Created before; a date means its midnight"
    )


class BroadcastFilter(django_filters.FilterSet):
    status = StatusFilter(statuses=Broadcast.Status, description="Only broadcasts in this status.")
    error_code = ExactFilter(description="Only broadcasts Meta refused with this error code, e.g. 131026.")
    reference = ExactFilter(description="Only the broadcast(s) given this reference of yours, e.g. order-1042.")
