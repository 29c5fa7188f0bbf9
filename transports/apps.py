from django.apps import AppConfig


class TransportsConfig(AppConfig):
    name = "transports"

    def ready(self) -> None:
        from transports import checks  # noqa: F401 — registers the stored-transports system check
