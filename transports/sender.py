"""Many requests in flight from sync code: one process-wide asyncio loop in a daemon thread.

Sessions (aiohttp ClientSession + TCPConnector, keep-alive pooled) are kept per transport id and
config hash and reused across batches. The loop is re-created after a fork (Celery prefork)
because a loop, its thread and its sockets do not survive one.
"""

import asyncio
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

from transports import network

_MAX_READ = 256 * 1024
_MAX_SESSIONS = 64


@dataclass
class PreparedRequest:
    """One request ready to leave: what the engine rendered for one Outgoing."""

    key: object
    method: str
    url: str
    headers: dict
    body: bytes | None
    send_at: float = 0.0


@dataclass
class RawAnswer:
    """What came back (or didn't): the engine classifies it."""

    key: object
    http_status: int | None = None
    body: str = ""
    headers: dict = field(default_factory=dict)
    network_error: str = ""
    refused: str = ""  # the request could not be formed (nothing left): a permanent problem of this message
    timed_out: bool = False  # sent, no answer in time: the provider may have it
    duration_ms: int = 0


class _GuardedResolver(AbstractResolver):
    """DNS answers that point at private addresses are dropped (unless allow-listed): no rebinding."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        answers = await self._inner.resolve(host, port, family)
        if network._allow_listed(host.lower(), port):
            return answers
        safe = [answer for answer in answers if not network.address_refused(answer["host"])]
        if not safe:
            raise OSError(f"host {host} resolves only to addresses that are not globally routable")
        return safe

    async def close(self) -> None:
        await self._inner.close()


class _LoopThread:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.sessions: dict[tuple, aiohttp.ClientSession] = {}
        self.thread = threading.Thread(target=self._run, name="transports-sender", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


_lock = threading.Lock()
_current: _LoopThread | None = None


def _loop_thread() -> _LoopThread:
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid() or not _current.thread.is_alive():
            _current = _LoopThread()
        return _current


def _session(runner: _LoopThread, session_key: tuple, *, concurrency: int, timeouts: dict) -> aiohttp.ClientSession:
    """The pooled session for this transport+config (runs on the loop thread)."""
    session = runner.sessions.get(session_key)
    if session is not None and not session.closed:
        return session
    transport_id = session_key[0]
    for old_key in [k for k in runner.sessions if k[0] == transport_id]:  # config changed: drop the old pool
        runner.loop.create_task(runner.sessions.pop(old_key).close())
    if len(runner.sessions) >= _MAX_SESSIONS:
        oldest = next(iter(runner.sessions))
        runner.loop.create_task(runner.sessions.pop(oldest).close())
    connector = aiohttp.TCPConnector(
        limit=concurrency, limit_per_host=concurrency, ttl_dns_cache=60, resolver=_GuardedResolver(),
        keepalive_timeout=30,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=float(timeouts["connect"]), sock_read=float(timeouts["read"])
        ),
        auto_decompress=True,
        skip_auto_headers=("User-Agent",),
        headers={"User-Agent": "whatsapp-gateway"},
    )
    runner.sessions[session_key] = session
    return session


class _Spacing:
    """Keeps the gaps between a batch's slots when it runs late.

    A request that waited for a free connection (slow answers fill the pool) leaves no sooner
    after the previous one than their slots are apart, so catching up never bursts above the rate.
    """

    def __init__(self) -> None:
        self.last_left = self.last_slot = 0.0

    async def wait(self, slot: float) -> None:
        at = max(time.time(), slot, self.last_left + (slot - self.last_slot))
        self.last_left, self.last_slot = at, slot
        if at > time.time():
            await asyncio.sleep(at - time.time())


async def _send_one(
    session: aiohttp.ClientSession, gate: asyncio.Semaphore, spacing: _Spacing, request: PreparedRequest
) -> RawAnswer:
    delay = request.send_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    async with gate:
        await spacing.wait(request.send_at)
        started = time.perf_counter()
        answer = RawAnswer(key=request.key)
        try:
            async with session.request(
                request.method, request.url, headers=request.headers, data=request.body, allow_redirects=False,
            ) as response:
                raw = await response.content.read(_MAX_READ)
                answer.http_status = response.status
                answer.body = raw.decode(response.charset or "utf-8", errors="replace")
                answer.headers = {"Retry-After": response.headers.get("Retry-After", "")}
        except TimeoutError:
            answer.network_error = "Timeout waiting for the provider (the message may still have been sent)"
            answer.timed_out = True
        except (aiohttp.InvalidURL, ValueError, UnicodeError, TypeError) as error:
            # Raised before anything is written: only this request is unsendable, never its batch.
            answer.refused = f"Request refused before sending: {type(error).__name__}: {error}"
        except aiohttp.ClientError as error:
            answer.network_error = f"Network error: {type(error).__name__}: {error}"
        except OSError as error:
            answer.network_error = f"Network error: {error}"
        answer.duration_ms = int((time.perf_counter() - started) * 1000)
        return answer


_DONE = object()


async def _send_all(runner, session_key, concurrency, timeouts, requests, arrived: queue.SimpleQueue) -> None:
    session = _session(runner, session_key, concurrency=concurrency, timeouts=timeouts)
    gate, spacing = asyncio.Semaphore(concurrency), _Spacing()

    async def send_and_report(request: PreparedRequest) -> None:
        arrived.put(await _send_one(session, gate, spacing, request))

    await asyncio.gather(*(send_and_report(request) for request in requests))


def send_prepared_stream(
    requests: list[PreparedRequest], *, session_key: tuple, concurrency: int, timeouts: dict,
) -> Iterator[list[RawAnswer]]:
    """Send every request (each not before its send_at) and yield the answers as they arrive.

    Each chunk holds every answer that came back while the caller handled the previous one, so
    a caller that records each chunk leaves only the requests still on the wire unrecorded.
    """
    if not requests:
        return
    runner = _loop_thread()
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    future = asyncio.run_coroutine_threadsafe(
        _send_all(runner, session_key, concurrency, timeouts, requests, arrived), runner.loop
    )
    future.add_done_callback(lambda _: arrived.put(_DONE))
    done = False
    while not done:
        chunk = [arrived.get()]
        while True:
            try:
                chunk.append(arrived.get_nowait())
            except queue.Empty:
                break
        done = chunk[-1] is _DONE
        answers = [answer for answer in chunk if answer is not _DONE]
        if answers:
            yield answers
    future.result()  # re-raises what broke the loop itself, if anything did


def config_hash(config: dict) -> str:
    return str(hash(json.dumps(config, sort_keys=True, default=str)))
