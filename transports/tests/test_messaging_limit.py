"""The portfolio's messaging limit and the number's quality rating: read from Meta on template sync, stored, shown."""

import pytest
from django.urls import reverse

from templates.services import templates_sync
from transports.models import Transport
from transports.whatsapp.limits import messaging_limit_count

PHONE_ID = "100000000000001"


def _limits(simulator, **number):
    waba = simulator.config.business_accounts[0]
    simulator.configure(business_accounts=[{"id": waba.id, "phone_numbers": [{"id": PHONE_ID, **number}]}])


def test_it_stores_the_messaging_limit_and_quality_rating_on_template_sync(sim_transport, simulator):
    _limits(simulator, messaging_limit="TIER_10K", quality_rating="YELLOW")
    templates_sync(transport=Transport.objects.get(pk=sim_transport["id"]))
    transport = Transport.objects.get(pk=sim_transport["id"])
    assert (transport.messaging_limit, transport.quality_rating) == ("TIER_10K", "YELLOW")
    assert transport.limits_read_at is not None


def test_a_later_sync_reads_a_changed_limit(sim_transport, simulator):
    transport = Transport.objects.get(pk=sim_transport["id"])
    templates_sync(transport=transport)
    assert Transport.objects.get(pk=transport.pk).messaging_limit == "TIER_2K"
    _limits(simulator, messaging_limit="TIER_UNLIMITED", quality_rating="RED")
    templates_sync(transport=transport)
    assert Transport.objects.values_list("messaging_limit", "quality_rating").get(pk=transport.pk) == (
        "TIER_UNLIMITED", "RED"
    )


@pytest.mark.parametrize(("tier", "count"), [
    ("TIER_250", 250), ("TIER_2K", 2000), ("TIER_10K", 10_000), ("TIER_100K", 100_000),
    ("TIER_UNLIMITED", None), ("", None), ("SOMETHING", None),
])
def test_it_reads_each_tier_as_a_number_of_users(tier, count):
    assert messaging_limit_count(tier) == count


def test_the_transport_admin_page_shows_the_limit_and_rating(admin_client, sim_transport, simulator):
    _limits(simulator, messaging_limit="TIER_100K", quality_rating="GREEN")
    templates_sync(transport=Transport.objects.get(pk=sim_transport["id"]))
    page = admin_client.get(reverse("admin:transports_transport_change", args=[sim_transport["id"]]))
    assert page.status_code == 200
    assert "TIER_100K" in page.content.decode()
    listing = admin_client.get(reverse("admin:transports_transport_changelist")).content.decode()
    assert "TIER_100K" in listing and "Messaging limit" in listing
