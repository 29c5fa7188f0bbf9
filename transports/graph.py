"""Graph API management calls (templates, media) for a WhatsApp transport: one short synchronous request.

Sends go through the batch sender; these calls are rare and human-paced, so a `requests` session
with the same URL and connect-time guard, timeouts and redaction is enough.
"""

from dataclasses import dataclass

import requests

from transports.defaults import TIMEOUTS
from transports.models import Transport
from transports.network import UnsafeURLError, guarded_session, url_check
from transports.secrets import transport_secrets

_http = guarded_session()


@dataclass(frozen=True)
class GraphAnswer:
    ok: bool
    http_status: int | None
    body: dict
    error_code: str = ""
    error_title: str = ""
    error_details: str = ""

    def describe(self) -> str:
        if self.ok:
            return "OK"
        parts = [self.error_code and f"Meta error {self.error_code}", self.error_title, self.error_details]
        return " - ".join(p for p in parts if p) or f"HTTP {self.http_status}"


def _redirect_title(response) -> str:
    if 300 <= response.status_code < 400:
        return f"HTTP {response.status_code} redirect, not followed: Graph API answers directly"
    return ""


def graph_request(
    transport: Transport, method: str, path: str, *, params: dict | None = None, json: dict | None = None,
    files: dict | None = None, data: dict | None = None,
) -> GraphAnswer:
    """Call `{baseUrl}/{apiVersion}/{path}` with the transport's access token; never raises for HTTP errors."""
    config = transport.config
    url = f"{config['baseUrl'].rstrip('/')}/{config['apiVersion']}/{path.lstrip('/')}"
    try:
        url_check(url)
    except UnsafeURLError as error:
        return GraphAnswer(ok=False, http_status=None, body={}, error_title=f"Refused URL: {error}")
    token = transport_secrets(transport).get("accessToken", "")
    timeouts = config.get("timeouts") or {}
    try:
        response = _http.request(
            method, url, params=params, json=json, files=files, data=data,
            headers={"Authorization": f"Bearer {token}"},
            timeout=(timeouts.get("connect", TIMEOUTS["connect"]), timeouts.get("read", TIMEOUTS["read"])),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return GraphAnswer(ok=False, http_status=None, body={}, error_title=f"Network error: {type(error).__name__}")
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        body = {}
    if 200 <= response.status_code < 300:  # a redirect is not an answer: it was not followed, so not read
        return GraphAnswer(ok=True, http_status=response.status_code, body=body if isinstance(body, dict) else {})
    error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
    error_data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    # Template refusals explain themselves in error_user_title/msg ("Variables can't be at the start…").
    user_text = ": ".join(str(error[k]) for k in ("error_user_title", "error_user_msg") if error.get(k))
    return GraphAnswer(
        ok=False, http_status=response.status_code, body=body if isinstance(body, dict) else {},
        error_code=str(error.get("code", "")),
        error_title=str(error.get("message", "") or _redirect_title(response))[:255],
        error_details=str(error_data.get("details") or user_text)[:500],
    )
