from django.urls import re_path

from broadcasts.api.views import BroadcastViewSet, RecipientEraseView, SessionViewSet
from whatsapp_gateway.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sessions", SessionViewSet, basename="session")
router.register("broadcasts", BroadcastViewSet, basename="broadcast")
urlpatterns = [
    *router.urls,
    re_path(r"^recipients/erase/?$", RecipientEraseView.as_view(), name="recipient-erase"),
]
