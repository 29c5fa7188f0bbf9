"""Test helpers for transports: one transport factory, a WhatsApp Cloud config, a fake provider.

Importable from any app's tests (test modules and conftest.py files import nothing from each other).
Like simulator/testing.py, nothing here runs in the product.
"""

import asyncio
import json
import threading
import time

from aiohttp import web

from transports.models import Transport
from transports.secrets import secrets_encrypt
from transports.services import transport_create
from transports.whatsapp.preset import whatsapp_cloud_config

# Where the tests' WhatsApp transports point when no simulator runs (an address the URL guard allows).
SIMULATOR_URL = "http://127.0.0.1:8001"
PHONE_NUMBER_ID = "100000000000001"
BUSINESS_ACCOUNT_ID = "200000000000001"
# A generic transport's whole config, as an integrator posts one (an SMS gateway's JSON API).
SMS = {"request": {"url": "https://sms.example.com/send", "body": {"to": "{%address%}", "text": "{%message.content%}"}}}
ACCESS_TOKEN = "tok-SECRET-123"  # noqa: S105 — a test token, found by the redaction tests


def wa_config(phone_number_id: str = PHONE_NUMBER_ID, *, base_url: str = SIMULATOR_URL, **overrides) -> dict:
    """A full WhatsApp Cloud config (Meta's preset) for one phone number, pointing at `base_url`."""
    return {
        **whatsapp_cloud_config(
            phone_number_id=phone_number_id, business_account_id=BUSINESS_ACCOUNT_ID, base_url=base_url
        ),
        **overrides,
    }


def generic_config(base_url: str, *, path: str = "ok", **overrides) -> dict:
    """A generic JSON API config aimed at `base_url/v1/send/path`, with an access token secret in a header.

    Under /v, so the URL guard's default allow-list (the simulator's Graph paths) lets it be stored.
    """
    return {
        "request": {
            "url": f"{{%transport.config.baseUrl%}}/v1/send/{path}?to={{%address%}}",
            "headers": {"Authorization": "Bearer {%secrets.accessToken%}"},
            "body": {"to": "{%address%}", "text": "{%message.content%}", "name": "{%recipient.params.name%}"},
        },
        "baseUrl": base_url,
        "phoneStrictness": "possible",
        **overrides,
    }


def make_transport(
    base_url: str = SIMULATOR_URL, *, app=None, whatsapp: bool = False, phone_number_id: str = PHONE_NUMBER_ID,
    path: str = "ok", pk: int = 1, name: str | None = None, secrets: dict | None = None, config: dict | None = None,
    **overrides,
) -> Transport:
    """The one way tests make a transport: a generic JSON API one, with `whatsapp` Meta's preset, or `config`.

    With `app` it is stored through `transport_create` (validated and encrypted as the API stores it);
    without, it is an unsaved Transport (primary key `pk`) for engine tests that need no database.
    `overrides` are config keys; `secrets` default to an access token (none for a whole `config` given).
    """
    if config is not None:
        config, secrets = {**config, **overrides}, secrets or {}
    elif whatsapp:
        config = wa_config(phone_number_id, base_url=base_url, **overrides)
    else:
        config = generic_config(base_url, path=path, **overrides)
    secrets = {"accessToken": ACCESS_TOKEN} if secrets is None else secrets
    name = name or ("wa" if whatsapp else "t")
    if app is not None:
        return transport_create(app=app, name=name, config=config, secrets=secrets)
    return Transport(pk=pk, name=name, config=config, encrypted_secrets=secrets_encrypt(secrets))


class FakeProvider:
    """A small aiohttp server in a thread that answers like Meta (or breaks like a network)."""

    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.received: list[dict] = []
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests the server held at once
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        assert self.ready.wait(5)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(
            {
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "body": json.loads(body) if body else None,
                "at": time.time(),
            }
        )
        if self.latency:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(self.latency)
            self.in_flight -= 1
        mode = request.path.rsplit("/", 1)[-1]
        if mode == "throttled":
            error = {
                "message": "(#130429) Rate limit hit",
                "type": "OAuthException",
                "code": 130429,
                "error_data": {"details": "Cloud API message throughput has been reached."},
            }
            return web.json_response({"error": error}, status=400)
        if mode == "auth":
            error = {"message": "Error validating access token: Session has expired", "code": 190, "error_subcode": 463}
            return web.json_response({"error": error}, status=401)
        if mode.startswith("fail-"):  # fail-<HTTP status>-<error code>: any provider's error answer
            _, status, code = mode.split("-", 2)
            return web.json_response({"error": {"message": f"Error {code}", "code": int(code)}}, status=int(status))
        if mode == "down":
            return web.Response(status=502, text="bad gateway")
        if mode == "slow":
            await asyncio.sleep(1)
        if mode == "echo-secret":
            return web.json_response({"messages": [{"id": "wamid.1"}], "seen": request.headers.get("Authorization")})
        return web.json_response({"messages": [{"id": f"wamid.{len(self.received)}"}]})

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
