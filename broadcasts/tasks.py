"""Celery tasks: thin — take ids, call one service, re-enqueue when it says so."""

from celery import shared_task

from broadcasts.services.dispatch import dispatch_batch
from broadcasts.services.sweeper import sweep


@shared_task(bind=True, ignore_result=True)
def dispatch_session(self, session_id: str) -> None:
    """Send one batch of the session, then hand the rest to a fresh task so sessions take turns."""
    result = dispatch_batch(session_id=session_id, task_id=self.request.id or "")
    if result.countdown is not None:
        dispatch_session.apply_async((session_id,), countdown=result.countdown or None)


@shared_task(ignore_result=True)
def sweep_sessions() -> None:
    sweep()


@shared_task(ignore_result=True)
def start_due_sessions() -> None:
    """Beat, every SCHEDULE_INTERVAL seconds: start what is due, wake sessions whose send window opened."""
    from broadcasts.services.schedule import sessions_due_wake

    sessions_due_wake()


@shared_task(ignore_result=True)
def process_webhook_events(event_id: int | None = None) -> None:
    """Process one stored Meta webhook (re-enqueued while it waits for unknown wamids), or every due one from beat."""
    from broadcasts.services.webhooks.events import webhook_event_process, webhook_events_process_pending

    if event_id is None:
        webhook_events_process_pending()
        return
    retry_in = webhook_event_process(event_id=event_id)
    if retry_in is not None:
        process_webhook_events.apply_async((event_id,), countdown=retry_in)


@shared_task(ignore_result=True)
def purge_personal_data() -> None:
    """Beat, hourly: anonymize or delete personal data past the RETENTION_* settings."""
    from broadcasts.services.privacy import personal_data_purge

    personal_data_purge()
