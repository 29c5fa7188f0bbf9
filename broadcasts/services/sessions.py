"""Sessions: create (validate everything first), trigger, cancel, stats and completion."""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from broadcasts.callbacks.services.endpoints import session_callback_create
from broadcasts.models import Broadcast, Session
from broadcasts.selectors import stats_from_counts
from broadcasts.services.audiences import CSVRecipients, audience_from_csv
from broadcasts.services.costs import session_cost_basis_store
from broadcasts.services.errors import SessionError
from broadcasts.services.limits import session_messaging_limit_warnings
from broadcasts.services.marketing import session_marketing_messages_check
from broadcasts.services.optouts import optouts_suppress
from broadcasts.services.queueing import enqueue_dispatch
from broadcasts.services.retry import AUTH, RETRYABLE
from broadcasts.services.send_windows import send_at_check, send_window_check
from broadcasts.services.transitions import (
    SESSION_CANCEL,
    SESSION_HOLD,
    SESSION_PAUSE,
    SESSION_RESUME,
    SESSION_TRIGGER,
    broadcasts_cancel,
    broadcasts_requeue,
    session_locked,
    session_move,
)
from broadcasts.services.validation import (
    MessageChecked,
    RecipientsChecked,
    message_check,
    recipients_check,
    template_errors_for_message,
)
from templates.models import Template
from templates.services import language_code
from transports.errors import NEXT_DAY
from transports.models import Transport
from transports.providers import codes_with_policy
from whatsapp_gateway.api_input import text_problem
from whatsapp_gateway.models import App

logger = logging.getLogger("gateway.sessions")
IDEMPOTENCY_KEY_MAX_LENGTH = Session._meta.get_field("idempotency_key").max_length


@dataclass
class SessionCreated:
    session: Session
    replayed: bool = False
    invalid: list[dict] = field(default_factory=list)
    duplicates: int = 0
    callback_secret: str = ""  # the signing secret of its callback_url, in the first answer only
    warnings: list[dict] = field(default_factory=list)  # e.g. Meta's messaging limit would be passed


def session_create(
    *,
    app: App,
    transport_id: int,
    message: dict,
    recipients: list | CSVRecipients,
    idempotency_key: str | None = None,
    skip_invalid: bool = False,
    send_at=None,
    send_window: dict | None = None,
    retargeted_from: Session | None = None,
    callback_url: str | None = None,
) -> SessionCreated:
    """Validate the whole request, store the session and its broadcasts, and enqueue after commit.

    Nothing is stored when anything is invalid, unless `skip_invalid` asks to keep the valid
    recipients (the invalid ones are reported back). The same Idempotency-Key with the same
    body returns the first session; with another body it is a 409. A `send_at` still ahead
    stores it SCHEDULED (the due-sessions check starts it); a `send_window` limits when it sends.
    `recipients` is a JSON list or an uploaded CSV (its bad rows are reported under `recipients_csv`,
    by row number). A `callback_url` gets this session's events, signed with the secret answered once.
    """
    if idempotency_key and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise SessionError(f"At most {IDEMPOTENCY_KEY_MAX_LENGTH} characters.", field="Idempotency-Key")
    if idempotency_key and (problem := text_problem(idempotency_key)):
        raise SessionError(problem, field="Idempotency-Key")
    fingerprint = _fingerprint(transport_id, message, recipients, skip_invalid, send_at, send_window, callback_url)
    if idempotency_key:
        replay = _idempotent_replay(app=app, key=idempotency_key, fingerprint=fingerprint, recipients=recipients)
        if replay:
            return replay
    # After the replay: the same request again, once its send_at has passed, still answers its session.
    scheduled = send_at is not None and not send_at_check(send_at, now=timezone.now())
    if send_window is not None:
        send_window = send_window_check(send_window)
    transport = Transport.objects.filter(app=app, pk=transport_id).first()
    if transport is None:
        raise SessionError(
            f"No transport with id {transport_id} in this app.", field="transport", code="unknown_transport"
        )
    if not transport.is_active:
        raise SessionError(f"Transport {transport.name} is inactive.", field="transport", code="transport_inactive")

    checked_message = message_check(transport=transport, message=message)
    if checked_message.errors:
        raise SessionError(errors={"message": checked_message.errors}, code="invalid_message")
    checked = _recipients_checked(
        transport=transport, message=message, recipients=recipients, checked_message=checked_message
    )
    where = "recipients_csv" if isinstance(recipients, CSVRecipients) else "recipients"
    template_errors = template_errors_for_message(checked_message, checked)
    if template_errors:
        raise SessionError(errors={"message": template_errors}, code="template_not_usable")
    marketing_warnings = session_marketing_messages_check(transport=transport, template=checked_message.template)
    if checked.invalid and not skip_invalid:
        raise SessionError(errors={where: checked.invalid}, code="invalid_recipients")
    if not checked.valid:
        raise SessionError(
            errors={where: checked.invalid or ["At least one recipient is required."]}, code="invalid_recipients"
        )
    logger.info(
        "transport selected",
        extra={
            "app": app.pk,
            "transport": transport.pk,
            "recipients": len(checked.valid),
            "invalid": len(checked.invalid),
        },
    )

    try:
        with transaction.atomic():
            session = Session.objects.create(
                app=app,
                transport=transport,
                message=message,
                total=len(checked.valid),
                status=Session.Status.SCHEDULED if scheduled else Session.Status.NEW,
                send_at=send_at,
                send_window=send_window,
                idempotency_key=idempotency_key or None,
                request_fingerprint=fingerprint,
                stats=stats_from_counts({Broadcast.Status.QUEUED: len(checked.valid)}),
                retargeted_from=retargeted_from,
            )
            secret = session_callback_create(session=session, url=callback_url) if callback_url else ""
            _broadcasts_insert(session=session, recipients=checked.valid, references=checked.references)
            suppressed = optouts_suppress(session=session, template=checked_message.template)
            session_cost_basis_store(
                session=session, category=getattr(checked_message.template, "category", ""),
                addresses=(address for address, _ in checked.valid), suppressed=suppressed,
            )
            warnings = [*marketing_warnings, *session_messaging_limit_warnings(session=session)]
            if not scheduled:
                transaction.on_commit(lambda: enqueue_dispatch(session))
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key won the race.
        replay = _idempotent_replay(app=app, key=idempotency_key, fingerprint=fingerprint, recipients=recipients)
        if replay is None:
            raise
        return replay
    return SessionCreated(
        session=session, invalid=checked.invalid, duplicates=checked.duplicates, warnings=warnings,
        callback_secret=secret,
    )


def _recipients_checked(
    *, transport: Transport, message: dict, recipients: list | CSVRecipients, checked_message: MessageChecked
) -> RecipientsChecked:
    """`recipients_check` of a JSON list, or the rows of a CSV (each bad one by its row number)."""
    if not isinstance(recipients, CSVRecipients):
        return recipients_check(
            transport=transport, message=message, recipients=recipients, checked_message=checked_message
        )
    audience = audience_from_csv(
        file=recipients.file, transport=transport, message=message, checked_message=checked_message,
        address_column=recipients.address_column, delimiter=recipients.delimiter, columns=recipients.columns,
    )
    return RecipientsChecked(valid=audience.valid, invalid=audience.rejected, duplicates=audience.duplicates)


def _fingerprint(
    transport_id, message, recipients, skip_invalid, send_at=None, send_window=None, callback_url=None
) -> str:
    if isinstance(recipients, CSVRecipients):
        recipients = recipients.fingerprint()
    request = [transport_id, message, recipients, skip_invalid]
    if send_at is not None or send_window is not None:  # unscheduled requests keep the fingerprints they had
        request += [send_at.isoformat() if send_at else None, send_window]
    if callback_url:
        request.append({"callback_url": callback_url})
    body = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _idempotent_replay(
    *, app: App, key: str, fingerprint: str, recipients: list | CSVRecipients
) -> SessionCreated | None:
    session = Session.objects.select_related("transport").filter(app=app, idempotency_key=key).first()
    if session is None:
        return None
    if session.request_fingerprint != fingerprint:
        raise SessionError(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused", status=409,
        )
    checked = _recipients_recheck(session=session, recipients=recipients)
    return SessionCreated(session=session, replayed=True, invalid=checked.invalid, duplicates=checked.duplicates)


def _recipients_recheck(*, session: Session, recipients: list | CSVRecipients) -> RecipientsChecked:
    """The recipients report the first request got, rebuilt from the same body.

    Rebuilt rather than stored, so the rejected numbers are not kept as personal data. The stored
    template is used as it is (no sync, whatever its status now): the session was accepted with it.
    """
    meta = session.message.get("meta") or {}
    template = None
    if meta.get("templateName"):
        template = Template.objects.filter(
            transport=session.transport, name=meta["templateName"], language=language_code(meta.get("language"))
        ).first()
    return _recipients_checked(
        transport=session.transport, message=session.message, recipients=recipients,
        checked_message=MessageChecked(template=template),
    )


def _broadcasts_insert(
    *, session: Session, recipients: list[tuple[str, dict]], references: dict | None = None
) -> None:
    """Store one QUEUED broadcast per recipient; `references` maps an address to its integrator's reference."""
    references = references or {}
    if connection.vendor == "postgresql":
        _broadcasts_copy(session=session, recipients=recipients, references=references)
        return
    rows = (
        Broadcast(session=session, address=address, params=params, reference=references.get(address, ""))
        for address, params in recipients
    )
    Broadcast.objects.bulk_create(rows, batch_size=5000)


def _broadcasts_copy(*, session: Session, recipients: list[tuple[str, dict]], references: dict | None = None) -> None:
    """PostgreSQL's COPY: a 100,000-recipient session is stored in about a second instead of many."""
    references = references or {}
    given = ["session_id", "address", "params", "reference", "status", "updated_at"]
    # Every other column gets its field's default, so a new field cannot be left NULL by this path.
    defaults = {
        field.column: field.get_default() for field in Broadcast._meta.concrete_fields
        if not field.primary_key and field.column not in given and not (field.null and field.get_default() is None)
    }
    columns = ", ".join([*given, *defaults])
    now, queued, rest = timezone.now(), Broadcast.Status.QUEUED, tuple(defaults.values())
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY {Broadcast._meta.db_table} ({columns}) FROM STDIN"  # noqa: S608 — the model's column names only
    ) as copy:
        for address, params in recipients:
            copy.write_row((session.pk, address, json.dumps(params), references.get(address, ""), queued, now, *rest))


def session_trigger(*, session: Session, resend_unknown: bool = False) -> int:
    """Re-queue what failed retryably or never finished, within maxAttempts; returns how many.

    With `resend_unknown`, also the UNKNOWN broadcasts (sent, never answered): on purpose only,
    since one that did reach Meta then arrives twice.
    """
    transport = session.transport
    if transport.is_stopped:
        # Re-queued work would only wait: say what to fix instead of counting messages that cannot leave.
        raise SessionError(
            f"Transport {transport.name} is stopped ({transport.stopped_reason}): resume it, then trigger.",
            code="transport_stopped", status=409,
        )
    with session_locked(session_id=session.pk, move=SESSION_TRIGGER):
        retryable = Broadcast.objects.filter(session=session, attempts__lt=transport.max_attempts).filter(
            Q(status=Broadcast.Status.QUEUED)
            | Q(status=Broadcast.Status.FAILED, error_category__in=[*RETRYABLE, AUTH])
            | (Q(status=Broadcast.Status.UNKNOWN) if resend_unknown else Q(pk__in=[]))
        )
        requeued = broadcasts_requeue(broadcasts=retryable)
        # Meta's per-user marketing limit (131049): again, but not before a day after the refusal.
        next_day = Broadcast.objects.filter(
            session=session, status=Broadcast.Status.FAILED,
            error_code__in=codes_with_policy(transport.config, NEXT_DAY),
        )
        requeued += broadcasts_requeue(broadcasts=next_day, not_before=F("failed_at") + timedelta(days=1))
        if requeued:
            session_move(session_id=session.pk, move=SESSION_TRIGGER, completed_at=None, error="")
            transaction.on_commit(lambda: enqueue_dispatch(session))
    return requeued


def session_pause(*, session: Session) -> Session:
    """Stop claiming the session's broadcasts until it is resumed; the batch already on the wire finishes."""
    with session_locked(session_id=session.pk, move=SESSION_PAUSE):
        session_move(session_id=session.pk, move=SESSION_PAUSE, pause_reason=Session.PauseReason.OPERATOR)
    session.refresh_from_db()
    return session


def session_resume(*, session: Session) -> Session:
    """Let a paused session send again, from where it stopped (paused by an operator or for its template)."""
    with session_locked(session_id=session.pk, move=SESSION_RESUME):
        ahead = session.send_at is not None and session.send_at > timezone.now()
        to = Session.Status.SCHEDULED if ahead else Session.Status.PENDING
        session_move(session_id=session.pk, move=SESSION_RESUME, to=to, pause_reason=Session.PauseReason.NONE,
                     error="")
        if not ahead:  # a scheduled one waits for the due-sessions check
            transaction.on_commit(lambda: enqueue_dispatch(session))
    session.refresh_from_db()
    return session


def session_hold_for_template(*, session: Session, reason: str) -> bool:
    """Meta paused or disabled the session's template: stop sending until it is approved again."""
    return session_move(
        session_id=session.pk, move=SESSION_HOLD, pause_reason=Session.PauseReason.TEMPLATE, error=reason[:1000]
    )


def sessions_resume_for_templates(*, transport: Transport, templates: list[tuple[str, str]], **_) -> int:
    """Resume the app's sessions held for one of these templates, now approved again; returns how many.

    Connected to templates_approved: Meta's status webhook and a sync both announce it.
    """
    wanted = set(templates)
    held = Session.objects.filter(
        app_id=transport.app_id, status=Session.Status.PAUSED, pause_reason=Session.PauseReason.TEMPLATE
    )
    resumed = 0
    for session in held:
        meta = (session.message or {}).get("meta") or {}
        if (meta.get("templateName"), language_code(meta.get("language"))) not in wanted:
            continue
        try:
            session_resume(session=session)
        except SessionError:  # resumed or cancelled meanwhile
            continue
        resumed += 1
        logger.info("session resumed: its template is approved again", extra={"session": str(session.pk)})
    return resumed


def session_cancel(*, session: Session) -> int:
    """Stop what has not been sent; returns how many broadcasts were cancelled."""
    now = timezone.now()
    # Locked so a worker recording a retry at this moment sees CANCELLED (see session_cancelled_leftovers_cancel).
    with session_locked(session_id=session.pk, move=SESSION_CANCEL):
        cancelled = broadcasts_cancel(broadcasts=Broadcast.objects.filter(session=session), now=now)
        session_move(session_id=session.pk, move=SESSION_CANCEL, cancelled_at=now)
    return cancelled
