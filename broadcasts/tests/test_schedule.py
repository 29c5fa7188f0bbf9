"""Scheduled sessions and send windows through the API: validation, the due check, waiting, reschedule, cancel."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services import schedule, sweeper
from broadcasts.services.dispatch import dispatch_batch
from broadcasts.services.schedule import sessions_due_wake
from broadcasts.services.sweeper import sweep
from broadcasts.testing import make_session

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}
MADRID = {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"}


def _create(api, transport, **extra):
    body = {"transport": transport["id"], "message": HELLO, "recipients": ["+12025550101", "+12025550102"], **extra}
    return api.post("/api/v1/sessions", body, format="json")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _closed_window_now() -> dict:
    """A UTC window that opens two hours from now: closed at the moment."""
    now = timezone.now().astimezone(UTC)
    return {"start": (now + timedelta(hours=2)).strftime("%H:%M"), "end": (now + timedelta(hours=3)).strftime("%H:%M"),
            "time_zone": "UTC"}


@pytest.fixture
def enqueued(monkeypatch):
    """The sessions the schedule enqueues (no broker in these tests), by id."""
    calls = []
    monkeypatch.setattr(schedule, "enqueue_dispatch", lambda session: calls.append(str(session.pk)))
    return calls


# --- validation: each bad value is a 400 naming its field, and nothing is stored -------------------


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"send_at": "2026-12-01T09:00:00"}, "send_at", "UTC offset"),
        ({"send_at": "next tuesday"}, "send_at", "format"),
        ({"send_at": 1767225600}, "send_at", "format"),
        ({"send_at": "2020-01-01T09:00:00Z"}, "send_at", "in the past"),
        ({"send_at": "2099-01-01T09:00:00+01:00"}, "send_at", "days ahead"),
        ({"send_window": "09:00-20:00"}, "send_window", "object"),
        ({"send_window": {**MADRID, "start": "9am"}}, "send_window", "send_window.start: "),
        ({"send_window": {**MADRID, "end": "25:00"}}, "send_window", "send_window.end: "),
        ({"send_window": {**MADRID, "time_zone": "Europe/Atlantis"}}, "send_window", "send_window.time_zone: "),
        ({"send_window": {**MADRID, "end": "09:00"}}, "send_window", "send_window.end: must differ"),
    ],
)
def test_a_bad_send_at_or_window_is_a_400_naming_the_field_and_stores_nothing(api, wa_transport, extra, field, words):
    response = _create(api, wa_transport, **extra)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body
    assert body["detail"].startswith(field) and words in body["detail"], body
    assert Session.objects.count() == 0 and Broadcast.objects.count() == 0


# --- creating ---------------------------------------------------------------------------------


def test_a_send_at_ahead_stores_the_session_scheduled_and_enqueues_nothing(
    api, wa_transport, django_capture_on_commit_callbacks
):
    send_at = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks() as callbacks:
        response = _create(api, wa_transport, send_at=_iso(send_at), send_window=MADRID)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "SCHEDULED"
    assert body["send_window"] == MADRID
    assert body["waiting"] == {"reason": "scheduled", "until": body["send_at"]}
    assert datetime.fromisoformat(body["send_at"]) == send_at.replace(microsecond=send_at.microsecond)
    assert callbacks == []  # nothing published: the due check starts it
    assert Broadcast.objects.filter(session_id=body["id"], status=Broadcast.Status.QUEUED).count() == 2


def test_a_send_at_a_few_seconds_past_starts_at_once(api, wa_transport, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _create(api, wa_transport, send_at=_iso(timezone.now() - timedelta(seconds=20)))
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "NEW" and response.json()["waiting"] is None
    assert len(callbacks) == 1


def test_the_same_idempotency_key_with_another_send_at_is_a_409(api, wa_transport):
    first = timezone.now() + timedelta(hours=1)
    body = {"transport": wa_transport["id"], "message": HELLO, "recipients": ["+12025550101"]}
    one = api.post("/api/v1/sessions", {**body, "send_at": _iso(first)}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    same = api.post("/api/v1/sessions", {**body, "send_at": _iso(first)}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    other = api.post(
        "/api/v1/sessions", {**body, "send_at": _iso(first + timedelta(hours=1))}, format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert (one.status_code, same.status_code, other.status_code) == (202, 200, 409)
    assert same.json()["id"] == one.json()["id"]


# --- the due check ------------------------------------------------------------------------------


def test_the_due_check_starts_a_session_at_its_send_at_not_before_and_only_once(api, wa_transport, enqueued):
    send_at = timezone.now() + timedelta(seconds=30)
    session_id = _create(api, wa_transport, send_at=_iso(send_at)).json()["id"]

    assert sessions_due_wake(now=send_at - timedelta(seconds=1)).started == 0
    assert Session.objects.get(pk=session_id).status == Session.Status.SCHEDULED
    assert enqueued == []

    assert sessions_due_wake(now=send_at).started == 1
    assert Session.objects.get(pk=session_id).status == Session.Status.NEW
    assert enqueued == [session_id]
    assert sessions_due_wake(now=send_at + timedelta(seconds=5)).started == 0  # a second check starts nothing
    assert enqueued == [session_id]


def test_the_due_check_wakes_a_session_whose_window_opened_and_leaves_one_still_waiting(app, wa_transport, enqueued):
    now = timezone.now()
    opened = make_session(app, wa_transport["id"], [("QUEUED", "", 0)])
    waiting = make_session(app, wa_transport["id"], [("QUEUED", "", 0)])
    Session.objects.filter(pk=opened.pk).update(waiting_until=now - timedelta(seconds=1))
    Session.objects.filter(pk=waiting.pk).update(waiting_until=now + timedelta(hours=1))

    report = sessions_due_wake(now=now)

    assert (report.started, report.woken) == (0, 1)
    assert enqueued == [str(opened.pk)]
    assert Session.objects.get(pk=opened.pk).waiting_until is None
    assert Session.objects.get(pk=waiting.pk).waiting_until == now + timedelta(hours=1)


# --- the send window ----------------------------------------------------------------------------


def test_outside_its_window_a_session_claims_nothing_and_says_what_it_waits_for(api, wa_transport):
    window = _closed_window_now()
    session_id = _create(api, wa_transport, send_window=window).json()["id"]

    assert dispatch_batch(session_id=session_id).countdown is None  # the chain stops; the due check wakes it

    session = Session.objects.get(pk=session_id)
    assert session.status == Session.Status.NEW  # waiting, not paused by anyone
    assert session.waiting_until is not None and session.waiting_until > timezone.now()
    assert list(Broadcast.objects.filter(session_id=session_id).values_list("status", "attempts")) == [
        ("QUEUED", 0), ("QUEUED", 0),
    ]
    body = api.get(f"/api/v1/sessions/{session_id}").json()
    assert body["waiting"]["reason"] == "outside_send_window"
    assert datetime.fromisoformat(body["waiting"]["until"]) == session.waiting_until


def test_inside_its_window_a_session_claims_and_sends(api, wa_transport):
    now = timezone.now().astimezone(UTC)  # a window from an hour ago to an hour ahead (across midnight or not)
    hour = timedelta(hours=1)
    window = {"start": (now - hour).strftime("%H:%M"), "end": (now + hour).strftime("%H:%M"), "time_zone": "UTC"}
    session_id = _create(api, wa_transport, send_window=window).json()["id"]
    dispatch_batch(session_id=session_id)
    session = Session.objects.get(pk=session_id)
    assert session.status in (Session.Status.PENDING, Session.Status.COMPLETED)
    assert session.waiting_until is None
    assert not Broadcast.objects.filter(session_id=session_id, attempts=0).exists()


def test_the_sweeper_leaves_a_session_waiting_for_its_window_alone(app, wa_transport, monkeypatch):
    published = []
    monkeypatch.setattr(sweeper, "enqueue_dispatch", lambda session: published.append(session.pk))
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)])
    long_ago = timezone.now() - timedelta(hours=1)
    Session.objects.filter(pk=session.pk).update(updated_at=long_ago, waiting_until=timezone.now() + timedelta(hours=1))
    assert sweep().sessions_resumed == 0 and published == []
    Session.objects.filter(pk=session.pk).update(updated_at=long_ago, waiting_until=None)
    assert sweep().sessions_resumed == 1 and published == [session.pk]  # and the same session, not waiting, is swept


# --- reschedule and cancel ----------------------------------------------------------------------


def _scheduled(api, transport, ahead=timedelta(hours=1)) -> dict:
    response = _create(api, transport, send_at=_iso(timezone.now() + ahead))
    assert response.status_code == 202, response.content
    return response.json()


def test_patch_moves_send_at_and_changes_the_window(api, wa_transport, django_capture_on_commit_callbacks):
    session = _scheduled(api, wa_transport)
    later = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.patch(f"/api/v1/sessions/{session['id']}", {"send_at": _iso(later), "send_window": MADRID},
                             format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "SCHEDULED" and body["send_window"] == MADRID
    assert datetime.fromisoformat(body["send_at"]) == later
    assert callbacks == []
    response = api.patch(f"/api/v1/sessions/{session['id']}", {"send_window": None}, format="json")
    assert response.status_code == 200 and response.json()["send_window"] is None
    assert datetime.fromisoformat(response.json()["send_at"]) == later  # what was not given is kept


def test_patch_with_a_null_send_at_starts_the_session_now(api, wa_transport, django_capture_on_commit_callbacks):
    session = _scheduled(api, wa_transport)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.patch(f"/api/v1/sessions/{session['id']}", {"send_at": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "NEW"
    assert len(callbacks) == 1  # published at once, not at the next due check


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "send_at"),
        ({"send_at": "2026-12-01T09:00:00"}, "send_at"),
        ({"send_at": "2000-01-01T00:00:00Z"}, "send_at"),
        ({"send_window": {**MADRID, "time_zone": "Nowhere"}}, "send_window"),
    ],
)
def test_a_bad_reschedule_is_a_400_naming_the_field_and_changes_nothing(api, wa_transport, body, field):
    session = _scheduled(api, wa_transport)
    response = api.patch(f"/api/v1/sessions/{session['id']}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    stored = Session.objects.get(pk=session["id"])
    assert stored.status == Session.Status.SCHEDULED and stored.send_window is None
    assert stored.send_at == datetime.fromisoformat(session["send_at"])


def test_once_started_a_session_cannot_be_rescheduled(api, wa_transport, enqueued):
    session = _scheduled(api, wa_transport, ahead=timedelta(seconds=10))
    sessions_due_wake(now=timezone.now() + timedelta(seconds=11))
    response = api.patch(f"/api/v1/sessions/{session['id']}", {"send_at": _iso(timezone.now() + timedelta(hours=1))},
                         format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "session_started"
    assert Session.objects.get(pk=session["id"]).status == Session.Status.NEW


def test_a_scheduled_session_can_be_cancelled_and_then_never_starts(api, wa_transport, enqueued):
    session = _scheduled(api, wa_transport, ahead=timedelta(seconds=10))
    response = api.post(f"/api/v1/sessions/{session['id']}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2 and response.json()["session"]["status"] == "CANCELLED"
    assert sessions_due_wake(now=timezone.now() + timedelta(seconds=11)).started == 0
    assert enqueued == []
    again = api.patch(f"/api/v1/sessions/{session['id']}", {"send_at": None}, format="json")
    assert again.status_code == 409


def test_a_scheduled_session_cannot_be_triggered_or_paused(api, wa_transport):
    session = _scheduled(api, wa_transport)
    trigger = api.post(f"/api/v1/sessions/{session['id']}/trigger", {}, format="json")
    pause = api.post(f"/api/v1/sessions/{session['id']}/pause")
    assert (trigger.status_code, trigger.json()["code"]) == (409, "session_scheduled")
    assert pause.status_code == 409
    assert Session.objects.get(pk=session["id"]).status == Session.Status.SCHEDULED


def test_the_list_filters_scheduled_sessions(api, wa_transport):
    scheduled = _scheduled(api, wa_transport)
    _create(api, wa_transport)
    body = api.get("/api/v1/sessions?status=SCHEDULED").json()
    assert [row["id"] for row in body["results"]] == [scheduled["id"]]


# --- the second tenant --------------------------------------------------------------------------


def test_another_app_can_neither_see_reschedule_nor_cancel_a_scheduled_session(api, other_api, wa_transport):
    session = _scheduled(api, wa_transport)
    before = Session.objects.filter(pk=session["id"]).values("status", "send_at", "send_window", "updated_at")[0]

    assert other_api.get(f"/api/v1/sessions/{session['id']}").status_code == 404
    assert other_api.patch(f"/api/v1/sessions/{session['id']}", {"send_at": None}, format="json").status_code == 404
    assert other_api.patch(
        f"/api/v1/sessions/{session['id']}", {"send_window": MADRID}, format="json"
    ).status_code == 404
    assert other_api.post(f"/api/v1/sessions/{session['id']}/cancel").status_code == 404
    assert other_api.get("/api/v1/sessions?status=SCHEDULED").json()["count"] == 0

    after = Session.objects.filter(pk=session["id"]).values("status", "send_at", "send_window", "updated_at")[0]
    assert after == before


def test_another_app_cannot_schedule_a_send_through_alices_transport(other_api, wa_transport):
    response = other_api.post(
        "/api/v1/sessions",
        {"transport": wa_transport["id"], "message": HELLO, "recipients": ["+12025550101"],
         "send_at": _iso(timezone.now() + timedelta(hours=1)), "send_window": MADRID},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_transport"
    assert Session.objects.count() == 0


def test_retention_never_anonymizes_a_session_still_waiting_for_its_time(api, wa_transport, settings):
    from broadcasts.services.privacy import personal_data_purge

    settings.RETENTION_BROADCAST_DAYS = 30
    session = _scheduled(api, wa_transport, ahead=timedelta(days=200))
    Session.objects.filter(pk=session["id"]).update(created_at=timezone.now() - timedelta(days=100))
    assert personal_data_purge()["broadcasts_anonymized"] == 0
    assert sorted(Broadcast.objects.filter(session_id=session["id"]).values_list("address", flat=True)) == [
        "12025550101", "12025550102",
    ]
