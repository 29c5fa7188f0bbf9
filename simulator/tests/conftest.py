"""Fixtures: one simulator per session (reset before each test) and a webhook receiver that records POSTs."""

import pytest

from simulator.config import SimulatorConfig
from simulator.testing import start_simulator

from .helpers import FAST, PHONE_ID, WABA_ID, Graph, WebhookReceiver


def make_test_config() -> SimulatorConfig:
    accounts = [{"id": WABA_ID, "phone_numbers": [{"id": PHONE_ID, "display_phone_number": "15550000001"}]}]
    return SimulatorConfig.from_dict({**FAST, "business_accounts": accounts})


@pytest.fixture(scope="session")
def _running_simulator():
    with start_simulator(make_test_config()) as running:
        yield running


@pytest.fixture
def sim(_running_simulator):
    _running_simulator.reset()
    return _running_simulator


@pytest.fixture
def graph(sim) -> Graph:
    return Graph(sim.base_url)


@pytest.fixture
def receiver(sim):
    receiver = WebhookReceiver()
    sim.configure(callback_url=receiver.url)
    yield receiver
    receiver.server.shutdown()
