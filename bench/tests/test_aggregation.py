"""The benchmark's figures from raw samples: the round trip, several numbers, scale-out, the huge session, load."""

import pytest

from bench.common import load_during
from bench.huge import huge_numbers, rate_drift, rss_growth_ratio
from bench.options import DEFAULT_SCENARIOS, parse_args
from bench.roundtrip import backlog_series, parse_delays, round_trip_summary
from bench.scale import multi_number_summary, saturates_first, scale_point


def _sample(at, *, sent, read, webhooks=0, callbacks=0, read_received=0):
    return {"at": at, "sent": sent, "read": read, "webhook_events_pending": webhooks, "callbacks_pending": callbacks,
            "callbacks_received": read_received * 3, "callbacks_read_received": read_received,
            "simulator_statuses_scheduled": 0, "simulator_statuses_delivered": 0}


def test_the_round_trip_counts_from_the_last_send_until_every_status_and_callback_is_done():
    samples = [
        _sample(100.0, sent=50, read=0, webhooks=3, callbacks=10),
        _sample(101.0, sent=100, read=60, webhooks=2, callbacks=40, read_received=50),
        _sample(102.0, sent=100, read=100, webhooks=1, callbacks=5, read_received=90),  # one POST unprocessed
        _sample(103.0, sent=100, read=100, webhooks=0, callbacks=5, read_received=95),  # applied
        _sample(104.5, sent=100, read=100, webhooks=0, callbacks=0, read_received=100),  # delivered
    ]
    latency = {"posts": 12, "p50_seconds": 0.01234, "p90_seconds": 0.02, "p99_seconds": 0.2, "max_seconds": 0.3}

    summary = round_trip_summary(outbound={"messages_per_second": 950.0}, samples=samples, messages=100,
                                 last_send=100.5, last_webhook=102.5, latency=latency, receiver={"events": 302})

    assert summary["messages_per_second"] == 950.0
    assert summary["webhook_p50_seconds"] == 0.0123
    assert summary["webhook_p99_seconds"] == 0.2
    assert summary["statuses_applied_within_seconds"] == 2.5
    assert summary["callbacks_delivered_within_seconds"] == 4.0
    assert summary["statuses_applied_after_last_webhook_seconds"] == 0.5
    assert summary["peak_webhook_events_pending"] == 3
    assert summary["peak_callbacks_pending"] == 40
    assert summary["drained"] is True


def test_a_backlog_that_never_drains_has_no_drain_time():
    samples = [_sample(10.0, sent=10, read=9), _sample(11.0, sent=10, read=9)]

    summary = round_trip_summary(outbound={}, samples=samples, messages=10, last_send=9.0, last_webhook=None,
                                 latency={}, receiver={})

    assert summary["statuses_applied_within_seconds"] is None
    assert summary["callbacks_delivered_within_seconds"] is None
    assert summary["drained"] is False


def test_the_backlog_series_is_what_was_left_to_do_at_each_sample():
    samples = [_sample(50.0, sent=10, read=2, webhooks=1, callbacks=4), _sample(50.5, sent=20, read=20)]

    series = backlog_series(samples, start=49.0)

    assert series["t_seconds"] == [1.0, 1.5]
    assert series["statuses_unapplied"] == [8, 0]
    assert series["webhook_events_pending"] == [1, 0]
    assert series["callbacks_pending"] == [4, 0]


def test_status_delays_are_read_from_the_command_line():
    assert parse_delays("sent=0.5, delivered=1.5,read=3") == {"sent": 0.5, "delivered": 1.5, "read": 3.0}
    with pytest.raises(ValueError, match="failed"):
        parse_delays("failed=1")


def test_the_round_trip_runs_first_by_default_and_unknown_scenarios_are_refused():
    assert parse_args([]).scenarios == list(DEFAULT_SCENARIOS)
    assert DEFAULT_SCENARIOS[0] == "7"
    assert parse_args(["--huge"]).scenarios[-1] == "huge"
    assert parse_args(["--only", "3,huge"]).scenarios == ["3", "huge"]
    assert parse_args(["--quick"]).scenarios == ["1"]
    with pytest.raises(SystemExit):
        parse_args(["--only", "11"])


def test_several_numbers_are_each_read_against_their_limit_and_together():
    on_time = [n / 500 for n in range(1000)]  # 500/s for two seconds
    slow = [n / 400 for n in range(800)]  # 400/s

    summary = multi_number_summary({"a": on_time, "b": slow}, 500.0)

    assert summary["transports"]["a"]["within_5_percent"] is True
    assert summary["transports"]["b"]["within_5_percent"] is False
    assert summary["all_within_5_percent"] is False
    assert 850 <= summary["together_messages_per_second"] <= 950


def test_a_scale_out_point_reads_each_process_groups_cpu_as_cores_busy():
    result = {"messages_per_second": 800.0, "sent": 8000, "wall_seconds": 10.0,
              "cpu_seconds": {"workers": 12.0, "postgres": 4.0, "web": 0.5}}

    point = scale_point(4, result, nproc=2)

    assert point["cores_busy"] == {"workers": 1.2, "postgres": 0.4, "web": 0.05}
    assert point["machine_cpu_percent"] == 82.5


def test_what_saturates_first_is_read_at_the_best_point():
    points = [
        {"workers": 1, "messages_per_second": 300.0, "machine_cpu_percent": 40.0, "cores_busy": {"workers": 0.6}},
        {"workers": 4, "messages_per_second": 900.0, "machine_cpu_percent": 95.0,
         "cores_busy": {"workers": 1.3, "postgres": 0.4}},
        {"workers": 8, "messages_per_second": 880.0, "machine_cpu_percent": 97.0, "cores_busy": {"workers": 1.4}},
    ]

    first = saturates_first(points)

    assert first["best_workers"] == 4
    assert first["busiest_process"] == "workers"
    assert first["cpu_bound"] is True


def test_memory_growth_compares_the_last_quarter_with_the_first_after_warm_up():
    flat = [(t, 100_000) for t in range(40)]
    growing = [(t, 100_000 + 1_000 * t) for t in range(40)]

    assert rss_growth_ratio(flat) == 1.0
    assert rss_growth_ratio(growing) > 1.2
    assert rss_growth_ratio(flat[:5]) is None


def test_rate_drift_leaves_out_the_partial_first_and_last_bins():
    assert rate_drift([3, 100, 100, 100, 100, 100, 100, 100, 100, 7]) == 1.0
    assert rate_drift([3, 100, 100, 90, 80, 70, 60, 50, 50, 7]) == 0.5


def test_the_huge_session_numbers_are_distinct():
    numbers = huge_numbers(1_000_000)
    assert len(set(numbers)) == 1_000_000
    assert numbers[0] == "+15551000000"
    assert numbers[-1] == "+15551999999"


def test_load_tells_the_benchmarks_cpu_from_other_work():
    before = {"busy": 100.0, "total": 1000.0, "loadavg": "0.5 0.5 0.5"}
    after = {"busy": 160.0, "total": 1100.0, "loadavg": "1.9 1.0 0.6"}

    load = load_during(before, after, bench_cpu_seconds=20.0, wall_seconds=50.0)

    assert load["machine_busy_percent"] == 60.0
    assert load["bench_busy_percent"] == 20.0
    assert load["other_busy_percent"] == 40.0
    assert load["loadavg_end"] == "1.9 1.0 0.6"


def test_a_machine_busy_with_other_work_counts_as_saturated():
    point = {"workers": 2, "messages_per_second": 500.0, "machine_cpu_percent": 40.0, "machine_busy_percent": 98.0,
             "cores_busy": {"workers": 0.5}}

    assert saturates_first([point])["cpu_bound"] is True
    assert saturates_first([{**point, "machine_busy_percent": 60.0}])["cpu_bound"] is False
