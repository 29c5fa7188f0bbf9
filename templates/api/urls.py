from templates.api.views import TemplateViewSet
from whatsapp_gateway.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("templates", TemplateViewSet, basename="template")
urlpatterns = router.urls
