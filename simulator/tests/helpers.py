"""Helpers for the simulator's tests: constants, a tiny Graph API client, payload builders, a webhook receiver."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

TOKEN = "test-token"
APP_SECRET = "test-app-secret"
PHONE_ID = "100000000000001"
WABA_ID = "200000000000001"
VERSION = "v23.0"
# Small delays keep the suite fast while still exercising the asynchronous paths.
FAST = {
    "access_tokens": [TOKEN],
    "app_secret": APP_SECRET,
    "template_approval_delay_s": 0.2,
    "status_delays_s": {"sent": 0.05, "delivered": 0.1, "read": 0.15},
    "webhook_flush_interval_s": 0.02,
    "webhook_retry_backoff_s": 0.05,
}


class Graph:
    """A tiny Graph API client bound to one simulator, so tests read like what a caller does."""

    def __init__(self, base_url: str, token: str = TOKEN):
        self.base_url = base_url
        self.token = token

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def send(self, payload: dict, phone_id: str = PHONE_ID, version: str = VERSION) -> requests.Response:
        return requests.post(f"{self.base_url}/{version}/{phone_id}/messages", json=payload, headers=self.headers(),
                             timeout=10)

    def templates(self, waba_id: str = WABA_ID, **params) -> requests.Response:
        return requests.get(f"{self.base_url}/{VERSION}/{waba_id}/message_templates", params=params,
                            headers=self.headers(), timeout=10)

    def create_template(self, payload: dict, waba_id: str = WABA_ID) -> requests.Response:
        return requests.post(f"{self.base_url}/{VERSION}/{waba_id}/message_templates", json=payload,
                             headers=self.headers(), timeout=10)

    def delete_template(self, waba_id: str = WABA_ID, **params) -> requests.Response:
        return requests.delete(f"{self.base_url}/{VERSION}/{waba_id}/message_templates", params=params,
                               headers=self.headers(), timeout=10)

    def upload(self, content: bytes, mime: str, filename: str = "file.bin", **fields) -> requests.Response:
        data = {"messaging_product": "whatsapp", "type": mime, **fields}
        return requests.post(f"{self.base_url}/{VERSION}/{PHONE_ID}/media", data=data,
                             files={"file": (filename, content, mime)}, headers=self.headers(), timeout=10)


def text_message(to: str = "14155550123", body: str = "Hello") -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


def template_message(name: str, components: list | None = None, to: str = "14155550123", language: str = "en_US"):
    template = {"name": name, "language": {"code": language}}
    if components is not None:
        template["components"] = components
    return {"messaging_product": "whatsapp", "to": to, "type": "template", "template": template}


def body_params(*values: str) -> dict:
    return {"type": "body", "parameters": [{"type": "text", "text": value} for value in values]}


class WebhookReceiver:
    """Records every POST it gets; answers `status_code` (change it to make deliveries fail)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status_code = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"body": raw, "headers": dict(self.headers), "json": json.loads(raw)})
                self.send_response(receiver.status_code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/whatsapp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def statuses(self) -> list[dict]:
        return [
            status
            for request in self.requests
            for entry in request["json"]["entry"]
            for change in entry["changes"] if change["field"] == "messages"
            for status in change["value"].get("statuses", [])
        ]

    def changes(self, field: str) -> list[dict]:
        return [
            change["value"]
            for request in self.requests
            for entry in request["json"]["entry"]
            for change in entry["changes"] if change["field"] == field
        ]

    def wait_for(self, predicate, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.02)
        raise AssertionError("the expected webhook did not arrive in time")
