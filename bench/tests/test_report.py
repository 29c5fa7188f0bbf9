"""latest.json and docs/benchmark.md from a run's results: the new keys, the targets, the CPU profile."""

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import requests

from bench.options import parse_args
from bench.pyprofile import summarize
from bench.receiver import CallbackCounter
from bench.report import build, cpu_profile, outbound_rate
from bench.report_docs import markdown
from bench.stack import free_port
from broadcasts.callbacks.services.delivery import callback_body, signature_header
from broadcasts.callbacks.services.endpoints import Signing


def _scenarios() -> list[dict]:
    sending = {"messages": 1000, "sent": 1000, "wall_seconds": 2.0, "latency_p50_seconds": 0.3,
               "latency_p99_seconds": 0.5, "peak_worker_rss_mb": 400.0, "queries_per_message": 0.03, "errors": {},
               "time_to_first_send_seconds": 0.2, "cpu_seconds": {"workers": 1.5, "postgres": 0.5, "web": 0.0}}
    round_trip = {"messages": 1000, "messages_per_second": 1100.0, "webhook_p50_seconds": 0.02,
                  "webhook_p99_seconds": 0.3, "statuses_applied_within_seconds": 4.2,
                  "callbacks_delivered_within_seconds": 4.7, "callbacks": {"posts": 40, "events": 3002},
                  "settings": {"webhook_batch_size": 100}, "drained": True}
    point = {"workers": 2, "messages_per_second": 700.0, "latency_p99_seconds": 1.0, "machine_cpu_percent": 80.0,
             "cores_busy": {"workers": 1.1}, "sent": 1000}
    return [
        {**sending, "scenario": "1_single_session_100", "messages_per_second": 300.0},
        {**sending, "scenario": "3_single_session_20000", "messages_per_second": 1000.0},
        {**sending, "scenario": "7_round_trip_1000", "messages_per_second": 1100.0, "round_trip": round_trip,
         "cpu_wall_seconds": 5.0},
        {**sending, "scenario": "8_multi_number", "messages_per_second": 1900.0, "multi_number": {
            "limit_per_transport": 500.0, "together_messages_per_second": 1900.0, "all_within_5_percent": True,
            "transports": {"multi_1": {"messages": 500, "steady_rate": 499.0, "error_percent": -0.2,
                                       "within_5_percent": True}}}},
        {"scenario": "9_scale_out", "messages": 1000, "sent": 1000, "messages_per_second": None, "errors": {},
         "scale_out": {"messages_per_point": 1000, "points": [point], "saturates_first": {}}},
        {**sending, "scenario": "10_zero_setup_1_single_session_100", "messages_per_second": 90.0},
        {**sending, "scenario": "huge_5000", "messages_per_second": 800.0, "huge": {
            "recipients": 5000, "ingest_seconds": 1.5, "messages_per_second": 800.0, "rss_growth_ratio": 1.02,
            "queries_per_message": 0.04, "table_sizes": {"broadcasts_broadcast": {
                "table_mb": 1.0, "indexes_mb": 0.5, "rows_estimate": 5000}}}},
    ]


def results_of_a_run() -> dict:
    """The results of a run with every scenario."""
    ceilings = {"harness": {"messages": 100, "concurrency": 8, "messages_per_second": 2000.0},
                "prebuilt": {"messages": 100, "concurrency": 8, "messages_per_second": 2500.0}}
    results = build(options=parse_args([]), scenarios=_scenarios(), ceilings=ceilings,
                    series={"7": {"t_seconds": [0.0]}}, started=datetime(2026, 12, 3, tzinfo=UTC),
                    stack=SimpleNamespace())
    results["load"] = {"wall_seconds": 60.0, "machine_busy_percent": 90.0, "bench_busy_percent": 70.0,
                       "other_busy_percent": 20.0, "loadavg_start": "1 1 1", "loadavg_end": "2 2 2"}
    return results


def test_latest_json_has_the_round_trip_and_the_other_new_keys_beside_the_existing_ones():
    results = results_of_a_run()

    assert results["round_trip"]["messages_per_second"] == 1100.0
    for key in ("webhook_p50_seconds", "webhook_p99_seconds", "statuses_applied_within_seconds",
                "callbacks_delivered_within_seconds"):
        assert key in results["round_trip"]
    assert results["multi_number"]["together_messages_per_second"] == 1900.0
    assert results["scale_out"]["messages_per_second"] == {"2": 700.0}
    assert results["huge"]["ingest_seconds"] == 1.5
    assert results["zero_setup"] == {
        "scenario": "10_zero_setup_1_single_session_100", "messages_per_second": 90.0, "latency_p99_seconds": 0.5,
        "postgresql_rabbitmq_messages_per_second": 300.0, "postgresql_rabbitmq_latency_p99_seconds": 0.5,
        "errors": {},
    }
    assert results["ratio_to_ceiling"] == 0.5
    assert results["ratio_to_prebuilt_ceiling"] == 0.4
    assert results["round_trip_backlog"] == {"t_seconds": [0.0]}


def test_the_targets_say_what_this_run_met():
    targets = {t["target"]: t for t in results_of_a_run()["targets"]}

    assert targets["round trip: outbound msg/s"]["met"] is True
    assert targets["round trip: webhook answer p99 (s)"]["met"] is False
    assert targets["scenario 3 / bare aiohttp client (pre-built bodies)"]["measured"] == 0.4
    assert targets["scenario 3 / bare aiohttp client (pre-built bodies)"]["met"] is False
    assert targets["huge: queries per message"]["met"] is True


def test_the_cpu_profile_is_per_process_over_the_time_the_cpu_was_read():
    profile = cpu_profile({"scenario": "7_x", "sent": 1000, "wall_seconds": 2.0, "cpu_wall_seconds": 5.0,
                           "cpu_seconds": {"workers": 3.0, "postgres": 1.0}}, nproc=2)

    assert list(profile["processes"]) == ["workers", "postgres"]
    assert profile["processes"]["workers"] == {"cpu_seconds": 3.0, "us_per_message": 3000, "cores_busy": 0.6,
                                               "share_percent": 75.0}
    assert profile["machine_cpu_percent"] == 40.0
    assert cpu_profile({"scenario": "5_ingest", "sent": 0}, nproc=2) is None


def test_the_docs_page_shows_the_round_trip_targets_profile_curve_and_load():
    page = markdown(results_of_a_run())

    assert "## Round trip" in page
    assert "| outbound msg/s | 1,100 |" in page
    assert "| round trip: webhook answer p99 (s) | <= 0.25 | 0.3 | not met |" in page
    assert "## Where the CPU goes" in page
    assert "| 2 | 700 | 1 s | 80 % | – | workers 1.1 |" in page
    assert "| PostgreSQL + RabbitMQ | 300 | 0.5 s |" in page
    assert "| SQLite + filesystem broker (`make run`) | 90 |" in page
    assert "other work used about 20 %" in page
    assert "## One session of 5,000" in page


def test_outbound_rate_is_the_difference_between_samples():
    assert outbound_rate([0.0, 0.5, 1.0], [0, 400, 900], window=2.0) == [0.0, 800.0, 900.0]
    assert outbound_rate([0.0, 1.0, 2.0, 3.0], [0, 0, 500, 1000], window=1.0) == [0.0, 0.0, 500.0, 500.0]


def test_the_receiver_counts_events_by_type_and_checks_each_signature():
    receiver = CallbackCounter(free_port()).start()
    receiver.secret = "whsec_test"
    try:
        body = callback_body([{"type": "broadcast.sent"}, {"type": "broadcast.read"}, {"type": "broadcast.read"}])
        good = signature_header(signing=Signing(current="whsec_test", previous=""), timestamp=int(time.time()),
                                body=body)
        bad = signature_header(signing=Signing(current="other", previous=""), timestamp=int(time.time()), body=body)
        for header in (good, bad):
            answer = requests.post(receiver.url, data=body, headers={"X-Gateway-Signature": header}, timeout=5)
            assert answer.status_code == 200

        assert receiver.count("broadcast.read") == 4
        assert receiver.snapshot() == {"posts": 2, "events": 6, "bad_signatures": 1,
                                       "by_type": {"broadcast.sent": 2, "broadcast.read": 4}}
    finally:
        receiver.stop()


def test_each_full_run_is_kept_for_the_spread_over_runs(tmp_path):
    from bench.report import history_add

    results = results_of_a_run()
    history_add(results, tmp_path)
    results["started_at"] = "2026-12-04T00:00:00+00:00"
    results["scenarios"]["3_single_session_20000"]["messages_per_second"] = 1200.0
    runs = history_add(results, tmp_path)

    assert [run["scenario3_messages_per_second"] for run in runs] == [1000.0, 1200.0]
    assert runs[-1]["round_trip_messages_per_second"] == 1100.0
    page = markdown({**results, "history": runs})
    assert "## Spread over runs" in page
    assert "Scenario 3 ranged from 1,000 to 1,200 msg/s." in page
    results["settings"]["quick"] = True
    assert len(history_add(results, tmp_path)) == 2  # a smoke run is not kept


def test_the_docs_show_the_python_profile_beside_the_run_with_its_own_date():
    task = "process_webhook_events (broadcasts/tasks.py:38)"
    statuses = "_broadcast_statuses_apply (broadcasts/services/webhooks/statuses.py:90)"
    wait = "Connection.wait (psycopg/connection.py:900)"
    profile = {
        "started_at": "2026-12-04T22:00:00+00:00", "scenario": "7_round_trip_20000", "messages_per_second": 420.5,
        "sampler": "py-spy, 50 samples/s per process",
        "groups": {"events": summarize([f"process 1;{task};{statuses};{wait} 3\n", f"process 1;{task} 1\n"]),
                   "web": {"error": "Permission denied (os error 13)"}},
    }
    page = markdown(results_of_a_run(), profile=profile)
    assert "## Where the Python time goes" in page and "2026-12-04T22:00:00+00:00" in page
    assert "**events**: 4 samples, waiting for PostgreSQL 75 %" in page
    assert "| `broadcasts/services/webhooks/statuses.py:_broadcast_statuses_apply` | 75 % |" in page
    assert "web: not sampled (Permission denied (os error 13))." in page
    assert "## Where the Python time goes" not in markdown(results_of_a_run())
