from django.urls import path

from broadcasts.webhooks import views

app_name = "webhooks"

urlpatterns = [
    # Meta calls the URL exactly as registered, so both spellings are served rather than redirected.
    path("whatsapp/<int:transport_id>", views.whatsapp_webhook, name="whatsapp"),
    path("whatsapp/<int:transport_id>/", views.whatsapp_webhook),
]
