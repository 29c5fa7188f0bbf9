"""Progress in the session admin: the list's bars and counts, the live page, its JSON, toolbar and New campaign."""

import re
import shutil
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadcasts.models import Broadcast, Session
from broadcasts.services.transitions import session_finish_if_done
from transports.redaction import numbers_masked

S = Session.Status


@pytest.fixture
def transport(app):
    from transports.services import whatsapp_transport_from_settings

    return whatsapp_transport_from_settings(app=app, name="whatsapp-main", settings=settings)


def session_with(app, transport, statuses: list[str], *, status=S.PENDING, codes=None, **fields) -> Session:
    """A session whose broadcasts are in `statuses`; failed ones get the `codes` given, in order."""
    session = Session.objects.create(app=app, transport=transport, status=status, total=len(statuses), **fields)
    codes = list(codes or [])
    Broadcast.objects.bulk_create(
        Broadcast(
            session=session, address=f"1202555{i:04d}", status=s,
            **({"error_code": codes.pop(0)[0], "error_title": "", "error_category": "PERMANENT"}
               if s == "FAILED" and codes else {}),
        )
        for i, s in enumerate(statuses)
    )
    return session


def row_of(page: str, session: Session) -> str:
    """The changelist row (<tr>…</tr>) of one session."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*{session.pk}(?:(?!</tr>).)*</tr>", page, re.S)
    assert match, f"no row for {session.pk}"
    return match.group(0)


def staff_user(django_user_model, name: str, *codenames: str):
    user = django_user_model.objects.create_user(name, password="a-long-password-1", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


# --- The list ----------------------------------------------------------------------------------------


def test_the_list_shows_each_sessions_counts_and_per_cent_of_its_recipients(admin_client, app, transport):
    running = session_with(app, transport, ["QUEUED", "QUEUED", "SENT", "READ"])
    clean = session_with(app, transport, ["READ", "READ", "DELIVERED", "SENT"], status=S.COMPLETED)
    page = admin_client.get("/admin/broadcasts/session/").content.decode()

    row = row_of(page, running)
    # sent counts every message that got at least that far: SENT and READ
    assert '<td class="field-sent_shown"><span class="gw-count">2 <small>(50%)</small></span></td>' in row
    assert '<td class="field-delivered_shown"><span class="gw-count">1 <small>(25%)</small></span></td>' in row
    assert '<td class="field-read_shown"><span class="gw-count">1 <small>(25%)</small></span></td>' in row
    assert '<td class="field-failed_shown"><span class="gw-count">0 <small>(0%)</small></span></td>' in row
    assert '<span class="gw-read" style="width:25.0%"></span><span class="gw-sent" style="width:25.0%"></span>' in row
    assert "</div> 50%" in row  # half finished

    row = row_of(page, clean)
    assert '<td class="field-sent_shown"><span class="gw-count">4 <small>(100%)</small></span></td>' in row
    assert '<td class="field-delivered_shown"><span class="gw-count">3 <small>(75%)</small></span></td>' in row
    assert '<td class="field-read_shown"><span class="gw-count">2 <small>(50%)</small></span></td>' in row


def test_a_completed_session_with_half_its_recipients_failed_looks_different_from_a_clean_one(
    admin_client, app, transport
):
    clean = session_with(app, transport, ["READ", "READ"], status=S.COMPLETED)
    half = session_with(app, transport, ["READ", "FAILED"], status=S.COMPLETED, codes=[("131026",)])
    failed = session_with(app, transport, ["FAILED"], status=S.FAILED, codes=[("131026",)])
    page = admin_client.get("/admin/broadcasts/session/").content.decode()

    assert '<span class="gw-status gw-status-clean">COMPLETED</span>' in row_of(page, clean)
    half_row = row_of(page, half)
    assert '<span class="gw-status gw-status-warning">COMPLETED, 50% failed</span>' in half_row
    assert '<span class="gw-count gw-count-failed">1 <small>(50%)</small></span>' in half_row
    assert '<span class="gw-failed" style="width:50.0%">' in half_row
    assert "gw-failed" not in row_of(page, clean) and "gw-status-warning" not in row_of(page, clean)
    assert '<span class="gw-status gw-status-failed">FAILED</span>' in row_of(page, failed)


def test_the_list_shows_sessions_in_every_state(admin_client, app, transport):
    sessions = {
        status: session_with(app, transport, ["SENT", "QUEUED"], status=status)
        for status in [S.NEW, S.PENDING, S.PAUSED, S.COMPLETED, S.FAILED, S.CANCELLED]
    }
    page = admin_client.get("/admin/broadcasts/session/").content.decode()
    for status, session in sessions.items():
        assert f">{status}</span>" in row_of(page, session)


def test_the_list_counts_a_whole_page_in_a_bounded_number_of_queries(admin_client, app, transport):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/admin/broadcasts/session/").status_code == 200
        return len(captured)

    for _ in range(2):
        session_with(app, transport, ["SENT", "FAILED", "QUEUED"], status=S.PENDING)
    few = queries()
    for _ in range(20):
        session_with(app, transport, ["READ", "FAILED", "DELIVERED"], status=S.COMPLETED)
    assert queries() == few  # no query per row: the page's counts are one grouped query
    assert few <= 12


def _sorted_by(admin_client, column: str, descending: bool = False) -> list:
    cl = admin_client.get("/admin/broadcasts/session/").context["cl"]
    index = cl.list_display.index(column)
    response = admin_client.get("/admin/broadcasts/session/", {"o": f"{'-' if descending else ''}{index}"})
    assert response.status_code == 200
    return [session.pk for session in response.context["cl"].result_list]


def test_the_list_sorts_by_the_per_cent_failed_and_sent(admin_client, app, transport):
    quarter = session_with(app, transport, ["FAILED", "SENT", "SENT", "SENT"], status=S.COMPLETED)
    none = session_with(app, transport, ["SENT", "QUEUED"])
    most = session_with(app, transport, ["FAILED", "FAILED", "FAILED", "READ"], status=S.COMPLETED)
    # Purged: no broadcasts left, its frozen stats count (2 failed of 2).
    purged = Session.objects.create(
        app=app, transport=transport, status=S.COMPLETED, total=2,
        stats={"total": 2, "failed": 2, "sent": 0, "frozen": True},
    )
    assert _sorted_by(admin_client, "failed_shown", descending=True) == [purged.pk, most.pk, quarter.pk, none.pk]
    assert _sorted_by(admin_client, "sent_shown", descending=True) == [quarter.pk, none.pk, most.pk, purged.pk]
    assert _sorted_by(admin_client, "progress_shown")[0] == none.pk  # the only one unfinished


# --- The session page --------------------------------------------------------------------------------


def test_the_session_page_shows_counts_failure_reasons_and_the_toolbar(admin_client, app, transport):
    session = session_with(
        app, transport, ["QUEUED", "SENT", "READ", "FAILED", "FAILED", "FAILED"],
        codes=[("131026",), ("131026",), ("131047",)],
    )
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert '<td data-count="done">5 (83.3%)</td>' in page
    assert '<td data-count="sent">2 (33.3%)</td>' in page
    assert '<td data-count="failed">3 (50%)</td>' in page
    reasons = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td><a href=\"([^\"]+)\">(\d+)</a>", page)
    assert [(code, count) for code, _, count in reasons] == [("131026", "2"), ("131047", "1")]
    # The toolbar: trigger, pause and cancel for a running session; resume hidden; a place for more buttons.
    for name in ["trigger", "pause", "cancel"]:
        assert re.search(rf'data-operation="{name}"\s*>', page)
    assert re.search(r'data-operation="resume"\s*hidden>', page)
    assert "Toolbar extension point" not in page  # a template comment, not shown
    assert 'id="session-progress-data"' in page and "session_progress.js" in page


def test_each_failure_reason_links_to_exactly_those_broadcasts(admin_client, app, transport):
    session = session_with(
        app, transport, ["FAILED", "FAILED", "FAILED", "SENT"], codes=[("131026",), ("131047",), ("131026",)]
    )
    other = session_with(app, transport, ["FAILED"], codes=[("131026",)])
    data = admin_client.get(f"/admin/broadcasts/session/{session.pk}/progress.json").json()
    links = {reason["code"]: reason["url"] for reason in data["failures"]}
    expected = {
        code: sorted(session.broadcasts.filter(error_code=code).values_list("pk", flat=True))
        for code in ["131026", "131047"]
    }
    for code, url in links.items():
        listed = admin_client.get(url).context["cl"].result_list
        assert sorted(row.pk for row in listed) == expected[code]
    assert other.broadcasts.get().pk not in expected["131026"]


def test_a_failure_without_a_code_links_to_the_failures_without_one(admin_client, app, transport):
    session = session_with(app, transport, ["FAILED", "FAILED"], codes=[("131026",)])
    data = admin_client.get(f"/admin/broadcasts/session/{session.pk}/progress.json").json()
    no_code = next(reason for reason in data["failures"] if reason["code"] == "")
    listed = admin_client.get(no_code["url"]).context["cl"].result_list
    assert [row.pk for row in listed] == [session.broadcasts.get(error_code="").pk]


def test_a_session_where_every_message_failed_says_why(admin_client, api, app, transport):
    session = session_with(
        app, transport, ["FAILED", "FAILED", "FAILED"], codes=[("131026",), ("131026",), ("131047",)]
    )
    Broadcast.objects.filter(error_code="131026").update(error_title="Message undeliverable to +12025550000")
    assert session_finish_if_done(session_id=session.pk)
    session.refresh_from_db()
    assert session.status == "FAILED"
    assert session.error == (
        "Every message failed (3): code 131026 Message undeliverable to +1202*****00 (2); code 131047 (1)."
    )
    page = admin_client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert '<p class="errornote" data-field="error">Every message failed (3)' in page
    assert 'class="gw-status gw-status-failed">FAILED</strong>' in page
    assert api.get(f"/api/v1/sessions/{session.pk}").json()["error"] == session.error


def test_a_session_with_sends_and_cancellations_only_says_what_became_of_them(app, transport):
    session = session_with(app, transport, ["FAILED", "CANCELLED"], codes=[("131026",)])
    assert session_finish_if_done(session_id=session.pk)
    session.refresh_from_db()
    assert session.error == "No message was sent: 1 failed, 1 cancelled: code 131026 (1)."


def test_the_chart_of_a_long_session_shows_its_last_three_hours(app, transport):
    from broadcasts.selectors import CHART_MINUTES, session_activity_per_minute

    session = session_with(app, transport, ["SENT", "SENT"], status=S.COMPLETED)
    now = timezone.now()
    first, last = session.broadcasts.order_by("id")
    Broadcast.objects.filter(pk=first.pk).update(sent_at=now - timedelta(hours=5))
    Broadcast.objects.filter(pk=last.pk).update(sent_at=now)
    rows = session_activity_per_minute(session=session)
    assert len(rows) == CHART_MINUTES == 180
    assert [row["sent"] for row in rows][-1] == 1 and sum(row["sent"] for row in rows) == 1


def test_a_completed_session_keeps_no_error(app, transport):
    session = session_with(app, transport, ["SENT", "FAILED"], codes=[("131026",)])
    assert session_finish_if_done(session_id=session.pk)
    session.refresh_from_db()
    assert (session.status, session.error) == ("COMPLETED", "")


# --- The JSON endpoint -------------------------------------------------------------------------------


def test_the_json_has_the_counts_and_a_per_minute_series(admin_client, app, transport):
    session = session_with(app, transport, ["READ", "SENT", "QUEUED", "FAILED"], codes=[("131026",)])
    start = timezone.now().replace(second=10, microsecond=0) - timedelta(minutes=3)
    first, second = session.broadcasts.filter(status__in=["READ", "SENT"]).order_by("id")
    Broadcast.objects.filter(pk=first.pk).update(
        sent_at=start, delivered_at=start + timedelta(seconds=20), read_at=start + timedelta(minutes=2)
    )
    Broadcast.objects.filter(pk=second.pk).update(sent_at=start + timedelta(seconds=5))
    data = admin_client.get(f"/admin/broadcasts/session/{session.pk}/progress.json").json()
    assert data["status"] == "PENDING" and data["running"] is True
    assert data["progress"]["counts"] == {"sent": 2, "delivered": 1, "read": 1, "failed": 1, "done": 3}
    assert data["progress"]["percents"]["failed"] == 25.0
    assert data["operations"] == ["trigger", "pause", "cancel"]
    series = [(row["sent"], row["delivered"], row["read"]) for row in data["per_minute"]]
    # Four minutes up to now: both sent and one delivered in the first, its read two minutes later.
    assert series == [(2, 1, 0), (0, 0, 0), (0, 0, 1), (0, 0, 0)]


@pytest.mark.parametrize(("status", "starts_in", "poll"), [
    (S.PENDING, None, 3), (S.COMPLETED, None, 30),
    (S.SCHEDULED, timedelta(seconds=90), 3),  # about to start: the page sees it start within seconds
    (S.SCHEDULED, timedelta(hours=5), 30),
])
def test_the_page_polls_often_while_a_session_runs_or_is_about_to(admin_client, app, transport, status, starts_in,
                                                                   poll):
    send_at = timezone.now() + starts_in if starts_in else None
    session = session_with(app, transport, ["QUEUED"], status=status, send_at=send_at)
    data = admin_client.get(f"/admin/broadcasts/session/{session.pk}/progress.json").json()
    assert data["poll_seconds"] == poll
    assert data["live_note"].startswith({S.PENDING: "updates", S.COMPLETED: "finished", S.SCHEDULED: "waits"}[status])


def test_the_json_is_for_staff_only(client, app, transport, django_user_model):
    session = session_with(app, transport, ["SENT"])
    url = f"/admin/broadcasts/session/{session.pk}/progress.json"
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(django_user_model.objects.create_user("bob", password="a-long-password-1"))
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert "SENT" not in response.content.decode()


def test_the_json_needs_the_permission_to_view_sessions(client, app, transport, django_user_model):
    session = session_with(app, transport, ["SENT"])
    url = f"/admin/broadcasts/session/{session.pk}/progress.json"
    client.force_login(staff_user(django_user_model, "clerk", "view_broadcast"))
    response = client.get(url)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied" and "counts" not in response.content.decode()

    client.force_login(staff_user(django_user_model, "watcher", "view_session"))
    response = client.get(url)
    assert response.status_code == 200 and response.json()["progress"]["counts"]["sent"] == 1
    assert client.get("/admin/broadcasts/session/00000000-0000-0000-0000-000000000000/progress.json").status_code == 404
    assert client.get("/admin/broadcasts/session/not-a-uuid/progress.json").status_code == 404


def test_the_admin_is_operator_wide_so_staff_see_every_apps_session(admin_client, app, other_app, transport):
    from transports.services import whatsapp_transport_from_settings

    theirs = whatsapp_transport_from_settings(app=other_app, name="whatsapp-other", settings=settings)
    session = session_with(other_app, theirs, ["SENT"])
    assert admin_client.get(f"/admin/broadcasts/session/{session.pk}/progress.json").status_code == 200


def test_failure_titles_are_masked_without_the_personal_data_permission(client, app, transport, django_user_model):
    session = session_with(app, transport, ["FAILED"], codes=[("131026",)])
    Broadcast.objects.filter(session=session).update(error_title="Undeliverable to 12025550000")
    url = f"/admin/broadcasts/session/{session.pk}/progress.json"
    client.force_login(staff_user(django_user_model, "watcher", "view_session"))
    assert client.get(url).json()["failures"][0]["title"] == "Undeliverable to 1202*****00"
    page = client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert "12025550000" not in page and "Undeliverable to 1202*****00" in page
    client.force_login(staff_user(django_user_model, "privileged", "view_session", "view_personal_data"))
    assert client.get(url).json()["failures"][0]["title"] == "Undeliverable to 12025550000"


# --- The toolbar -------------------------------------------------------------------------------------


def test_the_toolbar_pauses_resumes_and_cancels_back_on_the_session_page(admin_client, app, transport):
    session = session_with(app, transport, ["QUEUED", "QUEUED", "SENT"])
    base = f"/admin/broadcasts/session/{session.pk}"
    response = admin_client.post(f"{base}/operate/pause/", follow=True)
    assert response.redirect_chain[-1][0] == f"{base}/change/"
    assert [str(m) for m in response.context["messages"]] == [f"Session {session.pk}: paused."]
    assert Session.objects.get(pk=session.pk).status == "PAUSED"
    assert admin_client.get(f"{base}/progress.json").json()["operations"] == ["resume", "cancel"]

    response = admin_client.post(f"{base}/operate/resume/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"Session {session.pk}: resumed."]
    assert Session.objects.get(pk=session.pk).status == "PENDING"
    response = admin_client.post(f"{base}/operate/cancel/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"Session {session.pk}: 2 broadcasts cancelled."]
    response = admin_client.post(f"{base}/operate/trigger/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Session {session.pk}: A cancelled session cannot be triggered."
    ]
    assert admin_client.get(f"{base}/operate/cancel/").status_code == 405
    assert admin_client.post(f"{base}/operate/delete/").status_code == 403


def test_staff_who_may_only_view_sessions_get_only_the_export_and_cannot_operate(
    client, app, transport, django_user_model
):
    session = session_with(app, transport, ["QUEUED"])
    client.force_login(staff_user(django_user_model, "watcher", "view_session"))
    page = client.get(f"/admin/broadcasts/session/{session.pk}/change/").content.decode()
    assert 'id="session-progress"' in page and "data-operation=" not in page
    assert 'id="session-export"' in page and 'id="session-retarget"' not in page
    assert client.post(f"/admin/broadcasts/session/{session.pk}/operate/cancel/").status_code == 403
    response = client.post(
        "/admin/broadcasts/session/", {"action": "cancel_sessions", "_selected_action": [str(session.pk)]}
    )
    assert response.status_code in (200, 302)
    assert Session.objects.get(pk=session.pk).status == "PENDING"


# --- New campaign ------------------------------------------------------------------------------------


def test_the_sessions_page_has_a_new_campaign_button_that_leads_to_the_form(admin_client, app, transport):
    page = admin_client.get("/admin/broadcasts/session/").content.decode()
    assert '<a href="/admin/broadcasts/session/add/" class="addlink" id="new-campaign">New campaign</a>' in page
    assert "Add session" not in page  # the toolbar's one add button is New campaign
    response = admin_client.get("/admin/broadcasts/session/add/")
    assert response.status_code == 200 and 'id="campaign-choose"' in response.content.decode()


def test_the_new_campaign_page_needs_the_add_permission(client, db, django_user_model):
    client.force_login(staff_user(django_user_model, "clerk", "view_broadcast", "view_session"))
    assert client.get("/admin/broadcasts/session/add/").status_code == 403


def test_numbers_in_free_text_are_masked_and_error_codes_kept():
    assert numbers_masked("(#131026) to +12025550000, 2026, 15550100001x") == (
        "(#131026) to +1202*****00, 2026, 1555*****01x"
    )


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.needs("chromium (apt-get install chromium)", available=CHROMIUM is not None)
@pytest.mark.django_db(transaction=True)
def test_a_browser_sees_the_session_page_refresh_itself(live_server, client, app, transport, django_user_model):
    from playwright.sync_api import sync_playwright

    session = session_with(app, transport, ["QUEUED", "QUEUED", "QUEUED", "QUEUED"])
    client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "a-long-password-1"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            page = context.new_page()
            failed_requests = []
            page.on("requestfailed", lambda request: failed_requests.append(request.url))
            page.goto(f"{live_server.url}/admin/broadcasts/session/{session.pk}/change/")
            assert page.inner_text('[data-count="sent"]') == "0 (0%)"
            assert page.locator("#session-chart rect").count() == 0
            assert not page.is_visible('[data-field="error"]')

            # Two are sent, one fails with 131026, and an operator pauses the session elsewhere. (Playwright's
            # event loop runs in this thread, so the ORM is used from another, as a worker would.)
            def progress() -> None:
                first, second, third, _ = session.broadcasts.order_by("id")
                Broadcast.objects.filter(pk__in=[first.pk, second.pk]).update(status="SENT", sent_at=timezone.now())
                Broadcast.objects.filter(pk=third.pk).update(
                    status="FAILED", error_code="131026", error_title="Undeliverable"
                )
                Session.objects.filter(pk=session.pk).update(status=S.PAUSED)
                connection.close()

            elsewhere = threading.Thread(target=progress)
            elsewhere.start()
            elsewhere.join()

            page.wait_for_function(
                "document.querySelector('[data-count=\"sent\"]').textContent === '2 (50%)'", timeout=15_000
            )
            assert page.inner_text('[data-count="failed"]') == "1 (25%)"
            assert page.inner_text('[data-field="status_label"]') == "PAUSED"
            assert page.locator("#session-chart rect").count() == 1  # one minute, sent only
            link = page.locator("#failure-reasons a")
            assert link.inner_text() == "1" and "error_code__exact=131026" in link.get_attribute("href")
            assert not page.is_visible('form[data-operation="pause"]')
            assert page.is_visible('form[data-operation="resume"]')
            assert failed_requests == []
        finally:
            browser.close()
