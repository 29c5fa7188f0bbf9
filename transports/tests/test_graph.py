import http.server
import threading

import pytest
import requests

from transports import graph, network
from transports.models import Transport
from transports.testing import make_transport


class _Answer:
    def __init__(self, status: int, body):
        self.status_code, self._body, self.ok = status, body, status < 400

    def json(self):
        return self._body


def _transport() -> Transport:
    return make_transport(config={"baseUrl": "https://graph.facebook.com", "apiVersion": "v23.0"},
                          secrets={"accessToken": "tok-G"})


def test_a_template_refusal_shows_metas_explanation_for_users(monkeypatch, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["graph.facebook.com"]
    error = {"message": "Invalid parameter", "code": 100, "error_subcode": 2388299,
             "error_user_title": "Variables can't be at the start or end",
             "error_user_msg": "Move the variable inside the text."}
    monkeypatch.setattr(graph._http, "request", lambda *a, **k: _Answer(400, {"error": error}))
    answer = graph.graph_request(_transport(), "POST", "1/message_templates", json={})
    assert answer.describe() == (
        "Meta error 100 - Invalid parameter - "
        "Variables can't be at the start or end: Move the variable inside the text."
    )


def test_a_non_object_answer_is_an_error_not_a_crash(monkeypatch, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = ["graph.facebook.com"]
    monkeypatch.setattr(graph._http, "request", lambda *a, **k: _Answer(502, ["bad gateway"]))
    answer = graph.graph_request(_transport(), "GET", "1/message_templates")
    assert (answer.ok, answer.describe()) == (False, "HTTP 502")


@pytest.fixture
def local_server():
    """A real HTTP server on loopback answering 200 {} to every GET."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_a_name_that_rebinds_to_loopback_after_the_url_check_is_refused_at_connect(monkeypatch, settings, local_server):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    # The URL check sees a public address; the connection then lands on loopback.
    monkeypatch.setattr(network, "host_addresses", lambda host, port: ["93.184.216.34"])
    transport = make_transport(config={"baseUrl": f"http://localhost:{local_server}", "apiVersion": "v23.0"},
                               secrets={"accessToken": "tok-G"})
    answer = graph.graph_request(transport, "GET", "1/message_templates")
    assert (answer.ok, answer.describe()) == (False, "Network error: ConnectionError")


def test_an_allow_listed_loopback_host_is_reached(settings, local_server):
    settings.TRANSPORT_ALLOWED_HOSTS = [f"localhost:{local_server}"]
    transport = make_transport(config={"baseUrl": f"http://localhost:{local_server}", "apiVersion": "v23.0"},
                               secrets={"accessToken": "tok-G"})
    answer = graph.graph_request(transport, "GET", "1/message_templates")
    assert (answer.ok, answer.http_status) == (True, 200)


def test_the_guarded_session_refuses_loopback_by_itself(settings, local_server):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    with pytest.raises(requests.ConnectionError, match="not globally routable"):
        network.guarded_session().get(f"http://127.0.0.1:{local_server}/", timeout=5)
