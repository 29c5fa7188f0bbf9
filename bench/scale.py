"""Scenarios 8-10 of the benchmark (bench/run.py): several numbers at once, scale-out, the zero-setup stack.

8 `multi_number`: four transports limited to 500 msg/s each send at the same time; each one's achieved rate
  (simulator arrivals, 10th-90th percentile) and all four together.
9 `scale_out`: the sends workers restarted with 1, 2, 4, 8 processes, one session each: msg/s and the CPU
  each process group used, so the curve shows what saturates first.
10 `zero_setup`: scenario 1 on `make run`'s defaults (SQLite, the filesystem broker), in a child run of the
  harness (its Django talks to that stack's SQLite file), reported beside the PostgreSQL + RabbitMQ figure.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import machine_cpu, recipients, steady_rate
from bench.stack import PHONE_IDS, ROOT

MULTI_NUMBERS = ("multi_1", "multi_2", "multi_3", "multi_4")
MULTI_RATE = 500.0


def scenario_multi_number(bench) -> dict:
    seconds = bench.options.rate_seconds
    bench.sim("post", "/_sim/reset")
    batches = [(name, recipients(55 + n, int(MULTI_RATE * seconds))) for n, name in enumerate(MULTI_NUMBERS)]
    result, _ = bench.run_sessions("8_multi_number", batches, timeout=seconds * 4 + 60)
    arrivals = {name: sorted(m["received_at"] for m in bench.sim(
        "get", f"/_sim/messages?limit=0&phone_number_id={PHONE_IDS[name]}")["data"]) for name in MULTI_NUMBERS}
    result["multi_number"] = multi_number_summary(arrivals, MULTI_RATE)
    return result


def multi_number_summary(arrivals: dict[str, list[float]], limit: float) -> dict:
    """Per transport: its steady rate against its limit; together: the steady rate of all arrivals merged."""
    per = {name: steady_rate(times, limit) for name, times in arrivals.items()}
    merged = sorted(t for times in arrivals.values() for t in times)
    together = steady_rate(merged, limit * len(arrivals))
    return {
        "limit_per_transport": limit,
        "transports": per,
        "together_messages_per_second": together.get("steady_rate"),
        "all_within_5_percent": all(figures.get("within_5_percent") for figures in per.values()),
    }


def scenario_scale_out(bench) -> dict:
    options = bench.options
    counts = [int(n) for n in options.scale_workers.split(",") if n.strip()]
    count = options.scale_messages or (1_000 if options.quick else 10_000)
    points = []
    try:
        for n, workers in enumerate(counts):
            print(f"    {workers} worker processes ...", flush=True)
            bench.stack.workers_start(workers)
            bench.sim("post", "/_sim/reset")
            before = machine_cpu()
            result, _ = bench.run_sessions(f"9_scale_out_{workers}", [("throughput", recipients(86 + n, count))],
                                           timeout=count / 20 + 60)
            after = machine_cpu()
            point = scale_point(workers, result, nproc=os.cpu_count() or 1)
            total = after["total"] - before["total"]
            point["machine_busy_percent"] = round(100 * (after["busy"] - before["busy"]) / total, 1) if total else None
            points.append(point)
    finally:
        bench.stack.workers_start(options.workers)
    return {
        "scenario": "9_scale_out", "sessions": len(points), "messages": count * len(points),
        "sent": sum(p["sent"] for p in points), "messages_per_second": None, "errors": {},
        "scale_out": {"messages_per_point": count, "points": points, "saturates_first": saturates_first(points)},
    }


def scale_point(workers: int, result: dict, *, nproc: int) -> dict:
    """One point of the curve: msg/s, and each process group's CPU as a share of one core over the session."""
    wall = result.get("wall_seconds") or 0.0
    cpu = result.get("cpu_seconds", {})
    cores_busy = {name: round(seconds / wall, 2) for name, seconds in cpu.items() if wall} if wall else {}
    return {
        "workers": workers, "messages_per_second": result.get("messages_per_second"), "sent": result.get("sent", 0),
        "latency_p99_seconds": result.get("latency_p99_seconds"),
        "peak_worker_rss_mb": result.get("peak_worker_rss_mb"),
        "cores_busy": cores_busy, "machine_cpu_percent": round(100 * sum(cores_busy.values()) / nproc, 1),
    }


def saturates_first(points: list[dict]) -> dict:
    """The best point, which process used the most CPU there, and whether the machine's CPUs were all busy
    (by any work: `machine_busy_percent`, else the benchmark's own processes)."""
    measured = [p for p in points if p.get("messages_per_second")]
    if not measured:
        return {}
    best = max(measured, key=lambda p: p["messages_per_second"])
    busiest = max(best["cores_busy"].items(), key=lambda item: item[1], default=(None, 0))
    return {
        "best_workers": best["workers"], "best_messages_per_second": best["messages_per_second"],
        "machine_cpu_percent_at_best": best["machine_cpu_percent"],
        "machine_busy_percent_at_best": best.get("machine_busy_percent"),
        "busiest_process": busiest[0], "busiest_process_cores": busiest[1],
        "cpu_bound": (best.get("machine_busy_percent") or best["machine_cpu_percent"]) >= 90,
    }


def scenario_zero_setup(options) -> dict:
    """Scenario 1 in a child harness on SQLite + the filesystem broker; its result, renamed."""
    out = Path(tempfile.mkdtemp(prefix="bench-zero-setup-out-"))
    argv = [sys.executable, "-m", "bench.run", "--zero-setup", "--only", "1", "--no-docs", "--no-ceiling",
            "--out", str(out), "--workers", "2", "--event-workers", "1", "--web-workers", "1"]
    if options.quick:
        argv.append("--quick")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "whatsapp_gateway.settings"
    completed = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode != 0:
        return {"scenario": "10_zero_setup_single_session", "messages": 0, "sent": 0, "messages_per_second": None,
                "errors": {"child_run_failed": 1}, "note": completed.stdout[-1500:] + completed.stderr[-1500:]}
    child = json.loads((out / "latest.json").read_text())
    result = next(iter(child["scenarios"].values()))
    return {**result, "scenario": f"10_zero_setup_{result['scenario']}",
            "stack": "SQLite + filesystem broker (make run's defaults), 2 sends worker processes, 1 events worker"}
