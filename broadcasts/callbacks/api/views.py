from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from broadcasts.callbacks.api.serializers import (
    CallbackAttemptOutput,
    CallbackCreatedOutput,
    CallbackInput,
    CallbackOutput,
)
from broadcasts.callbacks.models import Callback
from broadcasts.callbacks.services.delivery import callback_ping
from broadcasts.callbacks.services.endpoints import (
    callback_create,
    callback_delete,
    callback_rotate,
    callback_update,
)
from whatsapp_gateway.api_input import ascii_id
from whatsapp_gateway.api_schema import errors, not_found_example
from whatsapp_gateway.authentication import AppScopedMixin

_CALLBACK = {
    "id": 7, "url": "https://example.com/whatsapp-events", "events": ["broadcast.delivered", "broadcast.failed"],
    "is_active": True, "batch_size": 1, "disabled_reason": "", "disabled_at": None, "failures": 0,
    "next_attempt_at": None, "last_success_at": "2026-12-03T10:15:02.114Z", "previous_secret_expires_at": None,
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-03T10:15:02.114Z",
}
_SECRET = "whsec_8J2kQ0v1m5sZr9yXcT4aLpW6nE3uB7dH1fG0iK2oM5q"  # noqa: S105 — an example, never used
_CREATE = OpenApiExample(
    "Delivery and failure events", request_only=True,
    value={"url": "https://example.com/whatsapp-events", "events": ["broadcast.delivered", "broadcast.failed"]},
)
_CREATED = OpenApiExample(
    "Created, with its secret (shown once)", response_only=True, status_codes=["201"],
    value={**_CALLBACK, "last_success_at": None, "secret": _SECRET},
)
_ROTATED = OpenApiExample(
    "A new secret; the previous one signs too until previous_secret_expires_at", response_only=True,
    status_codes=["200"], value={**_CALLBACK, "previous_secret_expires_at": "2026-12-04T10:20:00Z", "secret": _SECRET},
)
_UNSAFE = OpenApiExample(
    "A private address", response_only=True, status_codes=["400"],
    value={
        "code": "unsafe_url",
        "detail": "url: host 10.0.0.5 resolves to an address that is not globally routable (10.0.0.5); add it to "
        "TRANSPORT_ALLOWED_HOSTS to allow it",
        "url": ["host 10.0.0.5 resolves to an address that is not globally routable (10.0.0.5); add it to "
                "TRANSPORT_ALLOWED_HOSTS to allow it"],
    },
)
_BAD_EVENT = OpenApiExample(
    "An unknown event type", response_only=True, status_codes=["400"],
    value={"code": "invalid", "detail": "events.0: \"broadcast.opened\" is not a valid choice.",
           "events": {"0": ["\"broadcast.opened\" is not a valid choice."]}},
)
_PINGED = OpenApiExample(
    "The receiver answered 200", response_only=True, status_codes=["200"],
    value={"ok": True, "status_code": 200, "duration_ms": 84, "response_excerpt": "ok", "error": "",
           "created_at": "2026-12-03T10:20:00Z"},
)
_PING_FAILED = OpenApiExample(
    "The receiver is down", response_only=True, status_codes=["200"],
    value={"ok": False, "status_code": None, "duration_ms": 3, "response_excerpt": "",
           "error": "ConnectionError: connection refused", "created_at": "2026-12-03T10:20:00Z"},
)
_NOT_FOUND = {404: [not_found_example("No such callback.")]}


@extend_schema(tags=["callbacks"])
@extend_schema_view(
    list=extend_schema(
        summary="List your callback endpoints",
        description="Where your app's signed events go, and how delivery to each is doing (failures in a row, "
        "the next try, why it was disabled). Secrets are never returned.",
        responses={200: CallbackOutput(many=True), **errors(400, 404)},
        examples=[OpenApiExample("One endpoint", response_only=True, value=_CALLBACK)],
    ),
    retrieve=extend_schema(
        summary="One callback endpoint",
        description="Its URL, events and delivery state; never its secret.",
        responses={200: CallbackOutput, **errors(404, examples=_NOT_FOUND)},
        examples=[OpenApiExample("An endpoint", response_only=True, value=_CALLBACK)],
    ),
)
class CallbackViewSet(AppScopedMixin, viewsets.ModelViewSet):
    queryset = Callback.objects.none()  # for the schema only; get_queryset scopes to the app
    serializer_class = CallbackOutput
    http_method_names = ["get", "post", "patch", "delete", "head"]

    def get_queryset(self):
        return Callback.objects.filter(app=self.app, session__isnull=True)  # a session's own goes with it

    def get_object(self):
        if ascii_id(self.kwargs.get("pk")) is None:
            raise NotFound("No such callback.")
        found = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound("No such callback.")
        return found

    @extend_schema(
        summary="Add a callback endpoint",
        description="Events of your sessions, broadcasts, replies and templates are POSTed here, signed with "
        "`X-Gateway-Signature` (docs/callbacks.md). The signing secret is in this answer only. The URL passes the "
        "same network guard as transport URLs: http(s), no private address.",
        request=CallbackInput,
        responses={201: CallbackCreatedOutput, **errors(400, 413, 415, examples={400: [_UNSAFE, _BAD_EVENT]})},
        examples=[_CREATE, _CREATED],
    )
    def create(self, request):
        data = CallbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        callback, secret = callback_create(app=self.app, **data.validated_data)
        return Response({**CallbackOutput(callback).data, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a callback endpoint",
        description="Only what is given changes. `is_active: true` on a disabled endpoint sends what it missed, "
        "in order.",
        request=CallbackInput,
        responses={
            200: CallbackOutput,
            **errors(400, 404, 413, 415, examples={400: [_UNSAFE, _BAD_EVENT], **_NOT_FOUND}),
        },
        examples=[
            OpenApiExample("Turn it off", request_only=True, value={"is_active": False}),
            OpenApiExample(
                "Turned off", response_only=True, status_codes=["200"], value={**_CALLBACK, "is_active": False}
            ),
        ],
    )
    def partial_update(self, request, pk=None):
        callback = self.get_object()
        data = CallbackInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(CallbackOutput(callback_update(callback=callback, **data.validated_data)).data)

    @extend_schema(
        summary="Delete a callback endpoint",
        description="Nothing more is sent to it; its pending deliveries are dropped.",
        responses={204: OpenApiResponse(description="Deleted."), **errors(404, examples=_NOT_FOUND)},
    )
    def destroy(self, request, pk=None):
        callback_delete(callback=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate the signing secret",
        description="A new secret, shown in this answer only. Until `previous_secret_expires_at` "
        "(24 hours later) every POST carries two `v1` signatures, one per secret, "
        "so the receiver can switch at its own pace.",
        request=None,
        responses={200: CallbackCreatedOutput, **errors(404, examples=_NOT_FOUND)},
        examples=[_ROTATED],
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        callback, secret, _ = callback_rotate(callback=self.get_object())
        return Response({**CallbackOutput(callback).data, "secret": secret})

    @extend_schema(
        summary="Send a test ping",
        description="POSTs one signed `ping` event now and answers what the receiver did: 200 in every case "
        "(`ok` says whether it answered 2xx). The attempt is logged like any other; nothing else is sent.",
        request=None,
        responses={200: CallbackAttemptOutput, **errors(404, examples=_NOT_FOUND)},
        examples=[_PINGED, _PING_FAILED],
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        return Response(CallbackAttemptOutput(callback_ping(callback=self.get_object())).data)
