"""Reachability checks for /healthz."""

from django.db import connection

from celery_app import app as celery_app


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


def health_report() -> dict:
    checks = {"database": database_reachable(), "broker": broker_reachable()}
    return {
        "status": "ok" if all(ok for ok, _ in checks.values()) else "unavailable",
        "checks": {name: detail for name, (_, detail) in checks.items()},
    }
