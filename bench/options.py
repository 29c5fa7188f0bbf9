"""The benchmark's command line (`python -m bench.run --help`)."""

import argparse
import os
from pathlib import Path

SCENARIOS = {
    "1": "one session of 100", "2": "ten sessions of 1,000", "3": "one session of 20,000 (--big: 100,000)",
    "4": "rate-limit accuracy", "5": "JSON ingest", "6": "CSV ingest",
    "7": "round trip: scenario 3 with status webhooks and a callback endpoint",
    "8": "multi_number: 4 transports at 500 msg/s each at once",
    "9": "scale_out: 1, 2, 4, 8 worker processes", "10": "scenario 1 on the zero-setup stack (SQLite + filesystem)",
    "huge": "one session of 1,000,000 (--huge)",
}
DEFAULT_SCENARIOS = ("7", "1", "2", "3", "4", "5", "6", "8", "9", "10")


def parse_args(argv=None, description: str = "") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smoke run: scenario 1 (20 messages) and the ceiling")
    parser.add_argument("--big", action="store_true", help="scenario 3 sends 100,000 instead of 20,000")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run, e.g. 1,3 or 7 or huge; "
                        + "; ".join(f"{k}: {v}" for k, v in SCENARIOS.items()))
    parser.add_argument("--huge", action="store_true", help="add the 1,000,000-recipient session (it takes long)")
    parser.add_argument("--huge-recipients", type=int, default=1_000_000, help="recipients of the huge session")
    parser.add_argument("--workers", type=int, default=4, help="Celery worker processes serving sends (default 4)")
    parser.add_argument("--event-workers", type=int, default=2,
                        help="Celery worker processes serving webhooks, housekeeping and callbacks (default 2)")
    parser.add_argument("--web-workers", type=int, default=2)
    # The tuning docs/rate-limits.md gives for 1,000 msg/s at 200 ms latency.
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=4, help="SESSION_PARALLELISM")
    parser.add_argument("--transport-concurrency", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2000, help="rateLimit of the throughput transport (msg/s)")
    parser.add_argument("--rate-seconds", type=float, default=15, help="length of each rate-limit session")
    parser.add_argument("--rate-concurrent", action="store_true",
                        help="run the 80/s and 500/s sessions at the same time (they share the workers)")
    # The round trip (scenario 7).
    parser.add_argument("--round-trip-messages", type=int, default=0, help="default 20,000 (--quick: 2,000)")
    parser.add_argument("--status-delays", default="sent=0.5,delivered=1.5,read=3",
                        help="seconds after acceptance at which the simulator sends each status webhook")
    parser.add_argument("--webhook-batch-size", type=int, default=100,
                        help="statuses of one number per webhook POST (the simulator's default; 1: one per request)")
    parser.add_argument("--webhook-concurrency", type=int, default=16, help="webhook POSTs in flight at once")
    parser.add_argument("--callback-batch-size", type=int, default=100, help="events per callback POST (1-100)")
    # Scale out (scenario 9).
    parser.add_argument("--scale-workers", default="1,2,4,8", help="worker process counts of the scale-out curve")
    parser.add_argument("--scale-messages", type=int, default=0, help="messages per scale-out point (default 10,000)")
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--sim-throughput", type=float, default=5000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL",
                                                               "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--db-name", default="whatsapp_gateway_bench")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmark.md")
    parser.add_argument("--conditions", default="", help="a note on the run's conditions, written in the docs")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the bare-client ceiling runs")
    parser.add_argument("--zero-setup", action="store_true",
                        help="run on make run's defaults (SQLite, filesystem broker) instead of PostgreSQL + RabbitMQ")
    options = parser.parse_args(argv)
    if options.only:
        options.scenarios = [part.strip() for part in options.only.split(",") if part.strip()]
    else:
        options.scenarios = ["1"] if options.quick else list(DEFAULT_SCENARIOS)
        if options.huge:
            options.scenarios.append("huge")
    unknown = [name for name in options.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    return options


