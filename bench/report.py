"""Results of a bench run: latest.json, the scenario-3 chart and docs/benchmark.md."""

import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmark.md"
CHART = "scenario3_throughput.png"
DOCS_CHART = ROOT / "docs" / "img" / "benchmark-scenario3.png"


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
    line = (f"{result['scenario']}: {result['sent']}/{result['messages']} sent, {result['messages_per_second']} msg/s, "
            f"first send {result['time_to_first_send_seconds']} s, p50 {result['latency_p50_seconds']} s, "
            f"p99 {result['latency_p99_seconds']} s, workers {result['peak_worker_rss_mb']} MB, "
            f"{result['queries_per_message']} queries/msg, errors {result['errors']}")
    for limit, figures in result.get("rate_limits", {}).items():
        line += f"\n    limit {limit}/s: steady {figures['steady_rate']}/s ({figures['error_percent']}%)"
    return line


def build(*, options, scenarios: list[dict], ceiling: dict | None, series: dict | None, started, stack) -> dict:
    big = next((s for s in scenarios if s["scenario"].startswith("3_")), None)
    ceiling_mps = ceiling["messages_per_second"] if ceiling else None
    ratio = None
    if big and ceiling_mps and big.get("messages_per_second"):
        ratio = round(big["messages_per_second"] / ceiling_mps, 3)
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "celery_workers": options.workers, "gunicorn_workers": options.web_workers,
            "batch_size": options.batch_size, "session_parallelism": options.parallelism,
            "transport_concurrency": options.transport_concurrency, "transport_rate_limit": options.rate,
            "simulator_latency_ms": options.latency_ms, "simulator_throughput_mps": options.sim_throughput,
            "quick": options.quick, "big": options.big,
        },
        "ceiling_messages_per_second": ceiling_mps,
        "ratio_to_ceiling": ratio,
        "ceiling": ceiling,
        "scenarios": {s["scenario"]: s for s in scenarios},
        "scenario3_throughput": series,
        "method": {
            "messages_per_second": "SENT broadcasts / (last successful ATTEMPT log created_at - first session "
                                   "created_at): API accept to the log row committed",
            "latency": "per message: its ATTEMPT log created_at - its session created_at",
            "queries_per_message": "SQL statements counted by a Django execute wrapper in every gunicorn and Celery "
                                   "worker process (bench/querycount.py), divided by the scenario's recipients",
            "peak_worker_rss_mb": "max over 0.2 s samples of the summed VmRSS of the Celery process group",
            "rate_limit": "simulator arrival times per phone number, between the 10th and 90th percentile",
            "ceiling": "bare aiohttp client posting the same template straight to the simulator at "
                       "workers x min(batch, transport concurrency) requests in flight",
        },
    }


def chart(series: dict, path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed (make install-dev); no chart")
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


def write(results: dict, *, series: dict | None, out_dir: Path, docs: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "latest.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(out_dir / "latest.json")
    if series:
        big = next(k for k in results["scenarios"] if k.startswith("3_"))
        drawn = chart(series, out_dir / CHART, f"Scenario 3 ({big}): throughput over time")
        if drawn and docs:
            DOCS_CHART.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out_dir / CHART, DOCS_CHART)
    if docs:
        DOCS.write_text(markdown(results))


def _fmt(value, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.0f}"
    return f"{value}{suffix}"


def markdown(results: dict) -> str:
    m, s = results["machine"], results["settings"]
    rows = []
    for result in results["scenarios"].values():
        errors = result.get("errors", {})
        error_count = sum(v for k, v in errors.items() if isinstance(v, int) and not isinstance(v, bool))
        if errors.get("timed_out"):
            error_count = f"{error_count} (timed out)"
        if result.get("accept_seconds") is not None:
            throughput = f"ingest {_fmt(result['recipients_per_second'])} recipients/s"
            first = f"202 after {_fmt(result['accept_seconds'], ' s')}"
        else:
            throughput = _fmt(result["messages_per_second"])
            first = _fmt(result.get("time_to_first_send_seconds"), " s")
        rows.append(
            f"| {result['scenario']} | {result['messages']:,} | {throughput} | {first} | "
            f"{_fmt(result.get('latency_p50_seconds'), ' s')} | {_fmt(result.get('latency_p99_seconds'), ' s')} | "
            f"{_fmt(result.get('peak_worker_rss_mb'), ' MB')} | {_fmt(result.get('queries_per_message'))} | "
            f"{error_count} |"
        )
    rate_rows = []
    for result in results["scenarios"].values():
        for limit, f in result.get("rate_limits", {}).items():
            rate_rows.append(f"| {limit}/s | {f['messages']:,} | {_fmt(f['steady_rate'])}/s | "
                             f"{_fmt(f['error_percent'])} % | {'yes' if f.get('within_5_percent') else 'no'} |")
    ceiling = results.get("ceiling") or {}
    lines = [
        "# Benchmark",
        "",
        "Issue #9: can the gateway keep up with Meta's top tier (1,000 messages/s per number) on a 2-core",
        "machine, with every attempt logged in PostgreSQL? `make bench` answers with measurements; nothing here",
        "is asserted by the test suite.",
        "",
        "## Running it",
        "",
        "```sh",
        "make bench                          # all scenarios, about 3-5 minutes",
        "make bench BENCH_ARGS=--quick       # smoke: scenario 1 with 20 messages + a small ceiling run",
        "make bench BENCH_ARGS=--big         # scenario 3 with 100,000 messages",
        "make bench BENCH_ARGS='--only 3,4'  # some scenarios; see `python -m bench.run --help`",
        "```",
        "",
        "It needs PostgreSQL on `postgres://postgres@127.0.0.1:5432` and RabbitMQ on",
        "`amqp://guest:guest@127.0.0.1:5672//` (override with `BENCH_PG_URL` / `BENCH_BROKER_URL`). It creates",
        "and drops the database `whatsapp_gateway_bench`, uses its own queue `bench-<random>` (deleted at the end),",
        "starts the simulator, gunicorn and Celery workers in their own process groups and stops them at the end.",
        "Results: `bench/results/latest.json` and `bench/results/scenario3_throughput.png`; this page is rewritten.",
        "",
        "## Scenarios",
        "",
        "1. 100 messages in one session.",
        "2. 10 sessions of 1,000 created at the same time.",
        "3. One session of 20,000 (`--big`: 100,000).",
        "4. Rate-limit accuracy: a transport limited to 80/s and one to 500/s, sending at the same time.",
        "5. Ingest: `POST /api/v1/sessions` with 100,000 recipients (time to 202; the session is then cancelled).",
        "6. CSV ingest: the same with the 100,000 recipients as a CSV upload (`multipart/form-data`, a phone and two "
        "param columns): upload, parsing, every row validated and COPY, until 202.",
        "",
        "## How it is measured",
        "",
    ]
    lines += [f"- **{key}**: {text}." for key, text in results["method"].items()]
    lines += [
        "",
        f"## Latest results ({results['started_at']})",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, {m['postgresql_client']}. Everything (PostgreSQL, RabbitMQ, simulator, gunicorn, "
        "workers, the harness) shares these CPUs.",
        "",
        f"Stack: {s['celery_workers']} Celery worker processes, {s['gunicorn_workers']} gunicorn workers, "
        f"BATCH_SIZE {s['batch_size']}, SESSION_PARALLELISM {s['session_parallelism']}, transport concurrency "
        f"{s['transport_concurrency']} and rateLimit {_fmt(s['transport_rate_limit'])}/s (scenarios 1-3), simulator "
        f"latency {_fmt(s['simulator_latency_ms'])} ms and throughput limit {_fmt(s['simulator_throughput_mps'])}/s.",
        "",
        "| scenario | messages | msg/s end to end | first send | p50 | p99 | peak worker RSS | queries/msg | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    if rate_rows:
        lines += [
            "Rate-limit accuracy (scenario 4, achieved rate over the steady part):",
            "",
            "| limit | messages | achieved | error | within 5 % |",
            "|---|---:|---:|---:|---|",
            *rate_rows,
            "",
        ]
    if ceiling:
        lines += [
            f"Ceiling: a bare aiohttp client sending {ceiling['messages']:,} of the same requests straight to the "
            f"simulator with {ceiling['concurrency']} in flight reached **{_fmt(ceiling['messages_per_second'])} "
            f"msg/s**; the gateway's scenario 3 is **{_fmt(results['ratio_to_ceiling'])}** of that.",
            "",
        ]
    if results.get("scenario3_throughput"):
        lines += [
            f"Throughput over time for scenario 3 (one-second bins; also `bench/results/{CHART}`):",
            "",
            f"![Scenario 3 throughput over time](img/{DOCS_CHART.name})",
            "",
        ]
    return "\n".join(lines)
