import os

from celery.signals import worker_process_shutdown


@worker_process_shutdown.connect
def _metrics_process_exited(pid=None, **kwargs) -> None:
    # Multiprocess metrics: a pool child that exits leaves its files; mark them as a dead process's.
    from whatsapp_gateway.metrics import process_exited

    process_exited(pid or os.getpid())
