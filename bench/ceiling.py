"""The ceiling: a bare aiohttp client posting pre-built template sends straight to the simulator.

The gateway's throughput is read against it, measured in the same run at the same latency and concurrency.
"""

import asyncio
import json
import time

from bench.common import TEMPLATE, percentile, round3
from bench.stack import PHONE_IDS


def ceiling_run(url: str, total: int, concurrency: int, *, prebuilt: bool = False) -> dict:
    """`prebuilt`: one body formatted once, only the number swapped in per request (the cheapest client);
    otherwise each body is built with json.dumps, as the harness's first ceiling did."""
    return asyncio.run(_ceiling(url, total, concurrency, prebuilt=prebuilt))


async def _ceiling(url: str, total: int, concurrency: int, *, prebuilt: bool) -> dict:
    import aiohttp

    endpoint = f"{url}/v23.0/{PHONE_IDS['throughput']}/messages"
    headers = {"Authorization": "Bearer demo-access-token", "Content-Type": "application/json"}
    body = {"messaging_product": "whatsapp", "to": "", "type": "template",
            "template": {"name": TEMPLATE["templateName"], "language": {"code": TEMPLATE["language"]}}}
    template = json.dumps({**body, "to": "RECIPIENT"}).encode()
    numbers = iter(range(total))
    statuses: dict = {}
    latencies: list[float] = []

    async def worker(session) -> None:
        for n in numbers:
            number = f"1555{90 + n // 100_000:02d}{n % 100_000:05d}"
            if prebuilt:
                payload = template.replace(b"RECIPIENT", number.encode())
            else:
                payload = json.dumps({**body, "to": number})
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
        "messages": total, "concurrency": concurrency, "prebuilt_bodies": prebuilt, "ok": ok,
        "elapsed_seconds": round(elapsed, 3),
        "messages_per_second": round(ok / elapsed, 1), "statuses": {str(k): v for k, v in statuses.items()},
        "latency_p50_seconds": round3(percentile(latencies, 0.5)),
        "latency_p99_seconds": round3(percentile(latencies, 0.99)),
    }


