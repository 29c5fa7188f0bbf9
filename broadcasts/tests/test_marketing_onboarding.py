"""The Marketing Messages onboarding state: read on template sync, shown, and checked at session create."""

import pytest
from django.urls import reverse

from broadcasts.models import Broadcast, Session
from broadcasts.services import sessions as session_services
from broadcasts.services.dispatch import dispatch_batch
from broadcasts.testing import PROMO, transport_for
from broadcasts.testing import RECEIPT as UTILITY
from templates.models import Template
from templates.services import templates_sync
from transports.models import Transport

TO = ["+15550100001", "+15550100002"]


@pytest.fixture(autouse=True)
def enqueued(monkeypatch, simulator, settings):
    monkeypatch.setattr(session_services, "enqueue_dispatch", lambda session: None)
    settings.TRANSPORT_ALLOWED_HOSTS = [simulator.base_url.split("://", 1)[1] + "/v"]


def onboarded(simulator, value: bool) -> None:
    account = simulator.config.business_accounts[0]
    number = {"id": account.phone_numbers[0].id, "marketing_messages_onboarded": value}
    simulator.configure(business_accounts=[{"id": account.id, "phone_numbers": [number]}])


def synced(api, simulator, **options) -> dict:
    created = transport_for(api, simulator, phone_strictness="possible", **options)
    templates_sync(transport=Transport.objects.get(pk=created["id"]))
    return created


def create(api, transport, message):
    return api.post("/api/v1/sessions", {"transport": transport["id"], "message": message, "recipients": TO},
                    format="json")


def test_the_sync_reads_the_onboarding_state_and_the_api_and_admin_show_it(api, other_api, simulator, admin_client):
    transport = synced(api, simulator, marketing_messages="prefer")
    stored = Transport.objects.get(pk=transport["id"])
    assert stored.marketing_messages_onboarding == "ONBOARDED" and stored.marketing_onboarding_read_at

    onboarded(simulator, False)
    templates_sync(transport=stored)
    answer = api.get(f"/api/v1/transports/{transport['id']}").json()
    assert answer["marketing_messages_onboarding"] == "ELIGIBLE" and answer["marketing_onboarding_read_at"]
    assert answer["display_phone_number"] == "15550000001"
    page = admin_client.get(reverse("admin:transports_transport_change", args=[transport["id"]])).content.decode()
    assert "ELIGIBLE" in page and "Marketing messages onboarding" in page
    assert "ELIGIBLE" in admin_client.get(reverse("admin:transports_transport_changelist")).content.decode()
    # Another app sees nothing of it.
    assert other_api.get(f"/api/v1/transports/{transport['id']}").status_code == 404


def test_only_refuses_a_marketing_session_on_a_business_not_onboarded_and_stores_nothing(api, other_api, simulator):
    onboarded(simulator, False)
    transport = synced(api, simulator, marketing_messages="only")

    refused = create(api, transport, PROMO)

    assert refused.status_code == 400, refused.content
    body = refused.json()
    assert body["code"] == "marketing_messages_not_onboarded"
    assert "marketing_messages_onboarding: ELIGIBLE" in body["transport"][0] and "131055" in body["detail"]
    assert Session.objects.count() == 0 and Broadcast.objects.count() == 0
    assert simulator.messages() == []
    # Utility templates of the same transport are not concerned; the other app cannot use the transport at all.
    assert create(api, transport, UTILITY).status_code == 202
    assert create(other_api, transport, PROMO).json()["code"] == "unknown_transport"


def test_only_on_an_onboarded_business_is_accepted_without_warning(api, simulator):
    transport = synced(api, simulator, marketing_messages="only")
    answer = create(api, transport, PROMO)
    assert answer.status_code == 202 and answer.json()["warnings"] == []


def test_prefer_on_a_business_not_onboarded_is_accepted_says_so_and_falls_back(api, simulator):
    onboarded(simulator, False)
    transport = synced(api, simulator, marketing_messages="prefer")

    answer = create(api, transport, PROMO)

    assert answer.status_code == 202, answer.content
    [warning] = answer.json()["warnings"]
    assert warning["code"] == "marketing_messages_fallback" and "Cloud API" in warning["detail"]
    dispatch_batch(session_id=answer.json()["id"])
    sent = simulator.messages(template="promo_image")
    assert len(sent) == 2 and {(row["endpoint"], row["fallback"]) for row in sent} == {("marketing_messages", True)}


def test_a_state_never_read_is_accepted_with_a_warning(api, simulator):
    transport = synced(api, simulator, marketing_messages="only")
    Transport.objects.filter(pk=transport["id"]).update(marketing_messages_onboarding="")

    answer = create(api, transport, PROMO)

    assert answer.status_code == 202
    assert [w["code"] for w in answer.json()["warnings"]] == ["marketing_messages_onboarding_unknown"]


def test_a_failed_read_keeps_the_state_read_before(api, simulator):
    transport = synced(api, simulator, marketing_messages="only")
    before = Transport.objects.get(pk=transport["id"])
    Transport.objects.filter(pk=before.pk).update(config={**before.config, "businessAccountId": "299999999999999"})
    stale = Transport.objects.get(pk=before.pk)
    from transports.whatsapp.onboarding import transport_marketing_onboarding_refresh

    assert transport_marketing_onboarding_refresh(transport=stale) is False
    after = Transport.objects.get(pk=before.pk)
    assert (after.marketing_messages_onboarding, after.marketing_onboarding_read_at) == (
        "ONBOARDED", before.marketing_onboarding_read_at
    )


def test_the_admin_campaign_form_refuses_it_before_reading_the_file(admin_client, api, simulator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    onboarded(simulator, False)
    transport = Transport.objects.get(pk=synced(api, simulator, marketing_messages="only")["id"])
    template = Template.objects.get(transport=transport, name="order_confirmation")
    Template.objects.filter(pk=template.pk).update(category="MARKETING")  # as if Meta recategorised it
    csv = SimpleUploadedFile("people.csv", b"phone\n+12025550101\n", content_type="text/csv")

    response = admin_client.post("/admin/broadcasts/session/add/", {
        "transport": transport.pk, "template": template.pk, "address_column": "phone", "time_zone": "UTC",
        "param_1": "Ana", "param_2": "B-1", "param_3": "Monday", "recipients_csv": csv,
    })

    assert response.status_code == 200
    page = response.content.decode()
    assert "marketing_messages_onboarding: ELIGIBLE" in page and "not onboarded" in page
    assert Session.objects.count() == 0
