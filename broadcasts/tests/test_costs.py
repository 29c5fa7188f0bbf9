"""What a session costs at Meta: estimated at create from the rate card, counted from the pricing of statuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from broadcasts.cost_models import CostDaily, RateCard
from broadcasts.models import Broadcast, InboundMessage
from broadcasts.services.rate_cards import RateCardError, rate_card_file_load, rate_card_parse
from broadcasts.services.webhooks.statuses import broadcast_statuses_apply
from templates.models import Template
from transports.addresses import phone_country
from transports.models import Transport
from whatsapp_gateway.metrics import metrics_render

HELLO = {"meta": {"templateName": "hello_world", "language": "en_US"}}  # UTILITY at the simulator
BR, DE, US, CA = "5511987654321", "4915112345678", "12025550101", "16135550123"
BSUID = "US.13491208655302741918"


@pytest.fixture
def transport(api, wa_transport):
    assert api.post("/api/v1/templates/sync", {"transport": wa_transport["id"]}, format="json").status_code == 200
    return Transport.objects.get(pk=wa_transport["id"])


def create(api, transport, message, recipients):
    answer = api.post("/api/v1/sessions", {"transport": transport.pk, "message": message, "recipients": recipients},
                      format="json")
    assert answer.status_code == 202, answer.content
    return answer.json()


def test_the_country_is_the_calling_codes_and_a_user_id_has_none():
    assert [phone_country(a) for a in (BR, DE, US, CA, "447700900123", "919876543210")] == [
        "BR", "DE", "US", "CA", "GB", "IN"]
    assert phone_country(BSUID) == "" and phone_country("") == ""


def test_the_estimate_prices_each_country_at_the_shipped_example_card(api, transport):
    Template.objects.filter(transport=transport, name="hello_world").update(category=Template.Category.MARKETING)
    body = create(api, transport, HELLO, [f"+{BR}", f"+{DE}", f"+{US}", f"+{CA}", BSUID])

    estimate = body["estimated_cost"]
    assert estimate["currency"] == "USD" and estimate["category"] == "MARKETING" and estimate["example_rates"]
    by_country = estimate["by_country"]
    assert {c: (row["billable"], row["rate"]) for c, row in by_country.items()} == {
        "BR": (1, "0.06"), "DE": (1, "0.13"), "US": (1, "0.02"), "CA": (1, "0.05"), "unknown": (1, "0.05"),
    }
    assert estimate["amount"] == "0.31"
    # Nothing delivered yet: the counted cost is zero, and GET shows the same estimate.
    assert body["cost"] == {"currency": "USD", "amount": "0.00", "billable": 0, "free": 0, "by_country": {}}
    assert api.get(f"/api/v1/sessions/{body['id']}").json()["estimated_cost"] == estimate
    assert api.get("/api/v1/sessions").json()["results"][0]["estimated_cost"] == estimate


def test_a_utility_template_inside_an_open_window_is_free(api, transport):
    InboundMessage.objects.create(
        transport=transport, app_id=transport.app_id, wa_id=BR, type="text", text="hi", message_id="wamid.IN1",
        timestamp=timezone.now() - timedelta(hours=2),
    )
    estimate = create(api, transport, HELLO, [f"+{BR}", f"+{DE}"])["estimated_cost"]
    assert estimate["category"] == "UTILITY"
    assert estimate["by_country"]["BR"] == {"recipients": 1, "billable": 0, "free": 1, "rate": "0.01", "amount": "0.00"}
    assert estimate["amount"] == "0.05"  # DE's utility only


def test_an_apps_own_card_overrides_the_default_and_another_app_sees_neither_its_card_nor_its_cost(
    api, other_api, app, transport
):
    RateCard.objects.create(app=app, currency="EUR", source="Our contract", rates={
        "default": {"UTILITY": "0.02"}, "BR": {"UTILITY": "0.004"},
    })
    body = create(api, transport, HELLO, [f"+{BR}", f"+{DE}"])
    assert body["estimated_cost"]["currency"] == "EUR" and not body["estimated_cost"]["example_rates"]
    assert body["estimated_cost"]["amount"] == "0.024"

    mine, theirs = api.get("/api/v1/rate-card").json(), other_api.get("/api/v1/rate-card").json()
    assert (mine["origin"], mine["currency"], mine["rates"]["BR"]) == ("app", "EUR", {"UTILITY": "0.004"})
    assert (theirs["origin"], theirs["currency"], theirs["example"]) == ("shipped", "USD", True)
    assert other_api.get(f"/api/v1/sessions/{body['id']}").status_code == 404


def test_a_rate_card_file_prices_every_app_without_its_own(api, transport, settings, tmp_path):
    card = tmp_path / "card.csv"
    card.write_text("country,currency,MARKETING,UTILITY,AUTHENTICATION\ndefault,BRL,0.30,0.05,0.05\nBR,BRL,0.25,0.04,0.04\n")
    settings.RATE_CARD_FILE = str(card)
    estimate = create(api, transport, HELLO, [f"+{BR}", f"+{DE}"])["estimated_cost"]
    assert (estimate["currency"], estimate["amount"], estimate["example_rates"]) == ("BRL", "0.09", False)


def test_a_bad_card_is_refused_naming_the_place(tmp_path):
    with pytest.raises(RateCardError) as error:
        rate_card_parse({"currency": "usd1", "rates": {"Brazil": {}, "DE": {"MARKETING": "-1", "SMS": "1"}}},
                        origin="app")
    assert any("currency" in e for e in error.value.errors)
    assert any("rates.Brazil" in e for e in error.value.errors)
    assert any("rates.DE.MARKETING" in e for e in error.value.errors)
    assert any("rates.DE.SMS" in e for e in error.value.errors)
    bad = tmp_path / "card.json"
    bad.write_text("{not json")
    with pytest.raises(RateCardError):
        rate_card_file_load(str(bad))


def _pricing(category, billable=True, kind="regular"):
    return {"pricing": {"billable": billable, "pricing_model": "PMP", "category": category, "type": kind}}


def test_pricing_is_counted_once_per_broadcast_per_session_transport_and_day(api, app, transport, admin_client):
    Template.objects.filter(transport=transport, name="hello_world").update(category=Template.Category.MARKETING)
    body = create(api, transport, HELLO, [f"+{BR}", f"+{DE}", BSUID])
    rows = {b.address: b for b in Broadcast.objects.filter(session_id=body["id"])}
    for number, broadcast in enumerate(rows.values()):
        broadcast.wamid, broadcast.status = f"wamid.C{number}", Broadcast.Status.SENT
        broadcast.save()
    now = timezone.now()
    items = []
    for status in ("sent", "delivered", "read"):
        items += [{"id": "wamid.C0", "status": status, "timestamp": str(int(now.timestamp())), **_pricing("marketing")},
                  {"id": "wamid.C1", "status": status, "timestamp": str(int(now.timestamp())), **_pricing("marketing")}]
    items.append({"id": "wamid.C2", "status": "delivered", "timestamp": str(int(now.timestamp())),
                  **_pricing("utility", billable=False, kind="free_customer_service")})
    broadcast_statuses_apply(app_id=app.pk, items=items[:4], now=now)
    broadcast_statuses_apply(app_id=app.pk, items=items, now=now)  # read, and replays: counted once

    br = Broadcast.objects.get(session_id=body["id"], address=BR)
    assert (br.pricing_billable, br.pricing_category, br.cost_country) == (True, "marketing", "BR")
    assert br.cost == Decimal("0.06")
    cost = api.get(f"/api/v1/sessions/{body['id']}").json()["cost"]
    assert cost["amount"] == "0.19" and (cost["billable"], cost["free"]) == (2, 1)
    assert cost["by_country"]["unknown"] == {"billable": 0, "free": 1, "amount": "0.00"}
    assert api.get(f"/api/v1/broadcasts/{br.pk}").json()["pricing"] == {
        "billable": True, "category": "marketing", "type": "regular", "amount": "0.06", "country": "BR"}

    daily = {row.category: row for row in CostDaily.objects.filter(transport=transport, day=now.date())}
    assert (daily["marketing"].billable, daily["marketing"].amount) == (2, Decimal("0.19"))
    assert (daily["utility"].billable, daily["utility"].free) == (0, 1)

    metrics = metrics_render().decode()
    assert f'gateway_cost_today{{category="marketing",currency="USD",transport="{transport.pk}"}} 0.19' in metrics
    free = f'gateway_messages_priced_today{{billable="false",category="utility",transport="{transport.pk}"}} 1.0'
    assert free in metrics

    page = admin_client.get("/admin/dashboard/").content.decode()
    assert 'id="costs-by-day"' in page and "0.1900 USD" in page and transport.name in page


def test_a_free_form_message_costs_nothing(api, transport):
    InboundMessage.objects.create(
        transport=transport, app_id=transport.app_id, wa_id=DE, type="text", text="hi", message_id="wamid.IN2",
        timestamp=timezone.now() - timedelta(hours=1),
    )
    estimate = create(api, transport, {"content": "Your parcel is here"}, [f"+{DE}"])["estimated_cost"]
    assert estimate["amount"] == "0.00" and estimate["category"] is None
    assert estimate["by_country"]["DE"]["free"] == 1
