"""Configuration: env defaults shared with the gateway, JSON files, overrides."""

import json

import pytest

from simulator.config import SimulatorConfig
from simulator.testing import start_simulator


def test_it_takes_identity_from_the_gateways_environment_variables(monkeypatch):
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "111")
    monkeypatch.setenv("WHATSAPP_BUSINESS_ACCOUNT_ID", "222")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "env-secret")

    config = SimulatorConfig()

    assert (config.access_token, config.phone_number_id, config.business_account_id, config.app_secret) == (
        "env-token", "111", "222", "env-secret")


def test_it_uses_demo_values_when_the_environment_is_empty(monkeypatch):
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_BUSINESS_ACCOUNT_ID",
                 "WHATSAPP_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)

    config = SimulatorConfig()

    assert config.access_token == "demo-access-token"
    assert config.phone_number_id == "100000000000001"
    assert config.business_account_id == "200000000000001"
    assert config.display_phone_number == "15550000001"


def test_it_loads_several_numbers_from_a_json_file_with_overrides(tmp_path):
    path = tmp_path / "sim.json"
    path.write_text(json.dumps({
        "business_accounts": [
            {"id": "1", "phone_numbers": [{"id": "11", "display_phone_number": "15550000011", "throughput_mps": 5}]},
            {"id": "2", "phone_numbers": [{"id": "21"}, {"id": "22"}]},
        ],
        "latency_ms": 20,
    }))

    config = SimulatorConfig.load(path, latency_ms=50)

    assert config.latency_ms == 50
    assert config.phone_number("22")[0].id == "2"
    assert config.phone_number("11")[1].throughput_mps == 5


def test_it_refuses_unknown_options():
    with pytest.raises(ValueError, match="unknown config option"):
        SimulatorConfig.from_dict({"latencyms": 5})


def test_it_runs_a_second_simulator_with_its_own_numbers():
    with start_simulator(access_tokens=["t2"], business_accounts=[{"id": "9", "phone_numbers": [{"id": "99"}]}]) as sim:
        import requests
        response = requests.post(f"{sim.base_url}/v23.0/99/messages", headers={"Authorization": "Bearer t2"},
                                 json={"messaging_product": "whatsapp", "to": "14155550123", "type": "text",
                                       "text": {"body": "hi"}}, timeout=5)

    assert response.status_code == 200
