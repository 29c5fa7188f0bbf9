"""Issue #9 benchmark: `python -m bench.run [--quick] [--big]` (or `make bench BENCH_ARGS=...`).

Starts PostgreSQL database + simulator + gunicorn + Celery workers (bench/stack.py), runs the scenarios,
measures from the database, and writes bench/results/latest.json, the scenario-3 chart and
docs/benchmark.md (bench/report.py).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

from bench.common import TEMPLATE, cpu_delta, recipients
from bench.ingest import ingest_csv, ingest_json
from bench.stack import PHONE_IDS, WABA_ID, Stack


# ---------------------------------------------------------------------------------------------- helpers
def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


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
        for name, rate in (("throughput", self.options.rate), ("rate_a", 80), ("rate_b", 500)):
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
        sent = counts.get("SENT", 0)
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
            "latency_p50_seconds": _round(percentile(latencies, 0.50)),
            "latency_p99_seconds": _round(percentile(latencies, 0.99)),
            "latency_mean_seconds": _round(statistics.fmean(latencies) if latencies else None),
            "peak_worker_rss_mb": self.stack.samplers["workers"].peak_mb(),
            "peak_web_rss_mb": self.stack.samplers["web"].peak_mb(),
            "queries": queries,
            "queries_per_message": round(queries / total, 3) if total else None,
            "attempts": len(logs),
            "errors": {
                "failed_attempts": len(logs) - len(ok_logs),
                "not_sent": total - sent,
                "by_status": {k: v for k, v in counts.items() if v and k != "SENT"},
                "api_errors": api_errors,
                "timed_out": timed_out,
            },
            "session_status": sorted({s.status for s in sessions.values()}),
        }

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

    def throughput_series(self, session_ids: list[str], bin_seconds: float = 1.0) -> dict:
        """Messages committed (log rows) and accepted by the simulator per second since the session started."""
        from broadcasts.models import BroadcastLog, Session

        start = min(Session.objects.filter(pk__in=session_ids).values_list("created_at", flat=True))
        committed = [(at - start).total_seconds() for at in BroadcastLog.objects.filter(
            session_id__in=session_ids, kind="ATTEMPT", response_status__lt=300).values_list("created_at", flat=True)]
        received = [m["received_at"] - start.timestamp() for m in self.sim(
            "get", f"/_sim/messages?limit=0&phone_number_id={PHONE_IDS['throughput']}")["data"]]
        received = [t for t in received if t >= 0]

        def bins(values: list[float]) -> list[int]:
            out = [0] * (int(max(values, default=0) / bin_seconds) + 1)
            for value in values:
                out[int(value / bin_seconds)] += 1
            return out

        return {"bin_seconds": bin_seconds, "committed": bins(committed), "simulator_accepted": bins(received)}

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

def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def steady_rate(times: list[float], limit: float) -> dict:
    """Achieved rate over the steady part: the sends between the 10th and 90th percentile of arrival."""
    if len(times) < 10:
        return {"limit": limit, "messages": len(times), "steady_rate": None, "error_percent": None}
    low, high = int(len(times) * 0.1), int(len(times) * 0.9)
    window = times[low:high]
    rate = (len(window) - 1) / (window[-1] - window[0])
    overall = (len(times) - 1) / (times[-1] - times[0])
    return {
        "limit": limit, "messages": len(times), "steady_rate": round(rate, 2),
        "overall_rate": round(overall, 2), "error_percent": round((rate - limit) / limit * 100, 2),
        "within_5_percent": abs(rate - limit) <= 0.05 * limit,
    }


# ---------------------------------------------------------------------------------------------- ceiling
async def _ceiling(url: str, total: int, concurrency: int) -> dict:
    import aiohttp

    endpoint = f"{url}/v23.0/{PHONE_IDS['throughput']}/messages"
    headers = {"Authorization": "Bearer demo-access-token", "Content-Type": "application/json"}
    body = {"messaging_product": "whatsapp", "to": "", "type": "template",
            "template": {"name": TEMPLATE["templateName"], "language": {"code": TEMPLATE["language"]}}}
    numbers = iter(range(total))
    statuses: dict = {}
    latencies: list[float] = []

    async def worker(session) -> None:
        for n in numbers:
            payload = json.dumps({**body, "to": f"1555{90 + n // 100_000:02d}{n % 100_000:05d}"})
            sent = time.perf_counter()
            try:
                async with session.post(endpoint, data=payload, headers=headers) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            except aiohttp.ClientError as exc:
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
            latencies.append(time.perf_counter() - sent)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ok = statuses.get(200, 0)
    return {
        "messages": total, "concurrency": concurrency, "ok": ok, "elapsed_seconds": round(elapsed, 3),
        "messages_per_second": round(ok / elapsed, 1), "statuses": {str(k): v for k, v in statuses.items()},
        "latency_p50_seconds": _round(percentile(latencies, 0.5)),
        "latency_p99_seconds": _round(percentile(latencies, 0.99)),
    }


# ---------------------------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: scenario 1 (20 messages) and the ceiling")
    parser.add_argument("--big", action="store_true", help="scenario 3 sends 100,000 instead of 20,000")
    parser.add_argument("--only", default="", help="comma-separated scenario numbers to run, e.g. 1,3")
    parser.add_argument("--workers", type=int, default=4, help="Celery worker processes (default 4)")
    parser.add_argument("--web-workers", type=int, default=2)
    # The tuning docs/rate-limits.md gives for 1,000 msg/s at 200 ms latency.
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=4, help="SESSION_PARALLELISM")
    parser.add_argument("--transport-concurrency", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2000, help="rateLimit of the throughput transport (msg/s)")
    parser.add_argument("--rate-seconds", type=float, default=15, help="length of each rate-limit session")
    parser.add_argument("--rate-concurrent", action="store_true",
                        help="run the 80/s and 500/s sessions at the same time (they share the workers)")
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--sim-throughput", type=float, default=5000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL",
                                                               "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--db-name", default="whatsapp_gateway_bench")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmark.md")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    from bench import report

    options = parse_args(argv)
    wanted = {"1"} if options.quick else {"1", "2", "3", "4", "5", "6"}
    if options.only:
        wanted = set(options.only.split(","))
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    stack = Stack(workers=options.workers, pg_url=options.pg_url, broker_url=options.broker_url,
                  db_name=options.db_name, batch_size=options.batch_size, parallelism=options.parallelism,
                  latency_ms=options.latency_ms, sim_throughput=options.sim_throughput,
                  web_workers=options.web_workers, log_dir=log_dir)
    started = datetime.now().astimezone()
    scenarios, series, ceiling = [], None, None
    print(f"bench: logs in {log_dir}", flush=True)
    try:
        stack.start()
        bench = Bench(stack, options)
        bench.setup()
        steps = [("1", bench.scenario_small), ("2", bench.scenario_concurrent), ("3", bench.scenario_big),
                 ("4", bench.scenario_rate_limits), ("5", bench.scenario_ingest), ("6", bench.scenario_csv_ingest)]
        for number, step in steps:
            if number not in wanted:
                continue
            print(f"bench: scenario {number} ...", flush=True)
            outcome = step()
            if number == "3":
                outcome, series = outcome
            scenarios.append(outcome)
            print("   ", report.one_line(outcome), flush=True)
        concurrency = options.workers * min(options.batch_size, options.transport_concurrency)
        total = 2_000 if options.quick else 20_000
        print(f"bench: ceiling (bare aiohttp, concurrency {concurrency}) ...", flush=True)
        bench.sim("post", "/_sim/reset")
        ceiling = asyncio.run(_ceiling(stack.sim_url, total, concurrency))
        print(f"    {ceiling['messages_per_second']} msg/s {ceiling['statuses']}", flush=True)
    finally:
        stack.stop()
    results = report.build(options=options, scenarios=scenarios, ceiling=ceiling, series=series,
                           started=started, stack=stack)
    report.write(results, series=series, out_dir=Path(options.out), docs=not options.no_docs)
    print(f"bench: wrote {options.out}/latest.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
