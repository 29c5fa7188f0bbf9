"""The opt-out list API: GET/POST /api/v1/opt-outs, DELETE /api/v1/opt-outs/{id}."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from broadcasts.models import OptOut
from broadcasts.selectors import optout_list
from broadcasts.services.optouts import optout_create, optout_delete
from whatsapp_gateway.api_input import JSONInput, ascii_id
from whatsapp_gateway.api_schema import errors, not_found_example
from whatsapp_gateway.authentication import AppScopedMixin


class OptOutInput(JSONInput):
    address = serializers.CharField(
        max_length=64,
        help_text='A phone number in any format ("+1 202 555 0101") or a BSUID ("US.13491208655302741918").',
    )
    scope = serializers.ChoiceField(
        choices=OptOut.Scope.choices, default=OptOut.Scope.ALL,
        help_text="`marketing`: no MARKETING template reaches them; `all`: no message at all.",
    )
    reason = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class OptOutOutput(serializers.ModelSerializer):
    class Meta:
        model = OptOut
        fields = ["id", "address", "scope", "reason", "source", "created_at"]


class OptOutQuery(serializers.Serializer):
    scope = serializers.ChoiceField(choices=OptOut.Scope.choices, required=False, help_text="Only this scope.")

    def to_internal_value(self, data):
        # DRF reads an empty optional query parameter as absent; `?scope=` is a mistake to hear of.
        if data.get("scope") == "":
            raise serializers.ValidationError({"scope": [f"Must be one of {', '.join(OptOut.Scope.values)}."]})
        return super().to_internal_value(data)


OPT_OUT_VALUE = {
    "id": 31, "address": "14155550123", "scope": "marketing", "reason": "Asked by phone on 2026-11-24",
    "source": "api", "created_at": "2026-11-24T15:02:00Z",
}
ADD = OpenApiExample(
    "Stop marketing to one number",
    request_only=True,
    value={"address": "+1 415 555 0123", "scope": "marketing", "reason": "Asked by phone on 2026-11-24"},
)
ADDED = OpenApiExample("Added", response_only=True, status_codes=["201", "200"], value=OPT_OUT_VALUE)
LISTED = OpenApiExample(
    "A STOP reply", response_only=True, status_codes=["200"],
    value={**OPT_OUT_VALUE, "id": 32, "address": "14155550124", "scope": "all", "reason": "Replied STOP",
           "source": "keyword"},
)
NOT_AN_ADDRESS = OpenApiExample(
    "Not an address", response_only=True, status_codes=["400"],
    value={
        "code": "invalid", "detail": "address: impossible phone number (too short) (e.g. +1 202 555 0101 or "
        "US.13491208655302741918)",
        "address": ["impossible phone number (too short) (e.g. +1 202 555 0101 or US.13491208655302741918)"],
    },
)


@extend_schema(tags=["opt-outs"])
class OptOutViewSet(AppScopedMixin, viewsets.GenericViewSet):
    queryset = OptOut.objects.none()  # for the schema only; real queries are scoped to the app

    @extend_schema(
        summary="List your opt-outs",
        description="The recipients no session of your app sends to, newest first: `all` (nothing is sent to "
        "them) or `marketing` (no MARKETING template). Added by you, by an inbound STOP keyword or opt-out button, "
        "or by Meta's error 131050.",
        parameters=[OptOutQuery],
        responses={200: OptOutOutput(many=True), **errors(400, 404)},
        examples=[LISTED],
    )
    def list(self, request):
        query = OptOutQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(optout_list(app=self.app, scope=query.validated_data.get("scope")))
        return self.get_paginated_response(OptOutOutput(page, many=True).data)

    @extend_schema(
        summary="Add an opt-out",
        description="Stop sending to one recipient: sessions created from now on store them as SUPPRESSED "
        "(counted in `suppressed`), never sent. An address already on the list answers 200 with its opt-out "
        "(widened to `all` when asked).",
        request=OptOutInput,
        responses={
            201: OptOutOutput,
            200: OpenApiResponse(OptOutOutput, description="The address was already opted out."),
            **errors(400, 413, 415, examples={400: [NOT_AN_ADDRESS]}),
        },
        examples=[ADD, ADDED],
    )
    def create(self, request):
        data = OptOutInput(data=request.data)
        data.is_valid(raise_exception=True)
        optout, created = optout_create(app=self.app, **data.validated_data, source=OptOut.Source.API)
        return Response(OptOutOutput(optout).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Remove an opt-out",
        description="Send to this recipient again (as an inbound START keyword does).",
        responses={
            204: OpenApiResponse(description="Removed."),
            **errors(404, examples={404: [not_found_example("No such opt-out.")]}),
        },
    )
    def destroy(self, request, pk=None):
        optout_id = ascii_id(pk)
        optout = OptOut.objects.filter(app=self.app, pk=optout_id).first() if optout_id is not None else None
        if optout is None:
            raise NotFound("No such opt-out.")
        optout_delete(optout=optout)
        return Response(status=status.HTTP_204_NO_CONTENT)
