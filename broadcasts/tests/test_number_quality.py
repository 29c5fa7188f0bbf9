"""Per-number quality: Meta's phone_number_quality_update webhooks applied at once and kept as history, changes
read on sync recorded too, and both shown with the transport."""

import dataclasses
import hashlib
import json
import uuid

import pytest
import requests
from django.urls import reverse

from broadcasts.models import WebhookEvent
from broadcasts.services.webhooks.events import webhook_event_process, webhook_events_process_pending
from broadcasts.testing import wait_until
from simulator.config import BusinessAccount, PhoneNumber
from simulator.number_quality import quality_change_apply
from simulator.webhooks import envelope
from templates.services import templates_sync
from transports.models import PhoneNumberQualityChange, Transport
from whatsapp_gateway.testing import whatsapp_transport_via_api

DISPLAY = "15550000001"  # the simulator's number, read on sync


@pytest.fixture
def transport(sim_transport):
    transport = Transport.objects.get(pk=sim_transport["id"])
    templates_sync(transport=transport)  # reads TIER_2K, GREEN and the display number
    transport.refresh_from_db()
    return transport


def quality_webhook(transport, *, display=DISPLAY, **change) -> WebhookEvent:
    """The webhook as the simulator builds it for this change, stored as the view stores it."""
    number = PhoneNumber(id=transport.config["phoneNumberId"], display_phone_number=display,
                         messaging_limit=transport.messaging_limit or "TIER_2K")
    account = BusinessAccount(id=transport.config["businessAccountId"], phone_numbers=[dataclasses.replace(number)])
    waba, field, _key, value = quality_change_apply(account, account.phone_numbers[0], change)
    payload = envelope(waba, field, value)
    digest = hashlib.sha256(json.dumps(payload).encode() + uuid.uuid4().bytes).hexdigest()
    return WebhookEvent.objects.create(transport=transport, body_sha256=digest, payload=payload)


def process(event) -> dict:
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.PROCESSED, event.error
    return event.summary


def test_an_upgrade_applies_the_new_limit_at_once_and_keeps_the_history(transport):
    assert (transport.messaging_limit, transport.display_phone_number) == ("TIER_2K", DISPLAY)

    summary = process(quality_webhook(transport, event="UPGRADE", messaging_limit="TIER_10K"))

    assert summary["quality_updates_applied"] == 1 and "ignored_fields" not in summary
    transport.refresh_from_db()
    assert transport.messaging_limit == "TIER_10K"
    change = transport.quality_changes.get()
    assert (change.source, change.event, change.old_messaging_limit, change.new_messaging_limit) == (
        "webhook", "UPGRADE", "TIER_2K", "TIER_10K"
    )
    assert change.changed_at is not None


def test_a_flag_is_recorded_and_leaves_the_limit(transport):
    process(quality_webhook(transport, event="FLAGGED"))
    transport.refresh_from_db()
    assert transport.messaging_limit == "TIER_2K"
    assert transport.quality_changes.get().event == "FLAGGED"


def test_an_update_for_a_number_of_no_transport_changes_nothing(transport):
    summary = process(quality_webhook(transport, display="15559999999", event="DOWNGRADE", messaging_limit="TIER_250"))
    assert summary["quality_updates_unmatched"] == 1
    assert Transport.objects.get(pk=transport.pk).messaging_limit == "TIER_2K"
    assert not PhoneNumberQualityChange.objects.exists()


def test_another_apps_transport_of_the_same_number_is_never_touched(transport, other_app):
    theirs = Transport.objects.create(
        app=other_app, name="theirs", config=transport.config, display_phone_number=DISPLAY, messaging_limit="TIER_2K",
    )

    process(quality_webhook(transport, event="DOWNGRADE", messaging_limit="TIER_250"))

    assert Transport.objects.get(pk=transport.pk).messaging_limit == "TIER_250"
    theirs.refresh_from_db()
    assert theirs.messaging_limit == "TIER_2K" and not theirs.quality_changes.exists()


def test_a_sync_that_reads_another_rating_records_the_change(transport, simulator):
    waba = simulator.config.business_accounts[0]
    number = {"id": transport.config["phoneNumberId"], "quality_rating": "YELLOW", "messaging_limit": "TIER_2K"}
    simulator.configure(business_accounts=[{"id": waba.id, "phone_numbers": [number]}])
    templates_sync(transport=transport)
    templates_sync(transport=transport)  # the same values again: nothing more to record

    change = Transport.objects.get(pk=transport.pk).quality_changes.get()
    assert (change.source, change.old_quality_rating, change.new_quality_rating) == ("sync", "GREEN", "YELLOW")


def test_the_admin_and_the_api_show_the_number_and_its_recent_changes(transport, admin_client, api, other_api):
    process(quality_webhook(transport, event="UPGRADE", messaging_limit="TIER_100K"))

    page = admin_client.get(reverse("admin:transports_transport_change", args=[transport.pk])).content.decode()
    assert "Recent messaging limit and quality changes" in page and "TIER_2K → TIER_100K" in page
    history = admin_client.get(reverse("admin:transports_phonenumberqualitychange_changelist")).content.decode()
    assert "UPGRADE" in history and "TIER_100K" in history
    assert admin_client.get(reverse("admin:transports_phonenumberqualitychange_add")).status_code == 403
    answer = api.get(f"/api/v1/transports/{transport.pk}").json()
    assert (answer["messaging_limit"], answer["quality_rating"], answer["display_phone_number"]) == (
        "TIER_100K", "GREEN", DISPLAY
    )
    assert [(c["event"], c["new_messaging_limit"]) for c in answer["quality_changes"]] == [("UPGRADE", "TIER_100K")]
    assert other_api.get(f"/api/v1/transports/{transport.pk}").status_code == 404
    assert other_api.get("/api/v1/transports/").json()["results"] == []


@pytest.mark.django_db(transaction=True)
def test_the_simulator_sends_the_webhook_and_the_gateway_applies_it(api, simulator, settings, live_server):
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]
    created = whatsapp_transport_via_api(api, base_url=simulator.base_url, phone_strictness="possible")
    templates_sync(transport=Transport.objects.get(pk=created["id"]))
    simulator.configure(callback_url=f"{live_server.url}/webhooks/whatsapp/{created['id']}")

    sent = requests.post(f"{simulator.base_url}/_sim/phone_numbers/quality",
                         json={"event": "DOWNGRADE", "messaging_limit": "TIER_250"}, timeout=5)

    assert sent.status_code == 200, sent.text
    wait_until(lambda: WebhookEvent.objects.filter(transport_id=created["id"]).exists(), what="the webhook")
    webhook_events_process_pending()
    transport = Transport.objects.get(pk=created["id"])
    assert transport.messaging_limit == "TIER_250"
    assert transport.quality_changes.get().event == "DOWNGRADE"


def test_a_transport_whose_number_was_never_read_takes_the_updates_of_its_own_waba(transport):
    Transport.objects.filter(pk=transport.pk).update(display_phone_number="")
    transport.refresh_from_db()

    process(quality_webhook(transport, event="UPGRADE", messaging_limit="TIER_10K"))

    assert Transport.objects.get(pk=transport.pk).messaging_limit == "TIER_10K"


def test_every_transport_of_the_app_on_that_number_gets_it(transport, app):
    second = Transport.objects.create(
        app=app, name="wa-test", config=transport.config, display_phone_number="+1 555 000 0001"
    )

    process(quality_webhook(transport, event="DOWNGRADE", messaging_limit="TIER_250"))

    limits = Transport.objects.filter(pk__in=[transport.pk, second.pk]).values_list("messaging_limit", flat=True)
    assert set(limits) == {"TIER_250"}
    assert second.quality_changes.get().event == "DOWNGRADE"
