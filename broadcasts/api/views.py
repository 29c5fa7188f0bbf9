import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from broadcasts.api import examples
from broadcasts.api.filters import BroadcastFilter, SessionFilter
from broadcasts.api.serializers import (
    BroadcastDetailOutput,
    BroadcastOutput,
    CountOutput,
    ErasureOutput,
    ErasureQuery,
    RecipientEraseInput,
    SessionCreatedOutput,
    SessionCreateQuery,
    SessionInput,
    SessionOutput,
    TriggerInput,
)
from broadcasts.models import Broadcast, Session
from broadcasts.selectors import broadcast_get, session_broadcasts, session_get, session_list
from broadcasts.services.privacy import recipient_erase
from broadcasts.services.sessions import (
    session_cancel,
    session_create,
    session_pause,
    session_resume,
    session_trigger,
    sessions_stats,
)
from whatsapp_gateway.api_input import ascii_id
from whatsapp_gateway.authentication import AppScopedMixin

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key and body return the same session; another body is a 409.",
)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@extend_schema(tags=["sessions"])
class SessionViewSet(AppScopedMixin, viewsets.GenericViewSet):
    queryset = Session.objects.none()  # for the schema: ids are UUIDs; real queries are scoped to the app
    filterset_class = SessionFilter

    def _session(self, pk):
        session = session_get(app=self.app, session_id=pk) if _is_uuid(pk) else None
        if session is None:
            raise NotFound("No such session.")
        return session

    @extend_schema(responses=SessionOutput(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(session_list(app=self.app)))
        # Every row's stats in one query for the page, not one per session.
        rows = SessionOutput(page, many=True, context={"stats": sessions_stats(sessions=page)})
        return self.get_paginated_response(rows.data)

    @extend_schema(
        request=SessionInput,
        parameters=[IDEMPOTENCY_KEY, SessionCreateQuery],
        responses={202: SessionCreatedOutput, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        examples=[examples.CREATE_TEMPLATE, examples.CREATE_IMAGE, examples.CREATED, examples.INVALID],
    )
    def create(self, request):
        query = SessionCreateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = SessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = session_create(
            app=self.app,
            transport_id=data.validated_data["transport"],
            message=data.validated_data["message"],
            recipients=data.validated_data["recipients"],
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            skip_invalid=query.validated_data["skip_invalid"],
        )
        body = SessionCreatedOutput(created.session).data
        body.update(invalid=created.invalid, duplicates=created.duplicates)
        return Response(body, status=status.HTTP_200_OK if created.replayed else status.HTTP_202_ACCEPTED)

    @extend_schema(responses=SessionOutput)
    def retrieve(self, request, pk=None):
        return Response(SessionOutput(self._session(pk)).data)

    @extend_schema(responses=BroadcastOutput(many=True))
    @action(detail=True, methods=["get"], filterset_class=BroadcastFilter)
    def broadcasts(self, request, pk=None):
        page = self.paginate_queryset(self.filter_queryset(session_broadcasts(session=self._session(pk))))
        return self.get_paginated_response(BroadcastOutput(page, many=True).data)

    @extend_schema(request=TriggerInput, responses=CountOutput)
    @action(detail=True, methods=["post"])
    def trigger(self, request, pk=None):
        """Re-queue the broadcasts that failed retryably or never finished, within maxAttempts."""
        session = self._session(pk)
        data = TriggerInput(data=request.data)
        data.is_valid(raise_exception=True)
        count = session_trigger(session=session, **data.validated_data)
        session.refresh_from_db()
        return Response({"count": count, "session": SessionOutput(session).data})

    @extend_schema(request=None, responses=CountOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop what has not been sent yet."""
        session = self._session(pk)
        count = session_cancel(session=session)
        session.refresh_from_db()
        return Response({"count": count, "session": SessionOutput(session).data})

    @extend_schema(
        request=None,
        responses={200: SessionOutput, 409: OpenApiResponse(description="The session is not running.")},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop sending (status PAUSED) until resumed; the requests already on the wire finish."""
        return Response(SessionOutput(session_pause(session=self._session(pk))).data)

    @extend_schema(
        request=None,
        responses={200: SessionOutput, 409: OpenApiResponse(description="The session is not paused.")},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Send a paused session's remaining broadcasts, from where it stopped."""
        return Response(SessionOutput(session_resume(session=self._session(pk))).data)


@extend_schema(tags=["sessions"])
class BroadcastViewSet(AppScopedMixin, viewsets.ViewSet):
    queryset = Broadcast.objects.none()  # for the schema only

    @extend_schema(responses=BroadcastDetailOutput)
    def retrieve(self, request, pk=None):
        broadcast_id = ascii_id(pk)
        broadcast = broadcast_get(app=self.app, broadcast_id=broadcast_id) if broadcast_id is not None else None
        if broadcast is None:
            raise NotFound("No such broadcast.")
        return Response(BroadcastDetailOutput(broadcast).data)


@extend_schema(tags=["privacy"])
class RecipientEraseView(AppScopedMixin, APIView):
    @extend_schema(
        request=RecipientEraseInput,
        parameters=[ErasureQuery],
        responses={200: ErasureOutput, 400: OpenApiTypes.OBJECT},
        examples=[examples.ERASE, examples.ERASED, examples.ERASE_DRY_RUN],
    )
    def post(self, request):
        """Erase one person from your app: numbers, parameters and messages; the erasure is recorded, the number not."""
        query = ErasureQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = RecipientEraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        erasure = recipient_erase(
            app=self.app, address=data.validated_data["address"], requested_by="api",
            dry_run=query.validated_data["dry_run"],
        )
        return Response(ErasureOutput(erasure).data)
