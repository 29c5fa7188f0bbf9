"""The huge session (`--huge`, bench/run.py): one session of 1,000,000 recipients (`--huge-recipients N`).

Ingest is a CSV upload timed to its 202; sending is then measured as scenario 3 is, plus what a growing
table would show: msg/s in ten-second bins from start to end, the sends workers' RSS over time (the
growth ratio: median of the last quarter / median of the first quarter after warm-up), SQL statements
per message, and the size of each gateway table and its indexes at the end.
"""

import statistics
import time

from bench.common import cpu_delta
from bench.ingest import csv_session_upload

TABLES = ("broadcasts_broadcast", "broadcasts_broadcastlog", "broadcasts_session", "broadcasts_webhookevent")


HUGE_FIRST = 1_000_000  # +1 555 1xxxxxx: no other scenario's block (recipients(): +1 555 20-99…), not a sender


def huge_numbers(count: int) -> list[str]:
    """Distinct +1 555 numbers from +1 555 100 0000 (up to 9,000,000 of them)."""
    return [f"+1555{HUGE_FIRST + n:07d}" for n in range(count)]


def rss_growth_ratio(samples: list[tuple[float, int]]) -> float | None:
    """Median RSS of the last quarter over that of the first quarter, the first tenth (warm-up) left out."""
    values = [kb for _, kb in samples]
    values = values[len(values) // 10:]
    if len(values) < 8:
        return None
    quarter = len(values) // 4
    first, last = statistics.median(values[:quarter]), statistics.median(values[-quarter:])
    return round(last / first, 3) if first else None


def rate_drift(committed: list[int]) -> float | None:
    """Mean rate of the last quarter of full bins over that of the first quarter (1.0: no slowdown)."""
    full = committed[1:-1]  # the first and last bin are partial
    if len(full) < 4:
        return None
    quarter = len(full) // 4
    first, last = statistics.fmean(full[:quarter]), statistics.fmean(full[-quarter:])
    return round(last / first, 3) if first else None


def table_sizes() -> dict:
    from django.db import connection

    sizes = {}
    if connection.vendor != "postgresql":
        return sizes
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("SELECT pg_table_size(%s), pg_indexes_size(%s), (SELECT reltuples::bigint FROM pg_class "
                           "WHERE relname = %s)", [table, table, table])
            table_bytes, index_bytes, rows = cursor.fetchone()
            sizes[table] = {"table_mb": round(table_bytes / 2**20, 1), "indexes_mb": round(index_bytes / 2**20, 1),
                            "rows_estimate": rows}
    return sizes


def scenario_huge(bench) -> dict:
    count = bench.options.huge_recipients
    stack = bench.stack
    bench.sim("post", "/_sim/reset")
    data = ("phone\r\n" + "".join(f"{number}\r\n" for number in huge_numbers(count))).encode()
    stack.samplers["workers"].reset()
    stack.samplers["web"].reset()
    queries_before, cpu_before = stack.queries(), stack.cpu()
    started = time.perf_counter()
    session_id = csv_session_upload(bench, data, timeout=1800)
    ingest = time.perf_counter() - started
    timed_out = not bench.wait_done([session_id], timeout=count / 50 + 120)
    wall = time.perf_counter() - started
    time.sleep(0.5)
    queries = stack.queries() - queries_before
    result = bench.measure(f"huge_{count}", [session_id], wall_seconds=wall, queries=queries, timed_out=timed_out)
    result["cpu_seconds"] = cpu_delta(cpu_before, stack.cpu())
    series = bench.throughput_series([session_id], bin_seconds=10.0, phone="throughput", simulator=False)
    result["huge"] = {
        "recipients": count, "ingest_seconds": round(ingest, 3), "csv_bytes": len(data),
        "messages_per_second": result["messages_per_second"], "messages_per_second_over_time": series,
        "rate_drift_last_over_first_quarter": rate_drift(series["committed"]),
        "rss_growth_ratio": rss_growth_ratio(stack.samplers["workers"].samples),
        "queries_per_message": result["queries_per_message"], "table_sizes": table_sizes(),
    }
    return result

