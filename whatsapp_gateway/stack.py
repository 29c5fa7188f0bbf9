"""Run the whole gateway as one foreground command: web server, Celery worker (with beat) and simulator.

Used by `make run` (SQLite + filesystem broker), `make bruno` and the benchmark (PostgreSQL +
RabbitMQ). Ctrl-C or SIGTERM stops every process; if one dies, the others are stopped too.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings


@dataclass
class StackOptions:
    web: str = "127.0.0.1:8000"
    simulator: str | None = "127.0.0.1:8001"
    worker_concurrency: int = 2
    worker_pool: str = "prefork"
    callback_transport_id: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)


def stack_commands(options: StackOptions) -> dict[str, list[str]]:
    python = sys.executable
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    commands = {
        "web": [python, manage, "runserver", "--noreload", options.web],
        "worker": [
            python, "-m", "celery", "-A", "celery_app", "worker", "--beat",
            "--schedule", str(Path(settings.VAR_DIR) / "celerybeat-schedule"),
            "--loglevel", "INFO", "--pool", options.worker_pool,
            "--concurrency", str(options.worker_concurrency),
            "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
        ],
    }
    if options.simulator:
        host, _, port = options.simulator.rpartition(":")
        commands["simulator"] = [python, manage, "run_simulator", "--host", host, "--port", port]
        if options.callback_transport_id:
            commands["simulator"] += [
                "--callback-url", f"http://{options.web}/webhooks/whatsapp/{options.callback_transport_id}",
            ]
    return commands


def stack_run(options: StackOptions, *, on_ready=None) -> int:
    """Start every process, wait until one exits or a stop signal arrives, then stop the rest."""
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.BROKER_FOLDER).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **options.extra_env, "PYTHONUNBUFFERED": "1"}
    processes = {
        name: subprocess.Popen(command, env=env, start_new_session=True)
        for name, command in stack_commands(options).items()
    }
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    if on_ready:
        on_ready()
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with code {process.returncode}; stopping the stack.", file=sys.stderr)
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.3)
    _stop_all(processes)
    return exit_code


def _stop_all(processes: dict[str, subprocess.Popen]) -> None:
    # SIGTERM to each main process only: Celery's warm shutdown then stops its own pool children
    # (a signal to the whole group would kill them mid-task and log each as an error).
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 20
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        # Whatever is left in the process's group (a stuck main process, an orphaned child) goes now.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
