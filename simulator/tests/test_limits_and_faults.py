"""Throughput and pair rate limits, and faults on demand."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .helpers import PHONE_ID, VERSION, assert_meta_error, text_message


def test_it_answers_130429_past_the_numbers_messages_per_second(graph, sim):
    sim.configure(throughput_mps=5)

    codes = [graph.send(text_message(to=f"1415555{n:04d}")).status_code for n in range(8)]

    assert codes[:5] == [200] * 5
    assert_meta_error(graph.send(text_message(to="14155559999")), 130429, 400)


def test_it_accepts_again_once_the_second_has_passed(graph, sim):
    sim.configure(throughput_mps=2)
    for n in range(3):
        graph.send(text_message(to=f"1415555{n:04d}"))

    time.sleep(0.6)

    assert graph.send(text_message(to="14155558888")).status_code == 200


def test_it_can_answer_throttling_as_http_429(graph, sim):
    sim.configure(throughput_mps=1, throttle_http_status=429)
    graph.send(text_message(to="14155550001"))

    assert_meta_error(graph.send(text_message(to="14155550002")), 130429, 429)


def test_it_answers_131056_for_too_many_messages_to_one_recipient(graph, sim):
    sim.configure(pair_limit=3, pair_window_seconds=60)

    codes = [graph.send(text_message(to="14155550123")).status_code for _ in range(3)]

    assert codes == [200, 200, 200]
    assert_meta_error(graph.send(text_message(to="14155550123")), 131056, 400)
    assert graph.send(text_message(to="14155550124")).status_code == 200


def test_its_default_pair_limit_lets_a_few_messages_to_one_recipient_through(graph):
    codes = [graph.send(text_message(to="14155550123")).status_code for _ in range(10)]

    assert codes == [200] * 10


def test_it_adds_the_configured_latency(graph, sim):
    sim.configure(latency_ms=150)
    started = time.monotonic()

    graph.send(text_message())

    assert time.monotonic() - started >= 0.15


def test_it_answers_5xx_at_the_configured_rate(graph, sim):
    sim.configure(server_error_rate=1.0)

    assert_meta_error(graph.send(text_message()), 131000, 500)
    assert sim.messages() == []


def test_it_closes_the_connection_without_an_answer(graph, sim):
    sim.configure(drop_rate=1.0)

    with pytest.raises(requests.ConnectionError):
        graph.send(text_message())


def test_it_holds_a_request_past_the_clients_timeout_and_still_sends_it(sim):
    sim.configure(timeout_rate=1.0, timeout_seconds=0.5)

    with pytest.raises(requests.Timeout):
        requests.post(f"{sim.base_url}/{VERSION}/{PHONE_ID}/messages", json=text_message(),
                      headers={"Authorization": "Bearer test-token"}, timeout=0.2)

    time.sleep(0.5)
    assert len(sim.messages()) == 1  # like Meta: a timed-out send may have gone out


def test_it_makes_the_same_fault_decisions_under_the_same_seed(graph, sim):
    def run() -> list[int]:
        sim.reset()
        sim.configure(seed=7, server_error_rate=0.5)
        return [graph.send(text_message(to=f"1415555{n:04d}")).status_code for n in range(20)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {200, 500}


def test_it_stays_consistent_under_concurrent_sends(graph, sim):
    sim.configure(throughput_mps=1000)
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda n: graph.send(text_message(to=f"1415556{n:04d}")).status_code, range(200)))

    assert codes.count(200) == 200
    assert len({row["wamid"] for row in sim.messages()}) == 200
