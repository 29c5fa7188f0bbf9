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

    def __init__(self, *, concurrency: int = 2, extra_env: dict | None = None):
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
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
        self.log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--loglevel", "INFO",
             "--concurrency", str(self.concurrency), "--queues", self.queue,
             "--hostname", f"{self.queue}@%h", "--without-mingle", "--without-gossip"],
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
            if " ready." in self.output():
                return
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker, children included, as a crash or OOM would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        if settings.CELERY_BROKER_URL.startswith("amqp"):
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_delete(self.queue)
