"""Reachability checks for /healthz (liveness) and /readyz (readiness), also used by the smoke test."""

from datetime import timedelta

import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from celery_app import app as celery_app
from whatsapp_gateway.heartbeat import WORKER_HEARTBEAT_MAX_AGE


def database_reachable() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 — any failure means "not reachable"
        return False, type(exc).__name__


def broker_reachable() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__


def worker_alive() -> tuple[bool, str]:
    """At least one Celery worker recorded a heartbeat in the last WORKER_HEARTBEAT_MAX_AGE seconds."""
    from whatsapp_gateway.models import WorkerHeartbeat

    try:
        last = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    if last is None:
        return False, "no worker heartbeat yet"
    age = (timezone.now() - last).total_seconds()
    if last < timezone.now() - timedelta(seconds=WORKER_HEARTBEAT_MAX_AGE):
        return False, f"last worker heartbeat {int(age)}s ago"
    return True, "ok"


def sends_go_to_the_simulator() -> bool:
    """No real Meta credentials: the gateway's Graph API is the simulator (make run, the demo), so it must answer."""
    return settings.WHATSAPP_API_BASE_URL.rstrip("/") == settings.SIMULATOR_URL.rstrip("/")


def simulator_reachable() -> tuple[bool, str]:
    try:
        response = requests.get(f"{settings.SIMULATOR_URL.rstrip('/')}/_sim/health", timeout=2)
    except requests.RequestException as exc:
        return False, type(exc).__name__
    return (True, "ok") if response.status_code == 200 else (False, f"HTTP {response.status_code}")


def _report(checks: dict[str, tuple[bool, str]]) -> dict:
    return {
        "status": "ok" if all(ok for ok, _ in checks.values()) else "unavailable",
        "checks": {name: detail for name, (_, detail) in checks.items()},
    }


def health_report() -> dict:
    return _report({"database": database_reachable(), "broker": broker_reachable()})


def readiness_report() -> dict:
    """Ready to take traffic: database and broker reachable, a worker alive to do the work, and the simulator
    answering when it stands in for Meta."""
    database = database_reachable()
    worker = worker_alive() if database[0] else (False, "database unreachable")
    checks = {"database": database, "broker": broker_reachable(), "worker": worker}
    if sends_go_to_the_simulator():
        checks["simulator"] = simulator_reachable()
    return _report(checks)
