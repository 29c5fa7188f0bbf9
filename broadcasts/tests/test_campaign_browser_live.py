"""A campaign as an operator runs it, in a real browser against a live gateway.

Chromium (Playwright) drives the admin served by the live server; a real Celery worker with beat
sends through the simulator as Meta, whose status webhooks come back to the live server. The
session is SCHEDULED a few seconds ahead and must be started by the due check (beat), not at once.
"""

import csv
import io
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection

from broadcasts.models import Session
from templates.services import templates_sync
from transports.models import Transport
from whatsapp_gateway.testing import TEARDOWN_GRACE_SECONDS, WorkerProcess, whatsapp_transport_via_api

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.needs("chromium (apt-get install chromium)", available=CHROMIUM is not None),
]

SCHEDULE_INTERVAL = 1.0
AHEAD_S = 12  # send_at this far after the confirm is due: the flow before it takes a few seconds
START_BOUND_S = SCHEDULE_INTERVAL + 4.0  # as test_schedule_live.py allows on a loaded machine
FAILING = "12025550103"  # Meta accepts it, then a `failed` webhook (131026): never read
CSV = (
    "phone;name;order\n"
    "+1 202 555 0101;Ana;B-1\n"
    "+12025550102;Ben;B-2\n"
    "12;Bad;B-3\n"
    f"+{FAILING};Cy;B-4\n"
    "+12025550101;Ana again;B-1\n"
)


def _db(function):
    """Run an ORM read in another thread: Playwright's sync API keeps an event loop in this one."""
    def run():
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def gateway(api, simulator, settings, live_server):
    """Alice's WhatsApp transport on the simulator, its templates synced, webhooks to the live server, a worker."""
    host = simulator.base_url.split("://", 1)[1]
    settings.TRANSPORT_ALLOWED_HOSTS = [host]
    transport = whatsapp_transport_via_api(api, base_url=simulator.base_url, phone_strictness="possible")
    simulator.configure(
        callback_url=f"{live_server.url}/webhooks/whatsapp/{transport['id']}",
        status_delays_s={"sent": 0.05, "delivered": 0.1, "read": 0.3}, failed_recipients={FAILING: 131026},
    )
    templates_sync(transport=Transport.objects.get(pk=transport["id"]))
    env = {"TRANSPORT_ALLOWED_HOSTS": host, "SCHEDULE_INTERVAL": str(SCHEDULE_INTERVAL), "SWEEPER_INTERVAL": "1"}
    worker = WorkerProcess(extra_env=env, beat=True).start()
    yield transport
    worker.stop(grace=TEARDOWN_GRACE_SECONDS)


def test_an_operator_runs_a_campaign_from_a_csv_to_its_retarget(gateway, live_server, client, django_user_model,
                                                                simulator, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "a-long-password-1"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    admin = f"{live_server.url}/admin/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)

            # The Sessions page's button, then the transport and one of its APPROVED templates.
            page.goto(f"{admin}broadcasts/session/")
            page.click("#new-campaign")
            page.select_option("#id_transport", str(gateway["id"]))
            page.select_option("#id_template", label=f"{gateway['name']}: order_confirmation · en_US · UTILITY")
            page.click("text=Next: parameters and recipients")
            expect(page.locator("#campaign-template")).to_contain_text("Hi {{1}}, your order {{2}} is confirmed")

            # Body {{1}} and {{2}} from the CSV's columns, {{3}} a fixed value; the CSV has one bad row.
            page.set_input_files("#id_recipients_csv", files=[
                {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.encode()},
            ])
            page.fill("#id_column_param_1", "name")
            page.fill("#id_column_param_2", "order")
            page.fill("#id_param_3", "Friday")
            page.select_option("#id_time_zone", "UTC")
            page.click("text=Check and preview")
            rejected = page.locator("#rejected-rows tbody tr")
            expect(rejected).to_have_count(1)
            expect(rejected.locator("td").nth(0)).to_have_text("4")
            expect(rejected.locator("td").nth(1)).to_have_text("12")
            expect(rejected.locator("td").nth(2)).to_contain_text("impossible phone number")

            # Send to the valid rows only, scheduled a few seconds ahead (the date and time in UTC).
            send_at = (datetime.now(UTC) + timedelta(seconds=AHEAD_S)).replace(microsecond=0)
            page.fill("#id_send_at", send_at.strftime("%Y-%m-%dT%H:%M:%S"))
            page.check("#id_skip_invalid")
            page.click("text=Check and preview")

            # The preview: each recipient's own message, the counts, then a test send to DEV_PHONE.
            samples = page.locator("#campaign-samples")
            expect(samples).to_contain_text("Hi Ana, your order B-1 is confirmed and will arrive on Friday.")
            expect(samples).to_contain_text("Hi Ben, your order B-2 is confirmed and will arrive on Friday.")
            counts = page.locator("#campaign-counts")
            expect(counts).to_contain_text("Valid recipients: 3")
            expect(counts).to_contain_text("Rejected rows (left out): 1")
            expect(counts).to_contain_text("Duplicates (merged): 1")
            expect(counts).to_contain_text("Suppressed (on the opt-out list, stored but never sent): 0")
            expect(page.locator("#id_to")).to_have_value(settings.DEV_PHONE)
            page.click("input[name=_test]")
            expect(page.locator(".messagelist")).to_contain_text("Test send: Sent: HTTP 200")
            assert [m["to"] for m in simulator.messages()] == [settings.DEV_PHONE.lstrip("+")]

            # Confirm: the session waits, SCHEDULED, until beat's due check starts it at send_at.
            page.click("input[name=_confirm]")
            expect(page.locator('[data-field="status_label"]')).to_have_text("SCHEDULED")
            session_id = page.url.rstrip("/").split("/")[-2]
            assert time.time() < send_at.timestamp() - 1, "the flow took too long to see the session wait"
            assert len(simulator.messages()) == 1  # nothing sent before its time
            expect(page.locator('[data-field="status_label"]')).not_to_have_text(
                "SCHEDULED", timeout=(AHEAD_S + START_BOUND_S + 10) * 1000
            )
            session = _db(lambda: Session.objects.get(pk=session_id))
            assert session.started_at >= send_at, (session.started_at, send_at)
            assert (session.started_at - send_at).total_seconds() <= START_BOUND_S

            # The page refreshes itself up to 100 %: two read, the third failed at Meta.
            expect(page.locator('[data-count="done"]')).to_have_text("3 (100%)", timeout=30_000)
            expect(page.locator('[data-count="read"]')).to_have_text("2 (66.7%)", timeout=30_000)
            expect(page.locator('[data-count="failed"]')).to_have_text("1 (33.3%)")
            expect(page.locator("#failure-reasons")).to_contain_text("131026")

            # Export: one row per recipient with its status.
            with page.expect_download() as download:
                page.click("#session-export")
            path = tmp_path / "export.csv"
            download.value.save_as(path)
            rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
            assert sorted((r["address"], r["status"]) for r in rows) == [
                ("12025550101", "READ"), ("12025550102", "READ"), (FAILING, "FAILED")
            ]

            # Retarget the recipients who did not read it: delivered but not read, and failed.
            page.click("#session-retarget")
            page.check("input[name=statuses][value=DELIVERED]")
            page.check("input[name=statuses][value=FAILED]")
            page.click("text=Create the session")
            expect(page.locator(".messagelist")).to_contain_text("created for 1 recipients")
            retarget_id = page.url.rstrip("/").split("/")[-2]
            retarget = _db(lambda: Session.objects.get(pk=retarget_id))
            assert str(retarget.retargeted_from_id) == session_id and retarget.total == 1
            assert _db(lambda: list(retarget.broadcasts.values_list("address", "params"))) == [
                (FAILING, {"name": "Cy", "order": "B-4", "parameters": ["Cy", "B-4", "Friday"]})
            ]
        finally:
            browser.close()
