"""GET /api/v1/rate-card: the rate card your app's sessions are priced with."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from broadcasts.api.cost_serializers import RateCardOutput
from broadcasts.services.rate_cards import rate_card_for_app
from whatsapp_gateway.api_schema import errors
from whatsapp_gateway.authentication import AppScopedMixin

RATE_CARD_EXAMPLE = OpenApiExample(
    "Your app's own card", response_only=True, status_codes=["200"],
    value={
        "currency": "EUR", "effective_date": "2026-10-01", "source": "Our contract with Meta, October 2026",
        "example": False, "origin": "app",
        "rates": {
            "default": {"MARKETING": "0.05", "UTILITY": "0.01", "AUTHENTICATION": "0.01",
                        "AUTHENTICATION_INTERNATIONAL": "0.03"},
            "DE": {"MARKETING": "0.12", "UTILITY": "0.05", "AUTHENTICATION": "0.06"},
        },
    },
)


@extend_schema(tags=["sessions"])
class RateCardView(AppScopedMixin, APIView):
    @extend_schema(
        summary="Your rate card",
        description="Meta's price of one delivered template by category and recipient country that your sessions' "
        "`estimated_cost` and `cost` are worked out with: your app's own card (set in the admin), else the "
        "gateway's (`RATE_CARD_FILE`), else the example card shipped with the gateway (`example: true`: not Meta's "
        'prices). A country not listed is priced at "default".',
        responses={200: RateCardOutput, **errors()},
        examples=[RATE_CARD_EXAMPLE],
    )
    def get(self, request):
        return Response(RateCardOutput(rate_card_for_app(app_id=self.app.pk).as_dict()).data)
