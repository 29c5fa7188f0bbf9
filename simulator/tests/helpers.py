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


def assert_meta_error(response, code: int, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert error["error_data"]["details"]
    assert error["fbtrace_id"]
    return error


# Template parts for the button and offer tests.
BODY = {"type": "BODY", "text": "Hi {{1}}, see what is new.", "example": {"body_text": [["Ana"]]}}
LTO = {"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "Ends soon!", "has_expiration": True}}
OFFER_BUTTONS = {"type": "BUTTONS", "buttons": [
    {"type": "COPY_CODE", "example": "SPRING25"},
    {"type": "URL", "text": "Shop", "url": "https://shop.example.com/{{1}}", "example": ["https://shop.example.com/a"]},
]}


def approved(graph, sim, name: str, buttons: list[dict], *, category: str = "MARKETING",
             components: list[dict] | None = None) -> None:
    """Create a template at the simulator and approve it now, as Meta's review would."""
    payload = {"name": name, "language": "en_US", "category": category,
               "components": components or [BODY, {"type": "BUTTONS", "buttons": buttons}]}
    created = graph.create_template(payload)
    assert created.status_code == 200, created.text
    changed = requests.post(f"{sim.base_url}/_sim/templates/status", json={"name": name, "status": "APPROVED"},
                            timeout=5)
    assert changed.status_code == 200


def card(handle: str = "4::aW1hZ2U=") -> dict:
    return {"components": [
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
        {"type": "BODY", "text": "Fresh {{1}} today.", "example": {"body_text": [["apples"]]}},
        {"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Tell me more"},
            {"type": "URL", "text": "Buy", "url": "https://shop.example.com/p/{{1}}",
             "example": ["https://shop.example.com/p/1"]},
        ]},
    ]}
