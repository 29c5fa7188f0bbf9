"""Measure how many sends per second the simulator accepts, and the server CPU each one costs.

    python -m simulator.measure                                  # starts its own simulator (200 ms latency)
    python -m simulator.measure --url http://127.0.0.1:8001      # measures one already running

Each request sends the `order_confirmation` template to a different recipient (so the pair limit
never triggers). A simulator it starts itself has its throughput limit raised out of the way; one
given by `--url` must be started with a throughput high enough not to answer 130429.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager

import aiohttp


async def _send_all(endpoint: str, token: str, total: int, concurrency: int) -> tuple[float, Counter]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    statuses: Counter = Counter()
    counter = iter(range(total))
    template = json.dumps({
        "messaging_product": "whatsapp", "to": "RECIPIENT", "type": "template",
        "template": {"name": "order_confirmation", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": v} for v in ("Ana", "B-1042", "today")]}
        ]},
    }).encode()

    async def worker(session: aiohttp.ClientSession) -> None:
        for n in counter:
            # Formatting one pre-built body keeps the client cheap: on 2 cores it competes with the server for CPU.
            body = template.replace(b"RECIPIENT", f"1555{n:08d}".encode())
            try:
                async with session.post(endpoint, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1
            except aiohttp.ClientError as exc:
                statuses[type(exc).__name__] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


@contextmanager
def _own_simulator(latency_ms: float):
    """A simulator in a child process on a free port, as `python -m simulator` runs it: (url, pid)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--latency-ms", str(latency_ms),
         "--throughput", "1000000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(url: str, pid: int | None, *, total: int, concurrency: int, phone_number_id: str, token: str,
            version: str) -> str:
    endpoint = f"{url.rstrip('/')}/{version}/{phone_number_id}/messages"
    # A short warm-up, so connection set-up is not part of the figure.
    asyncio.run(_send_all(endpoint, token, min(total, concurrency * 2), concurrency))
    cpu_before = _cpu_seconds(pid)
    elapsed, statuses = asyncio.run(_send_all(endpoint, token, total, concurrency))
    cpu_after = _cpu_seconds(pid)
    accepted = statuses.get(200, 0)
    line = (f"{total} requests, concurrency {concurrency}: {elapsed:.2f} s, "
            f"{accepted / elapsed:,.0f} accepted sends/s ({dict(statuses)})")
    if cpu_before is not None and cpu_after is not None and accepted:
        cpu = cpu_after - cpu_before
        line += (f"; simulator CPU {cpu:.2f} s = {cpu / accepted * 1e6:,.0f} µs per send, "
                 f"so one core serves about {accepted / cpu:,.0f} sends/s")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure accepted sends per second of the Meta simulator.")
    parser.add_argument("--url", help="a running simulator (default: start one with --latency-ms)")
    parser.add_argument("--pid", type=int, help="with --url: the simulator's process id, to report its CPU per send")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="latency of the simulator started here")
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--concurrency", type=int, default=800)
    parser.add_argument("--phone-number-id", default=os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "100000000000001"))
    parser.add_argument("--token", default=os.environ.get("WHATSAPP_ACCESS_TOKEN", "demo-access-token"))
    parser.add_argument("--version", default="v23.0")
    options = parser.parse_args()
    settings = dict(total=options.requests, concurrency=options.concurrency,
                    phone_number_id=options.phone_number_id, token=options.token, version=options.version)
    if options.url:
        print(measure(options.url, options.pid, **settings))
        return
    with _own_simulator(options.latency_ms) as (url, pid):
        print(f"simulator started with --latency-ms {options.latency_ms:g} --throughput 1000000")
        print(measure(url, pid, **settings))


if __name__ == "__main__":
    main()
