"""The admin dashboard: what an operator sees at /admin/dashboard/."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from broadcasts.models import Broadcast, BroadcastLog, Session
from broadcasts.services.dispatch import transport_stop_sending
from transports.testing import make_transport
from whatsapp_gateway.services import worker_heartbeat_record

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REASON = "Meta refused the credentials: code 190 - Error validating access token: Session has expired"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("ops", "ops@example.com", "a-long-password-1")


@pytest.fixture
def transport(app):
    from transports.services import whatsapp_transport_from_settings

    return whatsapp_transport_from_settings(app=app, name="whatsapp-main", settings=settings)


@pytest.fixture
def activity(app, transport):
    """A running session half done, a failure with Meta code 131026, and a stopped transport."""
    session = Session.objects.create(app=app, transport=transport, status=Session.Status.PENDING, total=4)
    statuses = ["SENT", "DELIVERED", "QUEUED", "QUEUED"]
    rows = Broadcast.objects.bulk_create(
        Broadcast(session=session, address=f"1202555{i:04d}", status=s) for i, s in enumerate(statuses)
    )
    for i, row in enumerate(rows[:2]):
        BroadcastLog.objects.create(broadcast=row, session=session, kind="ATTEMPT", status="SENT", attempt=1,
                                    response_status=200, duration_ms=40 + i)
    BroadcastLog.objects.create(broadcast=rows[2], session=session, kind="ATTEMPT", status="QUEUED", attempt=1,
                                response_status=400, error_code="131026", error_title="Message undeliverable")
    stopped = make_transport(app=app, whatsapp=True, name="whatsapp-expired", phone_number_id="100000000000002")
    transport_stop_sending(transport=stopped, reason=REASON)
    worker_heartbeat_record(hostname="celery@dashboard")
    return session


def test_it_is_for_staff_only(client, db, django_user_model):
    assert client.get("/admin/dashboard/").status_code == 302
    user = django_user_model.objects.create_user("bob", password="a-long-password-1")
    client.force_login(user)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_index_links_to_it(client, staff):
    client.force_login(staff)
    assert 'href="/admin/dashboard/"' in client.get("/admin/").content.decode()


def test_a_staff_user_without_the_permission_is_refused_and_not_shown_the_link(client, activity, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="a-long-password-1", is_staff=True)
    client.force_login(clerk)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 403
    assert "whatsapp-expired" not in response.content.decode()
    assert 'href="/admin/dashboard/"' not in client.get("/admin/").content.decode()


def test_a_staff_user_granted_the_permission_sees_it(client, activity, django_user_model):
    from django.contrib.auth.models import Permission

    watcher = django_user_model.objects.create_user("watcher", password="a-long-password-1", is_staff=True)
    watcher.user_permissions.add(Permission.objects.get(codename="view_operations_dashboard"))
    client.force_login(watcher)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200 and "whatsapp-expired" in response.content.decode()
    assert 'href="/admin/dashboard/"' in client.get("/admin/").content.decode()


def test_it_shows_progress_failures_and_the_stopped_transport_with_its_reason(client, staff, activity):
    client.force_login(staff)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "whatsapp-expired" in page and "Session has expired" in page
    assert "2 / 4 (50%)" in page and 'style="width: 50%"' in page
    assert "131026" in page and "Message undeliverable" in page
    assert "2 sent, 1 failed" in page
    assert "celery@dashboard" in page
    main = page.split('id="content-main"')[1]
    assert "<script" not in main  # no JavaScript of its own
    assert 'src="http' not in page and 'href="http' not in page  # nothing from a CDN or the network


def test_it_reads_in_a_fixed_number_of_queries(client, staff, activity, app, transport, django_assert_max_num_queries):
    for _ in range(5):
        Session.objects.create(app=app, transport=transport, status=Session.Status.PENDING, total=0)
    client.force_login(staff)
    with django_assert_max_num_queries(15):
        assert client.get("/admin/dashboard/").status_code == 200


@pytest.mark.needs("chromium (apt-get install chromium)", available=CHROMIUM is not None)
@pytest.mark.django_db(transaction=True)
def test_a_headless_browser_renders_the_dashboard(live_server, client, staff, activity):
    from playwright.sync_api import sync_playwright

    client.force_login(staff)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    shot = Path(settings.VAR_DIR) / "screenshots" / "admin-dashboard.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            page = context.new_page()
            failed_requests = []
            page.on("requestfailed", lambda request: failed_requests.append(request.url))
            page.goto(f"{live_server.url}/admin/dashboard/")
            assert "Session has expired" in page.inner_text("#stopped-transports")
            assert "50%" in page.inner_text("#running-sessions")
            # The progress bar is drawn: half the width of its track.
            track = page.locator("#running-sessions .gw-progress").first.bounding_box()
            bar = page.locator("#running-sessions .gw-progress span").first.bounding_box()
            assert abs(bar["width"] - track["width"] / 2) <= 2
            # The admin's own stylesheet arrived (served by whitenoise / staticfiles), nothing from elsewhere.
            assert page.evaluate("getComputedStyle(document.querySelector('#header')).display") != "inline"
            assert failed_requests == []
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000


def test_it_shows_a_transport_slowed_by_throttling_with_the_rate_it_sends_at(client, staff, transport):
    from broadcasts.services.pacing import pace_throttled

    pace_throttled(transport_id=transport.pk, rate=transport.rate_limit, seconds=0)
    client.force_login(staff)
    page = client.get("/admin/dashboard/").content.decode()
    slowed = page.split('id="throttled-transports"')[1].split("</div>")[0]
    assert "throttling (1)" in slowed and "whatsapp-main" in slowed
    sending_at = re.search(r"<td>([\d.]+) msg/s</td><td>80.0 msg/s</td>", slowed)
    assert sending_at and 40 <= float(sending_at.group(1)) < 45  # halved, regaining 4 msg/s a second
