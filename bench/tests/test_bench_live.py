"""A tiny round trip through the real harness: the stack starts, status webhooks and callbacks flow, the report
has its figures. Speed is not asserted: only that every status was applied and every callback delivered."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.live
@pytest.mark.needs("PostgreSQL (DATABASE_URL=postgres://…): the benchmark runs on it",
                   available=os.environ.get("DATABASE_URL", "").startswith("postgres"))
def test_a_tiny_round_trip_writes_its_figures_into_latest_json(tmp_path):
    database = os.environ["DATABASE_URL"]
    pg_url = database.rsplit("/", 1)[0]
    broker = os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    argv = [sys.executable, "-m", "bench.run", "--only", "7", "--round-trip-messages", "60", "--no-docs",
            "--no-ceiling", "--out", str(tmp_path), "--pg-url", pg_url, "--broker-url", broker,
            "--db-name", f"bench_test_{uuid.uuid4().hex[:8]}", "--workers", "1", "--event-workers", "1",
            "--web-workers", "1"]

    completed = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)

    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    round_trip = results["round_trip"]
    assert round_trip["messages"] == 60
    assert round_trip["drained"] is True
    assert round_trip["callbacks"]["by_type"]["broadcast.read"] == 60
    assert round_trip["callbacks"]["bad_signatures"] == 0
    assert round_trip["statuses_applied_within_seconds"] is not None
    assert round_trip["webhook_p99_seconds"] > 0
    assert results["round_trip_backlog"]["t_seconds"]
    assert "events" in results["cpu_profile"]["round_trip"]["processes"]
