from django.urls import re_path

from broadcasts.api.optouts import OptOutViewSet
from broadcasts.api.rate_cards import RateCardView
from broadcasts.api.views import BroadcastViewSet, RecipientEraseView, SessionViewSet
from whatsapp_gateway.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sessions", SessionViewSet, basename="session")
router.register("broadcasts", BroadcastViewSet, basename="broadcast")
router.register("opt-outs", OptOutViewSet, basename="opt-out")
urlpatterns = [
    *router.urls,
    re_path(r"^rate-card/?$", RateCardView.as_view(), name="rate-card"),
    re_path(r"^recipients/erase/?$", RecipientEraseView.as_view(), name="recipient-erase"),
]
