from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

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
            "rate_limit": 80, "max_attempts": 3,
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


@extend_schema(tags=["transports"])
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
        request=TransportInput, responses={201: TransportOutput}, examples=[_WHATSAPP_EXAMPLE, _GENERIC_EXAMPLE]
    )
    def create(self, request):
        data = TransportInput(data=request.data)
        data.is_valid(raise_exception=True)
        transport = transport_create(app=self.app, **data.validated_data)
        return Response(TransportOutput(transport).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransportInput, responses=TransportOutput)
    def update(self, request, pk=None, partial=False):
        transport = self.get_object()
        data = TransportInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        transport = transport_update(transport=transport, **data.validated_data)
        return Response(TransportOutput(transport).data)

    @extend_schema(request=TransportInput, responses=TransportOutput)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        responses={204: None, 409: OpenApiResponse(description="The transport has sessions or webhook events.")}
    )
    def destroy(self, request, pk=None):
        transport_delete(transport=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=TransportOutput)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Sending again after a stop (e.g. Meta refused the token and it was fixed); trigger the sessions next."""
        return Response(TransportOutput(transport_resume(transport=self.get_object())).data)

    @extend_schema(
        summary="The JSON Schema every transport config is validated against",
        responses={200: OpenApiResponse(description="JSON Schema (draft 2020-12)")},
    )
    @action(detail=False, methods=["get"], url_path="schema", pagination_class=None)
    def config_schema(self, request):
        return Response(CONFIG_SCHEMA)
