from rest_framework.routers import SimpleRouter

from transports.api.views import TransportViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("transports", TransportViewSet, basename="transport")
urlpatterns = router.urls
