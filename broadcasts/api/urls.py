from broadcasts.api.views import BroadcastViewSet, SessionViewSet
from whatsapp_gateway.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("sessions", SessionViewSet, basename="session")
router.register("broadcasts", BroadcastViewSet, basename="broadcast")
urlpatterns = router.urls
