"""schemathesis over the live API: generated requests, valid and invalid, against what the schema promises.

Twice over the same live stack: the first app's run fills the database; then a second app's run, aimed at the
first app's ids and addresses, must find nothing of the first app's in any answer and change none of its rows.

The gateway answers on pytest-django's live server; schemathesis runs in its own process against it. No
request leaves the machine: the server's name lookups answer only for loopback, so Meta (and any address a
generated transport names) is unreachable, as in every test.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

from broadcasts.models import Broadcast, BroadcastLog, Erasure, OptOut, Session
from templates.models import Template
from transports.models import Transport
from transports.services import transport_create
from transports.testing import SMS
from whatsapp_gateway.models import App

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

# The checks (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
# negative_data_rejection, ignored_auth, missing_required_header, unsupported_method) and the budget are there.
CONFIG = Path(__file__).with_name("schemathesis.toml")
# The second app's run: its check that no answer carries the first app's data, and hooks aiming at that data.
HOOKS = Path(__file__).with_name("fuzz_second_app.py")
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


def schemathesis_run(url: str, key: str, cwd: Path, env: dict | None = None) -> str:
    """One schemathesis run over the live API with this key; its report (the test fails on any failure)."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG), "--no-color", "run",
        f"{url}/api/schema/?format=json",
        "--header", f"Authorization: Api-Key {key}",
        "--request-timeout", "20",
    ]
    try:
        # In its own directory: schemathesis and hypothesis keep their caches in the working directory.
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=420, cwd=cwd, env={**os.environ, **(env or {})}
        )
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"schemathesis did not finish in {timeout.timeout} s:\n{(timeout.stdout or b'')[-4000:]}")
    report = done.stdout[-12000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert f"Tested: {operation_count()}" in report, report  # it ran over every operation
    return report


def operation_count() -> int:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return sum(method in {"get", "post", "put", "patch", "delete"} for methods in paths.values() for method in methods)


def plant(app) -> dict:
    """Rows of the app's that no fuzzer would generate: names, an address, a wamid, only it has."""
    transport = transport_create(app=app, name="alice-only-transport-5b2f", config=SMS)
    Template.objects.create(
        app=app, transport=transport, name="alice_only_template_q7x", language="en",
        category=Template.Category.UTILITY, status=Template.Status.APPROVED,
    )
    session = Session.objects.create(
        app=app, transport=transport, message={"content": "alice-only message 8d1c"}, total=1,
        status=Session.Status.COMPLETED,
    )
    broadcast = Broadcast.objects.create(
        session=session, address="12025550143", status=Broadcast.Status.SENT, wamid="wamid.ALICE-ONLY-3e9a",
    )
    BroadcastLog.objects.create(broadcast=broadcast, session=session, kind=BroadcastLog.Kind.ATTEMPT, attempt=1)
    return {
        "strings": ["alice-only-transport-5b2f", "alice_only_template_q7x", "alice-only message 8d1c",
                    "wamid.ALICE-ONLY-3e9a", "12025550143", "12025550177", "alice-only reason 4c2d"],
        "addresses": ["+12025550143"],
    }


def ids_of(app) -> dict[str, list]:
    """The ids of every object of the app's the API answers with, by kind."""
    return {
        "transport": list(Transport.objects.filter(app=app).values_list("pk", flat=True)),
        "template": list(Template.objects.filter(app=app).values_list("pk", flat=True)),
        "session": [str(pk) for pk in Session.objects.filter(app=app).values_list("pk", flat=True)],
        "broadcast": list(Broadcast.objects.filter(session__app=app).values_list("pk", flat=True)),
        "log": list(BroadcastLog.objects.filter(session__app=app).values_list("pk", flat=True)),
        "erasure": list(Erasure.objects.filter(app=app).values_list("pk", flat=True)),
        "optout": list(OptOut.objects.filter(app=app).values_list("pk", flat=True)),
    }


# How each model's rows belong to an app: the lookup from the model to its App.
OWNER_LOOKUPS = ("app", "session__app", "transport__app", "broadcast__session__app")


def rows_of(app) -> dict[str, list[tuple]]:
    """Every row that belongs to the app, in every table that holds its data (the App row itself included)."""
    rows = {"whatsapp_gateway.App": list(App.objects.filter(pk=app.pk).values_list())}
    for model in apps.get_models():
        names = {field.name for field in model._meta.get_fields()}
        for lookup in OWNER_LOOKUPS:
            if lookup.split("__")[0] in names:
                owned = model._default_manager.filter(**{lookup: app}).order_by("pk")
                rows[model._meta.label] = list(owned.values_list())
                break
    return rows


def test_the_live_api_keeps_every_promise_of_its_schema_and_shows_another_app_nothing_of_the_first(
    live_server, app_and_key, other_app_and_key, loopback_only, settings, tmp_path
):
    app, key = app_and_key
    other_app, other_key = other_app_and_key
    settings.TRANSPORT_ALLOWED_HOSTS = []
    transport_create(app=app, name="sms", config=SMS)  # id 1 in the schema's examples
    first_app = plant(app)
    (tmp_path / "first").mkdir()
    schemathesis_run(live_server.url, key, tmp_path / "first")

    # The second app fuzzes the same stack, aimed at the first app's rows, with a check on every answer. An
    # opt-out is planted now: the first app's own run may remove its opt-outs (DELETE /opt-outs/{id} is its right).
    OptOut.objects.create(app=app, address="12025550177", reason="alice-only reason 4c2d")
    first_app["ids"] = ids_of(app)
    first_app["strings"] += first_app["ids"]["session"]  # a session id is a string no other app's answer may carry
    kinds = ("transport", "template", "session", "broadcast", "log", "optout")
    assert all(first_app["ids"][kind] for kind in kinds), first_app["ids"]
    data = tmp_path / "first-app.json"
    data.write_text(json.dumps(first_app))
    before = rows_of(app)
    assert len(before) >= 8 and sum(map(len, before.values())) > 10, before.keys()
    (tmp_path / "second").mkdir()
    schemathesis_run(
        live_server.url, other_key, tmp_path / "second",
        env={"SCHEMATHESIS_HOOKS": str(HOOKS), "GATEWAY_FIRST_APP": str(data)},
    )
    checked = [json.loads(line) for line in Path(f"{data}.seen").read_text().splitlines()]
    assert [answer for answer in checked if answer["leaks"]] == []
    assert len(checked) > 500, len(checked)  # the check saw the whole run
    aimed = {(answer["method"], answer["path"]) for answer in checked if answer["aimed"]}
    # Every operation that takes a first-app id (path, body, query) or address was sent some.
    assert {
        ("GET", "/api/v1/transports/{id}/"), ("DELETE", "/api/v1/transports/{id}/"),
        ("PATCH", "/api/v1/transports/{id}/"), ("GET", "/api/v1/sessions/{id}/"),
        ("POST", "/api/v1/sessions/{id}/cancel/"), ("GET", "/api/v1/broadcasts/{id}/"),
        ("GET", "/api/v1/templates/{id}/"), ("POST", "/api/v1/sessions/"), ("POST", "/api/v1/recipients/erase/"),
        ("DELETE", "/api/v1/opt-outs/{id}/"),
    } <= aimed, sorted(aimed)
    # ... and changed nothing of the first app's.
    assert rows_of(app) == before
    assert Transport.objects.filter(app=other_app).exists()  # the second app's run did create its own
