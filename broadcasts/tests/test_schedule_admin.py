"""The session page's schedule in the admin: what it shows, reschedule, start now and cancel."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.testing import make_session

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def _scheduled(app, transport_id, **fields) -> Session:
    session = make_session(app, transport_id, [("QUEUED", "", 0), ("QUEUED", "", 0)])
    Session.objects.filter(pk=session.pk).update(
        status=Session.Status.SCHEDULED, send_at=timezone.now() + timedelta(hours=1), **fields
    )
    return Session.objects.get(pk=session.pk)


def _url(session) -> str:
    return f"/admin/broadcasts/session/{session.pk}/reschedule/"


def test_the_session_page_shows_when_it_starts_its_window_and_a_reschedule_button(admin_client, app, wa_transport):
    window = {"start": "09:00", "end": "20:00", "time_zone": "Europe/Madrid"}
    session = _scheduled(app, wa_transport["id"], send_window=window)
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert timezone.localtime(session.send_at).strftime("Starts %Y-%m-%d %H:%M") in page
    assert "sends 09:00–20:00 (Europe/Madrid)" in page
    assert "waiting (scheduled) until" in page
    assert _url(session) in page
    # Not editable as model fields: the schedule changes only through the services.
    assert 'name="send_at"' not in page and 'name="send_window"' not in page


def test_a_running_session_page_has_no_reschedule_button(admin_client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)])
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert "Starts at once" in page and "no send window" in page
    assert _url(session) not in page


def test_the_operator_reschedules_in_a_time_zone_of_their_choice_with_a_window(admin_client, app, wa_transport):
    session = _scheduled(app, wa_transport["id"])
    day = (timezone.now() + timedelta(days=3)).date()
    response = admin_client.post(_url(session), {
        "do": "reschedule", "send_at": f"{day.isoformat()}T10:00", "time_zone": "Europe/Madrid",
        "window_start": "22:00", "window_end": "06:00", "window_time_zone": "Europe/Madrid",
    }, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"Session {session.pk}: rescheduled."]
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED
    assert session.send_at == datetime(day.year, day.month, day.day, 10, 0, tzinfo=MADRID)
    assert session.send_window == {"start": "22:00", "end": "06:00", "time_zone": "Europe/Madrid"}


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"window_start": "9", "window_end": "20:00", "window_time_zone": "UTC"}, "send_window.start"),
        ({"send_at": "2001-01-01T10:00"}, "send_at: is in the past"),
    ],
)
def test_a_bad_reschedule_shows_why_and_changes_nothing(admin_client, app, wa_transport, form, words):
    session = _scheduled(app, wa_transport["id"])
    response = admin_client.post(_url(session), {"do": "reschedule", "time_zone": "UTC", **form})
    assert response.status_code == 200
    assert words in response.content.decode()
    stored = Session.objects.get(pk=session.pk)
    assert (stored.status, stored.send_at, stored.send_window) == (session.status, session.send_at, None)


def test_start_now_and_cancel(admin_client, app, wa_transport, django_capture_on_commit_callbacks):
    started, cancelled = _scheduled(app, wa_transport["id"]), _scheduled(app, wa_transport["id"])
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(_url(started), {"do": "now", "time_zone": "UTC"})
    admin_client.post(_url(cancelled), {"do": "cancel", "time_zone": "UTC"})
    assert Session.objects.get(pk=started.pk).status == Session.Status.NEW
    assert len(callbacks) == 1  # published at once
    assert Session.objects.get(pk=cancelled.pk).status == Session.Status.CANCELLED
    assert set(Broadcast.objects.filter(session=cancelled).values_list("status", flat=True)) == {"CANCELLED"}


def test_a_session_that_started_is_refused_with_the_reason(admin_client, app, wa_transport):
    session = make_session(app, wa_transport["id"], [("QUEUED", "", 0)])
    response = admin_client.post(_url(session), {"do": "now", "time_zone": "UTC"})
    assert "Only a scheduled session can be rescheduled; this one is PENDING." in response.content.decode()
    assert Session.objects.get(pk=session.pk).status == Session.Status.PENDING


def test_an_operator_who_may_only_view_sessions_cannot_reschedule(client, app, wa_transport):
    user = get_user_model().objects.create_user("viewer", password="pw-for-tests", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_session", content_type__app_label="broadcasts"))
    client.force_login(user)
    session = _scheduled(app, wa_transport["id"])
    assert client.post(_url(session), {"do": "now", "time_zone": "UTC"}).status_code == 403
    assert Session.objects.get(pk=session.pk).status == Session.Status.SCHEDULED
