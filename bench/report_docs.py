"""docs/benchmark.md from a bench run's results (bench/report.py): only what that run measured."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmark.md"
CHART = "scenario3_throughput.png"
DOCS_CHART = ROOT / "docs" / "img" / "benchmark-scenario3.png"
BACKLOG_CHART = "round_trip_backlog.png"
DOCS_BACKLOG_CHART = ROOT / "docs" / "img" / "benchmark-round-trip.png"
PROFILE = "profile.json"  # written by bench/pyprofile.py

SCENARIO_TEXT = [
    "1. 100 messages in one session.",
    "2. 10 sessions of 1,000 created at the same time.",
    "3. One session of 20,000 (`--big`: 100,000).",
    "4. Rate-limit accuracy: a transport limited to 80/s and one to 500/s, each on its own.",
    "5. Ingest: `POST /api/v1/sessions` with 100,000 recipients (time to 202; the session is then cancelled).",
    "6. CSV ingest: the same with the 100,000 recipients as a CSV upload (`multipart/form-data`, a phone and two "
    "param columns): upload, parsing, every row validated and COPY, until 202.",
    "7. **Round trip** (first, and the default of `make bench`): scenario 3 with the simulator's status webhooks "
    "on (sent, delivered and read for every message, at `--status-delays`) posted to the gateway's webhook URL, "
    "and a callback endpoint registered (every event, `--callback-batch-size` per POST) on a small aiohttp "
    "receiver in the harness that checks each signature and counts the events.",
    "8. `multi_number`: four transports limited to 500 msg/s each, one session of each at the same time.",
    "9. `scale_out`: the sends workers restarted with 1, 2, 4 and 8 processes (`--scale-workers`), one session "
    "of 10,000 each.",
    "10. The zero-setup stack: scenario 1 on `make run`'s defaults (SQLite and the filesystem broker; 2 sends "
    "worker processes, 1 events worker, 1 web worker), beside the PostgreSQL + RabbitMQ figure.",
    "- `--huge`: one session of 1,000,000 recipients (`--huge-recipients N` for fewer) uploaded as a CSV, then "
    "sent: ingest time, msg/s in ten-second bins, the workers' RSS over time, queries per message, table sizes.",
]


def _fmt(value, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{suffix}"


def _scenario_rows(results: dict) -> list[str]:
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
            throughput = _fmt(result.get("messages_per_second"))
            first = _fmt(result.get("time_to_first_send_seconds"), " s")
        rows.append(
            f"| {result['scenario']} | {_fmt(result['messages'])} | {throughput} | {first} | "
            f"{_fmt(result.get('latency_p50_seconds'), ' s')} | {_fmt(result.get('latency_p99_seconds'), ' s')} | "
            f"{_fmt(result.get('peak_worker_rss_mb'), ' MB')} | {_fmt(result.get('queries_per_message'))} | "
            f"{error_count} |"
        )
    return rows


def _conditions(results: dict) -> list[str]:
    m, s, load = results["machine"], results["settings"], results.get("load") or {}
    lines = [
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, {m['postgresql_client']}. Everything (PostgreSQL, RabbitMQ, simulator, gunicorn, "
        "workers, the harness) shares these CPUs.",
        "",
    ]
    if load:
        lines += [
            f"Load during the run ({_fmt(load.get('wall_seconds'), ' s')}): the machine's CPUs were "
            f"{_fmt(load.get('machine_busy_percent'), ' %')} busy on average; the benchmark's own processes "
            f"(and every `postgres` / `beam.smp` process, which other work on this machine shares) account for "
            f"{_fmt(load.get('bench_busy_percent'), ' %')}, so other work used about "
            f"{_fmt(load.get('other_busy_percent'), ' %')}. Load average at start {load.get('loadavg_start')}, "
            f"at end {load.get('loadavg_end')}.",
            "",
        ]
    if results.get("conditions"):
        lines += [f"Conditions noted for this run: {results['conditions']}", ""]
    lines += [
        f"Stack: {s['celery_workers']} sends worker processes, {s.get('event_workers', '–')} events worker "
        f"processes (webhooks, housekeeping, callbacks), {s['gunicorn_workers']} gunicorn workers, BATCH_SIZE "
        f"{s['batch_size']}, SESSION_PARALLELISM {s['session_parallelism']}, transport concurrency "
        f"{s['transport_concurrency']} and rateLimit {_fmt(s['transport_rate_limit'])}/s (scenarios 1-3, 7, 9), "
        f"simulator latency {_fmt(s['simulator_latency_ms'])} ms and throughput limit "
        f"{_fmt(s['simulator_throughput_mps'])}/s. Scenarios run: {', '.join(s.get('scenarios', []))}.",
        "",
    ]
    return lines


def _targets(results: dict) -> list[str]:
    rows = [f"| {t['target']} | {t['goal']} | {_fmt(t['measured'])} | "
            f"{'–' if t['met'] is None else ('met' if t['met'] else 'not met')} |" for t in results.get("targets", [])]
    if not rows:
        return []
    return ["## Targets against this run", "",
            "The targets of the performance issue, read from this run (– : not measured in it).", "",
            "| target | goal | measured | |", "|---|---|---:|---|", *rows, ""]


def _round_trip(results: dict) -> list[str]:
    rt = results.get("round_trip")
    if not rt:
        return []
    cfg = rt.get("settings", {})
    cb = rt.get("callbacks", {})
    lines = [
        "## Round trip",
        "",
        f"{_fmt(rt['messages'])} messages; the simulator sent sent/delivered/read at "
        f"{cfg.get('status_delays_s')} s after accepting each, up to {cfg.get('webhook_batch_size')} statuses of "
        f"one number per webhook POST with {cfg.get('webhook_concurrency')} POSTs in flight; the callback endpoint "
        f"took {cfg.get('callback_batch_size')} events per POST. (Meta may also send one status per request: "
        "`--webhook-batch-size 1` measures that.)",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| outbound msg/s | {_fmt(rt.get('messages_per_second'))} |",
        f"| webhook POSTs answered | {_fmt(rt.get('webhook_posts'))} |",
        f"| webhook answer p50 / p90 / p99 / max | {_fmt(rt.get('webhook_p50_seconds'), ' s')} / "
        f"{_fmt(rt.get('webhook_p90_seconds'), ' s')} / {_fmt(rt.get('webhook_p99_seconds'), ' s')} / "
        f"{_fmt(rt.get('webhook_max_seconds'), ' s')} |",
        f"| every status applied, after the last send | {_fmt(rt.get('statuses_applied_within_seconds'), ' s')} |",
        f"| every callback delivered, after the last send | "
        f"{_fmt(rt.get('callbacks_delivered_within_seconds'), ' s')} |",
        f"| every status applied, after the simulator's last webhook | "
        f"{_fmt(rt.get('statuses_applied_after_last_webhook_seconds'), ' s')} |",
        f"| every callback delivered, after the simulator's last webhook | "
        f"{_fmt(rt.get('callbacks_delivered_after_last_webhook_seconds'), ' s')} |",
        f"| peak webhook POSTs stored, not yet processed | {_fmt(rt.get('peak_webhook_events_pending'))} |",
        f"| peak callback events not yet delivered | {_fmt(rt.get('peak_callbacks_pending'))} |",
        f"| callback POSTs / events received / bad signatures | {_fmt(cb.get('posts'))} / {_fmt(cb.get('events'))} "
        f"/ {_fmt(cb.get('bad_signatures'))} |",
        "",
    ]
    if not rt.get("drained"):
        lines += ["**The backlog did not drain within the harness's wait (180 s after the session ended).**", ""]
    if DOCS_BACKLOG_CHART.name in results.get("charts", []):
        lines += [f"![Round trip: outbound and backlog over time](img/{DOCS_BACKLOG_CHART.name})", ""]
    return lines


def _multi_and_rates(results: dict) -> list[str]:
    lines = []
    rate_rows = [
        f"| {limit}/s | {_fmt(f['messages'])} | {_fmt(f['steady_rate'])}/s | {_fmt(f['error_percent'])} % | "
        f"{_fmt(f.get('within_5_percent'))} |"
        for result in results["scenarios"].values() for limit, f in result.get("rate_limits", {}).items()
    ]
    if rate_rows:
        lines += ["Rate-limit accuracy (scenario 4, achieved rate over the steady part):", "",
                  "| limit | messages | achieved | error | within 5 % |", "|---|---:|---:|---:|---|", *rate_rows, ""]
    multi = results.get("multi_number")
    if multi:
        rows = [f"| {name} | {_fmt(f['messages'])} | {_fmt(f['steady_rate'])}/s | {_fmt(f['error_percent'])} % | "
                f"{_fmt(f.get('within_5_percent'))} |" for name, f in multi["transports"].items()]
        lines += [
            f"Several numbers at once (scenario 8): four transports limited to {_fmt(multi['limit_per_transport'])}"
            f"/s each, together **{_fmt(multi['together_messages_per_second'])} msg/s**:", "",
            "| transport | messages | achieved | error | within 5 % |", "|---|---:|---:|---:|---|", *rows, "",
        ]
    return lines


def _ceiling(results: dict) -> list[str]:
    lines = []
    for key, ratio_key, label in (("ceiling", "ratio_to_ceiling", "building each body with json.dumps"),
                                  ("prebuilt_ceiling", "ratio_to_prebuilt_ceiling", "with pre-built bodies")):
        ceiling = results.get(key)
        if ceiling:
            lines.append(
                f"- A bare aiohttp client {label}, {_fmt(ceiling['messages'])} requests straight to the simulator "
                f"with {ceiling['concurrency']} in flight: **{_fmt(ceiling['messages_per_second'])} msg/s**; "
                f"scenario 3 is **{_fmt(results.get(ratio_key))}** of that.")
    return ["## Ceiling", "", *lines, ""] if lines else []


def _cpu(results: dict) -> list[str]:
    lines = []
    for profile in results.get("cpu_profile", {}).values():
        rows = [f"| {name} | {_fmt(p['cpu_seconds'])} | {_fmt(p['us_per_message'])} | {_fmt(p['cores_busy'])} | "
                f"{_fmt(p['share_percent'], ' %')} |" for name, p in profile["processes"].items()]
        lines += [
            f"{profile['scenario']}: {_fmt(profile['messages'])} messages in {_fmt(profile['wall_seconds'], ' s')}, "
            f"the machine's CPUs {_fmt(profile['machine_cpu_percent'], ' %')} busy with these processes:", "",
            "| process | CPU s | µs per message | cores busy | share |", "|---|---:|---:|---:|---:|", *rows, "",
        ]
    if not lines:
        return []
    return ["## Where the CPU goes", "",
            "CPU seconds per process group over the scenario (`postgres` and `beam.smp` count every process of "
            "that name on the machine, so other work using PostgreSQL or RabbitMQ at the time is included).", "",
            *lines]


def _scale_out(results: dict) -> list[str]:
    scale = results.get("scale_out")
    if not scale:
        return []
    rows = []
    for p in scale["points"]:
        busiest = sorted(p["cores_busy"].items(), key=lambda item: -item[1])[:3]
        rows.append(f"| {p['workers']} | {_fmt(p['messages_per_second'])} | {_fmt(p['latency_p99_seconds'], ' s')} |"
                    f" {_fmt(p['machine_cpu_percent'], ' %')} | {_fmt(p.get('machine_busy_percent'), ' %')} | "
                    f"{', '.join(f'{name} {cores}' for name, cores in busiest)} |")
    first = scale.get("saturates_first", {})
    lines = [
        "## Scale out", "",
        f"One session of {_fmt(scale['messages_per_point'])} per point, the sends workers restarted with each "
        "process count:", "",
        "| worker processes | msg/s | p99 | CPU of the benchmark's processes | CPU of the machine (all work) | "
        "busiest processes (cores) |", "|---:|---:|---:|---:|---:|---|",
        *rows, "",
    ]
    if first:
        lines += [
            f"Best: {first['best_workers']} processes at {_fmt(first['best_messages_per_second'])} msg/s, the "
            f"benchmark's processes using {_fmt(first['machine_cpu_percent_at_best'], ' %')} of the CPUs and all "
            f"work on the machine {_fmt(first.get('machine_busy_percent_at_best'), ' %')}; the busiest process "
            f"group there was `{first['busiest_process']}` ({_fmt(first['busiest_process_cores'])} cores). "
            + ("The CPUs are what saturates first on this machine: more processes only share them."
               if first.get("cpu_bound") else "The CPUs were not saturated at the best point."), "",
        ]
    profile = results.get("cpu_profile", {}).get("scenario_3")
    if profile:
        pg = profile["processes"].get("postgres", {}).get("us_per_message")
        mq = profile["processes"].get("rabbitmq", {}).get("us_per_message")
        lines += [
            "Many machines: sends workers keep no state of their own (sessions, broadcasts and the pace of "
            "each transport are rows in PostgreSQL; batches are RabbitMQ messages), so more hosts add sending "
            "processes against one PostgreSQL and one RabbitMQ, and the sends workers' own CPU per message is "
            "what each added core buys. In scenario 3 PostgreSQL used "
            f"{_fmt(pg, ' µs')} and RabbitMQ {_fmt(mq, ' µs')} of CPU per message (every process of those "
            "names on this machine), so on CPU alone one core of each would carry about "
            f"{_fmt(round(1e6 / pg) if pg else None)} and {_fmt(round(1e6 / mq) if mq else None)} msg/s. "
            "That is an extrapolation from one machine: disk, WAL, locks on a transport's pace row and the "
            "network between hosts were not measured, and no run on several hosts was made.", "",
        ]
    return lines


def _history(results: dict) -> list[str]:
    runs = results.get("history") or []
    if len(runs) < 2:
        return []
    rows = [f"| {run['started_at']} | {_fmt(run.get('scenario3_messages_per_second'))} | "
            f"{_fmt(run.get('ratio_to_prebuilt_ceiling'))} | {_fmt(run.get('round_trip_messages_per_second'))} | "
            f"{_fmt(run.get('round_trip_webhook_p99_seconds'), ' s')} | "
            f"{_fmt(run.get('round_trip_callbacks_delivered_within_seconds'), ' s')} | "
            f"{_fmt(run.get('other_busy_percent'), ' %')} |" for run in runs]
    s3 = [run["scenario3_messages_per_second"] for run in runs if run.get("scenario3_messages_per_second")]
    spread = f" Scenario 3 ranged from {_fmt(min(s3))} to {_fmt(max(s3))} msg/s." if s3 else ""
    return ["## Spread over runs", "",
            f"The last {len(runs)} full runs kept in `bench/results/{'history.jsonl'}` (this one last), with how "
            f"much of the machine other work used meanwhile.{spread}", "",
            "| run | scenario 3 msg/s | / bare client | round trip msg/s | webhook p99 | callbacks drained after |"
            " other work |", "|---|---:|---:|---:|---:|---:|---:|", *rows, ""]


def _zero_and_huge(results: dict) -> list[str]:
    lines = []
    zero = results.get("zero_setup")
    if zero:
        lines += [
            "## The zero-setup stack", "",
            "| stack | scenario 1 msg/s | p99 |", "|---|---:|---:|",
            f"| PostgreSQL + RabbitMQ | {_fmt(zero.get('postgresql_rabbitmq_messages_per_second'))} | "
            f"{_fmt(zero.get('postgresql_rabbitmq_latency_p99_seconds'), ' s')} |",
            f"| SQLite + filesystem broker (`make run`) | {_fmt(zero.get('messages_per_second'))} | "
            f"{_fmt(zero.get('latency_p99_seconds'), ' s')} |", "",
        ]
    huge = results.get("huge")
    if huge:
        sizes = [f"| {table} | {_fmt(f['rows_estimate'])} | {_fmt(f['table_mb'], ' MB')} | "
                 f"{_fmt(f['indexes_mb'], ' MB')} |" for table, f in huge.get("table_sizes", {}).items()]
        lines += [
            f"## One session of {_fmt(huge['recipients'])}", "",
            f"Ingest (CSV upload to 202): {_fmt(huge['ingest_seconds'], ' s')}; sending "
            f"{_fmt(huge['messages_per_second'])} msg/s; rate of the last quarter over the first: "
            f"{_fmt(huge.get('rate_drift_last_over_first_quarter'))}; worker RSS growth "
            f"{_fmt(huge.get('rss_growth_ratio'))}; {_fmt(huge.get('queries_per_message'))} queries per message.", "",
            "| table | rows | table | indexes |", "|---|---:|---:|---:|", *sizes, "",
        ]
    return lines


def _python_profile(profile: dict | None) -> list[str]:
    if not profile:
        return []
    lines = [
        "## Where the Python time goes", "",
        f"From `make bench-profile` ({profile['started_at']}): the round trip once more, in a run of its own, "
        f"with {profile['sampler']} group ({_fmt(profile.get('messages_per_second'))} msg/s while sampled). "
        "Shares are of the samples with one of the gateway's own functions on the stack; a function counts "
        "with what it calls. *waiting for PostgreSQL* is the share spent in psycopg waiting for an answer.", "",
    ]
    for name, group in profile["groups"].items():
        if "error" in group:
            lines += [f"{name}: not sampled ({group['error']}).", ""]
            continue
        lines += [f"**{name}**: {_fmt(group['gateway_samples'])} samples, waiting for PostgreSQL "
                  f"{_fmt(group['database_wait_percent'], ' %')}.", "",
                  "| function | share |", "|---|---:|",
                  *[f"| `{row['function']}` | {_fmt(row['percent'], ' %')} |" for row in group["top"]], ""]
    return lines


def markdown(results: dict, *, profile: dict | None = None) -> str:
    lines = [
        "# Benchmark",
        "",
        "Can the gateway keep up with Meta's top tier (1,000 messages/s per number) on a 2-core machine, with every",
        "attempt logged in PostgreSQL, Meta's status webhooks flowing back and callbacks going out to an",
        "integrator? `make bench` answers with measurements; nothing here is asserted by the test suite. This page",
        "is rewritten by each run and says only what that run measured.",
        "",
        "## Running it",
        "",
        "<!-- not run: runs the benchmark on PostgreSQL and RabbitMQ for minutes; make bench -->",
        "```sh",
        "make bench                          # the round trip first, then every other scenario",
        "make bench BENCH_ARGS=--quick       # smoke: scenario 1 with 20 messages + small ceiling runs",
        "make bench BENCH_ARGS='--only 7'    # the round trip alone; see `python -m bench.run --help`",
        "make bench BENCH_ARGS=--big         # scenario 3 with 100,000 messages",
        "make bench BENCH_ARGS=--huge        # adds one session of 1,000,000 (--huge-recipients N for fewer)",
        "make bench-profile                  # the round trip again under py-spy: where the Python time goes",
        "```",
        "",
        "It needs PostgreSQL on `postgres://postgres@127.0.0.1:5432` and RabbitMQ on",
        "`amqp://guest:guest@127.0.0.1:5672//` (override with `BENCH_PG_URL` / `BENCH_BROKER_URL`). It creates",
        "and drops the database `whatsapp_gateway_bench`, uses its own queues `bench-<random>` (deleted at the end),",
        "starts the simulator, gunicorn, the sends workers and the events workers in their own process groups and",
        "stops them at the end. Scenario 10 runs a second stack of its own on SQLite and the filesystem broker.",
        "Results: `bench/results/latest.json` and the charts beside it; this page is rewritten.",
        "",
        "## Scenarios",
        "",
        *SCENARIO_TEXT,
        "",
        "## How it is measured",
        "",
        *[f"- **{key}**: {text}." for key, text in results["method"].items()],
        "",
        f"## Latest results ({results['started_at']})",
        "",
        *_conditions(results),
        "| scenario | messages | msg/s end to end | first send | p50 | p99 | peak worker RSS | queries/msg | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *_scenario_rows(results),
        "",
        *_targets(results),
        *_round_trip(results),
        *_multi_and_rates(results),
        *_ceiling(results),
        *_cpu(results),
        *_python_profile(profile),
        *_scale_out(results),
        *_zero_and_huge(results),
        *_history(results),
    ]
    if DOCS_CHART.name in results.get("charts", []):
        lines += [f"Throughput over time for scenario 3 (one-second bins; also `bench/results/{CHART}`):", "",
                  f"![Scenario 3 throughput over time](img/{DOCS_CHART.name})", ""]
    return "\n".join(lines)
