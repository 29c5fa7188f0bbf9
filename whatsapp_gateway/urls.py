from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from whatsapp_gateway import views
from whatsapp_gateway.dashboard import dashboard_view

api_v1 = [
    path("", include("transports.api.urls")),
    path("", include("broadcasts.api.urls")),
    path("", include("templates.api.urls")),
    path("", include("broadcasts.callbacks.api.urls")),
]

urlpatterns = [
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
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
    re_path(r"^api/", views.ApiPathNotFound.as_view()),  # after every API route: a JSON 404
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("webhooks/", include("broadcasts.webhooks.urls")),
]

admin.site.site_header = f"WhatsApp Gateway {settings.VERSION}"
admin.site.site_title = "WhatsApp Gateway"
admin.site.index_title = "Operations"
# The index links to the dashboard (whatsapp_gateway/templates/admin/gateway_index.html).
admin.site.index_template = "admin/gateway_index.html"
