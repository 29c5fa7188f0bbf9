"""Session lifecycle edges without a worker: cancel racing a batch in flight, the sweeper, a broker that is down."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from broadcasts import tasks
from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.selectors import session_stats
from broadcasts.services.dispatch import batch_claim
from broadcasts.services.outcomes import SendOutcome, outcomes_record
from broadcasts.services.sessions import session_cancel, session_trigger
from broadcasts.services.sweeper import sweep
from broadcasts.testing import make_session
from transports.engine import SendResult
from transports.models import Transport

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}


def _answer(broadcast: Broadcast, *, ok: bool) -> SendOutcome:
    result = SendResult(
        key=broadcast.pk, ok=ok, http_status=200 if ok else 500,
        provider_message_id=f"wamid.{broadcast.pk}" if ok else None,
        error_code="" if ok else "131000", error_title="" if ok else "Something went wrong",
        category="" if ok else "TRANSIENT",
    )
    return SendOutcome(broadcast=broadcast, result=result)


def test_a_retry_of_a_batch_in_flight_at_cancel_is_cancelled_not_left_queued(app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)] * 3)
    transport = Transport.objects.get(pk=wa_transport["id"])
    in_flight = batch_claim(session=session, limit=2)

    assert session_cancel(session=session) == 1  # only the one not taken by the worker
    # The worker comes back: one was sent, the other failed retryably and would be retried.
    outcomes_record(
        session=session, transport=transport, task_id="t",
        outcomes=[_answer(in_flight[0], ok=True), _answer(in_flight[1], ok=False)],
    )

    stats = session_stats(session=session)
    assert (stats["sent"], stats["cancelled"], stats["queued"], stats["sending"]) == (1, 2, 0, 0)
    retried = Broadcast.objects.get(pk=in_flight[1].pk)
    assert [log.kind for log in retried.logs.order_by("id")] == ["ATTEMPT", "NOTE"]
    assert Session.objects.get(pk=session.pk).status == "CANCELLED"


def test_the_sweeper_does_not_resend_a_lost_claim_of_a_cancelled_session(app, wa_transport, settings):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("QUEUED", "", 0)])
    batch_claim(session=session, limit=1)
    session_cancel(session=session)
    expired = timezone.now() - timedelta(seconds=settings.CLAIM_LEASE_SECONDS + 1)
    Broadcast.objects.filter(session=session, status="SENDING").update(claimed_at=expired)

    assert sweep().requeued_in_flight == 1
    stats = session_stats(session=session)
    assert (stats["cancelled"], stats["queued"], stats["sending"]) == (2, 0, 0)
    note = BroadcastLog.objects.get(session=session, error_code="in-flight-lost")
    assert "cancelled" in note.message and "may have been delivered" in note.message


def test_trigger_notes_each_failure_it_sends_again(app, wa_transport):
    session = make_session(app, wa_transport["id"], [("FAILED", "TRANSIENT", 1), ("QUEUED", "", 0)])
    Session.objects.filter(pk=session.pk).update(status=Session.Status.FAILED)

    assert session_trigger(session=session) == 2
    failed_before = session.broadcasts.order_by("id").first()
    notes = BroadcastLog.objects.filter(session=session, kind="NOTE")
    assert [(log.broadcast_id, log.status, log.message) for log in notes] == [
        (failed_before.pk, "QUEUED", "Re-queued by a trigger.")
    ]


def test_an_accepted_session_is_not_a_500_when_the_broker_is_down(
    api, wa_transport, monkeypatch, django_capture_on_commit_callbacks, settings
):
    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.dispatch_session, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/sessions", {"transport": wa_transport["id"], "message": HELLO, "recipients": ["+12025550101"]},
            format="json",
        )
    assert response.status_code == 202, response.content
    session = Session.objects.get(pk=response.json()["id"])
    assert session.status == "NEW" and session.broadcasts.count() == 1

    # The broker is back: the sweeper publishes the session nobody moved.
    published = []
    monkeypatch.setattr(tasks.dispatch_session, "delay", published.append)
    Session.objects.filter(pk=session.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.SWEEPER_STALE_AFTER + 1)
    )
    assert sweep().sessions_resumed == 1
    assert published == [str(session.pk)]


def test_a_transport_stop_fails_its_running_sessions_with_the_reason_and_a_time(app, wa_transport):
    from broadcasts.services.dispatch import transport_stop_sending

    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)])
    transport_stop_sending(transport=Transport.objects.get(pk=wa_transport["id"]), reason="code 190 token expired")
    session.refresh_from_db()
    assert (session.status, session.error) == ("FAILED", "Transport stopped: code 190 token expired")
    assert session.completed_at is not None
    assert session.broadcasts.get().status == "QUEUED"  # the recipient is not blamed


def test_trigger_on_a_stopped_transport_says_to_resume_it_first(api, app, wa_transport):
    from broadcasts.services.dispatch import transport_stop_sending

    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("FAILED", "AUTH", 0)])
    transport_stop_sending(transport=Transport.objects.get(pk=wa_transport["id"]), reason="code 190 token expired")
    response = api.post(f"/api/v1/sessions/{session.pk}/trigger")
    assert response.status_code == 409
    assert "is stopped (code 190 token expired): resume it, then trigger." in response.json()["detail"]
    assert Session.objects.get(pk=session.pk).status == "FAILED"

    assert api.post(f"/api/v1/transports/{wa_transport['id']}/resume").status_code == 200
    response = api.post(f"/api/v1/sessions/{session.pk}/trigger")
    assert (response.status_code, response.json()["count"]) == (200, 2)


def test_a_provider_that_answers_the_same_message_id_twice_does_not_lose_the_batch(app, wa_transport):
    """Generic API transports take their message id from the answer; a provider may repeat one (a batch id)."""
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)] * 2)
    transport = Transport.objects.get(pk=wa_transport["id"])
    claimed = batch_claim(session=session, limit=2)
    outcomes = [
        SendOutcome(broadcast=b, result=SendResult(key=0, ok=True, http_status=200, provider_message_id="batch-7"))
        for b in claimed
    ]

    outcomes_record(session=session, transport=transport, task_id="t", outcomes=outcomes)

    assert list(Broadcast.objects.filter(session=session).values_list("status", "wamid")) == [
        ("SENT", "batch-7"), ("SENT", "batch-7"),
    ]


def test_the_sweeper_dispatches_what_it_re_queued_in_the_same_pass(
    app, wa_transport, monkeypatch, settings, django_capture_on_commit_callbacks
):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("QUEUED", "", 0)])
    Session.objects.filter(pk=session.pk).update(status=Session.Status.PENDING)
    batch_claim(session=session, limit=1)  # then the worker dies
    expired = timezone.now() - timedelta(seconds=settings.CLAIM_LEASE_SECONDS + 1)
    Broadcast.objects.filter(session=session, status="SENDING").update(claimed_at=expired)
    Session.objects.filter(pk=session.pk).update(updated_at=timezone.now())  # not idle long enough to look stale

    published = []
    monkeypatch.setattr(tasks.dispatch_session, "delay", published.append)
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep()
    assert (report.requeued_in_flight, report.sessions_resumed) == (1, 1)
    assert published == [str(session.pk)]


def test_a_resend_answered_after_the_lost_sends_status_came_shows_both_wamids(app, wa_transport):
    from broadcasts.services.sweeper import SENT_TWICE

    session = make_session(app, wa_transport["id"], [("QUEUED", "", 1)])
    transport = Transport.objects.get(pk=wa_transport["id"])
    (resend,) = batch_claim(session=session, limit=1)
    # While the resend is on the wire, a status of the lost first send arrives with the broadcast's reference.
    Broadcast.objects.filter(pk=resend.pk).update(wamid="wamid.FIRST")

    outcomes_record(session=session, transport=transport, outcomes=[_answer(resend, ok=True)], task_id="t")

    resend.refresh_from_db()
    assert resend.wamid == f"wamid.{resend.pk}"
    attempts = BroadcastLog.objects.filter(broadcast=resend, kind="ATTEMPT").order_by("id")
    assert [(log.error_code, "wamid.FIRST" in log.message) for log in attempts] == [(SENT_TWICE, True), ("", False)]
    assert attempts[1].status == "SENT"


@pytest.mark.needs(
    "PostgreSQL (DATABASE_URL=postgres://…): COPY is PostgreSQL's; SQLite stores rows with bulk_create",
    available=connection.vendor == "postgresql",
)
def test_a_session_stored_with_postgresqls_copy_has_the_rows_bulk_create_would_make(app, wa_transport):
    from broadcasts.services import sessions

    session = make_session(app, wa_transport["id"], [])
    sessions._broadcasts_copy(session=session, recipients=[("15550100001", {"name": "Ana"})])
    copied = Broadcast.objects.values().get(session=session)
    made = Broadcast.objects.create(session=session, address="15550100002", params={"name": "Ana"})
    expected = Broadcast.objects.values().get(pk=made.pk)
    for varying in ("id", "address", "updated_at"):
        copied.pop(varying), expected.pop(varying)
    assert copied == expected
