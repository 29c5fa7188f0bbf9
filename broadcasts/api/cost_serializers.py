"""The shapes of a session's estimated and counted cost, an app's rate card and a broadcast's pricing."""

from rest_framework import serializers

from broadcasts.services.rate_cards import CATEGORIES, ORIGIN_APP, ORIGIN_FILE, ORIGIN_SHIPPED


def amount_field(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=6, help_text=help_text)


class CountryEstimateOutput(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="The session's recipients in this country.")
    billable = serializers.IntegerField(help_text="Those Meta charges for.")
    free = serializers.IntegerField(
        help_text="Those Meta does not charge: a utility template inside the recipient's open 24-hour window "
        "(counted when the session was created), or a free-form message."
    )
    rate = amount_field("The rate card's price of one message of this category in this country.")
    amount = amount_field("billable × rate.")


class EstimatedCostOutput(serializers.Serializer):
    currency = serializers.CharField(help_text="The rate card's currency (ISO 4217).")
    amount = amount_field("What the session should cost at Meta: the sum of by_country.")
    category = serializers.ChoiceField(
        choices=CATEGORIES[:3], allow_null=True, help_text="The template's category; null for a free-form message."
    )
    example_rates = serializers.BooleanField(
        help_text="True while the app prices with the example card shipped with the gateway, not Meta's prices: "
        "set your own card (admin: Rate cards, or RATE_CARD_FILE)."
    )
    rate_card_date = serializers.DateField(allow_null=True, help_text="The date the rate card's prices are from.")
    by_country = serializers.DictField(
        child=CountryEstimateOutput(),
        help_text='By the recipient\'s country (ISO 3166, from the calling code); "unknown" for user ids (BSUIDs), '
        "priced at the card's default prices.",
    )


class CountryCostOutput(serializers.Serializer):
    billable = serializers.IntegerField(help_text="Delivered messages Meta's pricing says are billable.")
    free = serializers.IntegerField(help_text="Delivered messages Meta's pricing says are free.")
    amount = amount_field("Their cost at the app's rate card.")


class CostOutput(serializers.Serializer):
    currency = serializers.CharField(help_text="The rate card's currency (ISO 4217).")
    amount = amount_field("What the delivered messages cost so far, per the pricing of Meta's status webhooks.")
    billable = serializers.IntegerField()
    free = serializers.IntegerField()
    by_country = serializers.DictField(child=CountryCostOutput(), help_text='By country; "unknown" for user ids.')


class PricingOutput(serializers.Serializer):
    billable = serializers.BooleanField(help_text="Whether Meta charges for the message.")
    category = serializers.CharField(help_text="Meta's pricing category, e.g. marketing, utility, service.")
    type = serializers.CharField(help_text="regular, free_customer_service or free_entry_point.")
    amount = amount_field("Its cost at the app's rate card (0 when not billable).")
    country = serializers.CharField(help_text="The country it was priced for; empty for a user id.")


class RateCardOutput(serializers.Serializer):
    currency = serializers.CharField()
    effective_date = serializers.DateField(allow_null=True, help_text="The date the prices are from.")
    source = serializers.CharField(help_text="Where the prices come from.")
    example = serializers.BooleanField(help_text="True for the example card shipped with the gateway.")
    origin = serializers.ChoiceField(
        choices=[ORIGIN_APP, ORIGIN_FILE, ORIGIN_SHIPPED],
        help_text=f"`{ORIGIN_APP}`: your app's own card (admin); `{ORIGIN_FILE}`: the gateway's RATE_CARD_FILE; "
        f"`{ORIGIN_SHIPPED}`: the example card shipped with the gateway.",
    )
    rates = serializers.DictField(
        child=serializers.DictField(child=serializers.DecimalField(
            max_digits=14, decimal_places=6, normalize_output=True, help_text="The price of one delivered message."
        )),
        help_text='Per country (ISO 3166, or "default" for every other), the price by category '
        f"({', '.join(CATEGORIES)}).",
    )
