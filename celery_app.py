"""The Celery app: configured from Django settings (CELERY_ namespace), tasks found in each app.

Sends, webhooks, housekeeping and callbacks have a queue each, named after CELERY_TASK_DEFAULT_QUEUE (the
sends queue): `<default>`, `<default>.webhooks`, `<default>.housekeeping`, `<default>.callbacks`. The stack
serves the sends queue with worker processes of its own, so a batch never waits behind a burst of webhook
events, a template sync or a slow callback receiver.
"""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# filesystem:// (the zero-setup broker) publishes each message whole: see whatsapp_gateway/broker.py.
TRANSPORT_ALIASES["filesystem"] = "whatsapp_gateway.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp_gateway.settings")

app = Celery("whatsapp_gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The kind of queue of every task that is not a send (sends go to the default queue).
QUEUE_KIND_OF_TASK = {
    "broadcasts.tasks.process_webhook_events": "webhooks",
    "broadcasts.tasks.sweep_sessions": "housekeeping",
    "broadcasts.tasks.start_due_sessions": "housekeeping",
    "broadcasts.tasks.purge_personal_data": "housekeeping",
    "templates.tasks.sync_all_templates": "housekeeping",
    "broadcasts.callbacks.tasks.deliver_callback": "callbacks",
    "broadcasts.callbacks.tasks.deliver_due_callbacks": "callbacks",
}
SEND_QUEUE_KINDS = ("sends",)
EVENT_QUEUE_KINDS = ("webhooks", "housekeeping", "callbacks")


def queue_name(kind: str, default_queue: str | None = None) -> str:
    default_queue = default_queue or app.conf.task_default_queue
    return default_queue if kind == "sends" else f"{default_queue}.{kind}"


def queue_names(kinds=SEND_QUEUE_KINDS + EVENT_QUEUE_KINDS, default_queue: str | None = None) -> list[str]:
    return [queue_name(kind, default_queue) for kind in kinds]


def task_route(name, args, kwargs, options, task=None, **kw):
    """The task router (CELERY_TASK_ROUTES): read at each send, so a changed default queue is followed."""
    kind = QUEUE_KIND_OF_TASK.get(name)
    return {"queue": queue_name(kind)} if kind else None


# Connects each worker's heartbeat thread to the worker signals: imported here, not left to task
# autodiscovery (lazy), so every worker has it. Below `app`, which whatsapp_gateway/__init__ imports.
import whatsapp_gateway.heartbeat  # noqa: E402, F401
