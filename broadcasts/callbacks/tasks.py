"""Callback tasks, on a queue of their own (`<default>.callbacks`): a slow receiver never holds a send."""

from celery import shared_task

from broadcasts.callbacks.services.delivery import callback_deliver, callback_events_purge, callbacks_due
from broadcasts.services import queueing


@shared_task(ignore_result=True)
def deliver_callback(callback_id: int) -> None:
    """Deliver one endpoint's pending events; hand what is left (or a retry due soon) to a fresh task."""
    countdown = callback_deliver(callback_id=callback_id)
    if countdown is not None:
        queueing.enqueue_callback_delivery(callback_id, countdown=countdown)


@shared_task(ignore_result=True)
def deliver_due_callbacks() -> None:
    """Beat, every 10 seconds: wake the endpoints whose backoff is over; purge old events."""
    for callback_id in callbacks_due():
        queueing.enqueue_callback_delivery(callback_id)
    callback_events_purge()

