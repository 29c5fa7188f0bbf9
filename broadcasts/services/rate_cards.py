"""Rate cards: what Meta charges for one delivered template, by category and recipient country.

Three places, first found wins: the app's own card (the admin's "Rate cards"), the file RATE_CARD_FILE
names (JSON or CSV, for every app), the snapshot shipped in broadcasts/data/rate_card.json (example
figures in Meta's structure: the reference it was built from gives no per-country prices).
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SHIPPED_CARD = Path(__file__).resolve().parent.parent / "data" / "rate_card.json"
DEFAULT_COUNTRY = "default"  # the prices of every country a card does not list
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION", "AUTHENTICATION_INTERNATIONAL")
# Meta's pricing categories (status webhooks, lower case) priced as one of the card's.
PRICED_AS = {"MARKETING_LITE": "MARKETING"}  # the Marketing Messages API: marketing templates
RATE_MAX = Decimal("1000")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
ORIGIN_APP, ORIGIN_FILE, ORIGIN_SHIPPED = "app", "file", "shipped"


class RateCardError(ValueError):
    """A card that cannot be used; `errors` says why, each naming the place."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class RateCard:
    currency: str
    rates: dict[str, dict[str, Decimal]]  # country (or "default") -> category -> price of one message
    effective_date: date | None = None
    source: str = ""
    example: bool = False  # the shipped figures: Meta's structure, not Meta's prices
    origin: str = ORIGIN_SHIPPED
    countries: tuple[str, ...] = field(default=())

    def rate(self, *, country: str, category: str) -> Decimal:
        """The price of one billable message; AUTHENTICATION_INTERNATIONAL falls back to AUTHENTICATION."""
        category = PRICED_AS.get(category.upper(), category.upper())
        for key in ((category, "AUTHENTICATION") if category == "AUTHENTICATION_INTERNATIONAL" else (category,)):
            for where in (country, DEFAULT_COUNTRY):
                price = self.rates.get(where, {}).get(key)
                if price is not None:
                    return price
        return Decimal(0)  # a category no card prices (e.g. service: a free-form reply)

    def as_dict(self) -> dict:
        return {
            "currency": self.currency, "effective_date": self.effective_date, "source": self.source,
            "example": self.example, "origin": self.origin,
            "rates": {country: {c: money(p) for c, p in prices.items()} for country, prices in self.rates.items()},
        }


def money(amount: Decimal) -> str:
    """An amount as text with at least 2 and at most 6 decimals: "0.05", "0.0014", "12.30"."""
    text = f"{Decimal(amount).quantize(Decimal('0.000001')):f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def rate_card_parse(data, *, origin: str, example: bool = False) -> RateCard:
    """A card from its JSON form {currency, rates, effective_date?, source?}; raises RateCardError."""
    if not isinstance(data, dict):
        raise RateCardError(["the rate card must be an object with currency and rates"])
    errors: list[str] = []
    currency = str(data.get("currency") or "").strip().upper()
    if not _CURRENCY.match(currency):
        errors.append("currency: an ISO 4217 code of three letters, e.g. USD")
    rates = _rates_parse(data.get("rates"), errors)
    effective = data.get("effective_date") or None
    if effective is not None:
        try:
            effective = date.fromisoformat(str(effective))
        except ValueError:
            errors.append("effective_date: a date as YYYY-MM-DD")
    if errors:
        raise RateCardError(errors)
    return RateCard(
        currency=currency, rates=rates, effective_date=effective, source=str(data.get("source") or "")[:255],
        example=bool(data.get("example", example)), origin=origin,
        countries=tuple(sorted(c for c in rates if c != DEFAULT_COUNTRY)),
    )


def _rates_parse(rates, errors: list[str]) -> dict[str, dict[str, Decimal]]:
    if not isinstance(rates, dict) or not rates:
        errors.append('rates: an object of countries, e.g. {"default": {"MARKETING": "0.05", ...}}')
        return {}
    parsed: dict[str, dict[str, Decimal]] = {}
    for country, prices in rates.items():
        key = str(country).strip()
        key = DEFAULT_COUNTRY if key.lower() == DEFAULT_COUNTRY else key.upper()
        if key != DEFAULT_COUNTRY and not _COUNTRY.match(key):
            errors.append(f'rates.{country}: a country is two letters (ISO 3166, e.g. BR) or "default"')
            continue
        if not isinstance(prices, dict):
            errors.append(f"rates.{country}: an object of categories ({', '.join(CATEGORIES)})")
            continue
        parsed[key] = {}
        for category, price in prices.items():
            name = str(category).strip().upper()
            if name not in CATEGORIES:
                errors.append(f"rates.{country}.{category}: not a category ({', '.join(CATEGORIES)})")
                continue
            try:
                value = Decimal(str(price).strip())
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or not 0 <= value <= RATE_MAX or value.as_tuple().exponent < -6:
                errors.append(f"rates.{country}.{category}: a price from 0 to {RATE_MAX} with at most 6 decimals")
                continue
            parsed[key][name] = value
    if DEFAULT_COUNTRY not in parsed and not errors:
        errors.append('rates.default: the prices of every country not listed are required')
    return parsed


def rate_card_from_csv(text: str) -> dict:
    """The JSON form of a CSV card: a header country,currency,MARKETING,UTILITY,… then one row per country."""
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().upper() for h in reader.fieldnames or []]
    if "COUNTRY" not in headers or "CURRENCY" not in headers:
        raise RateCardError([f"the CSV header needs country, currency and categories ({', '.join(CATEGORIES)})"])
    rates, currencies = {}, set()
    for row in reader:
        row = {str(k).strip().upper(): (v or "").strip() for k, v in row.items() if k is not None}
        currencies.add(row.get("CURRENCY", "").upper())
        rates[row.get("COUNTRY", "")] = {c: row[c] for c in headers if c in row and c not in ("COUNTRY", "CURRENCY")
                                         and row[c] != ""}
    if len(currencies) > 1:
        raise RateCardError([f"currency: one currency per card (the CSV has {', '.join(sorted(currencies))})"])
    return {"currency": currencies.pop() if currencies else "", "rates": rates}


def rate_card_file_load(path: str) -> RateCard:
    """The card of a JSON or CSV file (by its name's ending); raises RateCardError."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RateCardError([f"{path}: cannot be read ({error.strerror or error})"]) from error
    if file.suffix.lower() == ".csv":
        data = rate_card_from_csv(text)
        data.setdefault("source", file.name)
    else:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise RateCardError([f"{path}: not valid JSON ({error})"]) from error
    return rate_card_parse(data, origin=ORIGIN_FILE)


@lru_cache(maxsize=4)
def _file_card(path: str, mtime: float) -> RateCard:
    return rate_card_file_load(path)


def rate_card_default() -> RateCard:
    """RATE_CARD_FILE's card, or the shipped one; a file changed on disk is read again."""
    path = settings.RATE_CARD_FILE
    if path:
        try:
            return _file_card(path, Path(path).stat().st_mtime)
        except (OSError, RateCardError) as error:
            raise ImproperlyConfigured(f"RATE_CARD_FILE: {error}") from error
    card = _file_card(str(SHIPPED_CARD), 0.0)
    return RateCard(**{**card.__dict__, "origin": ORIGIN_SHIPPED})


def rate_card_of(row) -> RateCard:
    """The card of an app's RateCard row."""
    return rate_card_parse(
        {"currency": row.currency, "rates": row.rates, "effective_date": row.effective_date, "source": row.source},
        origin=ORIGIN_APP,
    )


def rate_card_for_app(*, app_id: int) -> RateCard:
    """The card this app prices with: its own, else the default one."""
    from broadcasts.cost_models import RateCard as RateCardRow

    row = RateCardRow.objects.filter(app_id=app_id).first()
    if row is not None:
        try:
            return rate_card_of(row)
        except RateCardError:
            pass  # only the admin writes it, and it validates; a hand-edited bad row falls back
    return rate_card_default()
