"""The benchmark: `python -m bench.run [--quick] [--big] [--huge] [--only 7,3]` (or `make bench BENCH_ARGS=...`).

Starts PostgreSQL database + simulator + gunicorn + Celery workers (bench/stack.py), runs the scenarios
(bench/options.py lists them; the round trip is bench/roundtrip.py, 8-10 bench/scale.py, the huge session
bench/huge.py), measures from the database, and writes bench/results/latest.json, the charts and
docs/benchmark.md (bench/report.py).
"""

import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

from bench.ceiling import ceiling_run
from bench.common import TEMPLATE, cpu_delta, load_during, machine_cpu, percentile, recipients, round3, steady_rate
from bench.huge import scenario_huge
from bench.ingest import ingest_csv, ingest_json
from bench.options import parse_args
from bench.roundtrip import scenario_round_trip
from bench.scale import MULTI_NUMBERS, MULTI_RATE, scenario_multi_number, scenario_scale_out, scenario_zero_setup
from bench.stack import PHONE_IDS, WABA_ID, Stack

SENT_LIKE = ("SENT", "DELIVERED", "READ")


class Bench:
    def __init__(self, stack: Stack, options) -> None:
        self.stack, self.options = stack, options
        self.http = requests.Session()
        self.key = ""
        self.transports: dict[str, int] = {}

    # ------------------------------------------------------------------ setup
    def setup(self) -> None:
        os.environ.update(self.stack.env)
        import django

        django.setup()
        from whatsapp_gateway.services import app_create

        _, self.key = app_create(name="bench")
        self.http.headers["Authorization"] = f"Api-Key {self.key}"
        plan = [("throughput", self.options.rate), ("rate_a", 80), ("rate_b", 500)]
        if not self.options.zero_setup:
            plan += [(name, MULTI_RATE) for name in MULTI_NUMBERS]
        for name, rate in plan:
            self.transports[name] = self._transport(name, PHONE_IDS[name], rate)
        # Warm-up: sync templates once per transport so no scenario pays for it.
        for transport_id in self.transports.values():
            self.api("post", "/api/v1/templates/sync", {"transport": transport_id}, expect=(200, 201, 202))

    def _transport(self, name: str, phone_id: str, rate: float) -> int:
        body = {"name": f"bench-{name}", "whatsapp_cloud": {
            "phone_number_id": phone_id, "business_account_id": WABA_ID, "access_token": "demo-access-token",
            "app_secret": "demo-app-secret", "verify_token": "demo-verify-token", "base_url": self.stack.sim_url,
            "api_version": "v23.0", "phone_strictness": "possible", "rate_limit": rate,
            "concurrency": self.options.transport_concurrency,
        }}
        return self.api("post", "/api/v1/transports", body, expect=(201,))["id"]

    def api(self, method: str, path: str, body=None, expect=(200,)):
        response = self.http.request(method, f"{self.stack.web_url}{path}", json=body, timeout=600)
        if response.status_code not in expect:
            raise RuntimeError(f"{method.upper()} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else {}

    def session_create(self, transport: str, numbers: list[str]) -> str:
        body = {"transport": self.transports[transport], "message": {"meta": TEMPLATE}, "recipients": numbers}
        return self.api("post", "/api/v1/sessions", body, expect=(201, 202))["id"]

    def sim(self, method: str, path: str):
        response = requests.request(method, f"{self.stack.sim_url}{path}", timeout=120)
        response.raise_for_status()
        return response.json()

    def sim_configure(self, changes: dict) -> None:
        requests.patch(f"{self.stack.sim_url}/_sim/config", json=changes, timeout=30).raise_for_status()

    # ------------------------------------------------------------------ measuring
    def wait_done(self, session_ids: list[str], timeout: float) -> bool:
        from broadcasts.models import Session

        deadline = time.time() + timeout
        while time.time() < deadline:
            self.stack._check_alive()
            if not Session.objects.filter(pk__in=session_ids, status__in=Session.RUNNING).exists():
                return True
            time.sleep(0.25)
        return False

    def measure(self, name: str, session_ids: list[str], *, wall_seconds: float, queries: int,
                timed_out: bool, api_errors: int = 0) -> dict:
        """The figures for a scenario whose sessions are done, from PostgreSQL."""
        from broadcasts.models import Broadcast, BroadcastLog, Session

        sessions = {s.pk: s for s in Session.objects.filter(pk__in=session_ids)}
        created = {pk: s.created_at for pk, s in sessions.items()}
        start = min(created.values())
        logs = list(
            BroadcastLog.objects.filter(session_id__in=session_ids, kind="ATTEMPT")
            .values_list("session_id", "created_at", "response_status")
        )
        ok_logs = [(sid, at) for sid, at, status in logs if status is not None and 200 <= status < 300]
        latencies = [(at - created[sid]).total_seconds() for sid, at in ok_logs]
        counts = dict.fromkeys(Broadcast.Status.values, 0)
        for status in Broadcast.objects.filter(session_id__in=session_ids).values_list("status", flat=True):
            counts[status] += 1
        sent = sum(counts.get(status, 0) for status in SENT_LIKE)  # status webhooks move SENT on
        last = max((at for _, at in ok_logs), default=None)
        first = min((at for _, at in ok_logs), default=None)
        elapsed = (last - start).total_seconds() if last else None
        first_by_session = {}
        for sid, at in ok_logs:
            first_by_session[sid] = min(at, first_by_session.get(sid, at))
        ttfs = [(at - created[sid]).total_seconds() for sid, at in first_by_session.items()]
        total = sum(counts.values())
        return {
            "scenario": name,
            "sessions": len(session_ids),
            "messages": total,
            "sent": sent,
            "messages_per_second": round(sent / elapsed, 1) if elapsed else None,
            "elapsed_seconds": round(elapsed, 3) if elapsed else None,
            "wall_seconds": round(wall_seconds, 3),
            "time_to_first_send_seconds": round((first - start).total_seconds(), 3) if first else None,
            "time_to_first_send_seconds_max_per_session": round(max(ttfs), 3) if ttfs else None,
            "latency_p50_seconds": round3(percentile(latencies, 0.50)),
            "latency_p99_seconds": round3(percentile(latencies, 0.99)),
            "latency_mean_seconds": round3(statistics.fmean(latencies) if latencies else None),
            "peak_worker_rss_mb": self.stack.samplers["workers"].peak_mb(),
            "peak_web_rss_mb": self.stack.samplers["web"].peak_mb(),
            "queries": queries,
            "queries_per_message": round(queries / total, 3) if total else None,
            "attempts": len(logs),
            "errors": {
                "failed_attempts": len(logs) - len(ok_logs),
                "not_sent": total - sent,
                "by_status": {k: v for k, v in counts.items() if v and k not in SENT_LIKE},
                "failed_by_code": self._failed_by_code(session_ids),
                "api_errors": api_errors,
                "timed_out": timed_out,
            },
            "session_status": sorted({s.status for s in sessions.values()}),
        }

    @staticmethod
    def _failed_by_code(session_ids: list[str]) -> dict:
        from django.db.models import Count

        from broadcasts.models import Broadcast

        rows = Broadcast.objects.filter(session_id__in=session_ids, status="FAILED").values_list("error_code") \
            .annotate(n=Count("id")).values_list("error_code", "n")
        return {code or "?": n for code, n in rows}

    def run_sessions(self, name: str, batches: list[tuple[str, list[str]]], timeout: float) -> tuple[dict, list]:
        """Create the sessions (concurrently when several), wait until they finish, measure."""
        from concurrent.futures import ThreadPoolExecutor

        self.stack.samplers["workers"].reset()
        self.stack.samplers["web"].reset()
        queries_before, cpu_before = self.stack.queries(), self.stack.cpu()
        started = time.time()
        with ThreadPoolExecutor(max_workers=len(batches)) as pool:
            ids = list(pool.map(lambda batch: self.session_create(*batch), batches))
        timed_out = not self.wait_done(ids, timeout)
        wall = time.time() - started
        time.sleep(0.3)  # the last task's counter file is written right after it returns
        result = self.measure(name, ids, wall_seconds=wall, queries=self.stack.queries() - queries_before,
                              timed_out=timed_out)
        result["cpu_seconds"] = cpu_delta(cpu_before, self.stack.cpu())
        return result, ids

    def throughput_series(self, session_ids: list[str], bin_seconds: float = 1.0, *, phone: str = "throughput",
                          simulator: bool = True) -> dict:
        """Messages committed (log rows) and accepted by the simulator per bin since the session started."""
        from broadcasts.models import BroadcastLog, Session

        start = min(Session.objects.filter(pk__in=session_ids).values_list("created_at", flat=True))
        committed = [(at - start).total_seconds() for at in BroadcastLog.objects.filter(
            session_id__in=session_ids, kind="ATTEMPT", response_status__lt=300).values_list("created_at", flat=True)]
        received = [m["received_at"] - start.timestamp() for m in self.sim(
            "get", f"/_sim/messages?limit=0&phone_number_id={PHONE_IDS[phone]}")["data"]] if simulator else []
        received = [t for t in received if t >= 0]

        def bins(values: list[float]) -> list[int]:
            out = [0] * (int(max(values, default=0) / bin_seconds) + 1)
            for value in values:
                out[int(value / bin_seconds)] += 1
            return out

        return {"bin_seconds": bin_seconds, "committed": bins(committed),
                "simulator_accepted": bins(received) if simulator else []}

    # ------------------------------------------------------------------ scenarios
    def scenario_small(self) -> dict:
        count = 20 if self.options.quick else 100
        result, _ = self.run_sessions("1_single_session_100", [("throughput", recipients(21, count))], timeout=60)
        return result

    def scenario_concurrent(self) -> dict:
        batches = [("throughput", recipients(30 + n, 1000)) for n in range(10)]
        result, _ = self.run_sessions("2_ten_sessions_of_1000", batches, timeout=180)
        return result

    def scenario_big(self) -> tuple[dict, dict]:
        count = 100_000 if self.options.big else 20_000
        self.sim("post", "/_sim/reset")
        result, ids = self.run_sessions(f"3_single_session_{count}", [("throughput", recipients(40, count))],
                                        timeout=count / 100 + 60)
        return result, self.throughput_series(ids)

    def scenario_rate_limits(self) -> dict:
        seconds = self.options.rate_seconds
        self.sim("post", "/_sim/reset")
        plan = {"rate_a": 80, "rate_b": 500}
        batches = [(name, recipients(50 + n, int(rate * seconds))) for n, (name, rate) in enumerate(plan.items())]
        if self.options.rate_concurrent:
            result, _ = self.run_sessions("4_rate_limit_accuracy_concurrent", batches, timeout=seconds * 3 + 60)
        else:  # one transport at a time: each limit measured on its own
            parts = [self.run_sessions(f"4_rate_limit_{plan[name]}", [(name, numbers)], timeout=seconds * 3 + 60)[0]
                     for name, numbers in batches]
            result = {**parts[0], "scenario": "4_rate_limit_accuracy", "parts": parts}
            result["messages"] = sum(part["messages"] for part in parts)
            result["sent"] = sum(part["sent"] for part in parts)
            result["messages_per_second"] = None  # the two limits are read below, not one rate
        result["rate_limits"] = {}
        for name, limit in plan.items():
            times = sorted(m["received_at"] for m in self.sim(
                "get", f"/_sim/messages?limit=0&phone_number_id={PHONE_IDS[name]}")["data"])
            result["rate_limits"][str(limit)] = steady_rate(times, limit)
        return result

    def scenario_ingest(self) -> dict:
        return ingest_json(self)

    def scenario_csv_ingest(self) -> dict:
        return ingest_csv(self)

    def steps(self) -> dict:
        return {
            "1": self.scenario_small, "2": self.scenario_concurrent, "3": self.scenario_big,
            "4": self.scenario_rate_limits, "5": self.scenario_ingest, "6": self.scenario_csv_ingest,
            "7": lambda: scenario_round_trip(self), "8": lambda: scenario_multi_number(self),
            "9": lambda: scenario_scale_out(self), "10": lambda: scenario_zero_setup(self),
            "huge": lambda: scenario_huge(self),
        }

# ---------------------------------------------------------------------------------------------- main
def stack_for(options, log_dir: Path) -> Stack:
    """The stack the options describe (not started)."""
    extra_env = {}
    if "huge" in options.scenarios:  # one session above the default 100,000 per session, as one CSV upload
        extra_env = {"MAX_RECIPIENTS_PER_SESSION": str(max(100_000, options.huge_recipients)),
                     "MAX_REQUEST_BYTES": str(max(20, options.huge_recipients // 20_000) * 2**20)}
    return Stack(workers=options.workers, pg_url=options.pg_url, broker_url=options.broker_url,
                 db_name=options.db_name, batch_size=options.batch_size, parallelism=options.parallelism,
                 latency_ms=options.latency_ms, sim_throughput=options.sim_throughput,
                 web_workers=options.web_workers, log_dir=log_dir, event_workers=options.event_workers,
                 zero_setup=options.zero_setup, extra_env=extra_env)


def main(argv=None) -> int:
    from bench import report

    options = parse_args(argv, description=__doc__.splitlines()[0])
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    stack = stack_for(options, log_dir)
    started = datetime.now().astimezone()
    scenarios, series, ceilings, load = [], {}, {}, {}
    print(f"bench: logs in {log_dir}", flush=True)
    # A plain `kill` of the harness still stops the stack it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        stack.start()
        machine_before, stack_before, clock = machine_cpu(), stack.cpu(), time.time()
        bench = Bench(stack, options)
        bench.setup()
        steps = bench.steps()
        for number in options.scenarios:
            if number == "10":
                continue  # a stack of its own, once this one is stopped
            print(f"bench: scenario {number} ...", flush=True)
            outcome = steps[number]()
            if number in ("3", "7"):
                outcome, series[number] = outcome
            scenarios.append(outcome)
            print("   ", report.one_line(outcome), flush=True)
        if not options.no_ceiling:
            concurrency = options.workers * min(options.batch_size, options.transport_concurrency)
            total = 2_000 if options.quick else 20_000
            for name, prebuilt in (("harness", False), ("prebuilt", True)):
                print(f"bench: ceiling ({name} bare aiohttp client, concurrency {concurrency}) ...", flush=True)
                bench.sim("post", "/_sim/reset")
                ceilings[name] = ceiling_run(stack.sim_url, total, concurrency, prebuilt=prebuilt)
                print(f"    {ceilings[name]['messages_per_second']} msg/s {ceilings[name]['statuses']}", flush=True)
        used = sum(cpu_delta(stack_before, stack.cpu()).values())
        load = load_during(machine_before, machine_cpu(), bench_cpu_seconds=used, wall_seconds=time.time() - clock)
    finally:
        stack.stop()
    if "10" in options.scenarios:
        print("bench: scenario 10 (zero-setup stack) ...", flush=True)
        scenarios.append(scenario_zero_setup(options))
        print("   ", report.one_line(scenarios[-1]), flush=True)
    results = report.build(options=options, scenarios=scenarios, ceilings=ceilings, series=series,
                           started=started, stack=stack)
    results["load"], results["conditions"] = load, options.conditions
    report.write(results, series=series, out_dir=Path(options.out), docs=not options.no_docs)
    print(f"bench: wrote {options.out}/latest.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
