"""The test suite's environment: what a developer's shell exports changes nothing in a test run.

Under pytest the settings skip `.env` and call `test_environment_prepare()` first: every product setting
the caller exported is dropped, so the suite runs on the documented defaults and sets what a test needs
itself. Only the infrastructure to run on is taken from the caller: DATABASE_URL and CELERY_BROKER_URL
(CI's PostgreSQL and RabbitMQ). The processes the tests start (workers, servers, commands) inherit the
prepared environment plus what the test gives them, which they keep.
"""

import os
import re
import shutil
from collections.abc import MutableMapping
from pathlib import Path

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"
# What to run on, not how the product behaves: CI points these at its servers.
INFRASTRUCTURE_VARIABLES = frozenset({"DATABASE_URL", "CELERY_BROKER_URL"})
# Set once the test run's environment is prepared; a process the tests start finds it and keeps its own.
PREPARED_MARK = "GATEWAY_TEST_ENVIRONMENT"


def product_setting_names() -> set[str]:
    """Every variable `.env.example` documents (a test keeps it equal to what the settings read)."""
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def product_settings_drop(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the caller's product settings from `environ`; the names removed, sorted."""
    dropped = sorted(name for name in product_setting_names() - INFRASTRUCTURE_VARIABLES if name in environ)
    for name in dropped:
        del environ[name]
    return dropped


def test_environment_prepare(environ: MutableMapping[str, str] = os.environ) -> None:
    # Prepared once per pytest process: the run's, then each pytest-xdist worker's (which inherits the run's).
    worker = environ.get("PYTEST_XDIST_WORKER", "main")
    if environ.get(PREPARED_MARK) == worker:
        return
    product_settings_drop(environ)
    # Metrics files and a broker folder of this pytest process's own (not those of a `make run` beside it, nor
    # of another run or xdist process), in var/test-runs/<pid>/; those of processes that are gone are removed.
    runs = ENV_EXAMPLE.parent / "var" / "test-runs"
    _folders_of_ended_processes_remove(runs)
    own = runs / str(os.getpid())
    environ["PROMETHEUS_MULTIPROC_DIR"] = str(own / "prometheus")
    environ["BROKER_FOLDER"] = str(own / "broker")
    environ[PREPARED_MARK] = worker


def _folders_of_ended_processes_remove(runs: Path) -> None:
    for folder in runs.glob("*") if runs.is_dir() else []:
        if folder.name.isdigit() and not Path(f"/proc/{folder.name}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def live_services_required() -> bool:
    """REQUIRE_LIVE_SERVICES=1 (CI): a test whose service or tool is missing fails instead of being skipped."""
    return os.environ.get("REQUIRE_LIVE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}
