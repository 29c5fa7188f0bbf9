import pytest

from broadcasts.models import Broadcast, Session


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


def make_session(app, transport_id, statuses: list[tuple[str, str, int]]) -> Session:
    """A stored session whose broadcasts are in the given (status, error_category, attempts) states."""
    session = Session.objects.create(
        app=app, transport_id=transport_id, status=Session.Status.PENDING, total=len(statuses),
        message={"meta": {"templateName": "hello_world", "language": "en_US"}},
    )
    Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1555010{i:04d}", status=status, error_category=category, attempts=n)
        for i, (status, category, n) in enumerate(statuses)
    )
    return session
