"""Meta errors with a policy of their own: a stopped template holds its session; the marketing limit waits a day."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services import sessions as session_services
from broadcasts.services.dispatch import dispatch_batch
from broadcasts.services.sessions import session_resume
from broadcasts.testing import make_session
from templates.models import Template
from templates.services import template_events_apply, templates_sync
from transports.models import Transport


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(session_services, "enqueue_dispatch", lambda session: calls.append(session.pk))
    return calls


def _meta_sets(simulator, status: str) -> None:
    answer = requests.post(f"{simulator.base_url}/_sim/templates/status",
                           json={"name": "hello_world", "language": "en_US", "status": status}, timeout=5)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("status", "code"), [("PAUSED", "132015"), ("DISABLED", "132016")])
def test_a_stopped_template_pauses_the_session_and_fails_nobody(app, sim_transport, simulator, status, code):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 5)
    _meta_sets(simulator, status)

    dispatch_batch(session_id=session.pk)

    session.refresh_from_db()
    assert (session.status, session.pause_reason) == ("PAUSED", "template")
    assert code in session.error and "approved again" in session.error
    rows = list(Broadcast.objects.filter(session=session))
    assert {(b.status, b.attempts) for b in rows} == {("QUEUED", 0)}  # nothing failed, no attempt spent
    assert dispatch_batch(session_id=session.pk).countdown is None  # a held session is not sent
    assert len(simulator.messages()) == 0


def test_it_resumes_by_itself_when_a_sync_finds_the_template_approved(app, sim_transport, simulator, enqueued,
                                                                      django_capture_on_commit_callbacks):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)] * 2)
    other = make_session(app, transport.pk, [("QUEUED", "", 0)])
    _meta_sets(simulator, "PAUSED")
    with django_capture_on_commit_callbacks(execute=True):
        templates_sync(transport=transport)
    dispatch_batch(session_id=session.pk)
    Session.objects.filter(pk=other.pk).update(status="PAUSED", pause_reason="operator")

    _meta_sets(simulator, "APPROVED")
    with django_capture_on_commit_callbacks(execute=True):
        templates_sync(transport=transport)

    session.refresh_from_db()
    assert (session.status, session.pause_reason, session.error) == ("PENDING", "", "")
    assert enqueued == [session.pk]
    assert Session.objects.get(pk=other.pk).status == "PAUSED"  # an operator's pause waits for the operator


def test_it_resumes_by_itself_on_metas_approved_status_webhook(app, sim_transport, enqueued,
                                                              django_capture_on_commit_callbacks):
    transport = Transport.objects.get(pk=sim_transport["id"])
    Template.objects.create(app=app, transport=transport, name="hello_world", language="en_US", meta_id="77",
                            status=Template.Status.PAUSED)
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    Session.objects.filter(pk=session.pk).update(status="PAUSED", pause_reason="template", error="held")
    approved = {"event": "APPROVED", "message_template_id": 77, "message_template_name": "hello_world",
                "message_template_language": "en_US"}

    with django_capture_on_commit_callbacks(execute=True):
        counts = template_events_apply(transport=transport, status_events=[approved], quality_events=[])

    assert counts["templates_updated"] == 1
    assert Session.objects.get(pk=session.pk).status == "PENDING" and enqueued == [session.pk]
    # The same event again changes nothing more: the template was already approved.
    with django_capture_on_commit_callbacks(execute=True):
        template_events_apply(transport=transport, status_events=[approved], quality_events=[])
    assert enqueued == [session.pk]


def test_an_operator_may_resume_a_held_session_and_the_reason_goes(app, sim_transport, enqueued):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    Session.objects.filter(pk=session.pk).update(status="PAUSED", pause_reason="template", error="held")
    resumed = session_resume(session=Session.objects.get(pk=session.pk))
    assert (resumed.status, resumed.pause_reason, resumed.error) == ("PENDING", "", "")


def test_the_answer_of_an_accepted_send_is_recorded(app, sim_transport, simulator):
    transport = Transport.objects.get(pk=sim_transport["id"])
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    dispatch_batch(session_id=session.pk)
    assert Broadcast.objects.get(session=session).message_status == "accepted"


# --- Meta's per-user marketing limit (131049) -------------------------------------------------------


def _refused_for_marketing_limit(app, sim_transport, simulator, *, days: int):
    transport = Transport.objects.get(pk=sim_transport["id"])
    transport.config = {**transport.config, "marketingLimitRetryDays": days}
    transport.save()
    session = make_session(app, transport.pk, [("QUEUED", "", 0)])
    broadcast = Broadcast.objects.get(session=session)
    simulator.configure(recipient_errors={broadcast.address: 131049})
    return session, broadcast


def test_by_default_it_fails_and_a_trigger_requeues_it_for_a_day_after(app, sim_transport, simulator, enqueued):
    session, broadcast = _refused_for_marketing_limit(app, sim_transport, simulator, days=0)
    dispatch_batch(session_id=session.pk)
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.error_code, broadcast.attempts) == ("FAILED", "131049", 1)

    assert session_services.session_trigger(session=Session.objects.get(pk=session.pk)) == 1
    broadcast.refresh_from_db()
    assert broadcast.status == "QUEUED"
    assert broadcast.next_attempt_at == broadcast.failed_at + timedelta(days=1)
    assert dispatch_batch(session_id=session.pk).countdown is None  # not before then
    assert len(simulator.messages()) == 0


def test_opted_in_it_is_sent_again_a_day_later_for_that_many_days(app, sim_transport, simulator):
    session, broadcast = _refused_for_marketing_limit(app, sim_transport, simulator, days=2)
    for _day in range(2):
        before = timezone.now()
        dispatch_batch(session_id=session.pk)
        broadcast.refresh_from_db()
        assert (broadcast.status, broadcast.attempts) == ("QUEUED", 0)  # put off, not spent
        assert timedelta(hours=24) <= broadcast.next_attempt_at - before <= timedelta(hours=25, seconds=5)
        Broadcast.objects.filter(pk=broadcast.pk).update(next_attempt_at=timezone.now())  # the day has passed
    dispatch_batch(session_id=session.pk)
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.error_code) == ("FAILED", "131049")


def test_a_generic_transports_code_131049_is_just_permanent(app):
    from transports.providers import codes_with_policy, failure_policy

    assert failure_policy({"request": {}}, "131049") == ""
    assert codes_with_policy({"request": {}}, "next_day") == []
    assert codes_with_policy({"preset": "whatsapp_cloud"}, "next_day") == ["131049"]
