"""Callback tasks, on a queue of their own (`<default>.callbacks`): a slow receiver never holds a send."""

import logging

from celery import shared_task

from broadcasts.callbacks.services.delivery import callback_deliver, callback_events_purge, callbacks_due

logger = logging.getLogger("gateway.callbacks")


@shared_task(ignore_result=True)
def deliver_callback(callback_id: int) -> None:
    """Deliver one endpoint's pending events; hand what is left (or a retry due soon) to a fresh task."""
    countdown = callback_deliver(callback_id=callback_id)
    if countdown is not None:
        deliver_callback_enqueue(callback_id, countdown=countdown)


@shared_task(ignore_result=True)
def deliver_due_callbacks() -> None:
    """Beat, every 10 seconds: wake the endpoints whose backoff is over; purge old events."""
    for callback_id in callbacks_due():
        deliver_callback_enqueue(callback_id)
    callback_events_purge()


def deliver_callback_enqueue(callback_id: int, countdown: float = 0.0) -> None:
    """Publish a delivery task; a broker that is down is logged, and the beat's pass catches up."""
    try:
        deliver_callback.apply_async((callback_id,), countdown=countdown or None)
    except Exception:  # noqa: BLE001 — kombu raises OperationalError or OSError
        logger.warning("could not enqueue a callback delivery", extra={"callback": callback_id}, exc_info=True)
