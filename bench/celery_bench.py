"""The gateway's Celery app plus statement counting: `celery -A bench.celery_bench worker`."""

from celery.signals import task_postrun, worker_process_init

from bench import querycount
from celery_app import app

__all__ = ["app"]


@worker_process_init.connect
def _count_queries(**kwargs) -> None:
    querycount.install()


task_postrun.connect(querycount.flush, weak=False)
