"""Each Celery worker records its own heartbeat from a thread of its main process.

A task scheduled by beat runs on whichever worker takes it, so with several workers each one's
heartbeat would be irregular (and none without beat). celery_app.py imports this module, so the
signal handlers below are connected in every `celery -A celery_app worker` before it is ready.
"""

import logging
import threading

from celery.signals import worker_ready, worker_shutdown

WORKER_HEARTBEAT_INTERVAL = 30
# Three missed beats and the worker counts as gone (readiness, dashboard, metrics).
WORKER_HEARTBEAT_MAX_AGE = 3 * WORKER_HEARTBEAT_INTERVAL

logger = logging.getLogger("gateway.heartbeat")


class HeartbeatThread(threading.Thread):
    def __init__(self, hostname: str, interval: float = WORKER_HEARTBEAT_INTERVAL):
        # A daemon: a worker that exits without its shutdown signal is not kept alive by it.
        super().__init__(name="worker-heartbeat", daemon=True)
        self.hostname = hostname
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 — a database outage must not kill the thread or the worker
                logger.warning("worker heartbeat not recorded", extra={"worker": self.hostname, "error": repr(exc)})
            if self.stopping.wait(self.interval):
                return

    def beat(self) -> None:
        from django.db import connection

        from whatsapp_gateway.services import worker_heartbeat_record

        try:
            worker_heartbeat_record(hostname=self.hostname)
        finally:
            # This thread's own connection: not held idle for 30 s, nor kept broken after an outage.
            connection.close()

    def stop(self, timeout: float = 5) -> None:
        self.stopping.set()
        self.join(timeout)


_thread: HeartbeatThread | None = None


@worker_ready.connect
def _start_heartbeat(sender, **kwargs) -> None:
    # Sent once, in the worker's main process (after the pool has forked): one thread per worker.
    global _thread
    if _thread is None or not _thread.is_alive():
        _thread = HeartbeatThread(sender.hostname)
        _thread.start()


@worker_shutdown.connect
def _stop_heartbeat(**kwargs) -> None:
    global _thread
    if _thread is not None:
        _thread.stop()
        _thread = None
