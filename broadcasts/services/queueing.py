"""Enqueueing: the one place a service publishes a Celery task.

Tasks call services, so services never import the tasks module; they call these functions instead,
from `transaction.on_commit`, so a worker never looks for a row that is not committed. Each task's
queue (sends, webhooks, housekeeping) is chosen by the router in celery_app.py. A broker that is down
is logged, never raised: what was committed is published later by the sweeper (sessions) or the
periodic pass (webhook events).
"""

import logging

from django.conf import settings

from broadcasts.models import Session
from transports.models import Transport

sessions_logger = logging.getLogger("gateway.sessions")
webhooks_logger = logging.getLogger("gateway.webhooks")
callbacks_logger = logging.getLogger("gateway.callbacks")


def enqueue_dispatch(session: Session) -> None:
    """Publish the session's batch chains; a broker that is down is logged, not raised.

    This runs after COMMIT, so the session is stored either way: raising would turn an accepted
    request into a 500. The sweeper publishes sessions nobody moved once the broker is back.
    """
    from broadcasts.tasks import dispatch_session

    try:
        for _ in range(session_parallelism(session.total, session.transport)):
            dispatch_session.delay(str(session.pk))
    except Exception:  # noqa: BLE001 — kombu raises OperationalError or OSError; the sweeper retries
        sessions_logger.warning(
            "could not enqueue the session; the sweeper will publish it", extra={"session": str(session.pk)},
            exc_info=True,
        )


def session_parallelism(remaining: int, transport: Transport) -> int:
    """How many batch chains work on one session at once: enough to keep workers busy, no more."""
    batches = -(-remaining // transport.batch_size)
    return max(1, min(settings.SESSION_PARALLELISM, batches))


def enqueue_webhook_event(event_id: int) -> None:
    """Publish the processing of one stored webhook event; a broker that is down is logged, not raised."""
    from broadcasts.tasks import process_webhook_events

    try:
        process_webhook_events.delay(event_id)
    except Exception:  # noqa: BLE001 — the event is stored; the periodic pass processes it when the broker is back
        webhooks_logger.warning("could not enqueue webhook event %s; the periodic pass will pick it up", event_id)


def enqueue_callback_delivery(callback_id: int, countdown: float = 0.0) -> None:
    """Publish the delivery of one endpoint's pending events; a broker that is down is logged, and the beat's
    pass (deliver_due_callbacks) catches up."""
    from broadcasts.callbacks.tasks import deliver_callback

    try:
        deliver_callback.apply_async((callback_id,), countdown=countdown or None)
    except Exception:  # noqa: BLE001 — kombu raises OperationalError or OSError
        callbacks_logger.warning("could not enqueue a callback delivery", extra={"callback": callback_id},
                                 exc_info=True)
