"""Run the whole gateway as one foreground command: web server, Celery workers (with beat) and simulator.

Used by `make run` (SQLite + filesystem broker), `make bruno` and the live tests. Two kinds of worker
process: one serves the sends queue only, the other webhooks and housekeeping (and runs beat), so a batch
never waits behind a burst of status webhooks. The simulator's address flows to every process
(SIMULATOR_URL: the Graph API base URL and the transport allow-list follow it), and the stack is
announced ready only once /readyz answers 200: database, broker, a worker and the simulator.
Ctrl-C or SIGTERM stops every process; if one dies, the others are stopped too.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.conf import settings

from celery_app import EVENT_QUEUE_KINDS, SEND_QUEUE_KINDS, queue_names
from whatsapp_gateway.health import sends_go_to_the_simulator

READY_POLL_SECONDS = 0.5  # each 503 from /readyz is logged by the web server: not too many of them
# While not ready, what /readyz still misses is printed this often.
NOT_READY_REPORT_SECONDS = 15.0


@dataclass
class StackOptions:
    web: str = "127.0.0.1:8000"
    simulator: str | None = "127.0.0.1:8001"
    worker_concurrency: int = 2  # processes serving the sends queue
    event_worker_concurrency: int = 1  # processes serving webhooks and housekeeping
    worker_pool: str = "prefork"
    callback_transport_id: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def simulator_url(self) -> str | None:
        return f"http://{self.simulator}" if self.simulator else None


def stack_env(options: StackOptions) -> dict[str, str]:
    env = {**os.environ, **options.extra_env, "PYTHONUNBUFFERED": "1"}
    if options.simulator and sends_go_to_the_simulator():
        # Each process derives the Graph API base URL and the transport allow-list from it.
        env["SIMULATOR_URL"] = env["WHATSAPP_API_BASE_URL"] = options.simulator_url
    return env


def stack_commands(options: StackOptions) -> dict[str, list[str]]:
    python = sys.executable
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    web_port = options.web.rpartition(":")[2]
    default_queue = options.extra_env.get("CELERY_TASK_DEFAULT_QUEUE", settings.CELERY_TASK_DEFAULT_QUEUE)
    worker = [python, "-m", "celery", "-A", "celery_app", "worker", "--loglevel", "INFO", "--pool", options.worker_pool]
    commands = {
        "web": [python, manage, "runserver", "--noreload", options.web],
        "worker": [
            *worker, "--concurrency", str(options.worker_concurrency), "--hostname", "sends@%h",
            "--queues", ",".join(queue_names(SEND_QUEUE_KINDS, default_queue)),
        ],
        "events-worker": [
            *worker, "--concurrency", str(options.event_worker_concurrency), "--hostname", "events@%h",
            "--queues", ",".join(queue_names(EVENT_QUEUE_KINDS, default_queue)),
            # One schedule file per stack (by its web port), so two stacks on one machine never share it.
            "--beat", "--schedule", str(Path(settings.VAR_DIR) / f"celerybeat-schedule-{web_port}"),
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


def _listening(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def readiness(web: str, simulator: str | None = None) -> tuple[bool, dict]:
    """(ready, checks) from the stack's own /readyz, asked once the web server and simulator listen."""
    if not _listening(web):
        return False, {"web": "not listening yet"}
    if simulator and not _listening(simulator):
        return False, {"simulator": "not listening yet"}
    try:
        response = requests.get(f"http://{web}/readyz", timeout=5)
        return response.status_code == 200, response.json().get("checks", {})
    except (requests.RequestException, ValueError) as error:
        return False, {"web": type(error).__name__}


def stack_run(options: StackOptions, *, on_ready=None, out=sys.stdout) -> int:
    """Start every process, announce readiness once /readyz answers, wait until one exits or a stop signal arrives."""
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.BROKER_FOLDER).mkdir(parents=True, exist_ok=True)
    env = stack_env(options)
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
    exit_code = 0
    ready = False
    started = last_report = time.monotonic()
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with code {process.returncode}; stopping the stack.", file=sys.stderr)
                exit_code = process.returncode or 1
                stopping = True
        if stopping:
            break
        if not ready:
            ready, checks = readiness(options.web, options.simulator)
            if ready:
                if on_ready:
                    on_ready()
                print(f"ready in {time.monotonic() - started:.1f}s", file=out, flush=True)
            elif time.monotonic() - last_report > NOT_READY_REPORT_SECONDS:
                last_report = time.monotonic()
                missing = ", ".join(f"{name}: {detail}" for name, detail in checks.items() if detail != "ok")
                print(f"not ready yet ({missing})", file=out, flush=True)
        time.sleep(READY_POLL_SECONDS if not ready else 0.3)
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
