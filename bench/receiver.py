"""The harness's callback receiver: a small aiohttp server in a thread that counts the gateway's events.

It answers 200 at once and keeps only counts and arrival times, so it costs the machine little; the
signature is checked on every POST (a body that does not verify is counted as `bad_signatures`).
"""

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections import Counter

from aiohttp import web


def signature_ok(header: str, body: bytes, secret: str) -> bool:
    """`t=<unix>,v1=<hex>[,v1=<hex>]`: one v1 is the HMAC-SHA256 of "<t>.<body>" with `secret`."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamp = next((value for key, value in parts if key == "t"), "")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(key == "v1" and hmac.compare_digest(value, expected) for key, value in parts)


class CallbackCounter:
    """Counts events by type; `arrivals` holds (time.time(), events in the POST) for the backlog chart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/events"
        self.secret = ""  # set once the endpoint is registered: the gateway shows it on create
        self.by_type: Counter = Counter()
        self.posts = 0
        self.bad_signatures = 0
        self.arrivals: list[tuple[float, int]] = []
        self.last_at: float | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name=f"callbacks:{port}")

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        events = json.loads(body).get("events", [])
        verified = not self.secret or signature_ok(request.headers.get("X-Gateway-Signature", ""), body, self.secret)
        now = time.time()
        with self._lock:
            self.posts += 1
            self.bad_signatures += 0 if verified else 1
            self.by_type.update(event.get("type", "?") for event in events)
            self.arrivals.append((now, len(events)))
            self.last_at = now
        return web.Response(text="ok")

    def start(self) -> "CallbackCounter":
        async def serve() -> None:
            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_post("/events", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

        self._thread.start()
        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def count(self, event_type: str | None = None) -> int:
        with self._lock:
            return self.by_type[event_type] if event_type else sum(self.by_type.values())

    def snapshot(self) -> dict:
        with self._lock:
            return {"posts": self.posts, "events": sum(self.by_type.values()), "by_type": dict(self.by_type),
                    "bad_signatures": self.bad_signatures}
