"""Test helpers that run real processes: a Celery worker on the configured broker and database."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from celery_app import EVENT_QUEUE_KINDS, SEND_QUEUE_KINDS, queue_names
from celery_app import app as celery_app

# The repository's root: the settings' BASE_DIR.
ROOT = Path(settings.BASE_DIR)


def variables_read_by_settings() -> set[str]:
    """Every environment variable the settings modules (whatsapp_gateway/settings*.py) read, found in their source."""
    source = "".join(path.read_text() for path in (ROOT / "whatsapp_gateway").glob("settings*.py"))
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source)) | set(
        re.findall(r'os\.environ\.get\("([A-Z][A-Z0-9_]+)"', source)
    )


def production_env(**extra) -> dict:
    """The documented production variables (docs/deployment.md), nothing inherited that they name."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"} and not k.startswith("WHATSAPP_")}
    env.update({
        "DEBUG": "false",
        "SECRET_KEY": "x7Jq2m9vR4tW8zL1pN6bH3cK5dF0gS2aY9uE7iO4wQ1rT8eZ6xV3n",
        "ALLOWED_HOSTS": "gateway.example.com",
        "SECRETS_ENCRYPTION_KEYS": "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk=",
        "WHATSAPP_APP_SECRET": "3f9c1e7a5b2d4f6081a9c3e5b7d9f1a2",
        "WHATSAPP_VERIFY_TOKEN": "kR8vN2pQ6tX1zL4m",
        **extra,
    })
    return {k: v for k, v in env.items() if v is not None}


def database_url_of(settings_dict: dict) -> str:
    """A DATABASE_URL pointing at the database this process uses (the test database in tests)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{settings_dict['NAME']}"


# A worker still busy with a test's session when the test ends is killed after this long, not waited for.
TEARDOWN_GRACE_SECONDS = 3


class WorkerProcess:
    """A real `celery worker` subprocess consuming a queue of its own from the configured broker."""

    def __init__(
        self, *, concurrency: int = 2, extra_env: dict | None = None, beat: bool = False, queue: str | None = None,
        kinds: tuple[str, ...] = SEND_QUEUE_KINDS + EVENT_QUEUE_KINDS,
    ):
        self.queue = queue or f"test-{uuid.uuid4().hex[:12]}"  # the sends queue; the others are named after it
        self.kinds = kinds  # the queues this worker serves: sends, webhooks, housekeeping (all by default)
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
            "--concurrency", str(self.concurrency), "--queues", ",".join(queue_names(self.kinds, self.queue)),
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

    def pause(self, seconds: float) -> None:
        """Stall the whole worker, children included (SIGSTOP, then SIGCONT), as a long GC pause would."""
        os.killpg(self.process.pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self, *, delete_queue: bool = True, grace: float = 30) -> None:
        """Warm shutdown, killed after `grace` seconds: a test's teardown need not wait for a session's tasks."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        if delete_queue and settings.CELERY_BROKER_URL.startswith("amqp"):
            with celery_app.connection_for_write() as conn:
                for queue in queue_names(self.kinds, self.queue):
                    conn.default_channel.queue_delete(queue)


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


@contextmanager
def webhooked_whatsapp_transport(api, simulator, test_settings, live_server, **simulator_options) -> Iterator[dict]:
    """A WhatsApp transport on the simulator, its templates synced, a real worker sending, and Meta's status
    and inbound webhooks (at short delays) flowing back to the live gateway."""
    host = simulator.base_url.split("://", 1)[1]
    test_settings.TRANSPORT_ALLOWED_HOSTS = [host]
    worker = WorkerProcess(extra_env={"TRANSPORT_ALLOWED_HOSTS": host}).start()
    try:
        created = whatsapp_transport_via_api(api, base_url=simulator.base_url)
        simulator.configure(
            callback_url=f"{live_server.url}/webhooks/whatsapp/{created['id']}",
            status_delays_s={"sent": 0.05, "delivered": 0.1, "read": 0.2}, webhook_flush_interval_s=0.05,
            **simulator_options,
        )
        assert api.post("/api/v1/templates/sync", {"transport": created["id"]}, format="json").status_code == 200
        yield created
    finally:
        worker.stop(grace=TEARDOWN_GRACE_SECONDS)


def database_rows() -> dict[str, list[tuple]]:
    """Every row of every table, by model: equal before and after means nothing was added, changed or removed."""
    from django.apps import apps

    return {model._meta.label: list(model._default_manager.order_by("pk").values_list()) for model in apps.get_models()}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRabbitMQ:
    """A RabbitMQ node of the test's own (own name, ports, data and config): stop or restart it freely.

    The machine's shared broker is never touched: every rabbitmqctl call names this node.
    """

    def __init__(self) -> None:
        import pwd
        import tempfile

        self.name = f"wgtest{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="wg-rabbitmq-"))
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users.guest = true\n"
        )
        (self.folder / "enabled_plugins").write_text("[].\n")  # no management listener to collide on
        (self.folder / "rabbitmq-env.conf").write_text("")  # not the machine's NODENAME
        try:  # the server scripts drop to the rabbitmq user, which must own its folders
            user = pwd.getpwnam("rabbitmq")
            for path in [self.folder, *self.folder.iterdir()]:
                os.chown(path, user.pw_uid, user.pw_gid)
        except KeyError:
            pass
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def env(self) -> dict:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name, "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"), "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_PID_FILE": str(self.folder / "node.pid"),
        }

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["rabbitmqctl", "-n", self.name, *args], env=self.env(), capture_output=True, text=True, timeout=timeout,
        )

    def _wait_for_port(self, timeout: float = 60) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"RabbitMQ node {self.name} did not listen on {self.port}")

    def start(self) -> "PrivateRabbitMQ":
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env(), check=True, timeout=60)
        self._wait_for_port()
        return self

    def stop_app(self) -> None:
        self.ctl("stop_app").check_returncode()

    def start_app(self) -> None:
        self.ctl("start_app").check_returncode()
        self._wait_for_port()

    def stop(self) -> None:
        import shutil

        self.ctl("stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class LiveStack:
    """`manage.py run_stack` as `make run` starts it, on free ports, a database and broker queues of its own.

    Started once per test session (the `live_stack` fixture) and shared by the tests that need the whole
    gateway: web server, both workers, beat and the simulator, talking over real sockets.
    """

    READY_TIMEOUT = 120

    def __init__(self) -> None:
        import tempfile

        self.web, self.sim = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        self.web_url, self.sim_url = f"http://{self.web}", f"http://{self.sim}"
        self.folder = Path(tempfile.mkdtemp(prefix="wg-stack-"))
        self.log_path = self.folder / "stack.log"
        self.queue = f"stack-{uuid.uuid4().hex[:10]}"
        self.api_key = f"stk{uuid.uuid4().hex[:5]}.{uuid.uuid4().hex}"
        self.database_url, self._database_name = self._database()
        self.process: subprocess.Popen | None = None

    def _database(self) -> tuple[str, str | None]:
        if connection.settings_dict["ENGINE"].endswith("sqlite3"):
            return f"sqlite:///{self.folder / 'db.sqlite3'}", None
        name = f"wg_stack_{uuid.uuid4().hex[:10]}"
        server = {**connection.settings_dict, "NAME": name}
        return database_url_of(server), name

    def _postgres_admin(self, statement: str) -> None:
        import psycopg

        params = connection.settings_dict
        with psycopg.connect(
            host=params.get("HOST") or "127.0.0.1", port=params.get("PORT") or 5432, user=params.get("USER"),
            password=params.get("PASSWORD") or None, dbname="postgres", autocommit=True,
        ) as admin:
            admin.execute(statement)

    def env(self) -> dict:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": self.database_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "BROKER_FOLDER": str(self.folder / "broker"),
            "PROMETHEUS_MULTIPROC_DIR": str(self.folder / "prometheus"),
            "DEMO_API_KEY": self.api_key,
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own
        return env

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=self.env(),
            capture_output=True, text=True, timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    def start(self) -> "LiveStack":
        if self._database_name:
            self._postgres_admin(f'CREATE DATABASE "{self._database_name}"')
        self.manage("migrate", "--noinput")
        self.manage("bootstrap_demo")
        self.log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_stack", "--web", self.web, "--simulator", self.sim],
            cwd=settings.BASE_DIR, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.READY_TIMEOUT
        while "\nready in " not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the stack did not get ready:\n{self.output()[-5000:]}")
            time.sleep(0.2)
        return self

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        import shutil

        if self.process and self.process.poll() is None:
            self.process.terminate()  # run_stack stops its web server, workers and simulator
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()
        if settings.CELERY_BROKER_URL.startswith("amqp"):
            with celery_app.connection_for_write() as conn:
                for queue in queue_names(default_queue=self.queue):
                    conn.default_channel.queue_delete(queue)
        if self._database_name:
            self._postgres_admin(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)
