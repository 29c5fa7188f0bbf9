from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    name = "broadcasts"

    def ready(self) -> None:
        from broadcasts.services.sessions import sessions_resume_for_templates
        from templates.signals import templates_approved

        templates_approved.connect(sessions_resume_for_templates, dispatch_uid="sessions_resume_for_templates")
