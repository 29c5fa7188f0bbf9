import pytest

from whatsapp_gateway.testing import TEARDOWN_GRACE_SECONDS


@pytest.fixture
def clock(monkeypatch):
    """Pacing's clock, fixed at a round Unix time; tests move it by changing clock[0]."""
    from broadcasts.services import pacing

    now = [1_000_000.0]
    monkeypatch.setattr(pacing.time, "time", lambda: now[0])
    return now


@pytest.fixture
def wa_transport(sim_transport):
    """Alice's WhatsApp transport; the simulator answers template lookups, no worker sends anything."""
    return sim_transport


@pytest.fixture
def live(simulator, settings):
    """The live tests' worker (with beat, so the sweeper runs) whose environment lets transports reach the simulator."""
    host = simulator.base_url.split("://", 1)[1]
    settings.TRANSPORT_ALLOWED_HOSTS = [host]
    env = {
        "TRANSPORT_ALLOWED_HOSTS": host,
        "RETRY_BACKOFF_BASE": "0.2",
        "RETRY_BACKOFF_MAX": "1",
        "CLAIM_LEASE_SECONDS": "4",
        "SWEEPER_INTERVAL": "1",
        "SWEEPER_STALE_AFTER": "2",
        "THROTTLE_HOLD_SECONDS": "0.2",
        "CIRCUIT_PROBE_AFTER": "0.5",
        "CIRCUIT_PROBE_MAX": "2",
    }
    from whatsapp_gateway.testing import WorkerProcess

    worker = WorkerProcess(extra_env=env, beat=True).start()
    worker.env_overrides = env
    yield worker
    worker.stop(grace=TEARDOWN_GRACE_SECONDS)
