"""Another app's key can read or change nothing of Alice's, on every endpoint in the schema.

The endpoints come from the OpenAPI schema itself, so a new endpoint without an owner
fixture below fails `test_every_endpoint_with_an_id_is_covered` until someone adds one.
"""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from broadcasts.callbacks.models import Callback
from broadcasts.models import Broadcast, OptOut, Session
from templates.models import Template
from transports.models import Transport
from transports.testing import make_transport


def _alice_transport(app) -> dict:
    transport = make_transport(app=app, name="alice-wa")
    return {"id": transport.pk}


def _alice_broadcast(app) -> Broadcast:
    transport = make_transport(app=app, name="alice-wa")
    session = Session.objects.create(
        app=app,
        transport=transport,
        status=Session.Status.FAILED,
        total=1,
        message={"meta": {"templateName": "hello_world", "language": "en_US"}},
    )
    return Broadcast.objects.create(
        session=session, address="15550100001", status=Broadcast.Status.FAILED, error_category="TRANSIENT"
    )


def _alice_session(app) -> dict:
    return {"id": _alice_broadcast(app).session_id}


def _alice_broadcast_id(app) -> dict:
    return {"id": _alice_broadcast(app).pk}


def _alice_template(app) -> dict:
    transport = make_transport(app=app, name="alice-wa", whatsapp=True)
    template = Template.objects.create(
        app=app, transport=transport, name="hello_world", language="en_US", category="UTILITY", status="APPROVED"
    )
    return {"id": template.pk}


def _alice_callback(app) -> dict:
    return {"id": Callback.objects.create(app=app, url="https://alice.example.com/events").pk}


def _alice_optout(app) -> dict:
    return {"id": OptOut.objects.create(app=app, address="15550100001", scope="all").pk}


# Path prefix → function creating one of Alice's objects and returning the path parameters.
OWNED_OBJECTS = {
    "/api/v1/transports/": _alice_transport,
    "/api/v1/sessions/": _alice_session,
    "/api/v1/broadcasts/": _alice_broadcast_id,
    "/api/v1/templates/": _alice_template,
    "/api/v1/callbacks/": _alice_callback,
    "/api/v1/opt-outs/": _alice_optout,
}


def _alices_data(app) -> list:
    return [
        list(Transport.objects.filter(app=app).values_list("id", "name", "config", "updated_at")),
        list(Session.objects.filter(app=app).values_list("id", "status", "updated_at")),
        list(Broadcast.objects.filter(session__app=app).values_list("id", "status", "attempts", "updated_at")),
        list(Template.objects.filter(app=app).values_list("id", "status", "updated_at")),
        list(Callback.objects.filter(app=app).values_list("id", "url", "is_active", "encrypted_secret", "updated_at")),
        list(OptOut.objects.filter(app=app).values_list("id", "address", "scope", "reason")),
    ]


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method


def _owner_fixture(path: str):
    for prefix, factory in OWNED_OBJECTS.items():
        if path.startswith(prefix):
            return factory
    return None


def test_every_endpoint_with_an_id_is_covered():
    uncovered = {path for path, _ in _operations() if "{" in path and _owner_fixture(path) is None}
    assert uncovered == set()


@pytest.mark.parametrize(("path", "method"), [op for op in _operations() if "{" in op[0]])
def test_another_apps_key_gets_404_on_alices_objects(path, method, app, other_api):
    params = _owner_fixture(path)(app)
    url = re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)
    before = _alices_data(app)
    response = getattr(other_api, method)(url, {}, format="json")
    assert response.status_code == 404, response.content
    assert _alices_data(app) == before


@pytest.mark.parametrize("path", [p for p, m in _operations() if m == "get" and p in OWNED_OBJECTS])
def test_another_apps_key_lists_nothing_of_alices(path, app, other_api):
    _owner_fixture(path)(app)
    response = other_api.get(path)
    assert response.status_code == 200
    assert response.json()["count"] == 0
