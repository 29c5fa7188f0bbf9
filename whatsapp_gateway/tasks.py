import os

from celery import shared_task
from celery.signals import worker_process_shutdown

from whatsapp_gateway.services import worker_heartbeat_record


@shared_task(bind=True, ignore_result=True)
def record_worker_heartbeat(self) -> None:
    worker_heartbeat_record(hostname=self.request.hostname or "unknown")


@worker_process_shutdown.connect
def _metrics_process_exited(pid=None, **kwargs) -> None:
    # Multiprocess metrics: a pool child that exits leaves its files; mark them as a dead process's.
    from whatsapp_gateway.metrics import process_exited

    process_exited(pid or os.getpid())
