"""The OpenAPI schema tells the truth: every operation described, its errors declared, lists paginated,
and what the API really answers fits what the schema says."""

import jsonschema
import pytest
from django.conf import settings

from broadcasts.models import Broadcast, Session
from transports.testing import SMS, make_transport
from whatsapp_gateway.authentication import AppScopedMixin

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _is_list(path: str, method: str) -> bool:
    # An export (…/broadcasts.csv) is a file, not a page; the rate card is one object of the app.
    return method == "get" and not path.endswith(("}/", "/schema/", ".csv/", "/rate-card/"))


def test_the_schema_carries_the_product_version_and_tags_in_reading_order(schema):
    assert schema["info"]["version"] == settings.VERSION
    assert [tag["name"] for tag in schema["tags"]] == [
        "transports", "templates", "sessions", "opt-outs", "privacy", "callbacks",
    ]
    assert all(tag["description"] for tag in schema["tags"])
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert "Authorization: Api-Key" in scheme["description"] and "Bearer" in scheme["description"]


def test_every_operation_has_a_summary_a_description_a_known_tag_and_its_error_answers(schema):
    tags = {tag["name"] for tag in schema["tags"]}
    base_doc = " ".join(AppScopedMixin.__doc__.split()[:4])
    operations = list(_operations(schema))
    assert len(operations) >= 23
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        assert base_doc not in operation["description"], f"{where}: the base class's docstring"
        assert operation.get("tags") and set(operation["tags"]) <= tags, where
        responses = operation["responses"]
        assert "401" in responses, f"{where}: every call needs a key"
        if "{" in path:
            assert "404" in responses, f"{where}: an id that is not yours"
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), f"{where}: a body can be refused"
        if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
            assert "400" in responses, f"{where}: a query parameter can be refused"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorOutput"}, where
                assert content.get("examples"), f"{where} {status}: an example of the error"


def test_the_operations_that_can_conflict_or_need_meta_say_so(schema):
    paths = schema["paths"]
    for path in ("/api/v1/sessions/{id}/pause/", "/api/v1/sessions/{id}/resume/", "/api/v1/sessions/{id}/cancel/",
                 "/api/v1/sessions/{id}/trigger/"):
        assert "409" in paths[path]["post"]["responses"], path
    assert "409" in paths["/api/v1/sessions/"]["post"]["responses"]
    assert "409" in paths["/api/v1/transports/{id}/"]["delete"]["responses"]
    for path, method in (("/api/v1/templates/sync/", "post"), ("/api/v1/templates/", "post"),
                         ("/api/v1/templates/{id}/", "delete")):
        assert "502" in paths[path][method]["responses"], path


def test_the_error_body_is_code_detail_and_the_fields(schema):
    error = schema["components"]["schemas"]["ErrorOutput"]
    assert set(error["required"]) == {"code", "detail"}
    assert error["additionalProperties"]


def test_list_answers_are_documented_as_pages(schema):
    lists = [(path, op) for path, method, op in _operations(schema) if _is_list(path, method)]
    assert {path for path, _ in lists} == {
        "/api/v1/sessions/", "/api/v1/sessions/{id}/broadcasts/", "/api/v1/templates/", "/api/v1/transports/",
        "/api/v1/callbacks/", "/api/v1/opt-outs/",
    }
    for path, operation in lists:
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert {"count", "next", "previous", "results"} <= set(page["properties"]), path
        assert page["properties"]["results"]["type"] == "array", path
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"page", "page_size"} <= names, path


def test_path_ids_have_their_formats(schema):
    def id_schema(path, method="get"):
        return next(p["schema"] for p in schema["paths"][path][method]["parameters"] if p["name"] == "id")

    assert id_schema("/api/v1/sessions/{id}/") == {"type": "string", "format": "uuid"}
    assert id_schema("/api/v1/sessions/{id}/broadcasts/") == {"type": "string", "format": "uuid"}
    assert id_schema("/api/v1/sessions/{id}/pause/", "post") == {"type": "string", "format": "uuid"}
    assert id_schema("/api/v1/broadcasts/{id}/")["type"] == "integer"
    assert id_schema("/api/v1/transports/{id}/")["type"] == "integer"


def test_the_filters_are_documented_from_the_filtersets(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/sessions/"]["get"]["parameters"]}
    assert set(parameters) >= {"status", "transport", "created_after", "created_before"}
    assert parameters["status"]["schema"]["enum"] == sorted(Session.Status.values)
    assert parameters["created_after"]["schema"]["format"] == "date-time"
    assert all(parameters[name].get("description") for name in ("status", "transport", "created_after"))
    assert all(parameters[name]["allowEmptyValue"] for name in ("status", "transport", "created_after"))
    assert parameters["page_size"]["schema"]["minimum"] == 1


def _json_schema(value):
    """OpenAPI 3.0's `nullable` as JSON Schema's null type, and objects closed to keys they do not name."""
    if isinstance(value, list):
        return [_json_schema(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {key: _json_schema(item) for key, item in value.items() if key != "nullable"}
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False  # an answer's key the schema does not name is a lie too
    if value.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def _check(schema, path, method, status, body):
    """`body` validates against what the schema says `path` answers with `status`."""
    documented = schema["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    root = _json_schema({**documented, "components": schema["components"]})
    jsonschema.validate(body, root)


def test_real_answers_validate_against_the_schema(schema, api, app):
    transport = make_transport(app=app, name="sms", config=SMS)
    session = Session.objects.create(
        app=app, transport=transport, status=Session.Status.COMPLETED, total=1, message={"content": "Hi"}
    )
    Broadcast.objects.create(session=session, address="12025550101", status="FAILED", error_code="131026")
    for path, url in (
        ("/api/v1/sessions/", "/api/v1/sessions"),
        ("/api/v1/sessions/{id}/broadcasts/", f"/api/v1/sessions/{session.pk}/broadcasts"),
        ("/api/v1/templates/", "/api/v1/templates"),
        ("/api/v1/transports/", "/api/v1/transports/"),
        ("/api/v1/sessions/{id}/", f"/api/v1/sessions/{session.pk}"),
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        if "results" in response.json():
            assert response.json()["count"] >= 1 or path == "/api/v1/templates/", url
        _check(schema, path, "get", 200, response.json())
    bad = api.get("/api/v1/sessions", {"status": "LOST"})
    _check(schema, "/api/v1/sessions/", "get", 400, bad.json())
    conflict = api.post(f"/api/v1/sessions/{session.pk}/cancel")
    assert conflict.status_code == 409
    _check(schema, "/api/v1/sessions/{id}/cancel/", "post", 409, conflict.json())
    with pytest.raises(jsonschema.ValidationError):  # the check can fail: a bare list is no page
        _check(schema, "/api/v1/sessions/", "get", 200, [])


def test_creating_a_session_documents_both_bodies_and_the_export_its_csv(schema):
    create = schema["paths"]["/api/v1/sessions/"]["post"]
    content = create["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    form = schema["components"]["schemas"][content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(form["required"]) == {"transport", "message", "recipients_csv"}
    assert form["properties"]["recipients_csv"]["format"] == "binary"
    assert content["multipart/form-data"]["examples"]
    export = schema["paths"]["/api/v1/sessions/{id}/broadcasts.csv/"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/csv"}
    assert export["responses"]["200"]["content"]["text/csv"]["examples"]
    assert export["responses"]["404"]["content"]["application/json"]
    retarget = schema["paths"]["/api/v1/sessions/{id}/retarget/"]["post"]
    assert set(retarget["responses"]) >= {"202", "400", "404"}
    assert "retargeted_from" in schema["components"]["schemas"]["SessionOutput"]["properties"]
