"""Rate cards in the admin: an app's own prices (typed, or imported from a JSON or CSV file) and the daily costs."""

import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from broadcasts.admin_base import AuditAdmin
from broadcasts.cost_models import CostDaily, RateCard
from broadcasts.services.rate_cards import (
    ORIGIN_APP,
    RateCardError,
    money,
    rate_card_default,
    rate_card_from_csv,
    rate_card_parse,
)


class RateCardForm(forms.ModelForm):
    file = forms.FileField(
        required=False, label="Import from a file",
        help_text="A JSON card ({currency, rates, effective_date, source}) or a CSV (header country,currency,MARKETING,"
        "UTILITY,AUTHENTICATION,AUTHENTICATION_INTERNATIONAL; one row per country, \"default\" for all others): "
        "it replaces the currency and rates below.",
    )

    class Meta:
        model = RateCard
        fields = ["app", "currency", "effective_date", "source", "rates"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("currency", "rates"):
            self.fields[name].required = False  # a file may bring them
        if not self.instance.pk and not self.is_bound:
            card = rate_card_default().as_dict()
            self.initial.update(currency=card["currency"], rates=card["rates"])

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            text = upload.read().decode("utf-8-sig", errors="replace")
            try:
                loaded = rate_card_from_csv(text) if upload.name.lower().endswith(".csv") else json.loads(text)
            except (RateCardError, ValueError) as error:
                raise forms.ValidationError({"file": str(error)}) from None
            if not isinstance(loaded, dict):
                raise forms.ValidationError({"file": "the file must hold one rate card"})
            data["currency"], data["rates"] = loaded.get("currency"), loaded.get("rates")
            data["effective_date"] = data.get("effective_date") or loaded.get("effective_date")
            data["source"] = data.get("source") or str(loaded.get("source") or upload.name)[:255]
        try:
            card = rate_card_parse(
                {"currency": data.get("currency"), "rates": data.get("rates"), "effective_date": None},
                origin=ORIGIN_APP,
            )
        except RateCardError as error:
            raise forms.ValidationError({"rates": error.errors}) from None
        data["currency"] = card.currency
        data["rates"] = {country: {c: money(p) for c, p in prices.items()} for country, prices in card.rates.items()}
        self.instance.currency, self.instance.rates = data["currency"], data["rates"]
        return data


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    form = RateCardForm
    list_display = ["app", "currency", "effective_date", "countries", "source", "updated_at"]
    search_fields = ["app__name", "source"]

    @admin.display(description="Countries")
    def countries(self, obj: RateCard) -> str:
        return ", ".join(sorted(c for c in (obj.rates or {}) if c != "default")) or "default only"

    def changelist_view(self, request, extra_context=None):
        card = rate_card_default()
        note = format_html(
            "Apps without a card here price with {} ({} {}, {}{}).",
            "RATE_CARD_FILE" if card.origin == "file" else "the card shipped with the gateway",
            card.currency, card.effective_date or "undated", card.source[:120],
            ": EXAMPLE RATES, not Meta's prices" if card.example else "",
        )
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": note})


@admin.register(CostDaily)
class CostDailyAdmin(AuditAdmin):
    list_display = ["day", "app", "transport", "category", "billable", "free", "amount", "currency"]
    list_filter = ["category", "currency", "app", "transport"]
    date_hierarchy = "day"
