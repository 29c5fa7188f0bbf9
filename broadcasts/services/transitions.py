"""Every status change of a session or a broadcast, in one module.

`SESSION_MOVES` and `BROADCAST_MOVES` are the state machine: each named move, the statuses it
starts from and those it may end in. The functions below are the only code that writes a status
(a test holds that); each selects or checks by its move, so a row in another status is left
alone, and each logs the same way. What to do (retry or give up, when to sweep) is decided by
the callers; how the row moves is decided here. The docs' state table is generated from these.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from broadcasts.callbacks.services.events import broadcast_events_record, session_events_record
from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.selectors import session_failed_reason, session_stats
from broadcasts.services.bulk_writes import rows_update
from broadcasts.services.errors import TransitionRefused

logger = logging.getLogger("gateway.transitions")

S = Session.Status
B = Broadcast.Status


@dataclass(frozen=True)
class Move:
    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    by: str  # who makes the move, as the docs say it
    refusal: tuple[str, str] = ("", "")  # (code, message) a refused request is told; {status} is the current one
    refusals: tuple[tuple[str, str, str], ...] = ()  # (status, code, message) where a status needs its own words

    def refused(self, status: str) -> TransitionRefused:
        code, message = next(((c, m) for s, c, m in self.refusals if s == status), self.refusal)
        return TransitionRefused(message.format(status=status), code=code)


RUNNING = Session.RUNNING

SESSION_DUE = Move("due", (S.SCHEDULED,), (S.NEW,), "the due-sessions check (beat, every few seconds), at send_at")
SESSION_RESCHEDULE = Move(
    "reschedule",
    (S.SCHEDULED,),
    (S.SCHEDULED, S.NEW),
    "the API or the admin: a new send_at, or now",
    ("session_started", "Only a scheduled session can be rescheduled; this one is {status}."),
)
SESSION_START = Move("start", (S.NEW,), (S.PENDING,), "a worker, at the first batch")
SESSION_FINISH = Move("finish", RUNNING, (S.COMPLETED, S.FAILED), "a worker, once no broadcast is left to send")
SESSION_PAUSE = Move(
    "pause",
    RUNNING,
    (S.PAUSED,),
    "the API or the admin",
    ("session_not_running", "Only a running session can be paused; this one is {status}."),
)
SESSION_HOLD = Move(
    "hold", RUNNING, (S.PAUSED,),
    "a worker, when Meta paused or disabled the session's template (132015, 132016) or its health is BLOCKED",
)
SESSION_RECATEGORISED = Move(
    "hold for category", (*RUNNING, S.SCHEDULED), (S.PAUSED,),
    "a webhook or a sync, when Meta moved the session's template to MARKETING",
)
SESSION_RESUME = Move(
    "resume",
    (S.PAUSED,),
    (S.PENDING, S.SCHEDULED),  # SCHEDULED: paused before its send_at, which is still ahead
    "the API or the admin",
    ("session_not_paused", "Only a paused session can be resumed; this one is {status}."),
)
SESSION_CANCEL = Move(
    "cancel",
    (S.SCHEDULED, *RUNNING, S.PAUSED, S.FAILED),
    (S.CANCELLED,),
    "the API or the admin",
    ("session_finished", "The session is already {status}."),
)
SESSION_TRIGGER = Move(
    "trigger",
    (*RUNNING, S.COMPLETED, S.FAILED),
    (S.PENDING,),
    "the API or the admin",
    ("session_not_triggerable", "A {status} session cannot be triggered."),
    (
        (S.CANCELLED, "session_cancelled", "A cancelled session cannot be triggered."),
        (S.PAUSED, "session_paused", "The session is paused: resume it to send again."),
        (S.SCHEDULED, "session_scheduled", "The session is scheduled: reschedule it to start it sooner."),
    ),
)
SESSION_STOP = Move("stop", RUNNING, (S.FAILED,), "a worker, when Meta refuses the transport's credentials")
SESSION_MOVES = (
    SESSION_DUE,
    SESSION_RESCHEDULE,
    SESSION_START,
    SESSION_FINISH,
    SESSION_PAUSE,
    SESSION_HOLD,
    SESSION_RECATEGORISED,
    SESSION_RESUME,
    SESSION_CANCEL,
    SESSION_TRIGGER,
    SESSION_STOP,
)

CLAIM = Move("claim", (B.QUEUED,), (B.SENDING,), "a worker, committed before the request leaves")
SEND_OUTCOME = Move(
    "outcome",
    (B.SENDING,),
    (B.SENT, B.QUEUED, B.FAILED, B.UNKNOWN),
    "a worker, as each answer arrives: sent, queued for a retry, failed, or unknown after a timeout",
)
LOST = Move(
    "lost",
    (B.SENDING,),
    (B.QUEUED, B.FAILED, B.CANCELLED),
    "the sweeper, once the claim of a worker that died has run out",
)
CANCEL = Move("cancel", (B.QUEUED,), (B.CANCELLED,), "a session's cancel, or the erasure of its recipient")
TRIGGER = Move(
    "trigger",
    (B.QUEUED, B.FAILED, B.UNKNOWN),
    (B.QUEUED,),
    "a trigger: retryable failures within maxAttempts, and unknown ones on purpose",
)
# Meta's statuses may arrive in any order: a status moves a broadcast only to a later one (STATUS_RANK).
STATUS_WEBHOOK = Move(
    "status",
    (B.QUEUED, B.SENDING, B.UNKNOWN, B.SENT, B.FAILED, B.DELIVERED),
    (B.SENT, B.FAILED, B.DELIVERED, B.READ),
    "Meta's status webhook",
)
SUPPRESS = Move(
    "suppress", (B.QUEUED,), (B.SUPPRESSED,), "session create, for a recipient on the app's opt-out list: never sent"
)
BROADCAST_MOVES = (CLAIM, SEND_OUTCOME, LOST, CANCEL, TRIGGER, STATUS_WEBHOOK, SUPPRESS)

STATUS_RANK = {B.QUEUED: 0, B.SENDING: 0, B.UNKNOWN: 0, B.SENT: 1, B.FAILED: 2, B.DELIVERED: 3, B.READ: 4}
STATUS_TIME_FIELD = {B.SENT: "sent_at", B.DELIVERED: "delivered_at", B.READ: "read_at", B.FAILED: "failed_at"}
UNFINISHED = (B.QUEUED, B.SENDING)
CANCELLED_NOTE = "Cancelled before it was sent."
ERASED_NOTE = "Cancelled before it was sent: the recipient's data was erased."
SUPPRESSED_NOTE = "Not sent: the recipient opted out."


def _logged(model: str, move: Move, count: int, **extra) -> None:
    if count:
        logger.info("%s %s", model, move.name, extra={"move": move.name, "rows": count, **extra})


# --- Sessions --------------------------------------------------------------------------------------


@contextmanager
def session_locked(*, session_id, move: Move) -> Iterator[str]:
    """A transaction holding the session's row lock; refuses (409) when `move` cannot start from its status.

    Yields the current status. Cancel, trigger and the recording of a batch take this lock, so
    their writes to the session's broadcasts are ordered.
    """
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).get(pk=session_id)
        if status not in move.sources:
            raise move.refused(status)
        yield status


def session_move(*, session_id, move: Move, to: str | None = None, **fields) -> bool:
    """Move the session if its status is one `move` starts from; returns whether it moved."""
    to = to or move.targets[0]
    assert to in move.targets, f"{move.name} cannot end in {to}"
    with transaction.atomic(savepoint=False):  # the callbacks' outbox is written with the move
        moved = Session.objects.filter(pk=session_id, status__in=move.sources).update(
            status=to, updated_at=timezone.now(), **fields
        )
        if moved:
            session_events_record(session_ids=[session_id], move=move.name, to=to)
    _logged("session", move, moved, session=str(session_id), to=to)
    return bool(moved)


def session_start(*, session: Session) -> None:
    if session.status == S.NEW:
        session_move(session_id=session.pk, move=SESSION_START, started_at=timezone.now())


def sessions_due_start(*, now, limit: int = 500) -> list:
    """Move the SCHEDULED sessions whose send_at has come to NEW; returns their ids (the caller enqueues them).

    Rows locked by another check are skipped, so two checks at once never start a session twice.
    """
    with transaction.atomic():
        ids = list(
            Session.objects.select_for_update(skip_locked=True)
            .filter(status__in=SESSION_DUE.sources, send_at__lte=now)
            .order_by("send_at").values_list("id", flat=True)[:limit]
        )
        moved = Session.objects.filter(pk__in=ids, status__in=SESSION_DUE.sources).update(
            status=S.NEW, waiting_until=None, updated_at=now
        )
    _logged("session", SESSION_DUE, moved)
    return ids


def session_finish_if_done(*, session_id) -> bool:
    """Mark a running session COMPLETED (or FAILED when nothing could be sent) once no work is left."""
    with transaction.atomic():
        # The session row lock orders this with a concurrent trigger: either the trigger's
        # re-queued rows are seen here, or the trigger sets the finished session PENDING again.
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None or session.status not in SESSION_FINISH.sources:
            return False
        if Broadcast.objects.filter(session_id=session_id, status__in=UNFINISHED).exists():
            return False
        stats = session_stats(session=session)
        delivered_any = stats["total"] - stats["failed"] - stats["cancelled"] > 0
        status = S.COMPLETED if delivered_any or stats["total"] == 0 else S.FAILED
        # A session where nothing went out says why, with its commonest error codes.
        reason = {"error": session_failed_reason(session=session, stats=stats)} if status == S.FAILED else {}
        session_move(
            session_id=session_id, move=SESSION_FINISH, to=status, completed_at=timezone.now(), stats=stats, **reason
        )
    return True


def sessions_stop(*, transport_id: int, reason: str) -> int:
    """Fail the running sessions of a transport that was stopped; returns how many."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        running = Session.objects.select_for_update().filter(transport_id=transport_id, status__in=SESSION_STOP.sources)
        ids = list(running.values_list("id", flat=True))
        stopped = Session.objects.filter(pk__in=ids, status__in=SESSION_STOP.sources).update(
            status=S.FAILED, error=f"Transport stopped: {reason}", completed_at=now, updated_at=now
        )
        session_events_record(session_ids=ids, move=SESSION_STOP.name, to=S.FAILED, now=now)
    _logged("session", SESSION_STOP, stopped, transport=transport_id)
    return stopped


# --- Broadcasts ------------------------------------------------------------------------------------


def broadcasts_claim(*, session: Session, ready: QuerySet, limit: int, alone: dict | None = None) -> list[Broadcast]:
    """Take up to `limit` of the `ready` broadcasts for this worker, committed before sending.

    A ready row matching the `alone` filter is taken by itself (one that may be what kills workers).
    """
    now = timezone.now()
    with transaction.atomic():
        locked = ready.select_for_update(skip_locked=True).filter(status__in=CLAIM.sources)
        ids = list(locked.filter(**alone).order_by("id").values_list("id", flat=True)[:1]) if alone else []
        ids = ids or list(locked.order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Broadcast.objects.filter(id__in=ids, status__in=CLAIM.sources).update(
            status=B.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    # Outside the claim: trigger and cancel lock the session row before its broadcasts, so taking
    # them in the other order here could deadlock. The timestamp only tells the sweeper we are alive.
    Session.objects.filter(pk=session.pk).update(updated_at=now)
    return list(Broadcast.objects.filter(id__in=ids, status=B.SENDING, claimed_at=now))


def broadcast_move(broadcast: Broadcast, *, move: Move, to: str) -> None:
    """Move one loaded broadcast in memory; `broadcasts_save` writes it."""
    assert broadcast.status in move.sources and to in move.targets, f"{move.name}: {broadcast.status} -> {to}"
    broadcast.status = to
    broadcast.__dict__.setdefault("_moved_to", []).append(to)  # for the callbacks' events, when it is saved


def _moves_taken(broadcasts: list[Broadcast], default: str | None = None) -> list[tuple[int, object, list[str]]]:
    """(id, session id, statuses each moved to since it was last saved), forgetting them."""
    fallback = [default] if default else []
    return [(b.pk, b.session_id, b.__dict__.pop("_moved_to", None) or fallback) for b in broadcasts]


def broadcasts_save(broadcasts: list[Broadcast], *, fields: Iterable[str], now) -> None:
    """Write these `fields` of loaded broadcasts (moved by `broadcast_move`, or given a status's time) in bulk."""
    for broadcast in broadcasts:
        broadcast.updated_at = now
    if broadcasts:
        with transaction.atomic(savepoint=False):
            rows_update(Broadcast, broadcasts, sorted({*fields, "updated_at"}))
            broadcast_events_record(moved=_moves_taken(broadcasts), now=now)


def broadcasts_sent_save(sent: list[Broadcast], *, now) -> None:
    """Write the sent broadcasts of a batch: they share every field but their wamid, so one UPDATE and the wamids."""
    if not sent:
        return
    with transaction.atomic(savepoint=False):
        Broadcast.objects.filter(id__in=[b.pk for b in sent]).update(
            status=B.SENT,
            sent_at=now,
            claimed_at=None,
            next_attempt_at=None,
            error_code="",
            error_title="",
            error_category="",
            updated_at=now,
        )
        rows_update(Broadcast, sent, ["wamid", "message_status"])
        broadcast_events_record(moved=_moves_taken(sent, default=B.SENT), now=now)


def broadcasts_cancel(*, broadcasts: QuerySet, note: str = CANCELLED_NOTE, now=None) -> int:
    """Cancel the QUEUED ones of `broadcasts`, each with a NOTE log; returns how many. Call inside a transaction."""
    now = now or timezone.now()
    rows = list(
        broadcasts.select_for_update(of=("self",)).filter(status__in=CANCEL.sources).values_list("id", "session_id")
    )
    Broadcast.objects.filter(id__in=[bid for bid, _ in rows], status__in=CANCEL.sources).update(
        status=B.CANCELLED, updated_at=now
    )
    _notes_add(rows, status=B.CANCELLED, message=note)
    _logged("broadcast", CANCEL, len(rows))
    return len(rows)


def broadcasts_suppress(*, broadcasts: QuerySet, now=None) -> int:
    """Suppress the QUEUED ones of `broadcasts` (their recipients opted out), each with a NOTE log; returns how many."""
    now = now or timezone.now()
    rows = list(broadcasts.filter(status__in=SUPPRESS.sources).values_list("id", "session_id"))
    Broadcast.objects.filter(id__in=[bid for bid, _ in rows], status__in=SUPPRESS.sources).update(
        status=B.SUPPRESSED, updated_at=now
    )
    _notes_add(rows, status=B.SUPPRESSED, message=SUPPRESSED_NOTE)
    _logged("broadcast", SUPPRESS, len(rows))
    return len(rows)


def session_cancelled_leftovers_cancel(*, session: Session) -> int:
    """After a batch is recorded: retries of a session cancelled mid-batch are cancelled, not left QUEUED.

    The cancel only sees QUEUED rows; the batch in flight comes back afterwards, and without this
    its retryable failures would sit QUEUED in a session no worker looks at any more.
    """
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).filter(pk=session.pk).first()
        if status != S.CANCELLED:
            return 0
        return broadcasts_cancel(broadcasts=Broadcast.objects.filter(session=session))


def broadcasts_requeue(*, broadcasts: QuerySet, not_before=None, now=None) -> int:
    """Trigger: put these broadcasts back in the queue (ready at once, or not before `not_before`, a time or
    an expression); a failed or unknown one gets a NOTE saying so."""
    now = now or timezone.now()
    rows = broadcasts.filter(status__in=TRIGGER.sources)
    noted = list(rows.exclude(status=B.QUEUED).values_list("id", "session_id"))
    requeued = rows.update(status=B.QUEUED, next_attempt_at=not_before, updated_at=now)
    # A failure sent again must read as such in the message's history.
    _notes_add(noted, status=B.QUEUED, message="Re-queued by a trigger.")
    _logged("broadcast", TRIGGER, requeued)
    return requeued


def _notes_add(rows: list[tuple[int, object]], *, status: str, message: str) -> None:
    BroadcastLog.objects.bulk_create(
        [
            BroadcastLog(broadcast_id=bid, session_id=sid, kind=BroadcastLog.Kind.NOTE, status=status, message=message)
            for bid, sid in rows
        ],
        batch_size=5000,
    )


def broadcast_status_apply(
    broadcast: Broadcast,
    *,
    status: str,
    event_at,
    error_code: str = "",
    error_title: str = "",
    error_category: str = "",
) -> set[str]:
    """Apply one of Meta's statuses as the rank rule says; returns the names of the fields that changed."""
    changed: set[str] = set()
    current_rank = STATUS_RANK.get(broadcast.status)
    wins = current_rank is not None and STATUS_RANK[status] > current_rank
    if wins:
        broadcast_move(broadcast, move=STATUS_WEBHOOK, to=status)
        changed.add("status")
        if status == B.FAILED:
            broadcast.error_code, broadcast.error_title = error_code, error_title
            broadcast.error_category = error_category
            changed |= {"error_code", "error_title", "error_category"}
    time_field = STATUS_TIME_FIELD[status]
    # A late receipt still records when it happened; a failure that lost to a receipt does not.
    if getattr(broadcast, time_field) is None and (wins or status != B.FAILED):
        setattr(broadcast, time_field, event_at)
        changed.add(time_field)
    return changed
