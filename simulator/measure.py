"""Measure how many sends per second a running simulator accepts.

    python -m simulator.measure --url http://127.0.0.1:8001 --requests 30000 --concurrency 800

Each request sends the `order_confirmation` template to a different recipient (so the pair
limit never triggers); start the simulator with a throughput high enough not to answer 130429.
"""

import argparse
import asyncio
import json
import os
import time
from collections import Counter

import aiohttp


async def _run(url: str, total: int, concurrency: int, phone_number_id: str, token: str, version: str) -> None:
    endpoint = f"{url.rstrip('/')}/{version}/{phone_number_id}/messages"
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
        elapsed = time.perf_counter() - started
    accepted = statuses.get(200, 0)
    print(f"{total} requests, concurrency {concurrency}: {elapsed:.2f} s, "
          f"{accepted / elapsed:,.0f} accepted sends/s ({dict(statuses)})")


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure accepted sends per second against a running simulator.")
    parser.add_argument("--url", default="http://127.0.0.1:8001")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=600)
    parser.add_argument("--phone-number-id", default=os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "100000000000001"))
    parser.add_argument("--token", default=os.environ.get("WHATSAPP_ACCESS_TOKEN", "demo-access-token"))
    parser.add_argument("--version", default="v23.0")
    options = parser.parse_args()
    asyncio.run(_run(options.url, options.requests, options.concurrency, options.phone_number_id, options.token,
                     options.version))


if __name__ == "__main__":
    main()
