"""Start and stop the benchmark stack: PostgreSQL database, simulator, gunicorn, Celery workers.

Two kinds of worker, as the product runs them (whatsapp_gateway/stack.py): `workers` serve the sends queue,
`events` the webhooks, housekeeping and callbacks queues. Every piece runs in its own process group so it
can be stopped (with its children) by group id. `zero_setup` runs `make run`'s defaults instead: SQLite
and the filesystem broker.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PHONE_IDS = {"throughput": "100000000000001", "rate_a": "100000000000002", "rate_b": "100000000000003",
             **{f"multi_{n}": f"10000000000001{n}" for n in range(1, 5)}}
WABA_ID = "200000000000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_rss_kb(pgid: int) -> int:
    """Sum of VmRSS over every process in the process group (read from /proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # after the state field: ppid, pgrp
                continue
            with open(f"/proc/{entry}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, IndexError, ValueError):
            continue
    return total


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of every process, keyed by process group id and by command name."""
    by_group: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                head, tail = handle.read().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        name = head.split("(", 1)[1]
        seconds = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
        for key in (f"pgid:{fields[2]}", f"comm:{name}"):
            by_group[key] = by_group.get(key, 0.0) + seconds
    return by_group


class RssSampler:
    """Polls a process group's RSS in a thread; `peak()` since the last `reset()`."""

    def __init__(self, pgid: int, interval: float = 0.2) -> None:
        self.pgid, self.interval = pgid, interval
        self._peak = 0
        self.samples: list[tuple[float, int]] = []  # (time.time(), kB) since the last reset
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = group_rss_kb(self.pgid)
            self._peak = max(self._peak, rss)
            self.samples.append((time.time(), rss))
            del self.samples[:-20_000]

    def reset(self) -> None:
        self._peak = group_rss_kb(self.pgid)
        self.samples = []

    def peak_mb(self) -> float:
        self._peak = max(self._peak, group_rss_kb(self.pgid))
        return round(self._peak / 1024, 1)

    def stop(self) -> None:
        self._stop.set()


class Stack:
    def __init__(self, *, workers: int, pg_url: str, broker_url: str, db_name: str, batch_size: int,
                 parallelism: int, latency_ms: float, sim_throughput: float, web_workers: int, log_dir: Path,
                 event_workers: int = 2, zero_setup: bool = False, extra_env: dict | None = None) -> None:
        self.workers, self.web_workers, self.event_workers = workers, web_workers, event_workers
        self.zero_setup = zero_setup
        self.db_name = db_name
        self.pg_url = pg_url.rstrip("/")
        self.database_url = f"{self.pg_url}/{db_name}"
        self.broker_url = broker_url
        self.latency_ms, self.sim_throughput = latency_ms, sim_throughput
        self.sim_port, self.web_port, self.receiver_port = free_port(), free_port(), free_port()
        self.queue = f"bench-{uuid.uuid4().hex[:10]}"
        self.query_dir = Path(tempfile.mkdtemp(prefix="bench-queries-"))
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.samplers: dict[str, RssSampler] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "whatsapp_gateway.settings",
            # The benchmark uses the simulator's demo credentials, which only DEBUG allows.
            "DEBUG": "true",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            # The simulator, and the harness's callback receiver (bench/roundtrip.py).
            "TRANSPORT_ALLOWED_HOSTS": f"127.0.0.1:{self.sim_port},127.0.0.1:{self.receiver_port}",
            "LOG_LEVEL": "WARNING",
            "BATCH_SIZE": str(batch_size),
            "SESSION_PARALLELISM": str(parallelism),
            "BENCH_QUERY_DIR": str(self.query_dir),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        if zero_setup:  # `make run`'s defaults: a SQLite file and the filesystem broker, in a directory of their own
            var = Path(tempfile.mkdtemp(prefix="bench-zero-setup-"))
            self.database_url = f"sqlite:///{var / 'db.sqlite3'}"
            self.broker_url = "filesystem://"
            (var / "broker" / "control").mkdir(parents=True)
            self.env.update(DATABASE_URL=self.database_url, CELERY_BROKER_URL=self.broker_url,
                            BROKER_FOLDER=str(var / "broker"))

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._database_create()
        self._run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"])
        config = {
            "latency_ms": self.latency_ms, "throughput_mps": self.sim_throughput, "pair_limit": 1000,
            "max_recorded_messages": 300_000,
            # Meta's top tier: 1,000 msg/s per number comes with no cap on unique recipients a day.
            "business_accounts": [{"id": WABA_ID, "phone_numbers": [
                {"id": pid, "messaging_limit": "TIER_UNLIMITED"} for pid in PHONE_IDS.values()]}],
        }
        config_path = self.log_dir / "simulator.json"
        config_path.write_text(json.dumps(config))
        self._spawn("simulator", [PYTHON, "manage.py", "run_simulator", "--host", "127.0.0.1",
                                  "--port", str(self.sim_port), "--config", str(config_path)])
        self._spawn("web", [PYTHON, "-m", "gunicorn", "whatsapp_gateway.wsgi", "-b", f"127.0.0.1:{self.web_port}",
                            "-w", str(self.web_workers), "--timeout", "600", "-c", "bench/gunicorn_conf.py"])
        self.workers_start(self.workers)
        self._spawn("events", self._worker_argv("events", self.event_workers, self.event_queues))
        self._wait_http(f"{self.sim_url}/_sim/health")
        self._wait_http(f"{self.web_url}/healthz")
        self._wait_workers("events", self.event_queues[0])
        self.samplers["web"] = RssSampler(self.procs["web"].pid)

    @property
    def event_queues(self) -> list[str]:
        return [f"{self.queue}.{kind}" for kind in ("webhooks", "housekeeping", "callbacks")]

    def _worker_argv(self, name: str, concurrency: int, queues: list[str]) -> list[str]:
        # INFO on the filesystem broker: its log line "ready" is how the harness knows the worker consumes.
        level = "INFO" if self.zero_setup else "WARNING"
        return [PYTHON, "-m", "celery", "-A", "bench.celery_bench", "worker", "--concurrency", str(concurrency),
                "--loglevel", level, "--without-gossip", "--without-mingle", "-n", f"{name}-{self.queue}@%h",
                "--queues", ",".join(queues)]

    def workers_start(self, count: int) -> None:
        """(Re)start the sends workers with `count` processes; wait until they consume."""
        if "workers" in self.procs:
            self.samplers.pop("workers").stop()
            self._group_stop(self.procs.pop("workers"))
        self.workers = count
        self._spawn("workers", self._worker_argv("workers", count, [self.queue]))
        self._wait_workers("workers", self.queue)
        self.samplers["workers"] = RssSampler(self.procs["workers"].pid)

    def _group_stop(self, proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop(self) -> None:
        for sampler in self.samplers.values():
            sampler.stop()
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.time() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._queue_delete()
        self._database_drop()

    # ------------------------------------------------------------------ helpers
    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 - kept open for the child's lifetime
        self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def _run(self, argv: list[str]) -> None:
        subprocess.run(argv, cwd=ROOT, env=self.env, check=True)

    def _psql(self, sql: str, database: str = "postgres") -> None:
        quiet = "SET client_min_messages = warning"
        subprocess.run(["psql", f"{self.pg_url}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-c", quiet, "-c", sql],
                       check=True, stdout=subprocess.DEVNULL)

    def _database_create(self) -> None:
        if self.zero_setup:
            return
        self._psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self._psql(f'CREATE DATABASE "{self.db_name}"')

    def _database_drop(self) -> None:
        if self.zero_setup:
            return
        try:
            self._psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        except subprocess.CalledProcessError as exc:
            print(f"warning: could not drop {self.db_name}: {exc}", file=sys.stderr)

    def _queue_delete(self) -> None:
        if self.zero_setup:
            return
        try:
            from kombu import Connection

            with Connection(self.broker_url, connect_timeout=5) as connection:
                for queue in (self.queue, *self.event_queues):
                    connection.default_channel.queue_delete(queue)
        except Exception as exc:  # noqa: BLE001 - cleanup is best effort
            print(f"warning: could not delete queue {self.queue}: {exc}", file=sys.stderr)

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}")

    def _wait_http(self, url: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self._check_alive()
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within {timeout}s")

    def _wait_workers(self, name: str, queue: str, timeout: float = 60) -> None:
        """A worker is ready once the broker counts it as a consumer of `queue` (filesystem broker: its log says so)."""
        from kombu import Connection

        deadline = time.time() + timeout
        if self.zero_setup:
            while time.time() < deadline:
                self._check_alive()
                if " ready." in (self.log_dir / f"{name}.log").read_text(errors="replace"):
                    return
                time.sleep(0.3)
            raise RuntimeError(f"the Celery {name} worker did not start")
        with Connection(self.broker_url) as connection:
            while time.time() < deadline:
                self._check_alive()
                try:
                    _, _, consumers = connection.default_channel.queue_declare(queue, passive=True)
                except Exception:  # noqa: BLE001 - the queue does not exist until the worker declares it
                    consumers = 0
                    connection.close()
                    connection.connect()
                if consumers:
                    return
                time.sleep(0.3)
        raise RuntimeError(f"the Celery {name} worker did not start consuming")

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far per component (postgres and rabbitmq: every process of that name)."""
        raw = cpu_seconds()
        out = {name: raw.get(f"pgid:{proc.pid}", 0.0) for name, proc in self.procs.items()}
        out["postgres"] = raw.get("comm:postgres", 0.0)
        out["rabbitmq"] = raw.get("comm:beam.smp", 0.0)
        out["harness"] = raw.get(f"pgid:{os.getpgid(0)}", 0.0)
        return out

    def queries(self) -> int:
        from bench import querycount

        return querycount.total(self.query_dir)
