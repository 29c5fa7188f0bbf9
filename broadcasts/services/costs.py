"""What a session costs at Meta: estimated before it sends, and counted from Meta's pricing after.

Before: `cost_basis_build` counts a session's recipients per country (from the phone number's calling
code) and those inside an open 24-hour window when it is created; `cost_estimate` prices that basis with
the app's rate card (broadcasts/services/rate_cards.py) whenever it is read, so a changed card shows at once.
Meta charges per delivered template by category and country; a utility template inside the window, and a
free-form message, cost nothing. A user id (BSUID) has no country here: counted under "unknown" at the
card's default prices.

After: a delivered or read status carrying `pricing` prices its broadcast once (`broadcasts_price`), at the
app's card, and adds it to the day's `CostDaily` row of the transport and category (kept when data is
purged, shown on the dashboard and in /metrics).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from broadcasts.cost_models import CostDaily
from broadcasts.models import Broadcast, Session
from broadcasts.services.rate_cards import DEFAULT_COUNTRY, RateCard, money, rate_card_for_app
from broadcasts.services.webhooks.inbound import inbound_windows_open
from transports.addresses import phone_country
from transports.models import Transport
from transports.validation import priced_per_message
from whatsapp_gateway.metrics import pricing_observe

UNKNOWN_COUNTRY = "unknown"  # a user id (BSUID), or a number whose calling code is not a country's
UTILITY = "UTILITY"
# Meta charges a message once it is delivered: the pricing of these statuses counts (a sent one may never be).
CHARGED_STATUSES = (Broadcast.Status.DELIVERED, Broadcast.Status.READ)
PRICED_FIELDS = ("pricing_billable", "pricing_category", "pricing_type", "cost", "cost_country")  # what pricing sets
PRICING_CATEGORY_MAX = Broadcast._meta.get_field("pricing_category").max_length


def cost_basis_build(*, transport: Transport, category: str, addresses: Iterable[str]) -> dict:
    """{"category", "countries": {country: [recipients, inside a free window]}}; {} for a transport not priced.

    `category` is the template's (MARKETING, UTILITY, AUTHENTICATION) or "" for a free-form message.
    """
    if not priced_per_message(transport):
        return {}
    windows = inbound_windows_open(transport=transport) if category == UTILITY else set()
    countries: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for address in addresses:
        row = countries[phone_country(address) or UNKNOWN_COUNTRY]
        row[0] += 1
        row[1] += address in windows
    return {"category": category, "countries": dict(sorted(countries.items()))}


def cost_estimate(*, basis: dict, card: RateCard) -> dict | None:
    """The estimated cost of a basis at this card: {currency, amount, by_country: {country: …}, …}."""
    if not basis:
        return None
    category = basis.get("category") or ""
    total, by_country = Decimal(0), {}
    for country, (recipients, in_window) in basis.get("countries", {}).items():
        free = recipients if not category else in_window if category == UTILITY else 0
        rate = card.rate(country=_card_country(country), category=category) if category else Decimal(0)
        amount = rate * (recipients - free)
        total += amount
        by_country[country] = {
            "recipients": recipients, "billable": recipients - free, "free": free, "rate": money(rate),
            "amount": money(amount),
        }
    return {
        "currency": card.currency, "amount": money(total), "category": category or None,
        "example_rates": card.example,
        "rate_card_date": card.effective_date.isoformat() if card.effective_date else None, "by_country": by_country,
    }


def audience_estimated_cost(*, transport: Transport, basis: dict) -> dict | None:
    """The estimate of a basis not stored yet (the admin's campaign preview), at the transport's app's card."""
    return cost_estimate(basis=basis, card=rate_card_for_app(app_id=transport.app_id))


def session_estimated_cost(*, session: Session, card: RateCard | None = None) -> dict | None:
    return cost_estimate(basis=session.cost_basis, card=card or rate_card_for_app(app_id=session.app_id))


def sessions_cost(*, sessions: list[Session], card: RateCard | None = None) -> dict:
    """What Meta's pricing says each session cost so far, by session id, in one query (None: not priced)."""
    rows = (
        Broadcast.objects.filter(session_id__in=[s.pk for s in sessions], pricing_billable__isnull=False)
        .values("session_id", "cost_country")
        .annotate(
            billable=Count("id", filter=Q(pricing_billable=True)), free=Count("id", filter=Q(pricing_billable=False)),
            amount=Sum("cost"),
        )
        .order_by("session_id", "cost_country")
    )
    grouped: dict = defaultdict(dict)
    for row in rows:
        grouped[row["session_id"]][row["cost_country"] or UNKNOWN_COUNTRY] = row
    result = {}
    for session in sessions:
        counted = grouped.get(session.pk, {})
        if not counted and not session.cost_basis:
            result[session.pk] = None
            continue
        currency = (card or rate_card_for_app(app_id=session.app_id)).currency
        by_country = {
            country: {"billable": row["billable"], "free": row["free"], "amount": money(row["amount"] or 0)}
            for country, row in counted.items()
        }
        result[session.pk] = {
            "currency": currency, "amount": money(sum((row["amount"] or 0 for row in counted.values()), Decimal(0))),
            "billable": sum(row["billable"] for row in counted.values()),
            "free": sum(row["free"] for row in counted.values()), "by_country": by_country,
        }
    return result


def broadcasts_price(*, app_id: int, charged: list[tuple[Broadcast, dict, datetime]]) -> tuple[set[str], dict]:
    """Price each (broadcast, Meta's pricing, when) not priced yet at the app's card: (fields set, day totals).

    Runs inside the statuses' transaction, on rows it holds locked: a broadcast is priced once however
    many statuses carry pricing. The caller adds the totals with `cost_daily_add`, last in that transaction.
    """
    todo = [(b, p, at) for b, p, at in charged if b.pricing_billable is None and isinstance(p, dict)]
    if not todo:
        return set(), {}
    card = rate_card_for_app(app_id=app_id)
    transports = dict(
        Session.objects.filter(pk__in={b.session_id for b, _, _ in todo}).values_list("pk", "transport_id")
    )
    days: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    seen: set[int] = set()
    for broadcast, pricing, at in todo:
        if broadcast.pk in seen:
            continue
        seen.add(broadcast.pk)
        category = str(pricing.get("category") or "")[:PRICING_CATEGORY_MAX].lower()
        billable = pricing.get("billable") is not False
        country = phone_country(broadcast.address)
        broadcast.pricing_billable, broadcast.pricing_category = billable, category
        broadcast.pricing_type = str(pricing.get("type") or "")[:32]
        broadcast.cost = card.rate(country=country or DEFAULT_COUNTRY, category=category) if billable else Decimal(0)
        broadcast.cost_country = country
        day = days[(at.date(), transports[broadcast.session_id], category or "unknown", card.currency)]
        day[0 if billable else 1] += 1
        day[2] += broadcast.cost
    return set(PRICED_FIELDS), days


def cost_daily_add(*, app_id: int, days: dict) -> None:
    """Add to (or start) each day's row of a transport and category: one INSERT … ON CONFLICT for all.

    Every webhook of the day writes the same rows, so this comes last in its transaction: the row lock
    that makes the others wait is held only until the commit.
    """
    if not days:
        return
    transaction.on_commit(lambda: pricing_observe(rows=[(*key[1:], *value) for key, value in days.items()]))
    table = connection.ops.quote_name(CostDaily._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(days))
    params = [
        value for (day, transport_id, category, currency), (billable, free, amount) in days.items()
        for value in (day, app_id, transport_id, category, currency, billable, free, amount)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, app_id, transport_id, category, currency, billable, free, amount) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (day, transport_id, category, currency) DO UPDATE SET "
            f"billable = {table}.billable + EXCLUDED.billable, free = {table}.free + EXCLUDED.free, "
            f"amount = {table}.amount + EXCLUDED.amount",
            params,
        )


def _card_country(country: str) -> str:
    return DEFAULT_COUNTRY if country == UNKNOWN_COUNTRY else country


def costs_by_day(*, since) -> list[dict]:
    """Priced messages and cost per day, transport and currency from `since` (a date), newest day first."""
    return list(
        CostDaily.objects.filter(day__gte=since)
        .values("day", "transport_id", "transport__name", "app__name", "currency")
        .annotate(billable=Sum("billable"), free=Sum("free"), amount=Sum("amount"))
        .order_by("-day", "transport__name", "currency")
    )


def session_cost_basis_store(*, session: Session, category: str, addresses: Iterable[str], suppressed: int) -> None:
    """At session create: store what its estimate is priced from (the recipients it will send to)."""
    if suppressed:  # on the opt-out list: never sent, never charged
        left_out = set(
            Broadcast.objects.filter(session=session, status=Broadcast.Status.SUPPRESSED)
            .values_list("address", flat=True)
        )
        addresses = (address for address in addresses if address not in left_out)
    session.cost_basis = cost_basis_build(transport=session.transport, category=category, addresses=addresses)
    if session.cost_basis:
        Session.objects.filter(pk=session.pk).update(cost_basis=session.cost_basis)
