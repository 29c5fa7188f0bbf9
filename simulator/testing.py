"""The simulator inside a test process: a background thread with its own event loop, on a free port.

    with start_simulator(callback_url=url) as sim:
        transport = make_transport(base_url=sim.base_url)
        ...
        assert sim.messages(to="14155550123")[0]["template"] == "hello_world"
"""

import asyncio
import threading
from typing import Any

from .config import SimulatorConfig
from .runner import bind_socket, start_site
from .server import STATE, build_app
from .state import SimulatorState

STARTUP_TIMEOUT_S = 10.0


class RunningSimulator:
    """A simulator served from a daemon thread; every method is safe to call from the test's thread."""

    def __init__(self, config: SimulatorConfig):
        self._app = build_app(config)
        self._state: SimulatorState = self._app[STATE]
        self._socket = bind_socket("127.0.0.1", 0)
        self.host, self.port = self._socket.getsockname()[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner = None
        self._thread = threading.Thread(target=self._serve, name=f"simulator:{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT_S):
            raise RuntimeError("the simulator did not start in time")

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start():
            self._runner = await start_site(self._app, self._socket)
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def _call(self, function, *args):
        """Run `function` on the simulator's loop (the only thread that touches its state) and return the result."""
        async def run():
            return function(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    @property
    def config(self) -> SimulatorConfig:
        return self._state.config

    def configure(self, **changes: Any) -> SimulatorConfig:
        """Same as PATCH /_sim/config; raises ValueError on an unknown option."""
        return self._call(self._state.configure, changes)

    def reset(self) -> None:
        """Same as POST /_sim/reset: start-up config, seeded templates, nothing received."""
        self._call(self._state.reset)

    def messages(self, **filters: str) -> list[dict]:
        """Every recorded send matching the filters (to, phone_number_id, type, template, language, status, wamid,
        endpoint)."""
        return self._call(lambda: [dict(row) for row in self._state.query_messages(filters, limit=0)[1]])

    def arrivals(self) -> list[dict]:
        """Every send request in arrival order: `at` (epoch seconds, before any latency), `to`, `status` answered."""
        return self._call(lambda: [dict(row) for row in self._state.arrivals])

    def stats(self) -> dict:
        return self._call(self._state.stats)

    def webhook_deliveries(self) -> list[dict]:
        return self._call(lambda: list(self._state.webhooks.deliveries))

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> "RunningSimulator":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def start_simulator(config: SimulatorConfig | None = None, **overrides: Any) -> RunningSimulator:
    """Start a simulator on 127.0.0.1 and a free port; `overrides` are SimulatorConfig fields."""
    base = config or SimulatorConfig()
    return RunningSimulator(base.with_changes(overrides) if overrides else base)
