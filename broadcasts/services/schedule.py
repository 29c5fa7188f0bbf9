"""Scheduled sessions and send windows: the due check, reschedule, and what a session is waiting for.

Driven from the database, never by Celery ETA tasks: a task held by a worker until its ETA is an
unacknowledged delivery that RabbitMQ's consumer timeout (30 min) takes back, and one that is lost
with a worker is never seen again. Beat runs `sessions_due_wake` every SCHEDULE_INTERVAL seconds;
it starts what is due from `send_at` and wakes what waited for its window (`waiting_until`), so a
session starts on time whatever was restarted in between.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from broadcasts.models import Session
from broadcasts.services.errors import SessionError
from broadcasts.services.limit_wait import MESSAGING_LIMIT
from broadcasts.services.send_windows import send_at_check, send_window_check, window_opens_at
from broadcasts.services.sessions import enqueue_dispatch
from broadcasts.services.transitions import SESSION_RESCHEDULE, session_locked, session_move, sessions_due_start

logger = logging.getLogger("gateway.schedule")
UNSET = object()
SCHEDULED = "scheduled"
OUTSIDE_WINDOW = "outside_send_window"
WAITING_REASONS = [
    (SCHEDULED, "Until its send_at"),
    (OUTSIDE_WINDOW, "Until its send window opens"),
    (MESSAGING_LIMIT, "Until Meta's messaging limit allows its next new recipient"),
]


@dataclass(frozen=True)
class DueReport:
    started: int
    woken: int


def sessions_due_wake(*, now: datetime | None = None) -> DueReport:
    """Start the scheduled sessions whose send_at has come and wake those whose send window opened (or whose
    messaging limit allows more)."""
    now = now or timezone.now()
    started = sessions_due_start(now=now)
    woken = list(
        Session.objects.filter(status__in=Session.RUNNING, waiting_until__lte=now).values_list("id", flat=True)
    )
    # Cleared only where still set: of two checks at once, one wakes each session.
    woken = [pk for pk in woken if Session.objects.filter(pk=pk, waiting_until__lte=now).update(
        waiting_until=None, waiting_reason="",
    )]
    for session in Session.objects.filter(pk__in=[*started, *woken]).select_related("transport"):
        enqueue_dispatch(session)
    if started or woken:
        logger.info("sessions due", extra={"started": len(started), "woken": len(woken)})
    return DueReport(started=len(started), woken=len(woken))


def session_wait_for_window(*, session: Session, now: datetime) -> datetime | None:
    """Outside its send window: record when it opens (the due check wakes it then) and return that; else None."""
    if not session.send_window:
        return None
    opens = window_opens_at(session.send_window, at=now)
    if opens is not None and session.waiting_until != opens:
        Session.objects.filter(pk=session.pk).update(waiting_until=opens, waiting_reason=OUTSIDE_WINDOW)
        logger.info("session waits for its send window", extra={"session": str(session.pk), "until": opens})
    return opens


def session_waiting(session: Session, *, now: datetime | None = None) -> dict | None:
    """What the session waits for, as the API shows it: {"reason", "until"}, or None when it is not waiting."""
    now = now or timezone.now()
    if session.status == Session.Status.SCHEDULED:
        return {"reason": SCHEDULED, "until": session.send_at}
    if session.status in Session.RUNNING and session.send_window:
        opens = window_opens_at(session.send_window, at=now)
        if opens is not None:
            return {"reason": OUTSIDE_WINDOW, "until": opens}
    if (session.status in Session.RUNNING and session.waiting_reason == MESSAGING_LIMIT
            and session.waiting_until and session.waiting_until > now):
        return {"reason": MESSAGING_LIMIT, "until": session.waiting_until}
    return None


def session_reschedule(*, session: Session, send_at=UNSET, send_window=UNSET) -> Session:
    """Change a SCHEDULED session's send_at (None: start now) or send window (None: none); 409 once it started."""
    if send_at is UNSET and send_window is UNSET:
        raise SessionError("Give send_at, send_window or both.", field="send_at")
    now = timezone.now()
    fields = {}
    due = False
    if send_at is not UNSET:
        due = send_at is None or send_at_check(send_at, now=now)
        fields["send_at"] = now if send_at is None else send_at
    if send_window is not UNSET:
        fields["send_window"] = None if send_window is None else send_window_check(send_window)
    with session_locked(session_id=session.pk, move=SESSION_RESCHEDULE):
        to = Session.Status.NEW if due else Session.Status.SCHEDULED
        session_move(session_id=session.pk, move=SESSION_RESCHEDULE, to=to, **fields)
        if due:
            transaction.on_commit(lambda: enqueue_dispatch(session))
    session.refresh_from_db()
    return session
