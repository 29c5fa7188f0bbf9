"""Results of a bench run: latest.json, the scenario-3 chart and docs/benchmark.md."""

import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

from bench.report_docs import BACKLOG_CHART, CHART, DOCS, DOCS_BACKLOG_CHART, DOCS_CHART, PROFILE, markdown


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        mem_kb = 0
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        pg = ""
    return {
        "nproc": os.cpu_count(), "cpu_model": cpu, "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(), "python": platform.python_version(), "postgresql_client": pg,
    }


def one_line(result: dict) -> str:
    if result.get("accept_seconds") is not None:
        return (f"{result['scenario']}: accepted {result['messages']} in {result['accept_seconds']} s "
                f"({result['recipients_per_second']} recipients/s), {result['queries_per_message']} queries/recipient")
    if "scale_out" in result:
        return f"{result['scenario']}: " + ", ".join(
            f"{p['workers']} processes {p['messages_per_second']} msg/s (CPU {p['machine_cpu_percent']} %)"
            for p in result["scale_out"]["points"])
    line = (f"{result['scenario']}: {result.get('sent')}/{result.get('messages')} sent, "
            f"{result.get('messages_per_second')} msg/s, first send {result.get('time_to_first_send_seconds')} s, "
            f"p50 {result.get('latency_p50_seconds')} s, p99 {result.get('latency_p99_seconds')} s, "
            f"workers {result.get('peak_worker_rss_mb')} MB, {result.get('queries_per_message')} queries/msg, "
            f"errors {result.get('errors')}")
    for limit, figures in result.get("rate_limits", {}).items():
        line += f"\n    limit {limit}/s: steady {figures['steady_rate']}/s ({figures['error_percent']}%)"
    if "multi_number" in result:
        multi = result["multi_number"]
        line += "\n    " + ", ".join(f"{name} {f['steady_rate']}/s" for name, f in multi["transports"].items())
        line += f"; together {multi['together_messages_per_second']}/s"
    for key in ("round_trip", "huge"):
        if key in result:
            figures = {k: v for k, v in result[key].items() if not isinstance(v, dict | list)}
            line += f"\n    {key}: {figures}"
    return line


def _scenario(scenarios: list[dict], prefix: str) -> dict | None:
    return next((s for s in scenarios if s["scenario"].startswith(prefix)), None)


def _ratio(value, ceiling) -> float | None:
    return round(value / ceiling, 3) if value and ceiling else None


def cpu_profile(result: dict | None, nproc: int) -> dict | None:
    """Where the CPU went in a scenario: seconds, microseconds per message and cores busy, per process group."""
    if not result or not result.get("cpu_seconds") or not result.get("sent"):
        return None
    wall = result.get("cpu_wall_seconds") or result.get("wall_seconds") or 0
    total = sum(result["cpu_seconds"].values())
    rows = {
        name: {"cpu_seconds": seconds, "us_per_message": round(seconds / result["sent"] * 1e6),
               "cores_busy": round(seconds / wall, 2) if wall else None,
               "share_percent": round(100 * seconds / total, 1) if total else None}
        for name, seconds in sorted(result["cpu_seconds"].items(), key=lambda item: -item[1])
    }
    return {"scenario": result["scenario"], "messages": result["sent"], "wall_seconds": wall, "processes": rows,
            "machine_cpu_percent": round(100 * total / (wall * nproc), 1) if wall else None}


def targets(results: dict) -> list[dict]:
    """The issue's targets against what this run measured (written in the output; never asserted by tests)."""
    rt, huge, multi = results.get("round_trip") or {}, results.get("huge") or {}, results.get("multi_number") or {}
    rows = [
        ("round trip: outbound msg/s", ">= 1000", rt.get("messages_per_second"), lambda v: v >= 1000),
        ("round trip: webhook answer p50 (s)", "<= 0.05", rt.get("webhook_p50_seconds"), lambda v: v <= 0.05),
        ("round trip: webhook answer p99 (s)", "<= 0.25", rt.get("webhook_p99_seconds"), lambda v: v <= 0.25),
        ("round trip: statuses applied after the last send (s)", "<= 10",
         rt.get("statuses_applied_within_seconds"), lambda v: v <= 10),
        ("round trip: callbacks delivered after the last send (s)", "<= 10",
         rt.get("callbacks_delivered_within_seconds"), lambda v: v <= 10),
        ("scenario 3 / bare aiohttp client (pre-built bodies)", ">= 0.8",
         results.get("ratio_to_prebuilt_ceiling"), lambda v: v >= 0.8),
        ("huge: ingest (s)", "<= 30", huge.get("ingest_seconds"), lambda v: v <= 30),
        ("huge: worker RSS growth", "<= 1.10", huge.get("rss_growth_ratio"), lambda v: v <= 1.10),
        ("huge: queries per message", "<= 0.05", huge.get("queries_per_message"), lambda v: v <= 0.05),
        ("multi_number: together msg/s", ">= 1800", multi.get("together_messages_per_second"), lambda v: v >= 1800),
        ("multi_number: each within 5 % of 500/s", "yes", multi.get("all_within_5_percent"), lambda v: bool(v)),
    ]
    return [{"target": name, "goal": goal, "measured": value, "met": None if value is None else check(value)}
            for name, goal, value, check in rows]


def build(*, options, scenarios: list[dict], ceilings: dict, series: dict, started, stack) -> dict:
    big = _scenario(scenarios, "3_")
    harness, prebuilt = ceilings.get("harness"), ceilings.get("prebuilt")
    big_mps = big.get("messages_per_second") if big else None
    nproc = os.cpu_count() or 1
    results = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "celery_workers": options.workers, "event_workers": options.event_workers,
            "gunicorn_workers": options.web_workers,
            "batch_size": options.batch_size, "session_parallelism": options.parallelism,
            "transport_concurrency": options.transport_concurrency, "transport_rate_limit": options.rate,
            "simulator_latency_ms": options.latency_ms, "simulator_throughput_mps": options.sim_throughput,
            "quick": options.quick, "big": options.big, "scenarios": options.scenarios,
        },
        "ceiling_messages_per_second": harness["messages_per_second"] if harness else None,
        "ratio_to_ceiling": _ratio(big_mps, harness and harness["messages_per_second"]),
        "ceiling": harness,
        "prebuilt_ceiling_messages_per_second": prebuilt["messages_per_second"] if prebuilt else None,
        "ratio_to_prebuilt_ceiling": _ratio(big_mps, prebuilt and prebuilt["messages_per_second"]),
        "prebuilt_ceiling": prebuilt,
        "scenarios": {s["scenario"]: s for s in scenarios},
        "scenario3_throughput": series.get("3"),
        "round_trip_backlog": series.get("7"),
    }
    round_trip = _scenario(scenarios, "7_")
    if round_trip:
        results["round_trip"] = round_trip["round_trip"]
    if multi := _scenario(scenarios, "8_"):
        results["multi_number"] = multi["multi_number"]
    if scale := _scenario(scenarios, "9_"):
        results["scale_out"] = {
            "messages_per_second": {str(p["workers"]): p["messages_per_second"] for p in scale["scale_out"]["points"]},
            **scale["scale_out"],
        }
    if huge := _scenario(scenarios, "huge_"):
        results["huge"] = huge["huge"]
    zero, small = _scenario(scenarios, "10_"), _scenario(scenarios, "1_")
    if zero:
        results["zero_setup"] = {
            "scenario": zero["scenario"], "messages_per_second": zero.get("messages_per_second"),
            "latency_p99_seconds": zero.get("latency_p99_seconds"),
            "postgresql_rabbitmq_messages_per_second": small.get("messages_per_second") if small else None,
            "postgresql_rabbitmq_latency_p99_seconds": small.get("latency_p99_seconds") if small else None,
            "errors": zero.get("errors"),
        }
    results["cpu_profile"] = {name: profile for name, profile in (
        ("scenario_3", cpu_profile(big, nproc)), ("round_trip", cpu_profile(round_trip, nproc))) if profile}
    results["targets"] = targets(results)
    results["method"] = METHOD
    return results


METHOD = {
    "messages_per_second": "sent broadcasts (SENT, DELIVERED or READ) / (last successful ATTEMPT log created_at - "
                           "first session created_at): API accept to the log row committed",
    "latency": "per message: its ATTEMPT log created_at - its session created_at",
    "queries_per_message": "SQL statements counted by a Django execute wrapper in every gunicorn and Celery "
                           "worker process (bench/querycount.py), divided by the scenario's recipients",
    "peak_worker_rss_mb": "max over 0.2 s samples of the summed VmRSS of the sends workers' process group",
    "rate_limit": "simulator arrival times per phone number, between the 10th and 90th percentile",
    "ceiling": "bare aiohttp client posting the same template straight to the simulator at "
               "workers x min(batch, transport concurrency) requests in flight; `harness` builds each body "
               "with json.dumps, `prebuilt` swaps the number into one pre-built body",
    "round_trip": "webhook answer: the simulator's sender times each POST to the gateway's webhook URL (after "
                  "waiting for a free slot); applied / delivered: the first 0.25 s backlog sample after the last "
                  "successful send where every broadcast is READ with no webhook event pending, and where the "
                  "harness's receiver has every broadcast.read with nothing pending in the endpoint's outbox",
    "cpu_profile": "user + system CPU seconds from /proc/<pid>/stat, summed per process group (web, sends "
                   "workers, events workers, simulator, harness) and per command name (postgres, beam.smp), "
                   "read before and after the scenario",
}


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed (make install-dev); no chart")
        return None
    return plt


def chart(series: dict, path: Path, title: str) -> bool:
    plt = _pyplot()
    if plt is None:
        return False
    width = series["bin_seconds"]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for key, label in (("simulator_accepted", "accepted by simulator"), ("committed", "log rows committed")):
        values = series[key]
        ax.step([i * width for i in range(len(values))], [v / width for v in values], where="post", label=label)
    ax.axhline(1000, color="grey", linestyle=":", label="target 1,000 msg/s")
    ax.set_xlabel("seconds since the session was accepted")
    ax.set_ylabel("messages / second")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def outbound_rate(t: list[float], sent: list[int], window: float = 2.0) -> list[float]:
    """msg/s at each backlog sample over the `window` seconds before it (batches commit in steps)."""
    rates, first = [], 0
    for i in range(len(t)):
        while t[i] - t[first] > window:
            first += 1
        span = t[i] - t[first]
        rates.append(max(0.0, (sent[i] - sent[first]) / span) if span > 0 else 0.0)
    return rates


def backlog_chart(backlog: dict, path: Path, title: str) -> bool:
    plt = _pyplot()
    if plt is None or not backlog.get("t_seconds"):
        return False
    t = backlog["t_seconds"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), dpi=100, sharex=True)
    top.plot(t, outbound_rate(t, backlog["sent"]), label="outbound msg/s (over the last 2 s)")
    top.axhline(1000, color="grey", linestyle=":", label="target 1,000 msg/s")
    top.set_ylabel("messages / second")
    top.legend()
    top.grid(alpha=0.3)
    for key, label in (("statuses_unapplied", "sent, read not applied yet"),
                       ("webhook_events_pending", "webhook POSTs stored, not processed"),
                       ("callbacks_pending", "callback events not delivered")):
        bottom.plot(t, backlog[key], label=label)
    bottom.set_xlabel("seconds since the session was accepted")
    bottom.set_ylabel("backlog")
    bottom.legend()
    bottom.grid(alpha=0.3)
    top.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


HISTORY = "history.jsonl"  # one line per run: the headline figures, for the spread over runs


def run_summary(results: dict) -> dict:
    """The headline figures of a run, as kept in history.jsonl."""
    big = next((s for name, s in results["scenarios"].items() if name.startswith("3_")), {})
    rt, load = results.get("round_trip") or {}, results.get("load") or {}
    return {
        "started_at": results["started_at"], "scenario3_messages_per_second": big.get("messages_per_second"),
        "ratio_to_prebuilt_ceiling": results.get("ratio_to_prebuilt_ceiling"),
        "round_trip_messages_per_second": rt.get("messages_per_second"),
        "round_trip_webhook_p99_seconds": rt.get("webhook_p99_seconds"),
        "round_trip_callbacks_delivered_within_seconds": rt.get("callbacks_delivered_within_seconds"),
        "other_busy_percent": load.get("other_busy_percent"), "quick": results["settings"].get("quick"),
    }


def history_add(results: dict, out_dir: Path) -> list[dict]:
    """Append this run to history.jsonl (full runs only); returns the last runs, oldest first."""
    path = out_dir / HISTORY
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    if not results["settings"].get("quick") and results["scenarios"]:
        runs.append(run_summary(results))
        path.write_text("".join(json.dumps(run) + "\n" for run in runs[-50:]))
    return runs[-10:]


def write(results: dict, *, series: dict, out_dir: Path, docs: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    results["history"] = history_add(results, out_dir)
    charts = []
    if series.get("3"):
        big = next(k for k in results["scenarios"] if k.startswith("3_"))
        charts.append((chart(series["3"], out_dir / CHART, f"Scenario 3 ({big}): throughput over time"),
                       CHART, DOCS_CHART))
    if series.get("7"):
        name = next(k for k in results["scenarios"] if k.startswith("7_"))
        charts.append((backlog_chart(series["7"], out_dir / BACKLOG_CHART, f"Round trip ({name}): "
                                     "outbound and backlog over time"), BACKLOG_CHART, DOCS_BACKLOG_CHART))
    for drawn, name, docs_path in charts:
        if drawn and docs:
            docs_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out_dir / name, docs_path)
    results["charts"] = [docs_path.name for drawn, _, docs_path in charts if drawn]
    tmp = out_dir / "latest.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(out_dir / "latest.json")
    if docs:
        profile = out_dir / PROFILE  # from `make bench-profile`, a run of its own
        DOCS.write_text(markdown(results, profile=json.loads(profile.read_text()) if profile.exists() else None))
