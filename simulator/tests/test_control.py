"""The /_sim/ control routes Meta does not have."""

import requests

from .helpers import TOKEN, template_message, text_message


def test_it_reports_health(sim):
    assert requests.get(f"{sim.base_url}/_sim/health", timeout=5).json() == {"status": "ok"}


def test_it_lists_received_messages_with_filters_and_count(graph, sim):
    graph.send(text_message(to="14155550001"))
    graph.send(template_message("hello_world", to="14155550002"))
    graph.send(template_message("hello_world", to="14155550003"))

    body = requests.get(f"{sim.base_url}/_sim/messages", params={"template": "hello_world"}, timeout=5).json()

    assert body["count"] == 2
    assert [row["to"] for row in body["data"]] == ["14155550002", "14155550003"]
    by_to = requests.get(f"{sim.base_url}/_sim/messages", params={"to": "+14155550001"}, timeout=5).json()
    assert by_to["count"] == 1
    assert by_to["data"][0]["type"] == "text"


def test_it_resets_messages_and_config(graph, sim):
    graph.send(text_message())
    requests.patch(f"{sim.base_url}/_sim/config", json={"latency_ms": 5}, timeout=5)

    requests.post(f"{sim.base_url}/_sim/reset", timeout=5)

    assert requests.get(f"{sim.base_url}/_sim/messages", timeout=5).json()["count"] == 0
    assert requests.get(f"{sim.base_url}/_sim/config", timeout=5).json()["latency_ms"] == 0


def test_it_changes_config_at_run_time(graph, sim):
    response = requests.patch(f"{sim.base_url}/_sim/config", json={"expired_tokens": [TOKEN]}, timeout=5)

    assert response.status_code == 200
    assert response.json()["expired_tokens"] == [TOKEN]
    assert graph.send(text_message()).json()["error"]["code"] == 190


def test_it_refuses_an_unknown_config_option(sim):
    response = requests.patch(f"{sim.base_url}/_sim/config", json={"latency": 5}, timeout=5)

    assert response.status_code == 400
    assert "latency" in response.json()["error"]


def test_it_counts_in_stats(graph, sim):
    graph.send(text_message())
    graph.send(template_message("legacy_notice"))

    stats = requests.get(f"{sim.base_url}/_sim/stats", timeout=5).json()

    assert stats["counters"]["accepted"] == 1
    assert stats["counters"]["send_requests"] == 2
    assert stats["errors_by_code"] == {"132016": 1}
    assert stats["messages_recorded"] == 1


def test_the_testing_helper_filters_messages_like_the_endpoint(graph, sim):
    graph.send(text_message(to="14155550001"))
    graph.send(text_message(to="14155550002"))

    assert [row["to"] for row in sim.messages(to="14155550002")] == ["14155550002"]
    assert len(sim.messages(type="text")) == 2


def test_it_refuses_config_that_would_break_it_and_keeps_running(graph, sim):
    bad_changes = [
        {"api_version_pattern": "("},
        {"business_accounts": [1]},
        {"business_accounts": []},
        {"business_accounts": [{"phone_numbers": []}]},
        {"latency_ms": -5},
        {"drop_rate": 2},
        {"throttle_http_status": 0},
        {"status_delays_s": {"sent": None}},
    ]
    for changes in bad_changes:
        response = requests.patch(f"{sim.base_url}/_sim/config", json=changes, timeout=5)
        assert response.status_code == 400, changes
        assert next(iter(changes)) in response.json()["error"]

    # Nothing of the refused changes stuck: later changes and sends still work.
    assert requests.patch(f"{sim.base_url}/_sim/config", json={"latency_ms": 1}, timeout=5).status_code == 200
    assert graph.send(text_message()).status_code == 200
