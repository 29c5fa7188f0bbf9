"""The sessions API as an integrator uses it: validation up front, idempotency, reads, trigger, cancel."""

import pytest

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.testing import make_session

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
        "total": 2, "queued": 2, "sending": 0, "unknown": 0, "sent": 0, "delivered": 0, "read": 0, "failed": 0,
        "cancelled": 0, "suppressed": 0,
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


def test_a_replay_reports_the_same_skipped_and_duplicate_recipients(api, wa_transport):
    """A client retrying after a lost answer learns what the first answer said."""
    recipients = ["+12025550101", "not a number", "0012025550101"]
    body = {"transport": wa_transport["id"], "message": HELLO, "recipients": recipients}
    url = "/api/v1/sessions?skip_invalid=true"
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-43")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-43")
    assert (first.status_code, again.status_code) == (202, 200)
    assert [(e["index"], e["address"]) for e in first.json()["invalid"]] == [(1, "not a number")]
    assert again.json()["invalid"] == first.json()["invalid"]
    assert (first.json()["duplicates"], again.json()["duplicates"]) == (1, 1)
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
         ("FAILED", "PERMANENT", 1), ("CANCELLED", "", 0), ("SUPPRESSED", "", 0)],
    )
    stats = api.get(f"/api/v1/sessions/{session.pk}").json()["stats"]
    assert stats == {
        "total": 8, "queued": 1, "sending": 1, "unknown": 0, "sent": 1, "delivered": 1, "read": 1, "failed": 1,
        "cancelled": 1, "suppressed": 1,
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


def test_sessions_filter_by_creation_date(api, app, wa_transport):
    old = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    new = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    Session.objects.filter(pk=old.pk).update(created_at="2026-01-10T12:00:00Z")
    Session.objects.filter(pk=new.pk).update(created_at="2026-03-10T12:00:00Z")

    def ids(query):
        response = api.get(f"/api/v1/sessions?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("created_after=2026-02-01T00:00:00Z") == [str(new.pk)]
    assert ids("created_before=2026-02-01T00:00:00Z") == [str(old.pk)]
    assert ids("created_after=2026-01-10&created_before=2026-01-11") == [str(old.pk)]  # dates are midnights
    assert ids("created_after=2026-01-01&created_before=2026-12-31") == [str(new.pk), str(old.pk)]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T00:00:00", "2026-02-30"])
def test_an_impossible_date_filter_is_a_400_naming_the_parameter(api, value):
    response = api.get("/api/v1/sessions", {"created_after": value})
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["created_after"][0]


def test_the_broadcasts_of_a_session_are_paginated(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)] * 5)
    url = f"/api/v1/sessions/{session.pk}/broadcasts"
    first = api.get(url, {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    last = api.get(url, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = [row["id"] for page in (1, 2, 3) for row in api.get(url, {"page_size": 2, "page": page}).json()["results"]]
    assert sorted(seen) == sorted(session.broadcasts.values_list("id", flat=True))


def test_an_idempotency_key_longer_than_255_characters_is_a_400_and_stores_nothing(api, wa_transport):
    response = _create(api, wa_transport, ["+12025550101"], HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Idempotency-Key: At most 255 characters.",
        "Idempotency-Key": ["At most 255 characters."],
    }
    assert Session.objects.count() == 0


def test_recipients_with_a_wrong_shape_say_what_is_wrong(api, wa_transport):
    response = _create(
        api, wa_transport, ["+12025550101", None, {"address": 5}, {"address": "+12025550102", "params": "Ana"}]
    )
    assert response.status_code == 400
    errors = {error["index"]: error for error in response.json()["recipients"]}
    assert sorted(errors) == [1, 2, 3]
    assert "address string or an object" in errors[1]["error"]
    assert '"address" is required' in errors[2]["error"]
    assert '"params" must be an object' in errors[3]["error"] and errors[3]["address"] == "+12025550102"


def test_a_session_takes_100000_recipients_and_refuses_one_more(api, wa_transport, settings):
    limit = settings.MAX_RECIPIENTS_PER_SESSION
    numbers = [f"+1202{i:07d}" for i in range(limit + 1)]
    too_many = _create(api, wa_transport, numbers)
    assert too_many.status_code == 400
    problem = f"At most {limit} recipients per session: split the list into several sessions."
    assert too_many.json() == {"code": "invalid", "detail": f"recipients: {problem}", "recipients": [problem]}
    assert Session.objects.count() == 0

    accepted = _create(api, wa_transport, numbers[:limit])
    assert accepted.status_code == 202, accepted.content[:500]
    assert accepted.json()["total"] == limit == 100_000
    assert Broadcast.objects.filter(session_id=accepted.json()["id"]).count() == limit


def test_a_session_id_that_is_not_a_uuid_is_a_404(api):
    assert api.get("/api/v1/sessions/42").status_code == 404
    assert api.get("/api/v1/broadcasts/not-a-number").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sessions/{session}"),
        ("get", "/api/v1/sessions/{session}/broadcasts"),
        ("post", "/api/v1/sessions/{session}/trigger"),
        ("post", "/api/v1/sessions/{session}/cancel"),
        ("get", "/api/v1/broadcasts/{broadcast}"),
    ],
)
def test_another_apps_key_cannot_see_or_act_on_a_session(other_api, app, wa_transport, method, path):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("FAILED", "TRANSIENT", 1)])
    url = path.format(session=session.pk, broadcast=session.broadcasts.first().pk)
    response = getattr(other_api, method)(url)
    assert response.status_code == 404
    assert str(session.pk) not in response.content.decode()
    session.refresh_from_db()
    assert session.status == "PENDING"
    assert sorted(session.broadcasts.values_list("status", flat=True)) == ["FAILED", "QUEUED"]
    assert not BroadcastLog.objects.exists()


def test_another_apps_key_lists_none_of_the_sessions(other_api, app, wa_transport):
    make_session(app, wa_transport["id"], [("SENT", "", 1)])
    response = other_api.get("/api/v1/sessions", {"transport": wa_transport["id"]})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_request_without_a_key_is_refused(client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    assert client.get("/api/v1/sessions").status_code == 401
    assert client.get(f"/api/v1/sessions/{session.pk}").status_code == 401


def test_an_idempotency_key_is_per_app(api, other_api, wa_transport, simulator):
    from whatsapp_gateway.testing import whatsapp_transport_via_api

    charlies = whatsapp_transport_via_api(other_api, base_url=simulator.base_url, phone_strictness="possible")
    alices = _create(api, wa_transport, ["+12025550101"], HTTP_IDEMPOTENCY_KEY="order-42")
    theirs = _create(other_api, charlies, ["+12025550101"], HTTP_IDEMPOTENCY_KEY="order-42")
    assert (alices.status_code, theirs.status_code) == (202, 202), theirs.content
    assert theirs.json()["id"] != alices.json()["id"]
    assert Session.objects.get(pk=theirs.json()["id"]).app.name == "charlie"


def test_listing_sessions_counts_stats_per_page_not_per_session(
    api, app, wa_transport, django_assert_max_num_queries
):
    for statuses in ([("SENT", "", 1)], [("READ", "", 1), ("FAILED", "PERMANENT", 1)]) * 10:
        make_session(app, wa_transport["id"], statuses)
    with django_assert_max_num_queries(8):  # key, app, count, page, stats: not one per session
        response = api.get("/api/v1/sessions", {"page_size": 20})
    rows = response.json()["results"]
    assert len(rows) == 20
    assert sorted((row["stats"]["total"], row["stats"]["read"], row["stats"]["failed"]) for row in rows) == (
        [(1, 0, 0)] * 10 + [(2, 1, 1)] * 10
    )


def test_pause_stops_claiming_and_resume_goes_on_from_where_it_stopped(
    api, app, wa_transport, monkeypatch, django_capture_on_commit_callbacks
):
    from broadcasts import tasks
    from broadcasts.services.dispatch import dispatch_batch

    session = make_session(app, wa_transport["id"], [("SENT", "", 1), ("QUEUED", "", 0), ("QUEUED", "", 0)])
    paused = api.post(f"/api/v1/sessions/{session.pk}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "PAUSED"
    assert dispatch_batch(session_id=session.pk).countdown is None  # a worker arriving now sends nothing
    assert sorted(session.broadcasts.values_list("status", flat=True)) == ["QUEUED", "QUEUED", "SENT"]
    assert api.post(f"/api/v1/sessions/{session.pk}/pause").status_code == 409
    assert api.post(f"/api/v1/sessions/{session.pk}/trigger").status_code == 409

    published = []
    monkeypatch.setattr(tasks.dispatch_session, "delay", published.append)
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api.post(f"/api/v1/sessions/{session.pk}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "PENDING"
    assert published and set(published) == {str(session.pk)}
    assert api.post(f"/api/v1/sessions/{session.pk}/resume").status_code == 409


def test_a_finished_session_cannot_be_paused(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("SENT", "", 1)])
    Session.objects.filter(pk=session.pk).update(status=Session.Status.COMPLETED)
    response = api.post(f"/api/v1/sessions/{session.pk}/pause")
    assert response.status_code == 409 and "COMPLETED" in response.json()["detail"]
    assert Session.objects.get(pk=session.pk).status == "COMPLETED"


def test_trigger_resends_unknown_broadcasts_only_when_asked(api, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("UNKNOWN", "TRANSIENT", 1), ("SENT", "", 1)])
    Session.objects.filter(pk=session.pk).update(status=Session.Status.COMPLETED)
    assert api.post(f"/api/v1/sessions/{session.pk}/trigger", {}, format="json").json()["count"] == 0
    assert api.post(f"/api/v1/sessions/{session.pk}/trigger", {"resend_unknown": "maybe"},
                    format="json").status_code == 400
    again = api.post(f"/api/v1/sessions/{session.pk}/trigger", {"resend_unknown": True}, format="json")
    assert again.json()["count"] == 1 and again.json()["session"]["stats"]["queued"] == 1
    assert BroadcastLog.objects.get(session=session, kind="NOTE").message == "Re-queued by a trigger."
