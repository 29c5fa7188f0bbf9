"""Running the simulator in the foreground: shared by `manage.py run_simulator` and `python -m simulator`."""

import argparse
import asyncio
import signal
import socket
import sys

from aiohttp import web

from .config import SimulatorConfig
from .server import build_app

# Enough for 600+ concurrent clients opening connections at once.
LISTEN_BACKLOG = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=8001, help="Port to listen on (default 8001).")
    parser.add_argument("--config", metavar="FILE", help="JSON file with simulator options (see docs/simulator.md).")
    parser.add_argument("--callback-url", metavar="URL", help="Where status and template webhooks are POSTed.")
    parser.add_argument("--latency-ms", type=float, help="Latency added to every Graph API answer, in ms.")
    parser.add_argument("--throughput", type=float, help="Messages per second allowed per phone number (default 80).")
    parser.add_argument("--seed", type=int, help="Seed for fault decisions, so runs repeat exactly.")
    parser.add_argument("--access-log", action="store_true", help="Log every request (off by default: it is slow).")


def config_from_options(options: dict) -> SimulatorConfig:
    return SimulatorConfig.load(
        options.get("config"),
        callback_url=options.get("callback_url"),
        latency_ms=options.get("latency_ms"),
        throughput_mps=options.get("throughput"),
        seed=options.get("seed"),
    )


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), backlog=LISTEN_BACKLOG, reuse_port=False)
    sock.setblocking(False)
    return sock


async def start_site(app: web.Application, sock: socket.socket, *, access_log: bool = False) -> web.AppRunner:
    runner = web.AppRunner(
        app, access_log=web.access_logger if access_log else None, handle_signals=False, shutdown_timeout=1.0
    )
    await runner.setup()
    await web.SockSite(runner, sock, backlog=LISTEN_BACKLOG).start()
    return runner


def serve(config: SimulatorConfig, *, host: str, port: int, access_log: bool = False, out=sys.stdout) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly (pending webhook POSTs are cancelled)."""

    def say(line: str) -> None:
        # Works for sys.stdout and Django's OutputWrapper alike (which adds its own line ending).
        out.write(line + "\n")
        out.flush()

    async def main() -> None:
        sock = bind_socket(host, port)
        runner = await start_site(build_app(config), sock, access_log=access_log)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound_host, bound_port = sock.getsockname()[:2]
        say(f"Meta Cloud API simulator listening on http://{bound_host}:{bound_port}")
        if config.callback_url:
            say(f"Webhooks go to {config.callback_url}")
        await stop.wait()
        say("Stopping the simulator.")
        await runner.cleanup()

    asyncio.run(main())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Meta WhatsApp Cloud API simulator.")
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    serve(config_from_options(options), host=options["host"], port=options["port"], access_log=options["access_log"])
