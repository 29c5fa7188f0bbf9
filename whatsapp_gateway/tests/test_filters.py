"""The lists' query parameters (django-filter FilterSets): the same names, and a bad value a 400 naming it."""

import pytest

from broadcasts.models import Broadcast, Session
from transports.testing import SMS, make_transport

SESSION_STATUSES = ", ".join(Session.Status.values)


@pytest.fixture
def session(app, settings):
    settings.TRANSPORT_ALLOWED_HOSTS = []
    transport = make_transport(app=app, name="sms", config=SMS)
    session = Session.objects.create(app=app, transport=transport, status=Session.Status.COMPLETED, total=2)
    Broadcast.objects.create(session=session, address="12025550101", status="FAILED", error_code="131026")
    Broadcast.objects.create(session=session, address="12025550102", status="SENT")
    return session


@pytest.mark.parametrize(
    ("path", "parameter", "value", "message"),
    [
        ("/api/v1/sessions", "status", "nonsense", f"Must be one of {SESSION_STATUSES}."),
        ("/api/v1/sessions", "transport", "\u0661", "Must be a transport id."),
        ("/api/v1/sessions", "transport", "abc", "Must be a transport id."),
        ("/api/v1/sessions", "created_after", "2026-13-01", "Must be an ISO 8601 date-time or date"),
        ("/api/v1/sessions", "created_before", "yesterday", "Must be an ISO 8601 date-time or date"),
        ("/api/v1/templates", "status", "LIVE", "Must be one of "),
        ("/api/v1/templates", "transport", "1.5", "Must be a transport id."),
        ("/api/v1/templates", "transport", "0", "Must be a transport id."),
        ("/api/v1/sessions", "transport", "9223372036854775808", "Must be a transport id."),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, db, path, parameter, value, message):
    response = api.get(path, {parameter: value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body[parameter][0].startswith(message)
    assert body["detail"].startswith(f"{parameter}: ")


def test_filters_narrow_the_lists_and_an_empty_value_filters_nothing(api, session):
    assert api.get("/api/v1/sessions", {"status": "completed"}).json()["count"] == 1  # any case
    assert api.get("/api/v1/sessions", {"status": "PENDING"}).json()["count"] == 0
    assert api.get("/api/v1/sessions", {"status": "", "transport": ""}).json()["count"] == 1
    assert api.get("/api/v1/sessions", {"transport": session.transport_id}).json()["count"] == 1
    assert api.get("/api/v1/sessions", {"transport": session.transport_id + 1}).json()["count"] == 0
    url = f"/api/v1/sessions/{session.pk}/broadcasts"
    failed = api.get(url, {"status": "failed", "error_code": "131026"}).json()
    assert [row["address"] for row in failed["results"]] == ["12025550101"]
    assert api.get(url, {"error_code": "131047"}).json()["count"] == 0
    bad = api.get(url, {"status": "LOST"})
    assert bad.status_code == 400 and bad.json()["status"][0].startswith("Must be one of QUEUED")


def test_a_flag_that_is_no_boolean_is_a_400_naming_it(api, db):
    response = api.post("/api/v1/recipients/erase?dry_run=maybe", {"address": "+12025550101"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "dry_run" in response.json()
    response = api.post("/api/v1/sessions?skip_invalid=maybe", {}, format="json")
    assert response.status_code == 400 and "skip_invalid" in response.json()


def test_pages_are_bounded_and_a_page_past_the_last_is_a_404(api, session):
    assert api.get("/api/v1/sessions", {"page_size": 5000}).json()["count"] == 1
    for bad in ("0", "abc", "-1", "1.5"):
        refused = api.get("/api/v1/transports/", {"page_size": bad})
        assert refused.status_code == 400 and refused.json()["page_size"] == ["Must be a whole number from 1."]
    past = api.get("/api/v1/sessions", {"page": 9})
    assert past.status_code == 404 and past.json()["code"] == "not_found"


def test_an_api_path_no_route_matches_and_options_answer_the_error_body(api, db):
    missing = api.get("/api/v1/transports/0.5/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert missing["Content-Type"] == "application/json"
    options = api.options("/api/v1/templates/")
    assert options.status_code == 405 and options.json()["code"] == "method_not_allowed"
