"""schemathesis over the live API: generated requests, valid and invalid, against what the schema promises.

The gateway answers on pytest-django's live server; schemathesis runs in its own process against it. No
request leaves the machine: the server's name lookups answer only for loopback, so Meta (and any address a
generated transport names) is unreachable, as in every test.
"""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from transports.testing import SMS, make_transport

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# The checks (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
# negative_data_rejection, ignored_auth, missing_required_header, unsupported_method) and the budget are there.
CONFIG = Path(__file__).with_name("schemathesis.toml")
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture
def loopback_only(monkeypatch):
    """Name lookups in this process (the live server's) answer for loopback only: nothing leaves the machine."""
    lookup = socket.getaddrinfo

    def loopback_getaddrinfo(host, *args, **kwargs):
        if str(host) not in LOOPBACK and not str(host).startswith("127."):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: not looked up in the tests")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_getaddrinfo)


def test_the_live_api_keeps_every_promise_of_its_schema(live_server, app_and_key, loopback_only, settings, tmp_path):
    app, key = app_and_key
    settings.TRANSPORT_ALLOWED_HOSTS = []
    make_transport(app=app, name="sms", config=SMS)  # id 1 in the schema's examples
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG), "--no-color", "run",
        f"{live_server.url}/api/schema/?format=json",
        "--header", f"Authorization: Api-Key {key}",
        "--request-timeout", "20",
    ]
    try:
        # In tmp_path: schemathesis and hypothesis keep their caches in the working directory.
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"schemathesis did not finish in {timeout.timeout} s:\n{(timeout.stdout or b'')[-4000:]}")
    report = done.stdout[-12000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "Tested: 33" in report, report  # it ran over every operation
