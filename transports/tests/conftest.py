import pytest

from transports.testing import FakeProvider


@pytest.fixture
def provider(settings):
    running = FakeProvider()
    settings.TRANSPORT_ALLOWED_HOSTS = [f"127.0.0.1:{running.port}"]
    yield running
    running.stop()
