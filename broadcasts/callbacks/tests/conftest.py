import pytest

from broadcasts.callbacks.tests.receiver import CallbackReceiver


@pytest.fixture
def receiver(settings):
    """A receiver on loopback, allowed by the network guard as TRANSPORT_ALLOWED_HOSTS allows the simulator."""
    with CallbackReceiver() as running:
        settings.TRANSPORT_ALLOWED_HOSTS = [*settings.TRANSPORT_ALLOWED_HOSTS, running.host]
        yield running


@pytest.fixture
def inline_delivery(monkeypatch):
    """Deliver at once in the test's process instead of through the broker; the list holds endpoint ids."""
    from broadcasts.callbacks.services.delivery import callback_deliver
    from broadcasts.services import queueing

    calls: list[int] = []

    def deliver(callback_id, countdown=0.0):
        calls.append(callback_id)
        callback_deliver(callback_id=callback_id)

    monkeypatch.setattr(queueing, "enqueue_callback_delivery", deliver)
    return calls
