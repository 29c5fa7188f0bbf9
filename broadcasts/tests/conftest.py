import pytest


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
