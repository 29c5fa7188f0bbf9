from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "whatsapp_gateway"
    verbose_name = "Tenancy"
