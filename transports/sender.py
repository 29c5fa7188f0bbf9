"""Many requests in flight from sync code: one process-wide asyncio loop in a daemon thread.

Sessions (aiohttp ClientSession + TCPConnector, keep-alive pooled) are kept per transport id and
config hash and reused across batches. The loop is re-created after a fork (Celery prefork)
because a loop, its thread and its sockets do not survive one.
"""

import asyncio
import collections
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

from transports import network

logger = logging.getLogger("gateway.sender")

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
    not_sent: str = ""  # never left: its slot passed and the shared schedule had no new one soon enough
    duration_ms: int = 0
    requested_at: float | None = None  # Unix time the request was handed to the connection


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


# A request that cannot leave within this many seconds of its slot gives the slot up and takes a
# new one, instead of catching up: at most this much of one second's sending can bunch together.
LATE_AFTER_SECONDS = 0.01
RESERVE_TIMEOUT_SECONDS = 30.0
RETAKES = 3

# count → (first new slot, slots per second, how many were given: fewer once the batch's horizon is reached)
Reserve = Callable[[int], tuple[float, float, int]]


class _Pacer:
    """Hands the batch's slots out in order to the requests as they get a connection, and waits for each.

    A slot more than LATE_AFTER_SECONDS in the past (the worker stalled, or the request waited for a
    connection) is never caught up by bursting: it is dropped, and the requests that find only such
    slots left take new ones, all those waiting at once, from `reserve` (the transport's shared
    schedule, so two late batches never send in the same seconds); so does a request whose process
    woke up late for its slot. Once `reserve` gives fewer slots than asked (the batch's horizon),
    the requests left without one are not sent. Without `reserve` the new slots follow this batch's
    own spacing.
    """

    def __init__(self, slots: list[float], reserve: Callable[[int], Awaitable[list[float]]] | None) -> None:
        self.slots = collections.deque(sorted(slots))
        ordered = list(self.slots)
        self.interval = (ordered[-1] - ordered[0]) / (len(ordered) - 1) if len(ordered) > 1 else 0.0
        self.reserve = reserve
        self.lock = asyncio.Lock()
        self.waiting = 0  # requests that have a connection and want a slot now
        self.fresh = 0  # leading slots just reserved for the waiting ones: never dropped as late
        self.closed = False  # the shared schedule gave fewer slots than asked: the rest are not sent
        self.last = 0.0

    async def wait(self) -> bool:
        """Until this request's slot (False: none is left for it); one missed while sleeping is given up too."""
        for _ in range(RETAKES):
            slot = await self._take()
            if slot is None:
                return False
            if slot > time.time():
                await asyncio.sleep(slot - time.time())
            if time.time() - slot <= LATE_AFTER_SECONDS:
                return True
        return True  # still late after a few new slots: the process is starved, and waiting would not help

    async def _take(self) -> float | None:
        self.waiting += 1
        try:
            async with self.lock:
                if not self.fresh:
                    while self.slots and self.slots[0] < time.time() - LATE_AFTER_SECONDS:
                        self.slots.popleft()
                if not self.slots and not self.closed:
                    wanted = self.waiting
                    self.slots.extend(await self._new_slots(wanted))
                    self.fresh = len(self.slots)
                    self.closed = self.fresh < wanted  # the schedule has nothing more for this batch
                if not self.slots:
                    return None
                slot = self.last = self.slots.popleft()
                self.fresh = max(0, self.fresh - 1)
                return slot
        finally:
            self.waiting -= 1

    async def _new_slots(self, count: int) -> list[float]:
        if self.reserve is not None:
            try:
                return await asyncio.wait_for(self.reserve(count), RESERVE_TIMEOUT_SECONDS)
            except Exception as error:  # noqa: BLE001 — the batch's own spacing below still keeps the pace
                logger.warning("no new slots from the shared schedule: %s", error)
        first = max(time.time(), self.last + self.interval)
        return [first + index * self.interval for index in range(count)]


async def _send_one(session: aiohttp.ClientSession, gate: asyncio.Semaphore, pacer: _Pacer, request: PreparedRequest
                    ) -> RawAnswer:
    delay = request.send_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    async with gate:
        if not await pacer.wait():
            return RawAnswer(key=request.key, not_sent="Not sent: its slot passed and no new one was free soon enough")
        started = time.perf_counter()
        answer = RawAnswer(key=request.key, requested_at=time.time())
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


@dataclass
class _SlotsWanted:
    """Asked of the calling thread, which owns the database connection the shared schedule lives in."""

    count: int
    future: asyncio.Future


_DONE = object()


async def _send_all(
    runner, session_key, concurrency, timeouts, requests, arrived: queue.SimpleQueue, shared: bool
) -> None:
    session = _session(runner, session_key, concurrency=concurrency, timeouts=timeouts)

    async def reserve(count: int) -> list[float]:
        wanted = _SlotsWanted(count=count, future=runner.loop.create_future())
        arrived.put(wanted)
        return await wanted.future

    gate = asyncio.Semaphore(concurrency)
    pacer = _Pacer([request.send_at for request in requests], reserve if shared else None)

    async def send_and_report(request: PreparedRequest) -> None:
        arrived.put(await _send_one(session, gate, pacer, request))

    await asyncio.gather(*(send_and_report(request) for request in requests))


def send_prepared_stream(
    requests: list[PreparedRequest], *, session_key: tuple, concurrency: int, timeouts: dict,
    reserve: Reserve | None = None,
) -> Iterator[list[RawAnswer]]:
    """Send every request at its slot (its send_at) and yield the answers as they arrive.

    Each chunk holds every answer that came back while the caller handled the previous one, so
    a caller that records each chunk leaves only the requests still on the wire unrecorded.
    Requests that miss their slot take new ones from `reserve(count)` → (first, rate, granted), called
    in this (the caller's) thread; one that gets none comes back `not_sent`. Without `reserve`, late
    requests keep the batch's own spacing.
    """
    if not requests:
        return
    runner = _loop_thread()
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    future = asyncio.run_coroutine_threadsafe(
        _send_all(runner, session_key, concurrency, timeouts, requests, arrived, reserve is not None), runner.loop
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
        for wanted in [item for item in chunk if isinstance(item, _SlotsWanted)]:
            _slots_give(runner, wanted, reserve)
        answers = [answer for answer in chunk if isinstance(answer, RawAnswer)]
        if answers:
            yield answers
    future.result()  # re-raises what broke the loop itself, if anything did


def _slots_give(runner: _LoopThread, wanted: _SlotsWanted, reserve: Reserve) -> None:
    try:
        first, rate, granted = reserve(wanted.count)
        slots, error = [first + index / rate for index in range(granted)], None
    except Exception as failure:  # noqa: BLE001 — handed to the waiting request, which falls back
        slots, error = None, failure

    def settle() -> None:
        if wanted.future.done():
            return
        if error is None:
            wanted.future.set_result(slots)
        else:
            wanted.future.set_exception(error)

    runner.loop.call_soon_threadsafe(settle)


def config_hash(config: dict) -> str:
    return str(hash(json.dumps(config, sort_keys=True, default=str)))
