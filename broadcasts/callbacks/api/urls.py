from broadcasts.callbacks.api.views import CallbackViewSet
from whatsapp_gateway.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("callbacks", CallbackViewSet, basename="callback")
urlpatterns = router.urls
