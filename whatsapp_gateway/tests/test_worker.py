"""A real Celery worker process, with no beat, records its own heartbeat in the database."""

import time

from whatsapp_gateway.models import WorkerHeartbeat
from whatsapp_gateway.testing import WorkerProcess


def test_a_real_worker_without_beat_records_its_own_heartbeat_and_readyz_turns_ready(
    client, transactional_db, settings
):
    settings.WHATSAPP_API_BASE_URL = "https://graph.facebook.com"  # no simulator to wait for: real Meta
    assert client.get("/readyz").json()["checks"]["worker"] == "no worker heartbeat yet"
    worker = WorkerProcess(beat=False).start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            time.sleep(0.2)
        heartbeat = WorkerHeartbeat.objects.get()
        # The worker's own name (--hostname), not whichever worker happened to take a task.
        assert heartbeat.hostname.startswith(worker.queue + "-")
        assert f"{heartbeat.hostname} ready." in worker.output()
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
    finally:
        worker.stop()
    assert "worker heartbeat not recorded" not in worker.output()
