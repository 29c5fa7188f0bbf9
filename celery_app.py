"""The Celery app: configured from Django settings (CELERY_ namespace), tasks found in each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatsapp_gateway.settings")

app = Celery("whatsapp_gateway")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Connects each worker's heartbeat thread to the worker signals: imported here, not left to task
# autodiscovery (lazy), so every worker has it. Below `app`, which whatsapp_gateway/__init__ imports.
import whatsapp_gateway.heartbeat  # noqa: E402, F401
