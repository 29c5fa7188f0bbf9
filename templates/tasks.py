"""Celery tasks: thin — call one service."""

from celery import shared_task

from templates.services import templates_sync_all


@shared_task(ignore_result=True)
def sync_all_templates() -> None:
    templates_sync_all()
