from transports.api.views import TransportViewSet
from whatsapp_gateway.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("transports", TransportViewSet, basename="transport")
urlpatterns = router.urls
