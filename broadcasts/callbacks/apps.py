from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    """Signed status events pushed to the integrators' own endpoints: the outbox and its deliveries."""

    name = "broadcasts.callbacks"
    label = "callbacks"
    verbose_name = "Callbacks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from broadcasts.callbacks.services.events import template_status_events_record
        from templates.signals import template_status_changed

        template_status_changed.connect(template_status_events_record, dispatch_uid="callbacks_template_status")
