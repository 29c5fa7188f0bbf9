from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "whatsapp_gateway"
    verbose_name = "Tenancy"

    def ready(self):
        from whatsapp_gateway import checks  # noqa: F401 — registers the deploy check of the WHATSAPP_* credentials
