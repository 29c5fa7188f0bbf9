"""The sessions API as an integrator uses it: validation up front, idempotency, reads, trigger, cancel."""

import pytest

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.tests.conftest import make_session

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}


def _create(api, transport, recipients, message=HELLO, **extra):
    body = {"transport": transport["id"], "message": message, "recipients": recipients}
    return api.post("/api/v1/sessions", body, format="json", **extra)


def test_a_session_is_accepted_with_addresses_normalized_and_deduplicated(api, wa_transport):
    response = _create(api, wa_transport, ["+1 202-555-0101", "0012025550101", {"address": "(202) 555-0199"}])
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "NEW"
    assert body["total"] == 2
    assert body["duplicates"] == 1
    assert body["stats"] == {
        "total": 2, "queued": 2, "sending": 0, "sent": 0, "delivered": 0, "read": 0, "failed": 0, "cancelled": 0,
    }
    addresses = Broadcast.objects.filter(session_id=body["id"]).values_list("address", flat=True)
    assert sorted(addresses) == ["12025550101", "12025550199"]


def test_bad_recipients_are_listed_by_index_and_nothing_is_stored(api, wa_transport):
    response = _create(api, wa_transport, ["+12025550101", "12", {"address": "+1 202 555 01011111"}, 42])
    assert response.status_code == 400
    errors = response.json()["recipients"]
    assert [error["index"] for error in errors] == [1, 2, 3]
    assert all(error["error"] for error in errors)
    assert Session.objects.count() == 0
    assert Broadcast.objects.count() == 0


def test_skip_invalid_stores_the_valid_recipients_and_reports_the_rest(api, wa_transport):
    response = api.post(
        "/api/v1/sessions?skip_invalid=true",
        {"transport": wa_transport["id"], "message": HELLO, "recipients": ["+12025550101", "not a number"]},
        format="json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["total"] == 1
    assert body["invalid"][0]["index"] == 1
    assert body["invalid"][0]["address"] == "not a number"


def test_the_same_idempotency_key_and_body_returns_the_same_session(api, wa_transport):
    first = _create(api, wa_transport, ["+12025550101"], HTTP_IDEMPOTENCY_KEY="order-42")
    again = _create(api, wa_transport, ["+12025550101"], HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Session.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(api, wa_transport):
    _create(api, wa_transport, ["+12025550101"], HTTP_IDEMPOTENCY_KEY="order-42")
    response = _create(api, wa_transport, ["+12025550199"], HTTP_IDEMPOTENCY_KEY="order-42")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert Session.objects.count() == 1


def test_another_apps_transport_cannot_be_used(other_api, wa_transport):
    response = _create(other_api, wa_transport, ["+12025550101"])
    assert response.status_code == 400
    assert "transport" in response.json()
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": HELLO, "recipients": ["+12025550101"]}, "transport"),
        ({"transport": 1, "recipients": ["+12025550101"]}, "message"),
        ({"transport": 1, "message": HELLO, "recipients": []}, "recipients"),
        ({"transport": 1, "message": HELLO, "recipients": "+12025550101"}, "recipients"),
    ],
)
def test_a_malformed_request_names_the_field(api, body, field):
    response = api.post("/api/v1/sessions", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_message_with_neither_template_nor_text_is_refused(api, wa_transport):
    response = _create(api, wa_transport, ["+12025550101"], message={"meta": {}})
    assert response.status_code == 400
    assert "message" in response.json()
    assert Session.objects.count() == 0


def test_sessions_are_listed_and_filtered_by_status(api, app, wa_transport):
    make_session(app, wa_transport["id"], [("SENT", "", 1)])
    done = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    Session.objects.filter(pk=done.pk).update(status=Session.Status.COMPLETED)
    response = api.get("/api/v1/sessions?status=completed")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(done.pk)]
    assert api.get("/api/v1/sessions?status=nonsense").status_code == 400
    assert api.get(f"/api/v1/sessions?transport={wa_transport['id']}").json()["count"] == 2


def test_live_stats_always_add_up_to_the_total(api, app, wa_transport):
    session = make_session(
        app, wa_transport["id"],
        [("QUEUED", "", 0), ("SENDING", "", 1), ("SENT", "", 1), ("DELIVERED", "", 1), ("READ", "", 1),
         ("FAILED", "PERMANENT", 1), ("CANCELLED", "", 0)],
    )
    stats = api.get(f"/api/v1/sessions/{session.pk}").json()["stats"]
    assert stats == {
        "total": 7, "queued": 1, "sending": 1, "sent": 1, "delivered": 1, "read": 1, "failed": 1, "cancelled": 1,
    }


def test_broadcasts_of_a_session_filter_by_status_and_error_code(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1), ("FAILED", "PERMANENT", 1)])
    Broadcast.objects.filter(session=session, status="FAILED").update(error_code="131026")
    url = f"/api/v1/sessions/{session.pk}/broadcasts"
    assert api.get(url).json()["count"] == 2
    failed = api.get(url + "?status=FAILED&error_code=131026").json()
    assert [row["error_code"] for row in failed["results"]] == ["131026"]


def test_a_broadcast_shows_its_history_from_its_logs(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    broadcast = session.broadcasts.get()
    BroadcastLog.objects.create(
        broadcast=broadcast, session=session, kind="ATTEMPT", status="SENT", attempt=1, response_status=200
    )
    body = api.get(f"/api/v1/broadcasts/{broadcast.pk}").json()
    assert body["status"] == "SENT"
    assert [(log["kind"], log["status"], log["attempt"]) for log in body["logs"]] == [("ATTEMPT", "SENT", 1)]


def test_trigger_requeues_only_retryable_failures_within_max_attempts(api, app, wa_transport):
    session = make_session(
        app, wa_transport["id"],
        [("FAILED", "TRANSIENT", 1), ("FAILED", "TRANSIENT", 3), ("FAILED", "PERMANENT", 1), ("SENT", "", 1)],
    )
    Session.objects.filter(pk=session.pk).update(status=Session.Status.COMPLETED)
    response = api.post(f"/api/v1/sessions/{session.pk}/trigger")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["session"]["status"] == "PENDING"
    assert response.json()["session"]["stats"]["queued"] == 1


def test_cancel_stops_what_was_not_sent(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("QUEUED", "", 0), ("SENT", "", 1)])
    response = api.post(f"/api/v1/sessions/{session.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["session"]["status"] == "CANCELLED"
    assert response.json()["session"]["stats"]["cancelled"] == 2
    assert BroadcastLog.objects.filter(session=session, kind="NOTE", status="CANCELLED").count() == 2
    assert api.post(f"/api/v1/sessions/{session.pk}/cancel").status_code == 409
    assert api.post(f"/api/v1/sessions/{session.pk}/trigger").status_code == 409
