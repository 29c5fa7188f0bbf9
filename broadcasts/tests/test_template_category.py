"""Meta recategorises a template: applied at once, kept as history, and its running sessions wait for an operator."""

import hashlib
import json
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from broadcasts.models import Broadcast, Session, WebhookEvent
from broadcasts.services.sessions import session_resume
from broadcasts.services.webhooks.events import webhook_event_process
from simulator.webhook_events import template_category_value
from simulator.webhooks import envelope
from templates.models import Template
from templates.services import templates_sync
from transports.models import Transport


@pytest.fixture
def transport(sim_transport, django_capture_on_commit_callbacks):
    transport = Transport.objects.get(pk=sim_transport["id"])
    templates_sync(transport=transport)  # hello_world (en_US) is UTILITY at the simulator
    return transport


def running_session(transport, template="hello_world") -> Session:
    session = Session.objects.create(
        app_id=transport.app_id, transport=transport, status=Session.Status.PENDING, total=1,
        message={"meta": {"templateName": template, "language": "en_US"}},
    )
    Broadcast.objects.create(session=session, address="15550100001", status=Broadcast.Status.QUEUED)
    return session


def category_webhook(transport, template: Template, new: str) -> WebhookEvent:
    """The webhook as the simulator builds it for this recategorisation, stored as the view stores it."""
    moved = Template.objects.get(pk=template.pk)
    moved.category, moved.id = new, template.meta_id
    payload = envelope(transport.config["businessAccountId"], "template_category_update",
                       template_category_value(moved, template.category))
    digest = hashlib.sha256(json.dumps(payload).encode() + uuid.uuid4().bytes).hexdigest()  # Meta resends differ
    return WebhookEvent.objects.create(transport=transport, body_sha256=digest, payload=payload)


def process(event, capture) -> dict:
    with capture(execute=True):
        webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    return event.summary


def test_the_webhook_recategorises_at_once_and_keeps_the_history(transport, django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    assert template.category == "UTILITY"

    summary = process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)

    template.refresh_from_db()
    assert template.category == "MARKETING"
    assert summary["templates_recategorised"] == 1 and "ignored_fields" not in summary
    change = template.category_changes.get()
    assert (change.previous_category, change.new_category, change.source) == ("UTILITY", "MARKETING", "webhook")


def test_a_running_session_of_that_template_pauses_for_the_operator(transport, django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    session, unrelated = running_session(transport), running_session(transport, template="order_update")

    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)

    session.refresh_from_db()
    assert (session.status, session.pause_reason) == ("PAUSED", "category")
    assert "from UTILITY to MARKETING" in session.error and "Resume" in session.error
    assert Broadcast.objects.get(session=session).status == "QUEUED"  # nothing failed, nothing was sent
    assert Session.objects.get(pk=unrelated.pk).status == "PENDING"
    with django_capture_on_commit_callbacks(execute=False):
        session_resume(session=session)  # the operator confirms: it sends on as marketing
    session.refresh_from_db()
    assert (session.status, session.pause_reason, session.error) == ("PENDING", "", "")


def test_a_setting_lets_sessions_go_on(transport, settings, django_capture_on_commit_callbacks):
    settings.TEMPLATE_RECATEGORISED_PAUSES = False
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    session = running_session(transport)
    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)
    assert Session.objects.get(pk=session.pk).status == "PENDING"
    assert Template.objects.get(pk=template.pk).category == "MARKETING"


def test_a_move_away_from_marketing_pauses_nothing(transport, django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    session = running_session(transport)
    process(category_webhook(transport, template, "AUTHENTICATION"), django_capture_on_commit_callbacks)
    assert Session.objects.get(pk=session.pk).status == "PENDING"
    assert Template.objects.get(pk=template.pk).category == "AUTHENTICATION"


def test_a_repeated_webhook_adds_no_history(transport, django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)
    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)
    assert template.category_changes.count() == 1


def test_another_apps_template_is_never_touched(transport, other_app, django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    theirs = Template.objects.create(
        app=other_app, transport=Transport.objects.create(app=other_app, name="theirs", config={}),
        meta_id=template.meta_id + "0", name="hello_world", language="en_US", category="UTILITY", status="APPROVED",
    )
    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)
    theirs.refresh_from_db()
    assert theirs.category == "UTILITY" and theirs.category_changes.count() == 0


def test_a_sync_that_finds_a_new_category_records_it_too(transport, simulator, django_capture_on_commit_callbacks):
    session = running_session(transport)
    answer = requests.post(f"{simulator.base_url}/_sim/templates/category",
                           json={"name": "hello_world", "language": "en_US", "category": "MARKETING"}, timeout=5)
    assert answer.status_code == 200, answer.text

    with django_capture_on_commit_callbacks(execute=True):
        templates_sync(transport=transport)

    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    assert template.category == "MARKETING"
    assert template.category_changes.get().source == "sync"
    assert Session.objects.get(pk=session.pk).pause_reason == "category"


def test_the_api_and_the_admin_show_the_history(transport, api, other_api, admin_client,
                                                django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)

    shown = api.get(f"/api/v1/templates/{template.pk}").json()
    changes = [(c["previous_category"], c["new_category"]) for c in shown["category_changes"]]
    assert changes == [("UTILITY", "MARKETING")]
    assert other_api.get(f"/api/v1/templates/{template.pk}").status_code == 404
    page = admin_client.get(f"/admin/message_templates/template/{template.pk}/change/")
    assert page.status_code == 200 and b"Category changes by Meta" in page.content


def test_a_scheduled_session_pauses_too_and_resumes_to_its_schedule(transport, django_capture_on_commit_callbacks):
    template = Template.objects.get(transport=transport, name="hello_world", language="en_US")
    session = running_session(transport)
    send_at = timezone.now() + timedelta(hours=2)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.SCHEDULED, send_at=send_at)

    process(category_webhook(transport, template, "MARKETING"), django_capture_on_commit_callbacks)

    session.refresh_from_db()
    assert (session.status, session.pause_reason) == ("PAUSED", "category")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        session_resume(session=session)
    session.refresh_from_db()
    assert (session.status, session.send_at) == ("SCHEDULED", send_at)  # still starts at its time
    assert enqueued == []
