from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from whatsapp_gateway import views

api_v1 = [
    path("", include("transports.api.urls")),
    path("", include("broadcasts.api.urls")),
    path("", include("templates.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[], authentication_classes=[]),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", permission_classes=[], authentication_classes=[]),
        name="redoc",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("webhooks/", include("broadcasts.webhooks.urls")),
]

admin.site.site_header = "WhatsApp Gateway"
admin.site.site_title = "WhatsApp Gateway"
admin.site.index_title = "Operations"
