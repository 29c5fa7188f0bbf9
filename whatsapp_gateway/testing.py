"""Test helpers that run real processes: a Celery worker on the configured broker and database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from celery_app import app as celery_app


def database_url_of(settings_dict: dict) -> str:
    """A DATABASE_URL pointing at the database this process uses (the test database in tests)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{settings_dict['NAME']}"


class WorkerProcess:
    """A real `celery worker` subprocess consuming a queue of its own from the configured broker."""

    def __init__(
        self, *, concurrency: int = 2, extra_env: dict | None = None, beat: bool = False, queue: str | None = None
    ):
        self.queue = queue or f"test-{uuid.uuid4().hex[:12]}"
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.beat = beat
        self.process: subprocess.Popen | None = None
        self.log_path = Path(settings.VAR_DIR) / f"worker-{self.queue}.log"

    def env(self) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of(connection.settings_dict),
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        if settings.CELERY_BROKER_URL.startswith("filesystem"):
            env["BROKER_FOLDER"] = str(settings.BROKER_FOLDER)
        return env

    def start(self) -> "WorkerProcess":
        celery_app.conf.task_default_queue = self.queue
        Path(settings.BROKER_FOLDER).mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "a")  # noqa: SIM115 — closed in stop()
        self.log_start = self.log.tell()  # a restarted worker appends; readiness is judged on its own lines
        command = [
            sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--loglevel", "INFO",
            "--concurrency", str(self.concurrency), "--queues", self.queue,
            "--hostname", f"{self.queue}-{uuid.uuid4().hex[:4]}@%h", "--without-mingle", "--without-gossip",
        ]
        if self.beat:
            # The periodic tasks (sweeper, webhook events, purge) too, as `make run` has them.
            command += ["--beat", "--schedule", str(Path(settings.VAR_DIR) / f"beat-{self.queue}")]
        self.process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.output()}")
            if " ready." in self.output()[self.log_start:]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker, children included, as a crash or OOM would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, *, delete_queue: bool = True) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        if delete_queue and settings.CELERY_BROKER_URL.startswith("amqp"):
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_delete(self.queue)


def whatsapp_transport_via_api(api, *, base_url: str, name: str | None = None, **options) -> dict:
    """Create a WhatsApp transport as an integrator does, with the API's whatsapp_cloud shorthand."""
    body = {
        "name": name or f"whatsapp-{uuid.uuid4().hex[:6]}",
        "whatsapp_cloud": {
            "phone_number_id": "100000000000001", "business_account_id": "200000000000001",
            "access_token": "demo-access-token", "app_secret": "demo-app-secret",
            "verify_token": "demo-verify-token", "base_url": base_url, "api_version": "v23.0", **options,
        },
    }
    response = api.post("/api/v1/transports/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def database_rows() -> dict[str, list[tuple]]:
    """Every row of every table of the gateway's own apps, by model: equal before and after means nothing changed."""
    from django.apps import apps

    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in {"broadcasts", "transports", "message_templates", "whatsapp_gateway"}:
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return rows
