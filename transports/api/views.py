from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from transports import defaults
from transports.api import examples
from transports.api.serializers import TransportInput, TransportOutput
from transports.config_schema import CONFIG_SCHEMA
from transports.models import Transport
from transports.services import (
    transport_create,
    transport_delete,
    transport_resume,
    transport_update,
)
from whatsapp_gateway.api_input import ascii_id
from whatsapp_gateway.api_schema import conflict, errors, not_found_example
from whatsapp_gateway.authentication import AppScopedMixin

_WHATSAPP_EXAMPLE = OpenApiExample(
    "WhatsApp Cloud shorthand",
    request_only=True,
    value={
        "name": "whatsapp",
        "whatsapp_cloud": {
            "phone_number_id": "100000000000001", "business_account_id": "200000000000001",
            "api_version": "v23.0", "base_url": "https://graph.facebook.com",
            "access_token": "EAAG…", "app_secret": "3f1c…", "verify_token": "a-long-random-string",
            "rate_limit": defaults.RATE_LIMIT, "max_attempts": defaults.MAX_ATTEMPTS,
        },
    },
)
_GENERIC_EXAMPLE = OpenApiExample(
    "Generic API transport (minimal)",
    request_only=True,
    value={
        "name": "sms-webhook",
        "config": {
            "request": {
                "url": "https://sms.example.com/send",
                "body": {"to": "{%address%}", "text": "{%message.content%}"},
            },
        },
    },
)

_RATE_LIMIT_EXAMPLE = OpenApiExample(
    "Raise the rate limit", request_only=True, value={"whatsapp_cloud": {"rate_limit": 250}}
)

_CONFIG_PROBLEM = OpenApiExample(
    "A config that breaks the schema",
    response_only=True,
    status_codes=["400"],
    value={
        "code": "invalid_config",
        "detail": "maxAttempts: must be at least 1",
        "config": ["maxAttempts: must be at least 1"],
    },
)


@extend_schema(tags=["transports"])
@extend_schema_view(
    list=extend_schema(
        summary="List your transports",
        description="The channels your app sends through (WhatsApp Cloud API numbers, or any HTTP API), with "
        "their config and the names of their stored secrets, never the values.",
        responses={200: TransportOutput(many=True), **errors(400, 404)},
        examples=[examples.TRANSPORT],
    ),
    retrieve=extend_schema(
        summary="One transport",
        description="Its config, the names of its secrets (never the values), whether it is active and, when "
        "Meta stopped it (e.g. a refused token), when and why.",
        responses={200: TransportOutput, **errors(404, examples={404: [not_found_example("No such transport.")]})},
        examples=[examples.TRANSPORT, examples.STOPPED],
    ),
)
class TransportViewSet(AppScopedMixin, viewsets.ModelViewSet):
    queryset = Transport.objects.none()  # for the schema only; get_queryset scopes to the app
    serializer_class = TransportOutput

    def get_queryset(self):
        return Transport.objects.filter(app=self.app)

    def get_object(self):
        # int() reads "١" (Arabic-Indic one) as 1: an id in the path is ASCII digits or no id at all.
        if ascii_id(self.kwargs.get("pk")) is None:
            raise NotFound("No such transport.")
        return super().get_object()

    @extend_schema(
        summary="Add a transport",
        description="A WhatsApp Cloud API number from the `whatsapp_cloud` shorthand (expanded into the full "
        "config, tokens stored encrypted), or any HTTP API from a full `config`. Every problem is listed, "
        "under the field it names.",
        request=TransportInput,
        responses={201: TransportOutput, **errors(400, 413, 415, examples={400: [_CONFIG_PROBLEM]})},
        examples=[_WHATSAPP_EXAMPLE, _GENERIC_EXAMPLE, examples.TRANSPORT],
    )
    def create(self, request):
        data = TransportInput(data=request.data)
        data.is_valid(raise_exception=True)
        transport = transport_create(app=self.app, **data.validated_data)
        return Response(TransportOutput(transport).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a transport's settings",
        description="Name, config (or `whatsapp_cloud`), secrets and `is_active`; secrets not given keep their "
        "values, a secret given null is removed.",
        request=TransportInput,
        responses={200: TransportOutput, **errors(400, 404, 413, 415, examples={400: [_CONFIG_PROBLEM]})},
        examples=[_WHATSAPP_EXAMPLE, examples.TRANSPORT],
    )
    def update(self, request, pk=None, partial=False):
        transport = self.get_object()
        data = TransportInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        transport = transport_update(transport=transport, **data.validated_data)
        return Response(TransportOutput(transport).data)

    @extend_schema(
        summary="Change some of a transport's settings",
        description="Only what is given changes: `{\"whatsapp_cloud\": {\"rate_limit\": 250}}` keeps the other "
        "options and the stored secrets.",
        request=TransportInput,
        responses={200: TransportOutput, **errors(400, 404, 413, 415, examples={400: [_CONFIG_PROBLEM]})},
        examples=[_RATE_LIMIT_EXAMPLE, examples.TRANSPORT],
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete an unused transport",
        description="Only a transport nothing was sent or received through: the others keep the audit trail "
        "and are deactivated (`is_active: false`) instead.",
        responses={
            204: OpenApiResponse(description="Deleted."),
            **errors(
                404, 409,
                examples=conflict(
                    "Has sessions", "transport_in_use",
                    "This transport has sessions or webhook events; deactivate it (is_active: false) instead of "
                    "deleting it.",
                ),
                when_409="The transport has sessions or webhook events.",
            ),
        },
    )
    def destroy(self, request, pk=None):
        transport_delete(transport=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Resume a stopped transport",
        description="Send again after a stop (e.g. Meta refused the token and it was fixed); then trigger the "
        "sessions that waited.",
        request=None,
        responses={200: TransportOutput, **errors(404)},
        examples=[examples.TRANSPORT],
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return Response(TransportOutput(transport_resume(transport=self.get_object())).data)

    @extend_schema(
        summary="The transport config's JSON Schema",
        description="The JSON Schema (draft 2020-12) every transport config is validated against: every field, "
        "its bounds and its default.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="JSON Schema (draft 2020-12)"), **errors()},
    )
    @action(detail=False, methods=["get"], url_path="schema", pagination_class=None)
    def config_schema(self, request):
        return Response(CONFIG_SCHEMA)
