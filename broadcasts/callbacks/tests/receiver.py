"""A callback receiver for tests: a small aiohttp server in a thread, on a port that survives a restart.

    with CallbackReceiver() as receiver:
        callback_create(app=app, url=receiver.url)
        ...
        receiver.events()  # every event received, in arrival order
        receiver.down()    # stops listening (connection refused) until receiver.up()
"""

import asyncio
import json
import socket
import threading

from aiohttp import web


class CallbackReceiver:
    def __init__(self, status: int = 200):
        self.status = status  # what it answers while up
        self.text = ""  # its answer's body ("" : "ok", or "not now" for a status that is not 2xx)
        self.requests: list[dict] = []  # {"headers", "body" (raw bytes)}
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/events?token=receivers-own"
        self.host = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name=f"receiver:{self.port}")
        self._thread.start()
        self._runner = None
        self.up()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self._lock:
            self.requests.append({"headers": dict(request.headers), "body": body})
        return web.Response(status=self.status, text=self.text or ("ok" if self.status < 300 else "not now"))

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def up(self) -> None:
        async def start():
            app = web.Application()
            app.router.add_post("/events", self._handle)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

        self._run(start())

    def down(self) -> None:
        if self._runner is not None:
            self._run(self._runner.cleanup())
            self._runner = None

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [request["body"] for request in self.requests]

    def events(self) -> list[dict]:
        return [event for body in self.bodies() for event in json.loads(body)["events"]]

    def close(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> "CallbackReceiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
