"""A Python client generated from the OpenAPI schema (openapi-python-client) works against the running gateway.

The client is generated from the schema the gateway serves, imported, and used as an integrator would:
create a transport and a session, list the session's broadcasts, and read a 400 and a 404 as error bodies.
Nothing is sent: no worker runs, and the transport's provider is never called.
"""

import importlib
import subprocess
import sys
import uuid

import pytest
from django.core.management import call_command

from transports.testing import SMS

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

PACKAGE = "whats_app_gateway_api_client"


@pytest.fixture
def generated(tmp_path, monkeypatch):
    schema, config = tmp_path / "schema.json", tmp_path / "generator.yaml"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    config.write_text("post_hooks: []\n")  # no formatter run on the generated code
    subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema), "--config", str(config),
         "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    for module in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[module]


@pytest.fixture
def gateway(live_server, app_and_key, generated):
    """The generated client with the app's key; closed after the test, so no keep-alive holds the live server."""
    with generated("client").AuthenticatedClient(base_url=live_server.url, token=app_and_key[1], prefix="Api-Key") as c:
        yield c


def test_a_client_generated_from_the_schema_sends_lists_and_reads_errors(gateway, generated):
    models = generated("models")

    created = generated("api.transports.v1_transports_create").sync_detailed(
        client=gateway, body=models.TransportInputRequest.from_dict({"name": "sms", "config": SMS})
    )
    assert created.status_code == 201, created.content
    transport = created.parsed
    assert isinstance(transport, models.TransportOutput) and transport.name == "sms"

    session_create = generated("api.sessions.v1_sessions_create")
    accepted = session_create.sync_detailed(client=gateway, body=models.SessionInputRequest.from_dict({
        "transport": transport.id, "message": {"content": "Your order shipped"},
        "recipients": ["+12025550101", "+12025550102"],
    }))
    assert accepted.status_code == 202, accepted.content
    session = accepted.parsed
    assert session.total == 2 and session.status.value == "NEW" and session.stats.queued == 2

    page = generated("api.sessions.v1_sessions_broadcasts_list").sync(client=gateway, id=session.id)
    assert page.count == 2 and sorted(b.address for b in page.results) == ["12025550101", "12025550102"]

    refused = session_create.sync_detailed(client=gateway, body=models.SessionInputRequest.from_dict({
        "transport": transport.id, "message": {"content": "Hi"}, "recipients": ["not a number"],
    }))
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.ErrorOutput) and refused.parsed.code == "invalid_recipients"

    missing = generated("api.sessions.v1_sessions_retrieve").sync_detailed(client=gateway, id=uuid.uuid4())
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.ErrorOutput) and missing.parsed.code == "not_found"
