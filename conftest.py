"""Shared fixtures: two tenants, so isolation is one line to check in any test."""

import pytest
from rest_framework.test import APIClient

from whatsapp_gateway.services import app_create
from whatsapp_gateway.testing import TEARDOWN_GRACE_SECONDS, WorkerProcess


@pytest.fixture
def app_and_key(db):
    """Alice's app: the tenant most tests act as."""
    return app_create(name="alice")


@pytest.fixture
def app(app_and_key):
    return app_and_key[0]


@pytest.fixture
def other_app_and_key(db):
    """Charlie's app: must never see or touch anything of Alice's."""
    return app_create(name="charlie")


@pytest.fixture
def other_app(other_app_and_key):
    return other_app_and_key[0]


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def api(app_and_key) -> APIClient:
    return _client(app_and_key[1])


@pytest.fixture
def other_api(other_app_and_key) -> APIClient:
    return _client(other_app_and_key[1])


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker process on the configured broker and the test database."""
    process = WorkerProcess().start()
    yield process
    process.stop(grace=TEARDOWN_GRACE_SECONDS)


@pytest.fixture
def simulator():
    """The Meta Cloud API simulator on a free port, fresh for each test."""
    from simulator.testing import start_simulator

    # Above any transport's rate limit in the tests, so only the tests that ask for throttling see it.
    running = start_simulator(throughput_mps=2000, template_approval_delay_s=0.2)
    yield running
    running.stop()


@pytest.fixture
def sim_transport(api, simulator, settings):
    """Alice's WhatsApp transport pointed at the running simulator."""
    from whatsapp_gateway.testing import whatsapp_transport_via_api

    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]  # Graph paths, as by default
    return whatsapp_transport_via_api(api, base_url=simulator.base_url, phone_strictness="possible")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs(what, available): the test needs a service or tool; skipped without it, "
        "a failure when REQUIRE_LIVE_SERVICES=1 (CI), so nothing is skipped silently there",
    )


def pytest_runtest_setup(item):
    from whatsapp_gateway.test_environment import live_services_required

    for mark in item.iter_markers(name="needs"):
        if mark.kwargs.get("available", False):
            continue
        if live_services_required():
            pytest.fail(f"needs {mark.args[0]}, which is missing, and REQUIRE_LIVE_SERVICES=1", pytrace=False)
        pytest.skip(f"needs {mark.args[0]}")


# The tests that share the live stack: pytest-xdist runs them in one process, so one stack serves them all.
LIVE_STACK_FILES = {"whatsapp_gateway/tests/test_stack_live.py", "whatsapp_gateway/tests/test_docs_shell_live.py"}


def pytest_xdist_make_scheduler(config, log):
    """`-n N` (--dist load): each test on its own, but the live stack's tests together and first.

    (pytest-xdist's --dist loadgroup cannot group on pytest 9: it rewrites node ids, which pytest 9 computes.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedStackScheduling(LoadScopeScheduling):
        # Scopes are ordered by size (largest first), so the stack's group starts at once.
        def _split_scope(self, nodeid: str) -> str:
            return "live-stack" if nodeid.split("::", 1)[0] in LIVE_STACK_FILES else nodeid

    return SharedStackScheduling(config, log)


@pytest.fixture(scope="session")
def live_stack(django_db_blocker):
    """The whole gateway as `make run` runs it (run_stack on free ports, its own database), shared by the session."""
    from whatsapp_gateway.testing import LiveStack

    with django_db_blocker.unblock():
        stack = LiveStack().start()
    yield stack
    with django_db_blocker.unblock():
        stack.stop()
