"""A real Celery worker process consumes from the configured broker and writes to the database."""

import time

from whatsapp_gateway.models import WorkerHeartbeat
from whatsapp_gateway.tasks import record_worker_heartbeat


def test_a_real_worker_consumes_a_task_and_writes_to_the_database(worker):
    record_worker_heartbeat.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
        time.sleep(0.2)
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.hostname.startswith(worker.queue + "-")
