from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    name = "broadcasts"

    def ready(self) -> None:
        from broadcasts.services.sessions import sessions_resume_for_templates
        from broadcasts.services.template_changes import sessions_hold_for_recategorised
        from templates.signals import templates_approved, templates_recategorised

        templates_approved.connect(sessions_resume_for_templates, dispatch_uid="sessions_resume_for_templates")
        templates_recategorised.connect(sessions_hold_for_recategorised, dispatch_uid="sessions_hold_for_recategorised")
