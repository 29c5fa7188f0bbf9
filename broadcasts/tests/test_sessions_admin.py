"""The operators' console for sessions and broadcasts: progress, trigger and cancel, filters, history."""

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.testing import make_session


def _action(admin_client, action: str, session: Session) -> list[str]:
    response = admin_client.post(
        "/admin/broadcasts/session/", {"action": action, "_selected_action": [str(session.pk)]}, follow=True
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_the_session_page_shows_progress_and_stats(admin_client, app, wa_transport):
    session = make_session(
        app, wa_transport["id"], [("QUEUED", "", 0), ("SENT", "", 1), ("READ", "", 1), ("FAILED", "PERMANENT", 1)]
    )
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert '<td data-count="done">3 (75%)</td>' in page
    assert "queued: 1" in page and "read: 1" in page and "failed: 1" in page


def test_the_trigger_action_says_how_many_were_requeued(admin_client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("FAILED", "TRANSIENT", 1), ("FAILED", "PERMANENT", 1)])
    Session.objects.filter(pk=session.pk).update(status=Session.Status.COMPLETED)
    assert _action(admin_client, "trigger_sessions", session) == [f"Session {session.pk}: 1 broadcasts re-queued."]
    session.refresh_from_db()
    assert session.status == "PENDING"
    assert sorted(session.broadcasts.values_list("status", flat=True)) == ["FAILED", "QUEUED"]


def test_the_cancel_action_stops_what_was_not_sent_and_refuses_twice(admin_client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("QUEUED", "", 0), ("SENT", "", 1)])
    assert _action(admin_client, "cancel_sessions", session) == [f"Session {session.pk}: 2 broadcasts cancelled."]
    assert Session.objects.get(pk=session.pk).status == "CANCELLED"
    assert _action(admin_client, "cancel_sessions", session) == [
        f"Session {session.pk}: The session is already CANCELLED."
    ]
    assert _action(admin_client, "trigger_sessions", session) == [
        f"Session {session.pk}: A cancelled session cannot be triggered."
    ]


def test_the_pause_and_resume_actions_stop_and_restart_a_running_session(admin_client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0), ("SENT", "", 1)])
    assert _action(admin_client, "pause_sessions", session) == [f"Session {session.pk}: paused."]
    assert Session.objects.get(pk=session.pk).status == "PAUSED"
    assert _action(admin_client, "pause_sessions", session) == [
        f"Session {session.pk}: Only a running session can be paused; this one is PAUSED."
    ]
    assert _action(admin_client, "resume_sessions", session) == [f"Session {session.pk}: resumed."]
    assert Session.objects.get(pk=session.pk).status == "PENDING"


def test_broadcasts_filter_by_status_and_error_code(admin_client, app, wa_transport):
    session = make_session(
        app, wa_transport["id"], [("FAILED", "PERMANENT", 1), ("FAILED", "PERMANENT", 1), ("SENT", "", 1)]
    )
    first, second, _ = session.broadcasts.order_by("id")
    Broadcast.objects.filter(pk=first.pk).update(error_code="131026")
    Broadcast.objects.filter(pk=second.pk).update(error_code="131047")

    response = admin_client.get("/admin/broadcasts/broadcast/", {"status__exact": "FAILED", "error_code": "131026"})
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [first.pk]
    failed = admin_client.get("/admin/broadcasts/broadcast/", {"status__exact": "FAILED"})
    assert sorted(row.pk for row in failed.context["cl"].result_list) == [first.pk, second.pk]


def test_a_broadcast_page_shows_its_status_history(admin_client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("READ", "", 1)])
    broadcast = session.broadcasts.get()
    for kind, status, message in [
        ("ATTEMPT", "SENT", "sent as wamid.H1"), ("STATUS", "DELIVERED", "Meta: delivered"),
        ("STATUS", "READ", "Meta: read"),
    ]:
        BroadcastLog.objects.create(broadcast=broadcast, session=session, kind=kind, status=status, message=message)
    page = admin_client.get(f"/admin/broadcasts/broadcast/{broadcast.pk}/change/").content.decode()
    positions = [page.index(text) for text in ["sent as wamid.H1", "Meta: delivered", "Meta: read"]]
    assert positions == sorted(positions)
