
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from broadcasts.api import examples, session_examples
from broadcasts.api.erasure_serializers import ErasureOutput, ErasureQuery, RecipientEraseInput
from broadcasts.api.filters import BroadcastFilter, SessionFilter
from broadcasts.api.serializers import (
    BroadcastDetailOutput,
    BroadcastOutput,
    CountOutput,
    RetargetInput,
    SessionCreatedOutput,
    SessionCreateQuery,
    SessionCSVInput,
    SessionInput,
    SessionOutput,
    SessionScheduleInput,
    TriggerInput,
)
from broadcasts.models import Broadcast, Session
from broadcasts.selectors import broadcast_get, session_broadcasts, session_get, session_list, sessions_stats
from broadcasts.services.audiences import CSVRecipients
from broadcasts.services.costs import sessions_cost
from broadcasts.services.exports import session_export_csv, session_export_filename
from broadcasts.services.privacy import recipient_erase
from broadcasts.services.rate_cards import rate_card_for_app
from broadcasts.services.retarget import session_retarget
from broadcasts.services.schedule import UNSET, session_reschedule
from broadcasts.services.sessions import (
    session_cancel,
    session_create,
    session_pause,
    session_resume,
    session_trigger,
)
from whatsapp_gateway.api_input import ascii_id, is_uuid
from whatsapp_gateway.api_schema import EXAMPLES as ERROR_EXAMPLES
from whatsapp_gateway.api_schema import conflict, errors
from whatsapp_gateway.api_schema import not_found_example as _not_found
from whatsapp_gateway.authentication import AppScopedMixin

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key and body return the same session; another body is a 409.",
)



@extend_schema(tags=["sessions"])
class SessionViewSet(AppScopedMixin, viewsets.GenericViewSet):
    queryset = Session.objects.none()  # for the schema: ids are UUIDs; real queries are scoped to the app
    filterset_class = SessionFilter

    def initialize_request(self, request, *args, **kwargs):
        # Only creating a session also takes multipart/form-data (a CSV upload); the action is not set yet here.
        self._takes_multipart = request.method == "POST" and self.action_map.get("post") == "create"
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self):
        extra = [parsers.MultiPartParser()] if getattr(self, "_takes_multipart", False) else []
        return [*super().get_parsers(), *extra]

    def perform_content_negotiation(self, request, force=False):
        # The export answers text/csv itself: an Accept: text/csv is not a 406, and its errors stay JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "broadcasts_csv")

    def _session(self, pk):
        session = session_get(app=self.app, session_id=pk) if is_uuid(pk) else None
        if session is None:
            raise NotFound("No such session.")
        return session

    @extend_schema(
        summary="List your sessions",
        description="Your app's sessions, newest first, each with its live stats; filter by status, transport "
        "and creation time.",
        responses={200: SessionOutput(many=True), **errors(400, 404)},
        examples=[session_examples.SESSION],
    )
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(session_list(app=self.app)))
        # Every row's stats in one query for the page, not one per session.
        card = rate_card_for_app(app_id=self.app.pk)
        rows = SessionOutput(page, many=True, context={
            "stats": sessions_stats(sessions=page), "rate_card": card, "costs": sessions_cost(sessions=page, card=card),
        })
        return self.get_paginated_response(rows.data)

    @extend_schema(
        summary="Send a message to many recipients",
        description="Validate the whole request (transport, template and its parameters, every recipient), "
        "store the session and queue one broadcast per recipient. **202** means stored and queued, not sent: "
        "follow the session. Nothing is stored when anything is invalid, unless `skip_invalid=true`. "
        "With an `Idempotency-Key` the same request answers **200** with the first session. With `send_at` "
        "ahead the session is **SCHEDULED** and starts then; with `send_window` it sends only inside the window "
        "(docs/sending.md, Scheduling).\n\n"
        "As `multipart/form-data` the recipients are a CSV file (`recipients_csv`, UTF-8, `,` or `;` separated): "
        "the `address_column` (default `phone`) holds the addresses, every other column becomes each "
        "recipient's params, and a bad row is listed by its row number (the header is row 1).",
        request={"application/json": SessionInput, "multipart/form-data": SessionCSVInput},
        parameters=[IDEMPOTENCY_KEY, SessionCreateQuery],
        responses={
            202: SessionCreatedOutput,
            200: OpenApiResponse(
                SessionCreatedOutput, description="The same Idempotency-Key and body again: the first session."
            ),
            **errors(
                400, 409, 413, 415, when_409="The Idempotency-Key was already used with another body.",
                when_415="The body is neither application/json nor multipart/form-data.",
                examples={400: [*ERROR_EXAMPLES[400], examples.NAIVE_SEND_AT, examples.PAST_SEND_AT,
                                examples.BAD_TIME_ZONE, *examples.CSV_REFUSED, examples.UNSAFE_CALLBACK_URL]},
            ),
        },
        examples=[
            examples.CREATE_TEMPLATE, examples.CREATE_IMAGE, examples.CREATE_SCHEDULED, examples.CREATE_CSV,
            examples.CREATE_WITH_CALLBACK, examples.CREATED, examples.CREATED_SCHEDULED, examples.CREATED_WITH_CALLBACK,
            examples.CREATED_OVER_LIMIT,
        ],
    )
    def create(self, request):
        query = SessionCreateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        multipart = request.content_type.startswith("multipart/form-data")
        data = (SessionCSVInput if multipart else SessionInput)(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        recipients = (
            CSVRecipients(
                file=fields["recipients_csv"], address_column=fields["address_column"], columns=fields.get("columns")
            )
            if multipart else fields["recipients"]
        )
        created = session_create(
            app=self.app,
            transport_id=fields["transport"],
            message=fields["message"],
            recipients=recipients,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            skip_invalid=query.validated_data["skip_invalid"],
            send_at=data.validated_data.get("send_at"),
            send_window=data.validated_data.get("send_window"), callback_url=fields.get("callback_url"),
        )
        body = SessionCreatedOutput(created.session).data
        body.update(invalid=created.invalid, duplicates=created.duplicates, warnings=created.warnings)
        body.update({"callback_secret": created.callback_secret} if created.callback_secret else {})
        return Response(body, status=status.HTTP_200_OK if created.replayed else status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Follow a session",
        description="The session's status and its live stats: how many broadcasts are queued, sent, delivered, "
        "read or failed.",
        responses={200: SessionOutput, **errors(404)},
        examples=[session_examples.SESSION],
    )
    def retrieve(self, request, pk=None):
        return Response(SessionOutput(self._session(pk)).data)

    @extend_schema(
        summary="Reschedule a scheduled session",
        description="Change when a SCHEDULED session starts (`send_at`; null starts it now) or its send window "
        "(`send_window`; null removes it). Only the fields given change. Once the session started (or was "
        "cancelled) this is a 409; cancel a scheduled session with `POST /sessions/{id}/cancel`.",
        request=SessionScheduleInput,
        responses={
            200: SessionOutput,
            **errors(
                400, 404, 409, 413, 415,
                examples={
                    400: [examples.PAST_SEND_AT, examples.BAD_TIME_ZONE],
                    409: conflict(
                        "Already started", "session_started",
                        "Only a scheduled session can be rescheduled; this one is PENDING.",
                    )[409],
                },
                when_409="The session is no longer SCHEDULED: it started, finished or was cancelled.",
            ),
        },
        examples=[examples.RESCHEDULE, examples.RESCHEDULE_NOW, session_examples.RESCHEDULED],
    )
    def partial_update(self, request, pk=None):
        session = self._session(pk)
        data = SessionScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {name: data.validated_data.get(name, UNSET) for name in ("send_at", "send_window")}
        return Response(SessionOutput(session_reschedule(session=session, **changes)).data)

    @extend_schema(
        summary="List a session's broadcasts",
        description="One broadcast per recipient, in the order they were given: status, attempts, the wamid "
        "Meta gave and Meta's error code when it failed. Filter by status or error code.",
        responses={200: BroadcastOutput(many=True), **errors(400, 404)},
        examples=[session_examples.BROADCAST, session_examples.BROADCAST_FAILED],
    )
    @action(detail=True, methods=["get"], filterset_class=BroadcastFilter)
    def broadcasts(self, request, pk=None):
        page = self.paginate_queryset(self.filter_queryset(session_broadcasts(session=self._session(pk))))
        return self.get_paginated_response(BroadcastOutput(page, many=True).data)

    @extend_schema(
        summary="Export a session's broadcasts as CSV",
        description="One row per recipient, streamed: id, address, params (JSON), status, sent/delivered/read/"
        "failed times (UTC, ISO 8601), wamid, Meta's error code and title, attempts. A cell that a spreadsheet "
        "would read as a formula (it starts with `=`, `+`, `-` or `@`) is written with a leading `'`.",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The CSV (UTF-8), as an attachment.", examples=[examples.EXPORT_CSV]
            ),
            **errors(404),
        },
    )
    @action(detail=True, methods=["get"], url_path=r"broadcasts\.csv", url_name="broadcasts-csv")
    def broadcasts_csv(self, request, pk=None):
        session = self._session(pk)
        # The key is the app's: it gave these numbers and reads them in full from /broadcasts too.
        response = StreamingHttpResponse(
            session_export_csv(session=session, personal_data=True), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{session_export_filename(session)}"'
        return response

    @extend_schema(
        summary="New session from a session's recipients",
        description="Send another message to the recipients of this session whose broadcast is now in one of "
        "`statuses` (e.g. `[\"DELIVERED\"]`: delivered, not read): a new session, validated and stored as "
        "`POST /sessions` does, with `retargeted_from` naming this one. **202** with the new session.",
        request=RetargetInput,
        responses={
            202: SessionCreatedOutput,
            **errors(
                400, 404, 413, 415, examples={400: [examples.RETARGET_NOBODY]},
                when_400="A status that cannot be chosen, no recipient in the chosen statuses, or the new message "
                "or a recipient is invalid (nothing is stored).",
            ),
        },
        examples=[examples.RETARGET, session_examples.RETARGETED],
    )
    @action(detail=True, methods=["post"])
    def retarget(self, request, pk=None):
        session = self._session(pk)
        data = RetargetInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        created = session_retarget(
            session=session, statuses=fields["statuses"], message=fields["message"],
            transport_id=fields.get("transport"), keep_params=fields["keep_params"],
        )
        body = SessionCreatedOutput(created.session).data
        body.update(invalid=created.invalid, duplicates=created.duplicates, warnings=created.warnings)
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Send again what failed",
        description="Re-queue the broadcasts that failed for a retryable reason or never finished, within the "
        "transport's maxAttempts; answers how many. A cancelled or paused session, or a stopped transport, "
        "answers 409.",
        request=TriggerInput,
        responses={
            200: CountOutput,
            **errors(
                400, 404, 409, 413, 415,
                examples=conflict("Cancelled", "session_cancelled", "A cancelled session cannot be triggered."),
                when_409="The session is cancelled or paused, or its transport is stopped.",
            ),
        },
        examples=[session_examples.TRIGGERED],
    )
    @action(detail=True, methods=["post"])
    def trigger(self, request, pk=None):
        session = self._session(pk)
        data = TriggerInput(data=request.data)
        data.is_valid(raise_exception=True)
        count = session_trigger(session=session, **data.validated_data)
        session.refresh_from_db()
        return Response({"count": count, "session": SessionOutput(session).data})

    @extend_schema(
        summary="Cancel a session",
        description="Stop what has not been sent yet: its queued broadcasts turn CANCELLED; answers how many. "
        "A SCHEDULED session can be cancelled before it starts.",
        request=None,
        responses={
            200: CountOutput,
            **errors(
                404, 409,
                examples=conflict("Already finished", "session_finished", "The session is already COMPLETED."),
                when_409="The session is already completed or cancelled.",
            ),
        },
        examples=[session_examples.CANCELLED],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = self._session(pk)
        count = session_cancel(session=session)
        session.refresh_from_db()
        return Response({"count": count, "session": SessionOutput(session).data})

    @extend_schema(
        summary="Pause a session",
        description="Stop sending (status PAUSED) until resumed; the requests already on the wire finish and "
        "are recorded.",
        request=None,
        responses={
            200: SessionOutput,
            **errors(
                404, 409,
                examples=conflict(
                    "Not running", "session_not_running", "Only a running session can be paused; this one is COMPLETED."
                ),
                when_409="The session is not running.",
            ),
        },
        examples=[session_examples.PAUSED],
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return Response(SessionOutput(session_pause(session=self._session(pk))).data)

    @extend_schema(
        summary="Resume a paused session",
        description="Send a paused session's remaining broadcasts, from where it stopped.",
        request=None,
        responses={
            200: SessionOutput,
            **errors(
                404, 409,
                examples=conflict(
                    "Not paused", "session_not_paused", "Only a paused session can be resumed; this one is PENDING."
                ),
                when_409="The session is not paused.",
            ),
        },
        examples=[session_examples.RESUMED],
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return Response(SessionOutput(session_resume(session=self._session(pk))).data)


@extend_schema(tags=["sessions"])
class BroadcastViewSet(AppScopedMixin, viewsets.ViewSet):
    queryset = Broadcast.objects.none()  # for the schema only

    @extend_schema(
        summary="One broadcast and its history",
        description="One recipient's message: its status and every attempt and status webhook in its logs "
        "(the request sent to Meta and Meta's answer, tokens and numbers redacted).",
        responses={
            200: BroadcastDetailOutput,
            **errors(404, examples={404: [_not_found("No such broadcast.")]}),
        },
        examples=[session_examples.BROADCAST_DETAIL],
    )
    def retrieve(self, request, pk=None):
        broadcast_id = ascii_id(pk)
        broadcast = broadcast_get(app=self.app, broadcast_id=broadcast_id) if broadcast_id is not None else None
        if broadcast is None:
            raise NotFound("No such broadcast.")
        return Response(BroadcastDetailOutput(broadcast).data)


@extend_schema(tags=["privacy"])
class RecipientEraseView(AppScopedMixin, APIView):
    @extend_schema(
        summary="Erase one person",
        description="Erase one person from your app: their number, parameters and messages. Queued messages to "
        "them are cancelled; the erasure is recorded, the number not. `dry_run=true` counts and changes nothing.",
        request=RecipientEraseInput,
        parameters=[ErasureQuery],
        responses={200: ErasureOutput, **errors(400, 413, 415, examples={400: [examples.NOBODY]})},
        examples=[examples.ERASE, examples.ERASED, examples.ERASE_DRY_RUN],
    )
    def post(self, request):
        query = ErasureQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = RecipientEraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        erasure = recipient_erase(
            app=self.app, address=data.validated_data["address"], requested_by="api",
            dry_run=query.validated_data["dry_run"],
        )
        return Response(ErasureOutput(erasure).data)
